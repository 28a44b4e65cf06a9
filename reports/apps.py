from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"

    def ready(self):
        from roper.navigation import NavItem, register, register_landing
        from roper.permissions import audit

        register(
            NavItem(
                "Governor reports",
                "reports:governors",
                "reports.governors",
                "Termly online-safety figures for governors; no child is ever named.",
                order=100,
            ),
        )
        register(
            NavItem(
                "Phone-free evidence",
                "reports:evidence",
                "reports.evidence",
                "The evidence pack of the phone policy by term: hand-in, breaches, sanctions, "
                "exemptions, parents. Governors read it anonymised.",
                order=101,
            ),
        )
        register(
            NavItem(
                "Staff subject access",
                "reports:staff_subject_access_list",
                "staff.subject_access",
                "Everything Roper holds about a member of staff, to review and redact.",
                order=102,
            ),
        )
        register_landing("reports.governors", "reports:governors", order=3)
        audit(
            "people.learner",
            "learners.chronology",
            lambda learner: {"obj": learner, "what": f"chronology of learner {learner.pk}"},
        )

        from django.db.models.signals import m2m_changed, post_delete, post_save

        from reports.cache import on_change

        # Every model's changes (on_change keeps those the reports read), in every process:
        # the web, Celery, management commands.
        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(on_change, dispatch_uid=f"reports-cache-{id(signal)}")
