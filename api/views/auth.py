"""Logins: token families, refresh with a grace, password change and reset.

Every login (password, enrolment, reset) starts a token family
(accounts.tokens); the views here write the audit trail and answer a lockout,
a reuse and a refused code as such.
"""

from axes.utils import reset as axes_reset
from django.db import transaction
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_serializer
from rest_framework import status
from rest_framework.exceptions import APIException, AuthenticationFailed
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.serializers import TokenObtainPairSerializer
from rest_framework_simplejwt.views import TokenObtainPairView

from accounts.models import User
from accounts.services import password_change
from accounts.tokens import FAMILY_CLAIM, TokenRefused, TokenReused, login_begin, token_refresh
from api.errors import error_response
from api.serializers.accounts import (
    PasswordChangeSerializer,
    PasswordResetSerializer,
    ResetTokenPairSerializer,
    TokenPairSerializer,
    TokenRefreshSerializer,
)
from api.throttling import ScopedRateThrottle
from audit.models import Action, Outcome
from audit.services import audit_record
from diary.services.patients import ResetRefused, patient_password_reset


class LockedOut(APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = _(
        "Too many failed logins for this account or from this address; "
        "try again later or ask your clinic to unlock it."
    )


def token_pair(refresh) -> dict:
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


# The name generated clients know it by (simplejwt's own schema extension does
# not reach a subclass).
@extend_schema_serializer(component_name="TokenObtainPair")
class FamilyTokenObtainPairSerializer(TokenObtainPairSerializer):
    @classmethod
    def get_token(cls, user):
        return login_begin(user=user)


class AuditedTokenObtainPairView(TokenObtainPairView):
    """Log in: a new token family. django-axes (AxesStandaloneBackend) counts
    the failures and refuses a locked-out username or IP, even with the right
    password.

    The failure count axes writes to PostgreSQL must outlive the refusal: it
    is answered, not raised, so ATOMIC_REQUESTS commits the count with it.

    A success clears the username's count only: clearing the address's too
    would let someone with one account reset their guessing budget.
    """

    serializer_class = FamilyTokenObtainPairSerializer

    @extend_schema(responses={200: TokenPairSerializer})
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


# Not one request transaction: a reuse revokes the family and answers 401,
# and that revocation must be committed although the answer is an error.
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class AuditedTokenRefreshView(APIView):
    """Rotate a refresh token within its family.

    The same refresh token again within 30 seconds (the phone lost the reply)
    answers a new pair of the same family: retry a refresh whose reply was lost
    with the same token. Later, it is a reuse: the whole family (every token of
    that login) is revoked and the answer is 401 `token_reused`; log in again.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=TokenRefreshSerializer, responses={200: TokenPairSerializer})
    def post(self, request):
        serializer = TokenRefreshSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            refresh = token_refresh(raw=serializer.validated_data["refresh"])
        except (TokenRefused, TokenReused) as exc:
            reused = isinstance(exc, TokenReused)
            audit_record(
                action=Action.TOKEN_REFRESH, record_type="account", outcome=Outcome.FAILURE
            )
            return error_response(
                "token_reused" if reused else "token_not_valid",
                _("This login was ended because its refresh token was used twice: log in again.")
                if reused
                else _("Token is invalid or expired"),
                status.HTTP_401_UNAUTHORIZED,
            )
        user = refresh.payload["user_id"]
        actor = User.objects.filter(pk=user).only("id", "username", "role").first()
        audit_record(
            action=Action.TOKEN_REFRESH, record_type="account", record_id=user, actor=actor
        )
        return Response(token_pair(refresh))


class PasswordChangeView(APIView):
    """A new password for the caller; every other login of theirs is logged out
    (this one stays)."""

    permission_classes = [IsAuthenticated]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "password"

    @extend_schema(request=PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        serializer = PasswordChangeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        password_change(
            user=request.user,
            keep_family=request.auth.get(FAMILY_CLAIM) if request.auth else None,
            **serializer.validated_data,
        )
        audit_record(
            action=Action.PASSWORD_CHANGE,
            record_type="account",
            record_id=request.user.pk,
            actor=request.user,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetView(APIView):
    """The phone sets a new password with a reset code from the care team and
    is logged in (a new token family); every earlier login is logged out."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "enroll"

    @extend_schema(request=PasswordResetSerializer, responses={200: ResetTokenPairSerializer})
    def post(self, request):
        serializer = PasswordResetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = patient_password_reset(**serializer.validated_data)
        except ResetRefused:
            return error_response(
                "reset_refused",
                _(
                    "This code is not valid: it may be mistyped, used or expired. "
                    "Ask your clinic for a new one."
                ),
                status.HTTP_400_BAD_REQUEST,
            )
        return Response({"username": user.username, **token_pair(login_begin(user=user))})
