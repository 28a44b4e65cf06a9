from django.urls import path

from sso import views

app_name = "sso"
urlpatterns = [
    path("<slug:provider_id>/", views.login, name="login"),
    path("<slug:provider_id>/callback/", views.callback, name="callback"),
]
