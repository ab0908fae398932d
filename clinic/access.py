"""Who may open a clinic page: staff only, and only patients the API would show them."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers

from accounts.models import Role
from diary.models import Patient

STAFF_ROLES = (Role.CLINICIAN, Role.COORDINATOR)


def staff_required(view=None, *, roles=STAFF_ROLES):
    """Anonymous: to the login page. A patient (or a role not listed): 403."""

    def decorate(func):
        @login_required
        @wraps(func)
        def wrapper(request, *args, **kwargs):
            if request.user.role not in roles:
                raise PermissionDenied
            response = func(request, *args, **kwargs)
            # Health data: never kept in a browser or proxy cache.
            add_never_cache_headers(response)
            return response

        return wrapper

    return decorate(view) if view is not None else decorate


def visible_patient_or_404(user, patient_id) -> Patient:
    """The API's one scoping rule: anything outside it is a 404, never a 403."""
    return get_object_or_404(
        Patient.objects.visible_to(user).select_related("clinic"), pk=patient_id
    )
