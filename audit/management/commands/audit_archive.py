"""manage.py audit_archive --before YYYY-MM --to DIR [--drop]: old months out of the trail."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.archive import ArchiveError, archive_months
from audit.partitions import month_parse


class Command(BaseCommand):
    help = (
        "Take every month of the audit trail before --before out of it (PostgreSQL): "
        "detach it, write it to DIR as a compressed CSV with a manifest and a SHA-256, "
        "read the file back and compare it with the table. With --drop, each month's "
        "table is then dropped (only after that comparison held). Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--before", required=True, metavar="YYYY-MM", help="first month kept")
        parser.add_argument("--to", required=True, metavar="DIR", help="where the files go")
        parser.add_argument(
            "--drop", action="store_true", help="drop each month's table once its file is verified"
        )

    def handle(self, *args, **options):
        try:
            before = month_parse(options["before"])
        except ValueError as exc:
            raise CommandError("--before takes YYYY-MM") from exc
        try:
            archived = archive_months(
                before=before,
                directory=Path(options["to"]),
                drop=options["drop"],
                now=timezone.now(),
            )
        except ArchiveError as exc:
            raise CommandError(str(exc)) from exc
        for month in archived:
            self.stdout.write(
                f"{month.month:%Y-%m}\t{month.rows} events\t{month.file}\tsha256 {month.sha256}\t"
                + ("written" if month.written else "kept (already verified)")
                + "\t"
                + ("table dropped" if month.dropped else "table kept, detached")
            )
        self.stdout.write(f"{len(archived)} months archived before {before:%Y-%m}")
