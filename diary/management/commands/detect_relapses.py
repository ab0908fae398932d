from django.core.management.base import BaseCommand
from django.utils import timezone

from diary.services.evaluation import patients_due_for_sweep, patients_evaluate


class Command(BaseCommand):
    help = (
        "Judge every patient with a treatment in the last 90 days now, and wait for it "
        "(the periodic sweep does the same in the background)."
    )

    def handle(self, *args, **options):
        patients = raised = 0
        for chunk in patients_due_for_sweep(now=timezone.now()):
            for result in patients_evaluate(patient_ids=chunk):
                raised += len(result.raised)
                patients += 1
        self.stdout.write(f"Judged {patients} patients; raised {raised} new flags.")
