"""Email preferences of clinicians and coordinators."""

from typing import Any

from django.db import transaction

from notifications.models import NotificationPreference


def preference_for(*, user) -> NotificationPreference:
    """The stored preferences, or the defaults (unsaved) when there are none."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


@transaction.atomic
def preference_update(*, user, values: dict[str, Any]) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.select_for_update().get_or_create(user=user)
    values = dict(values)
    if "timezone" in values:  # the login's one zone (also the profile's)
        user.timezone = values.pop("timezone")
        user.full_clean(validate_unique=False, validate_constraints=False)
        user.save(update_fields=["timezone"])
    for name, value in values.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    return preference
