from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from people.importer import ImportRefused, import_apply, import_plan, rows_from_csv
from people.models import School


class Command(BaseCommand):
    help = (
        "Import learners and their parents/carers from a CSV export of the school's MIS "
        "(SIMS, Arbor, Bromcom or Roper's own columns), with the importer the import page "
        "uses. Re-importing updates learners by UPN; a row with a problem is reported and "
        "skipped. With --full-roll, learners not in the file are marked as left."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--school", help="The school's URN (needed when there is more than one school)."
        )
        parser.add_argument(
            "--full-roll",
            action="store_true",
            help="The file is the whole roll: mark learners not in it as left (never deleted).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would change; change nothing."
        )

    def handle(self, *args, file: Path, school, full_roll, dry_run, **options):
        if school:
            target = School.objects.filter(urn=school).first()
            if target is None:
                raise CommandError(f"No school has the URN {school}.")
        else:
            schools = list(School.objects.all()[:2])
            if len(schools) != 1:
                raise CommandError("Say which school with --school URN.")
            target = schools[0]
        try:
            text = file.read_bytes().decode("utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            parsed = rows_from_csv(text)
        except ImportRefused as exc:
            raise CommandError(
                f"Nothing was imported from {file}:\n" + "\n".join(exc.problems)
            ) from exc
        if dry_run:
            plan = import_plan(school=target, parsed=parsed, full_roll=full_roll)
        else:
            plan = import_apply(school=target, parsed=parsed, full_roll=full_roll)
        for problem in parsed.problems:
            self.stderr.write(f"Skipped: {problem}")
        note = " (a dry run: nothing was changed)" if dry_run else ""
        self.stdout.write(
            self.style.SUCCESS(
                f"{target} ({parsed.source} file): {len(plan.created)} learners added, "
                f"{len(plan.changed)} updated, {len(plan.left)} marked as left, "
                f"{plan.unchanged} unchanged, {plan.guardians_created} parents/carers added, "
                f"{len(parsed.problems)} rows skipped{note}."
            )
        )
