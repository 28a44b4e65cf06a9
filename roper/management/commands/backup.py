import io
import os
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connection
from django.utils import timezone

from roper.management.commands._archive import DUMP, FILES, MANIFEST, manifest, postgres, run


class Command(BaseCommand):
    help = (
        "Back up the PostgreSQL database (pg_dump -Fc) and the private files "
        "(PRIVATE_STORAGE_ROOT) into one timestamped archive, readable by its owner only. "
        "Restore with `manage.py restore ARCHIVE`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            default="backups",
            help="Where to write the archive (default ./backups).",
        )

    def handle(self, *args, output_dir, **options):
        args, env = postgres(connection)
        now = timezone.now()
        out_dir = Path(output_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        target = out_dir / f"roper-backup-{now:%Y%m%dT%H%M%SZ}.tar"
        private = Path(settings.PRIVATE_STORAGE_ROOT)
        with tempfile.TemporaryDirectory(dir=out_dir) as work:
            dump = Path(work) / DUMP
            run(["pg_dump", "--format=custom", "--file", str(dump), *args], env)
            partial = Path(work) / target.name
            # The archive holds safeguarding records: its owner alone may read it.
            fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            files = sum(1 for p in private.rglob("*") if p.is_file())
            with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w") as tar:
                tar.add(dump, arcname=DUMP)
                if private.exists():
                    tar.add(private, arcname=FILES)
                info = tarfile.TarInfo(MANIFEST)
                data = manifest(now.isoformat(), files)
                info.size, info.mtime, info.mode = len(data), int(now.timestamp()), 0o600
                tar.addfile(info, io.BytesIO(data))
            partial.replace(target)  # whole or not at all: never a half-written archive
        self.stdout.write(self.style.SUCCESS(f"Backed up to {target} ({files} private files)."))
