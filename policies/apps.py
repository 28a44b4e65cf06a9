from django.apps import AppConfig


class PoliciesConfig(AppConfig):
    name = "policies"

    def ready(self):
        from policies import public
        from roper.navigation import NavItem, register

        public.connect()

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
