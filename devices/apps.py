from django.apps import AppConfig


class DevicesConfig(AppConfig):
    name = "devices"

    def ready(self):
        from devices.retention import destroy_confiscations_of_concerns
        from incidents.signals import concerns_destroying
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
                "End of day",
                "devices:end_of_day",
                "devices.desk",
                "The phones still held and the open confiscations, per class.",
                order=55,
            ),
            NavItem(
                "Confiscations",
                "devices:confiscations",
                "devices.confiscations",
                "Confiscated devices and their chain of custody.",
                order=60,
            ),
            NavItem(
                "Searches",
                "devices:searches",
                "devices.searches",
                "Searches of pupils for devices, and who may search.",
                order=62,
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
        concerns_destroying.connect(
            destroy_confiscations_of_concerns, dispatch_uid="devices_destroy_confiscations"
        )
        # A device handed to the police is evidence; other confiscations are not logged.
        audit(
            "devices.confiscation",
            "devices.confiscations",
            lambda c: {"obj": c, "what": f"evidence #{c.pk}"} if c.is_evidence else None,
        )
