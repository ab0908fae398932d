"""manage.py audit_restore MANIFEST [--check]: an archived month back into the trail."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.archive import ArchiveError, archive_check, archive_restore


class Command(BaseCommand):
    help = (
        "Check an archive of the audit trail against its manifest (SHA-256 and event "
        "count) and load the month back into the trail, where the admin and audit_report "
        "see it again. --check only checks."
    )

    def add_arguments(self, parser):
        parser.add_argument("manifest", help="the month's .manifest.json")
        parser.add_argument("--check", action="store_true", help="check the file, load nothing")

    def handle(self, *args, **options):
        path = Path(options["manifest"])
        try:
            if options["check"]:
                manifest = archive_check(path)
                self.stdout.write(f"{manifest['file']}: {manifest['rows']} events, checksum ok")
                return
            name, rows = archive_restore(path)
        except (ArchiveError, OSError, KeyError, ValueError) as exc:
            raise CommandError(f"{path}: {exc}") from exc
        self.stdout.write(f"{rows} events back in the trail ({name})")
