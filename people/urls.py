from django.urls import path

from people import views

app_name = "people"

# Mounted at the root: learners live under learners/, the requests that wait for the
# headteacher's approval (roles, and sign-in changes for safeguarding roles) under people/.
urlpatterns = [
    path("learners/", views.LearnerListView.as_view(), name="learners"),
    path("learners/<int:pk>/", views.LearnerDetailView.as_view(), name="learner"),
    path("people/role-requests/", views.role_requests, name="role_requests"),
    path(
        "people/role-requests/<int:pk>/decide/",
        views.role_request_decide,
        name="role_request_decide",
    ),
]
