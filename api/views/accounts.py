from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from api.errors import error_response
from api.serializers.accounts import (
    EnrollSerializer,
    LogoutSerializer,
    MeSerializer,
    TokenPairSerializer,
)
from api.throttling import ScopedRateThrottle
from diary.services.patients import EnrollmentRefused, patient_account_claim
from notifications.services.devices import devices_remove


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class LogoutView(APIView):
    """Kill a refresh token. Holding the token is proof enough to end it.

    With `device_token` (one of the token owner's push tokens) or
    `all_devices: true`, the phone's push tokens go too: no reminders reach a
    logged-out phone.
    """

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(serializer.validated_data["refresh"])
            refresh.blacklist()
        except TokenError as exc:
            return error_response("token_not_valid", str(exc), status.HTTP_400_BAD_REQUEST)
        data = serializer.validated_data
        if data.get("device_token") or data["all_devices"]:
            # The refresh token proves whose devices these are: never anyone else's.
            devices_remove(
                user_id=refresh[api_settings.USER_ID_CLAIM],
                token=data.get("device_token"),
                every=data["all_devices"],
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
                "This code is not valid: it may be mistyped, used or expired. "
                "Ask your clinic for a new one.",
                status.HTTP_400_BAD_REQUEST,
            )
        refresh = RefreshToken.for_user(user)
        return Response(
            {"access": str(refresh.access_token), "refresh": str(refresh)},
            status=status.HTTP_201_CREATED,
        )
