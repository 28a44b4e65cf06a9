from django.apps import AppConfig


class ConductConfig(AppConfig):
    name = "conduct"

    def ready(self):
        from conduct.notices import (
            confiscation_notices,
            on_confiscation_ready,
            on_confiscation_recorded,
        )
        from conduct.retention import destroy_of_confiscations
        from devices.signals import (
            confiscation_ready,
            confiscation_recorded,
            confiscation_shown,
            confiscations_destroying,
        )
        from roper.navigation import NavItem, register

        register(
            NavItem(
                "Breaches",
                "conduct:breaches",
                "conduct.breaches",
                "Phone-policy breaches: search by learner, date, place and year.",
                order=62,
            ),
            NavItem(
                "Record a breach",
                "conduct:breach_new",
                "conduct.record",
                "A phone seen or used: the ladder's next step, and the parents told.",
                order=61,
            ),
            NavItem(
                "Sanctions ladder",
                "conduct:ladder",
                "conduct.ladder",
                "The consequence of a learner's first, second, third breach in a term.",
                order=63,
            ),
        )
        # Parents are told when their child's phone is confiscated and when it is ready to
        # collect: devices sends the signals (it may not import conduct), conduct answers.
        confiscation_recorded.connect(on_confiscation_recorded, dispatch_uid="conduct_confiscated")
        confiscation_ready.connect(on_confiscation_ready, dispatch_uid="conduct_ready")
        confiscation_shown.connect(confiscation_notices, dispatch_uid="conduct_notices_shown")
        confiscations_destroying.connect(
            destroy_of_confiscations, dispatch_uid="conduct_destroy_with_confiscations"
        )
