from django.utils.translation import gettext as _
from rest_framework.exceptions import PermissionDenied

from diary.models import Patient


def own_patient(user) -> Patient:
    """The diary a patient login writes to."""
    try:
        return user.patient
    except Patient.DoesNotExist as exc:
        raise PermissionDenied(_("This login has no diary.")) from exc
