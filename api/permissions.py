"""Roles as small permission classes, composed with & and | in the views.

They answer "may this role call this endpoint at all". Which records a user
reaches is decided by each view's get_queryset (out of scope → 404).
"""

from rest_framework.permissions import SAFE_METHODS, BasePermission

from accounts.models import Role


class _HasRole(BasePermission):
    role: str = ""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.role == self.role)


class IsPatient(_HasRole):
    role = Role.PATIENT


class IsClinician(_HasRole):
    role = Role.CLINICIAN


class IsCoordinator(_HasRole):
    role = Role.COORDINATOR


class ReadOnly(BasePermission):
    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS


IsStaff = IsClinician | IsCoordinator
IsDiaryReader = IsPatient | IsClinician | IsCoordinator
