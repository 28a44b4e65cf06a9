from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = "Transfers of child-protection files"

    def ready(self):
        from devices.signals import confiscations_destroying
        from incidents.signals import concerns_destroying
        from roper.navigation import NavItem, register
        from transfers import retention

        # No copy of a learner's records outlives them in an import's manifest.
        concerns_destroying.connect(
            retention.concerns_destroying, dispatch_uid="transfers.concerns_destroying"
        )
        confiscations_destroying.connect(
            retention.confiscations_destroying, dispatch_uid="transfers.confiscations_destroying"
        )

        register(
            NavItem(
                "Transfers",
                "transfers:list",
                "transfers.view",
                "Child-protection files sent to another school or brought in from one.",
                order=90,
            ),
        )
