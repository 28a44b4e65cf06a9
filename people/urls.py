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
    path("people/import/", views.import_upload, name="import"),
    path("people/import/<int:pk>/", views.import_run, name="import_run"),
    path("people/import/<int:pk>/progress/", views.import_run_progress, name="import_progress"),
    path("people/import/<int:pk>/apply/", views.import_run_apply, name="import_apply"),
    path("people/import/<int:pk>/discard/", views.import_run_discard, name="import_discard"),
]
