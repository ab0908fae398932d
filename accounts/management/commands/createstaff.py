import sys

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts.models import Role
from accounts.services import staff_create


class Command(BaseCommand):
    help = "Create a clinician or coordinator; the password is read from standard input."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[Role.CLINICIAN, Role.COORDINATOR])
        parser.add_argument("--clinic", required=True, help="clinic name (created if missing)")

    def handle(self, *args, username, role, clinic, **options):
        stdin = options.get("stdin") or sys.stdin
        # Read, never from argv: a password on the command line lands in shell history.
        password = stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("No password on standard input.")
        try:
            user = staff_create(username=username, password=password, role=role, clinic_name=clinic)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Created {user.role} {user.username} (id {user.pk}) at {user.clinic}.")
