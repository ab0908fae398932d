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
    for name, value in values.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    return preference
