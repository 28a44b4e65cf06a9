from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from people.models import School
from people.services import ImportError_, learners_import


class Command(BaseCommand):
    help = (
        "Import learners and their parents/carers from a CSV export of the school's MIS. "
        "Re-importing updates learners by UPN. If any row is bad, nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--school", help="The school's URN (needed when there is more than one school)."
        )

    def handle(self, *args, file: Path, school: str | None, **options):
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
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            result = learners_import(school=target, text=text)
        except ImportError_ as exc:
            raise CommandError(
                f"Nothing was imported from {file}:\n" + "\n".join(exc.problems)
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{target}: {result.created} learners added, {result.updated} updated, "
                f"{result.guardians_created} parents/carers added."
            )
        )
