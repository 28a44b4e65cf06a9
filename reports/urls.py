from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("governors/", views.governors, name="governors"),
    path("governors/trust/", views.trust, name="trust"),
    path("governors/<int:term_id>/commentary/", views.commentary_save, name="commentary"),
]
