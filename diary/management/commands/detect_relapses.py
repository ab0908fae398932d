from django.core.management.base import BaseCommand
from django.utils import timezone

from diary.services.evaluation import patients_due_for_sweep, patients_evaluate


class Command(BaseCommand):
    help = (
        "Judge every patient with a treatment in the last 90 days now, and wait for it "
        "(the periodic sweep does the same in the background). --all judges every "
        "patient ever treated: run it once after a change of the rules, so every "
        "treatment's stored follow-up (the clinic's outcomes) is judged by them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--all",
            action="store_true",
            help="every patient with a live treatment, however old",
        )

    def handle(self, *args, **options):
        patients = raised = unsupported = 0
        for chunk in patients_due_for_sweep(now=timezone.now(), every_treated=options["all"]):
            for result in patients_evaluate(patient_ids=chunk):
                raised += len(result.raised)
                unsupported += result.no_longer_supported
                patients += 1
        self.stdout.write(
            f"Judged {patients} patients; raised {raised} new flags; "
            f"{unsupported} flags no longer supported."
        )
