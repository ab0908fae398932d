from django.contrib.auth import password_validation
from django.db import transaction

from accounts.models import Clinic, Role, User


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
