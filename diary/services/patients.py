from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.tokens import families_end
from audit.models import Action, Outcome
from audit.services import audit_record
from diary import enrollment_codes
from diary.models import Condition, EnrollmentCode, Patient, ResetCode


@dataclass(frozen=True)
class IssuedCode:
    code: str  # shown once; only its hash is kept
    expires_at: datetime
    kind: str = "enrol"  # which page of the patient app takes it: enrol or reset

    @property
    def link(self) -> str:
        """What the QR code holds: the patient app with the code filled in.

        The code goes after `#`, which browsers never send to a server: it
        stays out of every access log on the way.
        """
        return f"{settings.SITE_URL.rstrip('/')}/app/{self.kind}#code={self.code}"


def _one_time_code_issue(model, *, patient: Patient, issued_by, ttl, kind: str) -> IssuedCode:
    """A fresh code of `model` (enrolment or reset); earlier unused ones stop working."""
    now = timezone.now()
    model.objects.filter(patient=patient, used_at__isnull=True).update(expires_at=now)
    code = enrollment_codes.new_code()
    expires_at = now + ttl
    model.objects.create(
        patient=patient,
        code_hash=enrollment_codes.code_hash(code),
        created_by=issued_by,
        expires_at=expires_at,
    )
    return IssuedCode(code=code, expires_at=expires_at, kind=kind)


def enrollment_code_issue(*, patient: Patient, issued_by: User | None) -> IssuedCode:
    """A fresh one-time code; earlier unused codes of this patient stop working."""
    return _one_time_code_issue(
        EnrollmentCode,
        patient=patient,
        issued_by=issued_by,
        ttl=settings.ENROLLMENT_CODE_TTL,
        kind="enrol",
    )


@transaction.atomic
def patient_enroll(
    *,
    coordinator: User,
    display_name: str,
    timezone_name: str,
    condition: str = Condition.UNKNOWN,
    clinician_ids: Iterable[int] = (),
    record_number: str = "",
) -> tuple[Patient, IssuedCode]:
    """A coordinator enrols a patient in their own clinic and gets a one-time code."""
    clinician_ids = set(clinician_ids)
    clinicians = list(
        User.objects.filter(pk__in=clinician_ids, role=Role.CLINICIAN, clinic=coordinator.clinic)
    )
    missing = clinician_ids - {c.pk for c in clinicians}
    if missing:
        raise ValidationError(
            {
                "clinicians": [
                    ValidationError(
                        _("No clinician of this clinic with id %(pk)s."),
                        code="unknown_clinician",
                        params={"pk": pk},
                    )
                    for pk in sorted(missing)
                ]
            }
        )
    patient = Patient(
        clinic=coordinator.clinic,
        display_name=display_name,
        timezone=timezone_name,
        condition=condition,
        record_number=record_number.strip(),
    )
    patient.full_clean()  # also the record number's uniqueness within the clinic
    patient.save()
    patient.care_team.set(clinicians)
    return patient, enrollment_code_issue(patient=patient, issued_by=coordinator)


@transaction.atomic
def patient_record_number_set(*, patient: Patient, record_number: str, by: User) -> Patient:
    """A coordinator sets or clears the clinic's record number of a patient of theirs."""
    previous = patient.record_number
    patient.record_number = record_number.strip()
    patient.full_clean(exclude=["user"])  # the number's uniqueness within the clinic
    patient.save(update_fields=["record_number"])
    audit_record(
        action=Action.UPDATE,
        record_type="patient",
        record_id=patient.pk,
        patient_id=patient.pk,
        actor=by,
        detail={"fields": ["record_number"], "had_number": bool(previous)},
    )
    return patient


class EnrollmentRefused(Exception):
    """The code is unknown, used or expired (deliberately not saying which)."""


@transaction.atomic
def patient_account_claim(*, code: str, username: str, password: str) -> User:
    """The phone turns a one-time code into the patient's login."""
    now = timezone.now()
    record = (
        EnrollmentCode.objects.select_for_update()
        .filter(
            code_hash=enrollment_codes.code_hash(code), used_at__isnull=True, expires_at__gt=now
        )
        .select_related("patient")
        .first()
    )
    if record is None or record.patient.user_id is not None:
        # A wrong or spent code: recorded, so guessing shows in the trail.
        audit_record(action=Action.ENROLL, record_type="enrollment_code", outcome=Outcome.FAILURE)
        raise EnrollmentRefused
    user = User(username=username, role=Role.PATIENT)
    user.full_clean(exclude=["password"])
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.error_list}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:  # taken by a concurrent enrolment since full_clean
        raise ValidationError(
            {
                "username": ValidationError(
                    _("A user with that username already exists."), code="unique"
                )
            }
        ) from exc
    # Claim with a conditional update: a code is spent once, even under a race.
    claimed = EnrollmentCode.objects.filter(pk=record.pk, used_at__isnull=True).update(used_at=now)
    if claimed != 1:
        raise EnrollmentRefused
    record.patient.user = user
    record.patient.save(update_fields=["user"])
    audit_record(
        action=Action.ENROLL,
        record_type="account",
        record_id=user.pk,
        patient_id=record.patient_id,
        actor=user,
    )
    return user


class ResetRefused(Exception):
    """The reset code is unknown, used or expired (deliberately not saying which)."""


@transaction.atomic
def reset_code_issue(*, patient: Patient, issued_by: User) -> IssuedCode:
    """A one-time code with which an enrolled patient sets a new password.

    Earlier unused codes of this patient stop working. The caller has checked
    that `issued_by` may read the patient (coordinator or care team).
    """
    if patient.user_id is None:
        raise ValueError("only an enrolled patient has a password to reset")
    issued = _one_time_code_issue(
        ResetCode,
        patient=patient,
        issued_by=issued_by,
        ttl=settings.RESET_CODE_TTL,
        kind="reset",
    )
    audit_record(
        action=Action.RESET_CODE,
        record_type="account",
        record_id=patient.user_id,
        patient_id=patient.pk,
        actor=issued_by,
    )
    return issued


@transaction.atomic
def patient_password_reset(*, code: str, new_password: str) -> User:
    """The phone sets a new password with a reset code; every earlier login ends."""
    now = timezone.now()
    record = (
        ResetCode.objects.select_for_update(of=("self",))
        .filter(
            code_hash=enrollment_codes.code_hash(code), used_at__isnull=True, expires_at__gt=now
        )
        .select_related("patient__user")
        .first()
    )
    user = record and record.patient.user
    if user is None or not user.is_active:
        audit_record(
            action=Action.PASSWORD_RESET, record_type="reset_code", outcome=Outcome.FAILURE
        )
        raise ResetRefused
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from exc
    record.used_at = now
    record.save(update_fields=["used_at"])
    user.set_password(new_password)
    user.save(update_fields=["password"])
    families_end(user=user, reason="reset", now=now)
    audit_record(
        action=Action.PASSWORD_RESET,
        record_type="account",
        record_id=user.pk,
        patient_id=record.patient_id,
        actor=user,
    )
    return user
