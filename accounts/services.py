from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Clinic, Role, User
from accounts.tokens import families_end


@transaction.atomic
def staff_create(*, username: str, password: str, role: str, clinic_name: str) -> User:
    """Create a clinician or coordinator, creating their clinic if it is new."""
    if role not in (Role.CLINICIAN, Role.COORDINATOR):
        raise ValueError(f"role must be clinician or coordinator, not {role!r}")
    clinic, _ = Clinic.objects.get_or_create(name=clinic_name)
    user = User(username=username, role=role, clinic=clinic)
    password_validation.validate_password(password, user)
    user.set_password(password)
    user.full_clean()
    user.save()
    return user


@transaction.atomic
def password_change(*, user: User, old_password: str, new_password: str, keep_family=None) -> None:
    """A new password; every other login of this user ends (`keep_family` is the caller's)."""
    if not user.check_password(old_password):
        raise ValidationError(
            {
                "old_password": ValidationError(
                    _("This is not your password."), code="wrong_password"
                )
            }
        )
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.error_list}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    families_end(user=user, reason="password", keep=keep_family)
