from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self):
        from roper.navigation import NavItem, register, register_landing
        from roper.permissions import audit

        register(
            NavItem(
                "Desk",
                "devices:desk",
                "devices.desk",
                "Phones handed in and collected today.",
                order=50,
            ),
            NavItem(
                "Confiscations",
                "devices:confiscations",
                "devices.confiscations",
                "Confiscated devices and their chain of custody.",
                order=60,
            ),
            NavItem(
                "Exceptions",
                "devices:exceptions",
                "devices.exceptions.request",
                "Requests, declarations and exemptions, and what awaits your decision.",
                order=70,
            ),
        )
        register_landing("devices.desk", "devices:desk", order=2)
        # A device handed to the police is evidence; other confiscations are not logged.
        audit(
            "devices.confiscation",
            "devices.confiscations",
            lambda c: {"obj": c, "what": f"evidence #{c.pk}"} if c.is_evidence else None,
        )
