from django.urls import path

from conduct import views

app_name = "conduct"

urlpatterns = [
    path("breaches/", views.BreachListView.as_view(), name="breaches"),
    path("breaches/new/", views.breach_new, name="breach_new"),
    path("breaches/<int:pk>/", views.breach_detail, name="breach"),
    path("breaches/<int:pk>/letter/", views.breach_letter, name="breach_letter"),
    path("notices/<int:pk>/letter/", views.notice_letter, name="notice_letter"),
    path("ladder/", views.ladder, name="ladder"),
]
