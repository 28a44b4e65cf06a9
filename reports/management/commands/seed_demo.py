from django.core.management.base import BaseCommand
from django.db import transaction

import conduct.demo
import devices.demo
import incidents.demo
import policies.demo
import reports.demo
from people.demo import DEMO_PASSWORD, seed_people


class Command(BaseCommand):
    # Here, in the app at the top of the layers (tests/roper/test_layers.py): it seeds every
    # app, in the order they depend on each other, and roper imports no app.
    help = (
        "Seed the demo schools and one account per role. Running it again restores the demo "
        "(passwords, backup codes, its own records) and otherwise changes nothing."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        demo = seed_people()
        policies.demo.seed(demo)
        incidents.demo.seed(demo)
        devices.demo.seed(demo)
        conduct.demo.seed(demo)
        reports.demo.seed(demo)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {demo.school}, {demo.other_school}. "
                f"Accounts {', '.join(demo.users)} (password {DEMO_PASSWORD!r})."
            )
        )
