from django.db import models

from diary.models.patients import Patient
from diary.models.records import Treatment


class TreatmentFollowUpQuerySet(models.QuerySet):
    def of_clinic(self, clinic_id):
        return self.filter(patient__clinic_id=clinic_id, treatment__deleted_at__isnull=True)


class TreatmentFollowUp(models.Model):
    """What the judgement last found for one treatment, flagged or not.

    Written in bulk by every evaluation (`diary.services.evaluation`), so the
    clinic's outcomes aggregate rows instead of judging diaries again. One row per
    treatment: the per-treatment checkpoints (72 h, 7 days) belong here too.
    Moments are UTC; see `diary.analysis.TreatmentCourse` for their meaning.
    """

    treatment = models.OneToOneField(
        Treatment, primary_key=True, on_delete=models.CASCADE, related_name="follow_up"
    )
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="+")
    # When an evaluation last changed these figures (unchanged ones are not rewritten).
    updated_at = models.DateTimeField()
    baseline = models.FloatField(null=True, blank=True)
    baseline_method = models.CharField(max_length=24)
    upright_entries_7d = models.PositiveIntegerField()
    evaluable = models.BooleanField()
    improved_on = models.DateField(null=True, blank=True)
    improved_at = models.DateTimeField(null=True, blank=True)
    improved_by_72h = models.BooleanField()
    improved_within_7d = models.BooleanField()
    relapse_proven_at = models.DateTimeField(null=True, blank=True)
    # Where a relapse-free follow-up is censored (DOMAIN.md "Clinic outcomes").
    followed_until = models.DateTimeField()
    improvement_window_end = models.DateTimeField()
    # When time alone can next change a verdict (a no-response checkpoint): claimed
    # by `diary.services.checkpoints`, which moves it forward by a lease while the
    # judgement runs. None: nothing left to wait for.
    next_checkpoint_at = models.DateTimeField(null=True, blank=True)

    objects = TreatmentFollowUpQuerySet.as_manager()

    # What an evaluation writes (all but the keys): compared to skip unchanged rows.
    JUDGED_FIELDS = (
        "baseline",
        "baseline_method",
        "upright_entries_7d",
        "evaluable",
        "improved_on",
        "improved_at",
        "improved_by_72h",
        "improved_within_7d",
        "relapse_proven_at",
        "followed_until",
        "improvement_window_end",
        "next_checkpoint_at",
    )

    class Meta:
        indexes = [
            # Only the few rows still waiting: the minute-ly claim reads this.
            models.Index(
                fields=["next_checkpoint_at"],
                name="follow_up_next_checkpoint",
                condition=models.Q(next_checkpoint_at__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="follow_up_improved_72h_within_7d",
                condition=models.Q(improved_by_72h=False) | models.Q(improved_within_7d=True),
            ),
        ]

    def __str__(self) -> str:
        return f"Follow-up of treatment {self.treatment_id}"
