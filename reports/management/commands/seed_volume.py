from django.core.management.base import BaseCommand

from bench.volume import SCALES, seed


class Command(BaseCommand):
    # Here, beside seed_demo at the top of the layers: roper imports neither the apps nor
    # bench (which is not an installed app, so cannot hold a command).
    help = (
        "Seed volume data for the benchmark (bench/volume.py): tiny, tiny+, school (1 school, "
        "1,500 learners, 3 years) or trust (20 schools × 1,000 learners, 1 year). A part "
        "already seeded is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="tiny")

    def handle(self, *args, scale, **options):
        timings = seed(scale, log=self.stdout.write)
        total = sum(timings.values())
        self.stdout.write(self.style.SUCCESS(f"{scale}: done ({total:.1f} s seeding)"))
