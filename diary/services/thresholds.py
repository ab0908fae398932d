"""A clinic's threshold overrides: saved or removed, with their patients judged again.

The thresholds decide what a judgement reads (the look-back, the window) and
what it finds, so a change asks for a full judgement of every patient of the
clinic (diary.services.changes.judgements_ask_everything), in the same
transaction: no write in a newly covered part of a window goes unjudged.
"""

from django.db import transaction

from diary.models import ClinicThresholds, Patient
from diary.services.changes import judgements_ask_everything


@transaction.atomic
def clinic_thresholds_save(*, thresholds: ClinicThresholds) -> int:
    """Save these overrides (validated); returns how many patients are asked to be judged."""
    thresholds.full_clean()
    thresholds.save()
    return judgements_ask_everything(Patient.objects.filter(clinic_id=thresholds.clinic_id))


@transaction.atomic
def clinic_thresholds_delete(*, clinic_ids) -> int:
    """Remove these clinics' overrides (back to the defaults); returns how many
    patients are asked to be judged."""
    clinic_ids = list(clinic_ids)
    ClinicThresholds.objects.filter(clinic_id__in=clinic_ids).delete()
    return judgements_ask_everything(Patient.objects.filter(clinic_id__in=clinic_ids))
