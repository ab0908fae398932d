"""Notifications: the phone's push token, the staff inbox and email preferences,
the clinic webhook's health for coordinators, the patient's daily reminder."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsCoordinator, IsPatient, IsStaff
from api.serializers.notifications import (
    DeviceSerializer,
    InboxItemSerializer,
    NotificationPreferenceSerializer,
    ReminderPreferenceSerializer,
    RemindersDueSerializer,
    UnreadCountSerializer,
    WebhookStatusSerializer,
)
from api.views.scope import own_patient
from diary.models import Patient
from notifications.services.devices import device_register
from notifications.services.inbox import inbox_for, inbox_unread_count
from notifications.services.preferences import preference_for, preference_update
from notifications.services.reminders import (
    daily_reminder_next_due,
    reminder_preference_for,
    reminder_preference_update,
    reminders_open,
)
from notifications.services.webhooks import webhook_status


class DeviceView(APIView):
    """Register this phone's push token for this login (201; 200 if it was registered)."""

    permission_classes = [IsPatient]

    @extend_schema(
        request=DeviceSerializer, responses={200: DeviceSerializer, 201: DeviceSerializer}
    )
    def post(self, request):
        serializer = DeviceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        device, created = device_register(user=request.user, **serializer.validated_data)
        return Response(
            DeviceSerializer(device).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class InboxView(generics.ListAPIView):
    """Flags this clinician or coordinator was told about, newest first.
    A flag's items are marked read when they open the flag (GET /flags/{id}/)."""

    permission_classes = [IsStaff]
    serializer_class = InboxItemSerializer
    filter_backends = []

    def get_queryset(self):
        items = inbox_for(self.request.user)
        if self.request.query_params.get("unread") in ("1", "true"):
            items = items.filter(read_at__isnull=True)
        return items

    @extend_schema(
        parameters=[OpenApiParameter("unread", OpenApiTypes.BOOL, description="Only unread.")]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class InboxUnreadCountView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(responses=UnreadCountSerializer)
    def get(self, request):
        return Response({"unread": inbox_unread_count(user=request.user)})


class NotificationPreferenceView(APIView):
    """Email on or off; one email per flag, or a daily digest at a local time."""

    permission_classes = [IsStaff]

    @extend_schema(responses=NotificationPreferenceSerializer)
    def get(self, request):
        return Response(NotificationPreferenceSerializer(preference_for(user=request.user)).data)

    @extend_schema(
        request=NotificationPreferenceSerializer, responses=NotificationPreferenceSerializer
    )
    def patch(self, request):
        serializer = NotificationPreferenceSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        preference = preference_update(user=request.user, values=serializer.validated_data)
        return Response(NotificationPreferenceSerializer(preference).data)


class WebhookStatusView(APIView):
    """The clinic's webhook (set up by an administrator) and its recent deliveries."""

    permission_classes = [IsCoordinator]

    @extend_schema(responses=WebhookStatusSerializer)
    def get(self, request):
        data = webhook_status(clinic_id=request.user.clinic_id)
        return Response(WebhookStatusSerializer(data).data)


class ReminderPreferenceView(APIView):
    """The patient's opt-in daily reminder (local time, 07:00-22:00)."""

    permission_classes = [IsPatient]

    def _answer(self, patient, preference):
        preference.next_daily_reminder_at = daily_reminder_next_due(patient=patient)
        return Response(ReminderPreferenceSerializer(preference).data)

    @extend_schema(responses=ReminderPreferenceSerializer)
    def get(self, request):
        patient = own_patient(request.user)
        return self._answer(patient, reminder_preference_for(patient=patient))

    @extend_schema(request=ReminderPreferenceSerializer, responses=ReminderPreferenceSerializer)
    def patch(self, request):
        patient = own_patient(request.user)
        serializer = ReminderPreferenceSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        preference = reminder_preference_update(patient=patient, values=serializer.validated_data)
        return self._answer(patient, preference)


class RemindersDueView(APIView):
    """What the phone should ask the patient for now (issue 13).

    A check-in after a treatment is listed from its due time (6h, 24h, 48h,
    72h, 7d, moved out of 22:00-07:00 local as the pushes are) until it is
    answered or 24 h have passed: `ratings_due` until an upright and a lying
    entry are logged since `due_at`, `pgic_due` (72h and 7d only) until a PGIC
    answer for that treatment and checkpoint exists. `daily.due`: the daily
    reminder is on and nothing was logged in the last 24 h. Only a patient has
    reminders: any other login gets 404.
    """

    permission_classes = [IsAuthenticated]

    @extend_schema(responses=RemindersDueSerializer)
    def get(self, request):
        patient = Patient.objects.filter(user=request.user).first()
        if patient is None or not IsPatient().has_permission(request, self):
            raise NotFound
        return Response(RemindersDueSerializer(reminders_open(patient=patient)).data)
