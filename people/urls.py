from django.urls import path

from people import views

app_name = "people"

urlpatterns = [
    path("", views.LearnerListView.as_view(), name="learners"),
    path("<int:pk>/", views.LearnerDetailView.as_view(), name="learner"),
]
