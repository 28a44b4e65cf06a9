from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from people.models import School
from transfers.concerns_csv import CsvImportError, concerns_csv_import


class Command(BaseCommand):
    help = (
        "Import concerns from another system's CSV export (README: 'Bringing concerns from "
        "another system'). If any row is bad, nothing is saved."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--school", required=True, help="The school's URN.")
        parser.add_argument("--user", required=True, help="Username of the DSL importing.")

    def handle(self, *args, file: Path, school: str, user: str, **options):
        target = School.objects.filter(urn=school).first()
        if target is None:
            raise CommandError(f"No school has the URN {school}.")
        by = get_user_model().objects.filter(username=user).first()
        if by is None:
            raise CommandError(f"No user is called {user}.")
        try:
            text = file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        try:
            done = concerns_csv_import(school=target, text=text, by=by)
        except CsvImportError as exc:
            raise CommandError(
                f"Nothing was imported from {file}:\n" + "\n".join(exc.problems)
            ) from exc
        self.stdout.write(self.style.SUCCESS(f"{target}: {done.manifest['rows']} concerns added."))
