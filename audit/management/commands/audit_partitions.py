"""manage.py audit_partitions: make the trail's coming months and show its partitions."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit.partitions import (
    default_months,
    month_parse,
    months_ensure,
    partitions_ensure,
    partitions_list,
    trail_partitioned,
)


class Command(BaseCommand):
    help = (
        "Make this month's partition of the audit trail and the next --ahead months' "
        "(the daily job does the same), and any --month named; then list the partitions. "
        "PostgreSQL only: SQLite keeps one plain table."
    )

    def add_arguments(self, parser):
        parser.add_argument("--ahead", type=int, default=settings.AUDIT_PARTITIONS_AHEAD)
        parser.add_argument(
            "--month", action="append", default=[], metavar="YYYY-MM", help="also this month"
        )

    def handle(self, *args, **options):
        if not trail_partitioned():
            self.stdout.write("The audit trail is one plain table here (not PostgreSQL).")
            return
        try:
            months = [month_parse(text) for text in options["month"]]
        except ValueError as exc:
            raise CommandError("--month takes YYYY-MM") from exc
        made = partitions_ensure(now=timezone.now(), ahead=options["ahead"])
        made += months_ensure(months)
        for name in made:
            self.stdout.write(f"made {name}")
        self.stdout.write("partition\tstate\tevents (estimate)\tMB")
        for partition in partitions_list():
            state = "in the trail" if partition.attached else "detached (archived, not dropped)"
            if partition.month is None:
                state = "default"
            rows = "?" if partition.rows is None else f"~{partition.rows}"
            self.stdout.write(f"{partition.name}\t{state}\t{rows}\t{partition.bytes / 1e6:.1f}")
        if waiting := default_months():
            self.stdout.write(
                self.style.WARNING(
                    "Events of "
                    + ", ".join(f"{month:%Y-%m}" for month in waiting)
                    + " wait in the default partition: give each month its partition "
                    "with --month YYYY-MM (they move in)."
                )
            )
