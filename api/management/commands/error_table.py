"""Print docs/errors.md: the error codes of the registry, with the statuses and
operations the served schema lists them on (tests/api/test_contract.py keeps
the file equal to this output)."""

from django.core.management.base import BaseCommand

from api.error_table import error_table


class Command(BaseCommand):
    help = "Print the table of API error codes (docs/errors.md)."

    def handle(self, *args, **options):
        self.stdout.write(error_table(), ending="")
