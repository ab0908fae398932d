"""manage.py audit_report --patient ID: who touched one patient's data, oldest first."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from audit.models import AuditEvent


class Command(BaseCommand):
    help = "Print a patient's audit trail (who, what, when, from where, outcome)."

    def add_arguments(self, parser):
        parser.add_argument("--patient", required=True, help="the patient's id (UUID)")

    def handle(self, *args, **options):
        try:
            patient_id = uuid.UUID(options["patient"])
        except ValueError as exc:
            raise CommandError("--patient must be a patient id (UUID)") from exc
        events = AuditEvent.objects.filter(patient_id=patient_id).order_by("occurred_at", "id")
        self.stdout.write(
            "occurred_at (UTC)\tactor\trole\taction\trecord\toutcome\tstatus\tip\tuser_agent"
        )
        count = 0
        for event in events.iterator(chunk_size=2000):
            count += 1
            record = (
                f"{event.record_type}:{event.record_id}" if event.record_id else event.record_type
            )
            self.stdout.write(
                "\t".join(
                    str(value)
                    for value in (
                        event.occurred_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                        event.actor_username or "system",
                        event.actor_role or "-",
                        event.action,
                        record or "-",
                        event.outcome,
                        event.status_code or "-",
                        event.ip or "-",
                        event.user_agent or "-",
                    )
                )
            )
        self.stdout.write(f"{count} events for patient {patient_id}")
