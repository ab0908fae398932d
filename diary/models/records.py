import uuid

from django.conf import settings
from django.db import models

from diary.models.patients import Patient


class DiaryRecordQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)

    def visible_to(self, user):
        return self.filter(patient__in=Patient.objects.visible_to(user))

    def changed_since(self, version: int, after_pk: int = 0):
        """Rows changed after a sync position (version, pk), tombstones included."""
        return self.filter(
            models.Q(version__gt=version) | models.Q(version=version, pk__gt=after_pk)
        ).order_by("version", "pk")


class DiaryRecord(models.Model):
    """What entries and treatments share: a phone-chosen id, sync version, tombstone."""

    # The API's `id`. Chosen by the phone so a retried create finds its row;
    # unique per patient (not globally), so one phone can never block another.
    uuid = models.UUIDField(default=uuid.uuid4, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE)
    note = models.TextField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    version = models.BigIntegerField(default=0)
    # Fingerprint of the sync item that last wrote this row, so a replayed
    # batch is recognised without validating it again; any other write clears it.
    sync_digest = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = DiaryRecordQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class Posture(models.TextChoices):
    LYING = "lying", "Lying"
    SITTING = "sitting", "Sitting"
    STANDING = "standing", "Standing"


UPRIGHT_POSTURES = frozenset({Posture.SITTING, Posture.STANDING})


class SymptomEntry(DiaryRecord):
    """How the patient feels at one moment, in one posture."""

    recorded_at = models.DateTimeField()
    # The phone's UTC offset as it sent it, so the diary can show the local
    # time the patient saw even after they travel.
    recorded_offset_minutes = models.SmallIntegerField(default=0)
    posture = models.CharField(max_length=8, choices=Posture.choices)
    headache = models.PositiveSmallIntegerField()
    minutes_in_posture = models.PositiveIntegerField(null=True, blank=True)
    onset_minutes = models.PositiveIntegerField(null=True, blank=True)
    relief_minutes = models.PositiveIntegerField(null=True, blank=True)
    symptoms = models.JSONField(default=list, blank=True)
    # Codes from diary.labels.TRIGGERS: what set the headache off.
    triggers = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "symptom entries"
        ordering = ["-recorded_at", "-pk"]
        constraints = [
            # Unique across patients, not per diary: a lookup by id (API, clinic
            # pages, exports, history) can never meet another patient's record.
            models.UniqueConstraint(fields=["uuid"], name="entry_unique_id"),
            models.CheckConstraint(
                name="entry_headache_0_10", condition=models.Q(headache__gte=0, headache__lte=10)
            ),
            models.CheckConstraint(
                name="entry_posture_valid", condition=models.Q(posture__in=Posture.values)
            ),
            models.CheckConstraint(
                name="entry_onset_only_upright",
                condition=models.Q(onset_minutes__isnull=True)
                | models.Q(posture__in=[Posture.SITTING, Posture.STANDING]),
            ),
            models.CheckConstraint(
                name="entry_relief_only_lying",
                condition=models.Q(relief_minutes__isnull=True) | models.Q(posture=Posture.LYING),
            ),
            models.CheckConstraint(
                name="entry_offset_range",
                condition=models.Q(
                    recorded_offset_minutes__gte=-18 * 60, recorded_offset_minutes__lte=18 * 60
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "recorded_at"], name="entry_patient_recorded"),
            models.Index(fields=["patient", "version", "id"], name="entry_patient_version"),
        ]

    def __str__(self) -> str:
        return f"{self.posture} {self.headache}/10 at {self.recorded_at:%Y-%m-%d %H:%M}Z"

    @property
    def is_upright(self) -> bool:
        return self.posture in UPRIGHT_POSTURES


class TreatmentKind(models.TextChoices):
    EPIDURAL_BLOOD_PATCH = "epidural_blood_patch", "Epidural blood patch"
    FIBRIN_GLUE = "fibrin_glue", "Fibrin glue"
    PLATELET_LYSATE = "platelet_lysate", "Platelet lysate"
    SURGICAL_REPAIR = "surgical_repair", "Surgical repair"
    OTHER = "other", "Other"


class Approach(models.TextChoices):
    BLIND = "blind", "Blind"
    TARGETED = "targeted", "Targeted"


class Treatment(DiaryRecord):
    """A blood patch or other treatment; relapse is judged against these."""

    performed_at = models.DateTimeField()
    performed_offset_minutes = models.SmallIntegerField(default=0)
    kind = models.CharField(max_length=24, choices=TreatmentKind.choices)
    # Null, not "": the contract distinguishes "no approach" for non-patch treatments.
    approach = models.CharField(  # noqa: DJ001
        max_length=8, choices=Approach.choices, null=True, blank=True
    )
    levels = models.JSONField(default=list, blank=True)
    volume_ml = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-performed_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["uuid"], name="treatment_unique_id"),
            models.CheckConstraint(
                name="treatment_kind_valid", condition=models.Q(kind__in=TreatmentKind.values)
            ),
            models.CheckConstraint(
                name="treatment_approach_valid",
                condition=models.Q(approach__isnull=True) | models.Q(approach__in=Approach.values),
            ),
            models.CheckConstraint(
                name="treatment_volume_range",
                condition=models.Q(volume_ml__isnull=True)
                | models.Q(volume_ml__gt=0, volume_ml__lte=100),
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "performed_at"], name="treatment_patient_performed"),
            models.Index(fields=["patient", "version", "id"], name="treatment_patient_version"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.performed_at:%Y-%m-%d %H:%M}Z"


class DayLog(DiaryRecord):
    """One local day of function and conservative care (DOMAIN.md "Beyond the ratings").

    One live log per patient and day: a second create for the day is a
    conflict, answered with the stored log. A deleted log frees its day.
    """

    date = models.DateField()
    upright_hours = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    longest_upright_minutes = models.PositiveIntegerField(null=True, blank=True)
    bed_rest_hours = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    fluids_l = models.DecimalField(max_digits=4, decimal_places=2, null=True, blank=True)
    caffeine_mg = models.PositiveIntegerField(null=True, blank=True)
    binder = models.BooleanField(null=True, blank=True)
    # [{"name": code from diary.labels.MEDICATIONS, "dose": text, "note": text}]
    medications = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-date", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["uuid"], name="daylog_unique_id"),
            models.UniqueConstraint(
                fields=["patient", "date"],
                condition=models.Q(deleted_at__isnull=True),
                name="daylog_one_per_day",
            ),
            models.CheckConstraint(
                name="daylog_hours_in_day",
                condition=(
                    models.Q(upright_hours__isnull=True)
                    | models.Q(upright_hours__gte=0, upright_hours__lte=24)
                )
                & (
                    models.Q(bed_rest_hours__isnull=True)
                    | models.Q(bed_rest_hours__gte=0, bed_rest_hours__lte=24)
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "date"], name="daylog_patient_date"),
            models.Index(fields=["patient", "version", "id"], name="daylog_patient_version"),
        ]

    def __str__(self) -> str:
        return f"day log {self.date}"


class Checkpoint(models.TextChoices):
    H72 = "72h", "72 hours"
    D7 = "7d", "7 days"
    OTHER = "other", "Other"


# The checkpoints asked for by a reminder: at most one answer each per treatment.
ASKED_CHECKPOINTS = (Checkpoint.H72, Checkpoint.D7)


class Impression(DiaryRecord):
    """The Patient Global Impression of Change after a treatment (1 very much
    improved … 7 very much worse). Shown beside flags; never decides one."""

    treatment = models.ForeignKey(Treatment, on_delete=models.CASCADE, related_name="impressions")
    answered_at = models.DateTimeField()
    answered_offset_minutes = models.SmallIntegerField(default=0)
    checkpoint = models.CharField(max_length=8, choices=Checkpoint.choices)
    score = models.PositiveSmallIntegerField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-answered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["uuid"], name="impression_unique_id"),
            models.UniqueConstraint(
                fields=["treatment", "checkpoint"],
                condition=models.Q(deleted_at__isnull=True, checkpoint__in=["72h", "7d"]),
                name="impression_one_per_checkpoint",
            ),
            models.CheckConstraint(
                name="impression_score_1_7", condition=models.Q(score__gte=1, score__lte=7)
            ),
            models.CheckConstraint(
                name="impression_checkpoint_valid",
                condition=models.Q(checkpoint__in=Checkpoint.values),
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "answered_at"], name="impression_patient_answered"),
            models.Index(fields=["patient", "version", "id"], name="impression_patient_version"),
        ]

    def __str__(self) -> str:
        return f"PGIC {self.score} at {self.checkpoint}"

    @property
    def treatment_uuid(self):
        """The treatment as the API names it (select_related("treatment") when listing)."""
        return self.treatment.uuid
