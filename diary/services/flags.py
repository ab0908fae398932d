from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from audit.models import Action
from audit.services import audit_record
from diary.models import Flag, FlagStatus


class FlagTransitionRefused(Exception):
    """The flag is not in a state that allows this (e.g. acknowledging a resolved flag)."""


@transaction.atomic
def flag_acknowledge(*, flag: Flag, by: User) -> Flag:
    """Open → acknowledged. Acknowledging twice is harmless and keeps the first."""
    if flag.status == FlagStatus.ACKNOWLEDGED:
        return flag
    # Conditional update: two clinicians clicking at once record one acknowledgement.
    claimed = Flag.objects.filter(pk=flag.pk, status=FlagStatus.OPEN).update(
        status=FlagStatus.ACKNOWLEDGED, acknowledged_by=by, acknowledged_at=timezone.now()
    )
    flag.refresh_from_db()
    if not claimed and flag.status != FlagStatus.ACKNOWLEDGED:
        raise FlagTransitionRefused(_("This flag is already resolved."))
    if claimed:
        _audit_change(flag)
    return flag


@transaction.atomic
def flag_resolve(*, flag: Flag, by: User, note: str = "") -> Flag:
    """Open or acknowledged → resolved, with the clinician's note."""
    now = timezone.now()
    claimed = Flag.objects.filter(
        pk=flag.pk, status__in=[FlagStatus.OPEN, FlagStatus.ACKNOWLEDGED]
    ).update(status=FlagStatus.RESOLVED, resolved_by=by, resolved_at=now, resolution_note=note)
    if not claimed:
        raise FlagTransitionRefused(_("This flag is already resolved."))
    # Resolving an open flag acknowledges it too: someone has clearly looked.
    Flag.objects.filter(pk=flag.pk, acknowledged_at__isnull=True).update(
        acknowledged_by=by, acknowledged_at=now
    )
    flag.refresh_from_db()
    _audit_change(flag)
    return flag


def _audit_change(flag: Flag) -> None:
    audit_record(
        action=Action.UPDATE, record_type="flag", record_id=flag.pk, patient_id=flag.patient_id
    )
