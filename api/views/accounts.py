from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from api.errors import error_response
from api.serializers.accounts import (
    EnrollSerializer,
    LogoutSerializer,
    MeSerializer,
    TokenPairSerializer,
)
from diary.services.patients import EnrollmentRefused, patient_account_claim


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)


class LogoutView(APIView):
    """Kill a refresh token. Holding the token is proof enough to end it."""

    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(request=LogoutSerializer, responses={205: None})
    def post(self, request):
        serializer = LogoutSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            RefreshToken(serializer.validated_data["refresh"]).blacklist()
        except TokenError as exc:
            return error_response("token_not_valid", str(exc), status.HTTP_400_BAD_REQUEST)
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
