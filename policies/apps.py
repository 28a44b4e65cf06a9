from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"

    def ready(self):
        from roper.navigation import NavItem, register

        register(
            NavItem(
                "Policies",
                "policies:list",
                "policies.view",
                "Policies, review dates and versions.",
                order=80,
            ),
            NavItem(
                "Training",
                "policies:training",
                "policies.training",
                "Staff training records.",
                order=90,
            ),
        )
