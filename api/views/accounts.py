from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import User
from accounts.tokens import TokenRefused, family_end, login_begin
from api.errors import error_response
from api.serializers.accounts import (
    EnrollSerializer,
    LogoutSerializer,
    MeSerializer,
    ProfileSerializer,
    TokenPairSerializer,
)
from api.throttling import ScopedRateThrottle
from api.views.auth import token_pair
from audit.models import Action
from audit.services import audit_record
from diary.services.patients import EnrollmentRefused, patient_account_claim
from diary.services.profiles import profile_of, profile_update
from notifications.services.devices import devices_remove
from notifications.services.reminders import daily_reminder_reschedule


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class ProfileView(APIView):
    """The caller's own name, time zone and language (patients and staff alike)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=ProfileSerializer)
    def get(self, request):
        return Response(ProfileSerializer(profile_of(user=request.user)).data)

    @extend_schema(request=ProfileSerializer, responses=ProfileSerializer)
    def patch(self, request):
        serializer = ProfileSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        profile, zone_changed = profile_update(user=request.user, values=serializer.validated_data)
        patient = getattr(request.user, "patient", None)
        if zone_changed and patient is not None:
            daily_reminder_reschedule(patient=patient)
        return Response(ProfileSerializer(profile).data)


class LogoutView(APIView):
    """End a login: every token of the refresh token's family (every chain the
    phone's refreshes grew) stops working, its access tokens too. Holding the
    token is proof enough to end it.

    With `device_token` (one of the token owner's push tokens) or
    `all_devices: true`, the phone's push tokens go too: no reminders reach a
    logged-out phone.

    `everywhere: true` ends every login of the token's owner (accounts.tokens)
    and forgets all their push tokens, as `all_devices` does.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            user_id = family_end(raw=data["refresh"], everywhere=data["everywhere"])
        except TokenRefused as exc:
            return error_response("token_not_valid", str(exc), status.HTTP_400_BAD_REQUEST)
        every_device = data["all_devices"] or data["everywhere"]
        if data.get("device_token") or every_device:
            # The refresh token proves whose devices these are: never anyone else's.
            devices_remove(user_id=user_id, token=data.get("device_token"), every=every_device)
        actor = User.objects.filter(pk=user_id).only("id", "username", "role").first()
        audit_record(
            action=Action.LOGOUT,
            record_type="account",
            record_id=user_id,
            actor=actor,
            detail={"everywhere": data["everywhere"]},
        )
        return Response(status=status.HTTP_205_RESET_CONTENT)


class EnrollView(APIView):
    """The phone claims a one-time enrolment code and gets the patient's login."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "enroll"

    @extend_schema(request=EnrollSerializer, responses={201: TokenPairSerializer})
    def post(self, request):
        serializer = EnrollSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            user = patient_account_claim(**serializer.validated_data)
        except EnrollmentRefused:
            return error_response(
                "enrollment_refused",
                _(
                    "This code is not valid: it may be mistyped, used or expired. "
                    "Ask your clinic for a new one."
                ),
                status.HTTP_400_BAD_REQUEST,
            )
        return Response(token_pair(login_begin(user=user)), status=status.HTTP_201_CREATED)
