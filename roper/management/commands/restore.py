import json
import shutil
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from roper.management.commands._archive import (
    DUMP,
    FILES,
    FORMAT,
    MANIFEST,
    is_empty,
    postgres,
    run,
)


class Command(BaseCommand):
    help = (
        "Restore an archive made by `manage.py backup` into the database of DATABASE_URL and "
        "into PRIVATE_STORAGE_ROOT. Both must be empty (a new database, made with createdb) "
        "unless --force, which replaces what is there."
    )

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace a database and private files that are not empty.",
        )

    def handle(self, *args, archive, force, **options):
        args, env = postgres(connection)
        private = Path(settings.PRIVATE_STORAGE_ROOT)
        tables = connection.introspection.table_names()
        if not force and (tables or not is_empty(private)):
            where = f"the database {connection.settings_dict['NAME']!r} has {len(tables)} tables"
            if not is_empty(private):
                where += f"; {private} holds files"
            raise CommandError(
                f"Refusing to restore over data: {where}. Restore into a new, empty database "
                "and an empty PRIVATE_STORAGE_ROOT, or pass --force to replace them."
            )
        with tempfile.TemporaryDirectory() as work, tarfile.open(archive) as tar:
            # The "data" filter refuses links and paths outside the folder (CVE-2007-4559).
            tar.extractall(work, filter="data")
            work = Path(work)
            meta = json.loads((work / MANIFEST).read_text())
            if meta.get("format") != FORMAT:
                raise CommandError(f"{archive} is not a Roper backup this version can restore.")
            connection.close()  # pg_restore --clean drops tables this process may hold open
            run(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    *(["--clean", "--if-exists"] if force else []),
                    *args,
                    str(work / DUMP),
                ],
                env,
            )
            if force and private.exists():
                shutil.rmtree(private)
            private.mkdir(parents=True, exist_ok=True)
            if (work / FILES).exists():
                shutil.copytree(work / FILES, private, dirs_exist_ok=True)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored {archive} (made {meta['created_at']}, "
                f"{meta['private_files']} private files)."
            )
        )
