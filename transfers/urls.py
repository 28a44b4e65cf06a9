from django.urls import path

from transfers import views

app_name = "transfers"

urlpatterns = [
    path("transfers/", views.transfer_list, name="list"),
    path("transfers/import/", views.package_import_view, name="import"),
    path("transfers/import/concerns/", views.concerns_csv_view, name="import_concerns"),
    path("transfers/<int:pk>/", views.transfer_detail, name="detail"),
    path("transfers/<int:pk>/package/", views.transfer_package, name="package"),
    path("transfers/<int:pk>/accept/", views.transfer_accept_view, name="accept"),
    path("learners/<int:pk>/transfer/", views.transfer_start, name="start"),
]
