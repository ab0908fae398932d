import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.models import Clinic, Role
from diary.time_zones import validate_timezone


def validate_single_line(value: str) -> None:
    """A name goes into email headers and page titles: no line breaks or other
    control characters (a `BadHeaderError` once left an alert unsent for good)."""
    if any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise ValidationError(
            _("Use one line of text, without line breaks or control characters."),
            code="control_characters",
        )


class Condition(models.TextChoices):
    PDPH = "pdph", "Post-dural-puncture headache"
    SPONTANEOUS = "spontaneous", "Spontaneous CSF leak"
    POST_SURGICAL = "post_surgical", "After spine surgery"
    TRAUMATIC = "traumatic", "Traumatic"
    UNKNOWN = "unknown", "Unknown"


class PatientQuerySet(models.QuerySet):
    def visible_to(self, user) -> "PatientQuerySet":
        """The patients this user may read: the one rule every diary query goes through."""
        if user is None or not user.is_authenticated:
            return self.none()
        if user.role == Role.PATIENT:
            return self.filter(user=user)
        if user.role == Role.CLINICIAN:
            # Also within their own clinic: a clinician who moved clinic, or was put
            # on another clinic's team by mistake, does not carry those patients along.
            return self.filter(care_team=user, clinic_id=user.clinic_id)
        if user.role == Role.COORDINATOR:
            return self.filter(clinic_id=user.clinic_id)
        return self.none()

    def worklist(self) -> "PatientQuerySet":
        """Each patient with their last entry, last treatment and open flags.

        Correlated subqueries rather than joins with aggregates, so one row per
        patient whatever the diary's size, and a fixed number of queries per page.
        """
        from diary.models.flags import Flag, FlagStatus
        from diary.models.records import SymptomEntry, Treatment

        patient = models.OuterRef("pk")
        last_entry = SymptomEntry.objects.live().filter(patient=patient).order_by("-recorded_at")
        last_treatment = Treatment.objects.live().filter(patient=patient).order_by("-performed_at")
        open_flags = (
            Flag.objects.filter(patient=patient, status=FlagStatus.OPEN)
            .order_by()
            .values("patient")
            .annotate(n=models.Count("*"))
            .values("n")
        )
        return self.annotate(
            last_entry_at=models.Subquery(last_entry.values("recorded_at")[:1]),
            last_treatment_at=models.Subquery(last_treatment.values("performed_at")[:1]),
            open_flags=Coalesce(models.Subquery(open_flags), 0),
        )

    def search(self, text: str) -> "PatientQuerySet":
        """Part of the name, or the clinic record number (whole or its start)."""
        if not text:
            return self
        return self.filter(
            models.Q(display_name__icontains=text) | models.Q(record_number__istartswith=text)
        )


class Patient(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="patient",
    )
    display_name = models.CharField(max_length=200, validators=[validate_single_line])
    # The clinic's own record number (MRN), a second identifier for the care team;
    # optional, unique within a clinic when given.
    record_number = models.CharField(
        max_length=40, blank=True, default="", validators=[validate_single_line]
    )
    timezone = models.CharField(max_length=64, validators=[validate_timezone])
    condition = models.CharField(
        max_length=16, choices=Condition.choices, default=Condition.UNKNOWN
    )
    care_team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="care_patients",
        limit_choices_to={"role": Role.CLINICIAN},
    )
    # Bumped once per transaction that changes this diary, under a row lock,
    # so versions become visible in order: the sync cursor relies on it.
    diary_version = models.BigIntegerField(default=0)
    # The evaluation outbox, one row per patient: set in the transaction of a
    # diary change that asks for the treatments to be judged, cleared when that
    # judgement starts, moved on when the re-dispatch hands it out again (see
    # diary.services.changes and docs/resilience.md).
    evaluation_requested_at = models.DateTimeField(null=True, blank=True)
    # The moments written since the pending judgement was asked for, widened
    # under the row lock and cleared with the mark: the job judges only the
    # treatments they can reach (diary.services.evaluation).
    evaluation_moments_from = models.DateTimeField(null=True, blank=True, editable=False)
    evaluation_moments_until = models.DateTimeField(null=True, blank=True, editable=False)
    # What the judgement reads: from the earliest treatment's baseline look-back
    # to the end of the last one's follow-up window (empty, from after until,
    # with no live treatment; NULL: not judged yet, every write asks). Set by
    # every judgement; a rating written outside it asks for none.
    judged_from = models.DateTimeField(null=True, blank=True, editable=False)
    judged_until = models.DateTimeField(null=True, blank=True, editable=False)
    # The fingerprint of the last sync batch that applied cleanly, forgotten by
    # any other change: the same bytes again (a phone that lost the answer) are
    # answered "unchanged" without reading the diary.
    last_batch_digest = models.CharField(max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.CheckConstraint(
                name="patient_condition_valid", condition=models.Q(condition__in=Condition.values)
            ),
            models.UniqueConstraint(
                fields=["clinic", "record_number"],
                condition=~models.Q(record_number=""),
                name="patient_record_number_unique_per_clinic",
                violation_error_message="Another patient of this clinic has this record number.",
            ),
        ]
        indexes = [
            # The minute-ly re-dispatch reads the few pending rows, not every patient.
            models.Index(
                fields=["evaluation_requested_at"],
                condition=models.Q(evaluation_requested_at__isnull=False),
                name="patient_evaluation_pending",
            ),
        ]

    def __str__(self) -> str:
        return self.display_name


class EnrollmentCode(models.Model):
    """A one-time code a coordinator hands to the patient to create their login.

    Only a hash is stored: a database leak must not let anyone claim a patient.
    """

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="enrollment_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        state = "used" if self.used_at else f"expires {self.expires_at:%Y-%m-%d %H:%M}Z"
        return f"Enrolment code for {self.patient_id} ({state})"


class ResetCode(models.Model):
    """A one-time code for a patient who forgot their password, issued by their
    care team; like an enrolment code, only its hash is stored."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="reset_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        state = "used" if self.used_at else f"expires {self.expires_at:%Y-%m-%d %H:%M}Z"
        return f"Reset code for {self.patient_id} ({state})"
