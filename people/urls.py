from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("", views.LearnerListView.as_view(), name="learners"),
    path("<int:pk>/", views.LearnerDetailView.as_view(), name="learner"),
    # Approving safeguarding roles (mounted under learners/ with the rest of people/).
    path("role-requests/", views.role_requests, name="role_requests"),
    path("role-requests/<int:pk>/decide/", views.role_request_decide, name="role_request_decide"),
]
