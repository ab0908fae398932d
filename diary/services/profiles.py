"""A login's own profile: display name, time zone and language.

A patient's name and zone are their diary's (`Patient`): the judgement and
the reminders read them there. Staff keep theirs on the login. Changing a
patient's zone never moves a stored moment; it changes which local day later
judgements use, so it asks for the treatments to be judged again.
"""

from dataclasses import dataclass
from typing import Any

from django.db import transaction

from accounts.models import User
from diary.models import Patient
from diary.services.changes import diary_change_begin


@dataclass(frozen=True)
class Profile:
    display_name: str
    timezone: str
    language: str


def profile_of(*, user: User) -> Profile:
    patient = _patient_of(user)
    if patient is not None:
        return Profile(patient.display_name, patient.timezone, user.language)
    return Profile(user.display_name or user.get_full_name(), user.timezone, user.language)


@transaction.atomic
def profile_update(*, user: User, values: dict[str, Any]) -> tuple[Profile, bool]:
    """Apply the given fields; answers the profile and whether the zone changed."""
    patient = _patient_of(user)
    zone_changed = "timezone" in values and values["timezone"] != profile_of(user=user).timezone
    if "language" in values:
        user.language = values["language"]
    if patient is None:
        user.display_name = values.get("display_name", user.display_name)
        user.timezone = values.get("timezone", user.timezone)
        user.full_clean(validate_unique=False, validate_constraints=False, exclude=["password"])
        user.save(update_fields=["display_name", "timezone", "language"])
        return profile_of(user=user), zone_changed
    user.save(update_fields=["language"])
    if "display_name" in values or zone_changed:
        if zone_changed:
            # Lock and version the diary: the local days of every later judgement move.
            diary_change_begin(patient_id=patient.pk, everything=True)
        patient = Patient.objects.get(pk=patient.pk)
        patient.display_name = values.get("display_name", patient.display_name)
        patient.timezone = values.get("timezone", patient.timezone)
        patient.full_clean(validate_unique=False, validate_constraints=False)
        patient.save(update_fields=["display_name", "timezone"])
        user.patient = patient
    return profile_of(user=user), zone_changed


def _patient_of(user: User) -> Patient | None:
    try:
        return user.patient
    except Patient.DoesNotExist:
        return None
