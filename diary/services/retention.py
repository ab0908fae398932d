"""Patient rights: closing an account, and removing a closed diary in time.

A closed account can no longer log in and all its tokens die at once. Its
diary stays for the clinic's retention period (`Clinic.retention_days`,
counted from the closure), because the clinic may have to keep what guided
treatment; then `closed_diaries_purge` (a daily task) removes the diary, its
flags and its history, and the login. The audit trail stays: it holds ids,
never the health data.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import Clinic, User
from audit.models import Action
from audit.services import audit_record
from diary.models import Patient
from diary.signals import account_closed


@transaction.atomic
def patient_account_close(*, user: User) -> None:
    """Deactivate the login and blacklist every refresh token it still holds.

    Access tokens die with it: JWTAuthentication refuses an inactive user.
    Closing twice changes nothing.
    """
    now = timezone.now()
    closed = User.objects.filter(pk=user.pk, closed_at__isnull=True).update(
        is_active=False, closed_at=now
    )
    live = OutstandingToken.objects.filter(user=user, expires_at__gt=now).exclude(
        blacklistedtoken__isnull=False
    )
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in live], ignore_conflicts=True
    )
    account_closed.send(sender=User, user_id=user.pk)  # e.g. no more reminders on the phone
    if closed:
        patient_id = Patient.objects.filter(user=user).values_list("pk", flat=True).first()
        audit_record(
            action=Action.ACCOUNT_CLOSE,
            record_type="account",
            record_id=user.pk,
            patient_id=patient_id,
            actor=user,
        )
    user.is_active, user.closed_at = False, user.closed_at or now


def closed_diaries_purge(*, now: datetime) -> int:
    """Remove the diaries whose account closed longer ago than their clinic keeps them.

    One transaction per patient, so one failure does not hold back the rest;
    running twice removes nothing more.
    """
    removed = 0
    clinics = Clinic.objects.filter(patients__user__closed_at__isnull=False).distinct()
    for clinic in clinics:
        cutoff = now - timedelta(days=clinic.retention_days)
        due = Patient.objects.filter(clinic=clinic, user__closed_at__lte=cutoff).values_list(
            "pk", "user_id"
        )
        for patient_id, user_id in due:
            with transaction.atomic():
                Patient.objects.filter(pk=patient_id).delete()
                User.objects.filter(pk=user_id, is_active=False).delete()
                audit_record(
                    action=Action.PURGE,
                    record_type="patient",
                    record_id=patient_id,
                    patient_id=patient_id,
                )
            removed += 1
    return removed
