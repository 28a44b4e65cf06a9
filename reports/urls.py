"""Included at the site root: the governors' reports under reports/, and a learner's
chronology under learners/ (DESIGN.md's URL map)."""

from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("reports/governors/", views.governors, name="governors"),
    path("reports/governors/trust/", views.trust, name="trust"),
    path(
        "reports/governors/<int:term_id>/commentary/",
        views.commentary_save,
        name="commentary",
    ),
    path("reports/evidence/", views.evidence, name="evidence"),
    path("reports/evidence/trust/", views.evidence_trust, name="evidence_trust"),
    path("learners/<int:pk>/chronology/", views.chronology, name="chronology"),
    path("learners/<int:pk>/subject-access/", views.subject_access, name="subject_access"),
    path(
        "staff/subject-access/", views.staff_subject_access_list, name="staff_subject_access_list"
    ),
    path("staff/<int:pk>/subject-access/", views.staff_subject_access, name="staff_subject_access"),
]
