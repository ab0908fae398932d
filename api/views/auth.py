"""Token views that write the audit trail and answer a lockout as such."""

from axes.utils import reset as axes_reset
from django.db import transaction
from rest_framework import status
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import AccessToken
from rest_framework_simplejwt.views import TokenObtainPairView, TokenRefreshView

from accounts.models import User
from audit.models import Action, Outcome
from audit.services import audit_record


class LockedOut(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = (
        "Too many failed logins for this account or from this address; "
        "try again later or ask your clinic to unlock it."
    )


class AuditedTokenObtainPairView(TokenObtainPairView):
    """Log in. django-axes (AxesStandaloneBackend) counts the failures and
    refuses a locked-out username or IP, even with the right password.

    The failure count axes writes to PostgreSQL must outlive the refusal: it
    is answered, not raised, so ATOMIC_REQUESTS commits the count with it.

    A success clears the username's count only: clearing the address's too
    would let someone with one account reset their guessing budget.
    """

    def post(self, request, *args, **kwargs):
        username = (
            str(request.data.get("username", ""))[:150] if hasattr(request.data, "get") else ""
        )
        try:
            response = super().post(request, *args, **kwargs)
        except AuthenticationFailed as exc:
            # Axes marks the DRF request it was handed (simplejwt passes it on).
            locked = bool(getattr(request, "axes_locked_out", False))
            audit_record(
                action=Action.LOGIN_FAILED,
                record_type="account",
                actor_username=username,
                outcome=Outcome.LOCKED_OUT if locked else Outcome.FAILURE,
            )
            response = self.handle_exception(LockedOut() if locked else exc)
            # The error handler marked the request's transaction for rollback;
            # nothing failed in it, and axes' count must be kept.
            transaction.set_rollback(False)
            return response
        axes_reset(username=username)
        user = User.objects.filter(username=username).only("id", "username", "role").first()
        audit_record(
            action=Action.LOGIN, record_type="account", record_id=user and user.pk, actor=user
        )
        return response


class AuditedTokenRefreshView(TokenRefreshView):
    def post(self, request, *args, **kwargs):
        try:
            response = super().post(request, *args, **kwargs)
        except (AuthenticationFailed, InvalidToken):
            audit_record(
                action=Action.TOKEN_REFRESH, record_type="account", outcome=Outcome.FAILURE
            )
            raise
        user_id = AccessToken(response.data["access"])["user_id"]
        user = User.objects.filter(pk=user_id).only("id", "username", "role").first()
        audit_record(
            action=Action.TOKEN_REFRESH, record_type="account", record_id=user_id, actor=user
        )
        return response
