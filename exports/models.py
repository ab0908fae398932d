"""Export jobs (a file built in the background) and their audit trail."""

import datetime as dt
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext as _

from diary.models import Patient

# The days an export may start or end on: `0001-01-01` or `9999-12-31` were
# accepted, then the job failed turning them into instants.
EARLIEST_DAY, LATEST_DAY = dt.date(1900, 1, 1), dt.date(2100, 12, 31)


def validate_export_day(day: dt.date | None) -> None:
    if day is not None and not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ValidationError(
            _("Choose a day between %(first)s and %(last)s.")
            % {"first": EARLIEST_DAY.isoformat(), "last": LATEST_DAY.isoformat()},
            code="out_of_range",
        )


class ExportFormat(models.TextChoices):
    PDF = "pdf", "PDF for the clinician"
    CSV = "csv", "CSV (spreadsheet)"
    FHIR = "fhir", "FHIR R4 Bundle (JSON)"


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ExportJobQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ExportJobQuerySet":
        """Jobs of the patients this user may read: the download follows the diary's scope."""
        return self.filter(patient__in=Patient.objects.visible_to(user))


class ExportJob(models.Model):
    # A random UUID (122 random bits): knowing one job's id tells nothing about another's.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="exports")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    # Patient-local calendar days, both inclusive; null means open-ended.
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=8, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0)
    # The storage name of the built file; emptied when the file expires.
    file_name = models.CharField(max_length=255, blank=True)
    file_size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    expired_at = models.DateTimeField(null=True, blank=True)

    objects = ExportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="export_format_valid", condition=models.Q(format__in=ExportFormat.values)
            ),
            models.CheckConstraint(
                name="export_status_valid", condition=models.Q(status__in=ExportStatus.values)
            ),
            models.CheckConstraint(
                name="export_progress_0_100", condition=models.Q(progress__lte=100)
            ),
            models.CheckConstraint(
                name="export_range_ordered",
                condition=models.Q(date_from__isnull=True)
                | models.Q(date_to__isnull=True)
                | models.Q(date_from__lte=models.F("date_to")),
            ),
        ]
        indexes = [
            models.Index(fields=["expires_at"], name="export_expires"),
            models.Index(fields=["status", "created_at"], name="export_status_created"),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export of {self.patient_id} ({self.status})"

    @property
    def is_downloadable(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file_name)
