"""Included at the site root: the concern pages under incidents/ (DESIGN.md's URL map). A
learner's chronology, which reads devices too, is reports:chronology."""

from django.urls import path

from incidents import exports, views

app_name = "incidents"

urlpatterns = [
    path("incidents/", views.MyConcernsView.as_view(), name="mine"),
    path("incidents/new/", views.concern_new, name="new"),
    path("incidents/new/learners/", views.learner_search, name="learner_search"),
    path("incidents/dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("incidents/export.csv", exports.concerns_csv, name="concerns_csv"),
    path("incidents/<int:pk>/", views.concern_detail, name="detail"),
    path("incidents/<int:pk>/add/", views.concern_add, name="add"),
    path("incidents/<int:pk>/record/<slug:kind>/", views.concern_record, name="record"),
    path("incidents/<int:pk>/close/", views.concern_close, name="close"),
    path("incidents/<int:pk>/withdraw/", views.concern_withdraw, name="withdraw"),
    path("incidents/<int:pk>/actions/<int:entry>/done/", views.action_done, name="action_done"),
    path("incidents/actions/", views.my_actions, name="actions"),
    path("incidents/evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("incidents/filtering/", views.FilteringReviewListView.as_view(), name="filtering"),
    path(
        "incidents/filtering/new/",
        views.FilteringReviewCreateView.as_view(),
        name="filtering_create",
    ),
    path(
        "incidents/filtering/<int:pk>/",
        views.FilteringReviewDetailView.as_view(),
        name="filtering_detail",
    ),
]
