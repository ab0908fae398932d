import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from accounts.models import Clinic
from diary.models.patients import Patient
from diary.models.records import Treatment


class FlagKind(models.TextChoices):
    RELAPSE = "relapse", "Relapse after improvement"
    NO_RESPONSE = "no_response", "No response"
    REBOUND_PATTERN = "rebound_pattern", "Worse lying down (rebound pattern)"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class FlagQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(patient__in=Patient.objects.visible_to(user))

    def open_first(self):
        """Open, then acknowledged, then resolved; newest first within each."""
        status_order = models.Case(
            models.When(status=FlagStatus.OPEN, then=models.Value(0)),
            models.When(status=FlagStatus.ACKNOWLEDGED, then=models.Value(1)),
            default=models.Value(2),
            output_field=models.IntegerField(),
        )
        return self.order_by(status_order, "-detected_at", "id")


class Flag(models.Model):
    """A prompt for a clinician to look at a treatment's course: not a diagnosis.

    A flag is never deleted by the system. If the diary entries that proved it
    are later edited or deleted, re-evaluation marks it `still_supported=False`
    (and back to True if the pattern returns); the evidence kept is what the
    clinician was first shown, so nobody's view of the past silently changes.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="flags")
    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=16, choices=FlagKind.choices)
    status = models.CharField(max_length=16, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    detected_at = models.DateTimeField()
    # When the entries proving it were logged; detected_at is when we noticed.
    proven_at = models.DateTimeField()
    evidence = models.JSONField()
    still_supported = models.BooleanField(default=True)
    rechecked_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(max_length=2000, blank=True)

    objects = FlagQuerySet.as_manager()

    class Meta:
        ordering = ["-detected_at", "id"]
        constraints = [
            # The same episode is never flagged twice, whatever runs concurrently.
            models.UniqueConstraint(fields=["treatment", "kind"], name="flag_once_per_treatment"),
            models.CheckConstraint(
                name="flag_kind_valid", condition=models.Q(kind__in=FlagKind.values)
            ),
            models.CheckConstraint(
                name="flag_status_valid", condition=models.Q(status__in=FlagStatus.values)
            ),
        ]
        indexes = [models.Index(fields=["status", "detected_at"], name="flag_status_detected")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status}) for {self.patient_id}"


class ClinicThresholds(models.Model):
    """A clinic's overrides of the DOMAIN.md judgement thresholds."""

    clinic = models.OneToOneField(Clinic, on_delete=models.CASCADE, related_name="thresholds")
    overrides = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name_plural = "clinic thresholds"

    def __str__(self) -> str:
        return f"Thresholds of {self.clinic}"

    def clean(self) -> None:
        from diary.analysis import Thresholds

        try:
            Thresholds.from_overrides(self.overrides)
        except ValueError as exc:
            raise ValidationError({"overrides": str(exc)}) from exc
