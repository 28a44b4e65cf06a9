from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "people"
    verbose_name = "Schools and people"

    def ready(self):
        from people.services import own_password_audit, role_requests_waiting_count
        from roper.navigation import NavItem, register
        from roper.passwords import password_changed

        password_changed.connect(own_password_audit, dispatch_uid="people.own_password_audit")

        register(
            NavItem(
                "Learners",
                "people:learners",
                "learners.view",
                "Find a learner and their contacts.",
                order=10,
            ),
            NavItem(
                "Import learners",
                "people:import",
                "people.import",
                "Learners and parents/carers from the MIS: a CSV file or a sync.",
                order=105,
            ),
            NavItem(
                "To approve",
                "people:role_requests",
                ("people.roles.approve", "people.roles.approve_headteacher"),
                "Safeguarding roles, and sign-in changes for those who hold one, that the IT "
                "admin asked for.",
                count=role_requests_waiting_count,
                order=120,
            ),
        )
