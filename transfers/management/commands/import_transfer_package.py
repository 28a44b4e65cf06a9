import getpass
import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from people.models import School
from transfers.importing import package_import
from transfers.package import PackageError


class Command(BaseCommand):
    help = (
        "Import a learner's child-protection file from a Roper transfer package (a .roper "
        "file). The passphrase is read from ROPER_PASSPHRASE or asked for (never an argument: "
        "it would show in the process list). All or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--school", required=True, help="The receiving school's URN.")
        parser.add_argument(
            "--user", required=True, help="Username of the DSL the records are imported by."
        )
        parser.add_argument(
            "--attach",
            action="store_true",
            help="Add to a learner already here with the same UPN, name and date of birth.",
        )

    def handle(self, *args, file: Path, school: str, user: str, attach: bool, **options):
        target = School.objects.filter(urn=school).first()
        if target is None:
            raise CommandError(f"No school has the URN {school}.")
        by = get_user_model().objects.filter(username=user).first()
        if by is None:
            raise CommandError(f"No user is called {user}.")
        passphrase = os.environ.get("ROPER_PASSPHRASE") or getpass.getpass("Passphrase: ")
        try:
            done = package_import(
                blob=file.read_bytes(),
                passphrase=passphrase,
                school=target,
                by=by,
                attach=attach,
            )
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        except PackageError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"{target}: imported {done.learner.name}'s file from {done.from_name} "
                f"(learner {done.learner_id})."
            )
        )
