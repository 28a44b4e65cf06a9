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
        register_landing("reports.governors", "reports:governors", order=3)
        audit(
            "people.learner",
            "learners.chronology",
            lambda learner: {"obj": learner, "what": f"chronology of learner {learner.pk}"},
        )
