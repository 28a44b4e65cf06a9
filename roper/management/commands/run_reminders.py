import time
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from roper.reminders import JOBS, run_reminders


class Command(BaseCommand):
    help = (
        "Run every reminder job once: the same code Celery beat runs. For cron, e.g. "
        "'*/5 * * * * cd /srv/roper && .venv/bin/python manage.py run_reminders'."
    )

    def add_arguments(self, parser):
        parser.add_argument("--job", action="append", help="Run only this job (repeatable).")
        parser.add_argument(
            "--now",
            help="Pretend it is this moment (YYYY-MM-DD or YYYY-MM-DDTHH:MM), e.g. to see what "
            "the demo data would send on a given day.",
        )

    def handle(self, *args, job=None, now=None, **options):
        moment = None
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError as exc:
                raise CommandError(f"--now {now!r} is not a date or date and time") from exc
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
        started = time.perf_counter()
        results = run_reminders(now=moment, only=job)
        if job and set(job) - set(JOBS):
            raise CommandError(f"Unknown job(s): {', '.join(sorted(set(job) - set(JOBS)))}")
        for name, result in results.items():
            status = "FAILED" if result["sent"] is None else f"{result['sent']} sent"
            self.stdout.write(f"{name}: {status} in {result['seconds']:.2f}s")
        self.stdout.write(f"all jobs: {time.perf_counter() - started:.2f}s")
        if any(r["sent"] is None for r in results.values()):
            raise CommandError("At least one job failed; see the log above.")
