from django.apps import AppConfig


class TransfersConfig(AppConfig):
    name = "transfers"
    verbose_name = "Transfers of child-protection files"

    def ready(self):
        from roper.navigation import NavItem, register

        register(
            NavItem(
                "Transfers",
                "transfers:list",
                "transfers.view",
                "Child-protection files sent to another school or brought in from one.",
                order=90,
            ),
        )
