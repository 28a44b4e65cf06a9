from django.urls import path

from policies import exports, import_views, views

app_name = "policies"

urlpatterns = [
    path("", views.PolicyListView.as_view(), name="list"),
    path("new/", views.PolicyCreateView.as_view(), name="create"),
    path("import/", import_views.PolicyImportView.as_view(), name="import"),
    path("training/", views.TrainingListView.as_view(), name="training"),
    path("training/new/", views.TrainingSessionCreateView.as_view(), name="training_create"),
    path("training/export.csv", exports.training_csv, name="training_csv"),
    path("training/mine/", views.training_mine, name="training_mine"),
    path("training/settings/", views.TrainingSettingsView.as_view(), name="training_settings"),
    path("training/<int:pk>/", views.TrainingSessionUpdateView.as_view(), name="training_session"),
    path("<slug:slug>/", views.PolicyDetailView.as_view(), name="detail"),
    path("<slug:slug>/edit/", views.PolicyUpdateView.as_view(), name="edit"),
    path("<slug:slug>/file/", views.policy_file, name="file"),
    path("<slug:slug>/pdf/", views.policy_pdf, name="pdf"),
    path("<slug:slug>/diff/", views.version_diff, name="diff"),
    path("<slug:slug>/review/", views.review_start, name="review_start"),
    path("<slug:slug>/draft/", views.DraftUpdateView.as_view(), name="draft"),
    path("<slug:slug>/ratify/", views.RatifyView.as_view(), name="ratify"),
    path("<slug:slug>/triggers/new/", views.TriggerCreateView.as_view(), name="trigger_create"),
    path("<slug:slug>/archive/", views.archive, name="archive"),
    path("<slug:slug>/checks/", import_views.policy_checks, name="checks"),
    path("<slug:slug>/checks/links/", import_views.policy_links_recheck, name="checks_links"),
    path("<slug:slug>/acknowledge/", views.acknowledge, name="acknowledge"),
    path("<slug:slug>/publish/", views.publish, name="publish"),
    path("<slug:slug>/sent/new/", views.sending_new, name="sending_new"),
    path("<slug:slug>/versions/<int:number>/", views.version_detail, name="version"),
    path(
        "<slug:slug>/versions/<int:number>/acknowledgements/",
        views.acknowledgements,
        name="acknowledgements",
    ),
    path(
        "<slug:slug>/versions/<int:number>/acknowledgements.csv",
        exports.acknowledgements_csv,
        name="acknowledgements_csv",
    ),
]
