"""The in-app inbox: what a staff member has been told about, and what they opened."""

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from diary.models import Patient
from notifications.models import InboxItem


def _own_items(user) -> QuerySet[InboxItem]:
    # What they were told, still within what they may read: someone taken off
    # a care team no longer sees that patient's name in their inbox.
    return InboxItem.objects.filter(
        recipient=user, flag__patient__in=Patient.objects.visible_to(user)
    )


def inbox_for(user) -> QuerySet[InboxItem]:
    return _own_items(user).select_related("flag__patient")


def inbox_unread_count(*, user) -> int:
    """Flags with something unread (a raised and an escalated item count once)."""
    return _own_items(user).filter(read_at__isnull=True).values("flag_id").distinct().count()


def inbox_mark_read(*, user, flag_id, now: dt.datetime | None = None) -> int:
    """Opening a flag reads every inbox item of it for this user (one UPDATE)."""
    return InboxItem.objects.filter(recipient=user, flag_id=flag_id, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


def inbox_unread_flag_ids(*, user, flag_ids) -> set:
    """Which of these flags this user has not opened yet (one query for a page of flags)."""
    return set(
        InboxItem.objects.filter(
            recipient=user, flag_id__in=list(flag_ids), read_at__isnull=True
        ).values_list("flag_id", flat=True)
    )
