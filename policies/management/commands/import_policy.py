from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from people.models import School
from policies.importer import ImportProblem, import_warnings, policy_import
from policies.tasks import policy_links_check


class Command(BaseCommand):
    help = (
        "Import a policy from a text or Markdown file. Key people and dates come from the "
        "arguments, or else from the file's 'Key Details' block. Nothing is saved on an error."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--school", required=True, help="the school's URN")
        parser.add_argument("--title", default="", help="default: the file's first line")
        parser.add_argument("--slug", default="")
        for role in ("dsl", "deputy-dsl", "osl", "governor"):
            parser.add_argument(f"--{role}", default="", metavar="USERNAME")
        for when in ("written", "ratified", "next-review"):
            parser.add_argument(f"--{when}", default="", metavar="YYYY-MM")
        parser.add_argument(
            "--no-link-check", action="store_true", help="do not check the file's links"
        )

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from None
        school = School.objects.filter(urn=options["school"]).first()
        if school is None:
            raise CommandError(f"No school with URN {options['school']!r}.")
        try:
            policy = policy_import(
                school=school,
                text=text,
                title=options["title"],
                slug=options["slug"],
                people={
                    "dsl": options["dsl"],
                    "deputy_dsl": options["deputy_dsl"],
                    "osl": options["osl"],
                    "governor": options["governor"],
                },
                dates={
                    "written": options["written"],
                    "ratified": options["ratified"],
                    "next_review": options["next_review"],
                },
                check_links=not options["no_link_check"],
            )
        except ImportProblem as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {policy.title} for {school} at /policies/{policy.slug}/ "
                f"({policy.get_status_display().lower()}, next review "
                f"{policy.next_review_on or 'not set'})."
            )
        )
        checking = settings.POLICY_LINK_CHECKS and not options["no_link_check"]
        if checking and not settings.REDIS_URL:
            policy_links_check.delay(policy.pk)  # no broker: eager, here and now
        stale, dead = import_warnings(policy=policy)
        for citation in stale:
            self.stdout.write(self.style.WARNING(f"Warning: {citation}"))
        for link in dead:
            self.stdout.write(
                self.style.WARNING(
                    f"Warning: {link.url}: link checked on {link.checked_at:%-d %b %Y}: "
                    f"{link.outcome}"
                )
            )
        if checking and settings.REDIS_URL:
            self.stdout.write(f"Its links are being checked: see /policies/{policy.slug}/checks/.")
