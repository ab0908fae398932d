"""Patients, for clinicians (their care team) and coordinators (their clinic)."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from accounts.models import User
from api.errors import error_response
from api.filters import DayLogFilter, EntryFilter, ImpressionFilter, TreatmentFilter
from api.permissions import IsClinician, IsCoordinator, IsStaff, ReadOnly
from api.serializers.accounts import ResetCodeSerializer
from api.serializers.patients import (
    EnrolledPatientSerializer,
    EnrollmentCodeSerializer,
    PatientEnrollSerializer,
    PatientSerializer,
)
from api.serializers.records import (
    DayLogSerializer,
    EntrySerializer,
    ImpressionSerializer,
    TreatmentSerializer,
)
from api.views.auditing import AuditedReads
from api.views.records import create_record
from diary.models import DayLog, Impression, Patient, SymptomEntry, Treatment
from diary.services.patients import enrollment_code_issue, patient_enroll, reset_code_issue


def visible_patients(user):
    care_team = Prefetch("care_team", queryset=User.objects.only("id"))
    return Patient.objects.visible_to(user).prefetch_related(care_team)


class PatientViewSet(
    AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = PatientSerializer
    audit_record_type = "patient"
    audit_patient_attr = "pk"
    lookup_value_converter = "uuid"
    permission_classes = [(IsStaff & ReadOnly) | IsCoordinator]

    def get_queryset(self):
        queryset = visible_patients(self.request.user)
        # PostgreSQL text cannot hold a NUL character (it was a 500): drop it.
        search = self.request.query_params.get("search", "").replace("\x00", "").strip()
        return queryset.filter(display_name__icontains=search) if search else queryset

    @extend_schema(request=PatientEnrollSerializer, responses={201: EnrolledPatientSerializer})
    def create(self, request):
        serializer = PatientEnrollSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        patient, issued = patient_enroll(
            coordinator=request.user,
            display_name=data["display_name"],
            timezone_name=data["timezone"],
            condition=data["condition"],
            clinician_ids=data["clinicians"],
        )
        patient.enrollment_code = issued.code
        patient.enrollment_code_expires_at = issued.expires_at
        patient.link = issued.link
        return Response(EnrolledPatientSerializer(patient).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={201: EnrollmentCodeSerializer})
    @action(detail=True, methods=["post"], url_path="enrollment-code")
    def enrollment_code(self, request, pk=None):
        """A new one-time code for a patient who lost theirs (earlier codes stop working)."""
        patient = self.get_object()
        if patient.user_id is not None:
            return error_response(
                "already_enrolled", _("This patient already has a login."), status.HTTP_409_CONFLICT
            )
        issued = enrollment_code_issue(patient=patient, issued_by=request.user)
        return Response(
            {
                "enrollment_code": issued.code,
                "enrollment_code_expires_at": issued.expires_at,
                "link": issued.link,
            },
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={201: ResetCodeSerializer})
    @action(detail=True, methods=["post"], url_path="reset-code", permission_classes=[IsStaff])
    def reset_code(self, request, pk=None):
        """A one-time code with which a patient who forgot their password sets a
        new one (`POST /auth/reset/`); earlier codes stop working. Coordinators
        and the care team's clinicians; audited."""
        patient = self.get_object()
        if patient.user_id is None:
            return error_response(
                "not_enrolled",
                _("This patient has no login yet: hand out an enrolment code instead."),
                status.HTTP_409_CONFLICT,
            )
        issued = reset_code_issue(patient=patient, issued_by=request.user)
        return Response(
            {"reset_code": issued.code, "expires_at": issued.expires_at, "link": issued.link},
            status=status.HTTP_201_CREATED,
        )


class PatientRecordsView(AuditedReads, generics.ListAPIView):
    """One patient's live records, for the staff who may read that patient."""

    model = None

    def audited_patients(self, page) -> list:
        return [self.kwargs["pk"]]  # read, even when the page is empty

    def get_patient(self) -> Patient:
        return get_object_or_404(
            Patient.objects.visible_to(self.request.user), pk=self.kwargs["pk"]
        )

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no request
            return self.model.objects.none()
        return self.model.objects.live().filter(patient=self.get_patient())


@extend_schema(tags=["patients"])
class PatientEntriesView(PatientRecordsView):
    model = SymptomEntry
    serializer_class = EntrySerializer
    filterset_class = EntryFilter
    permission_classes = [IsStaff]
    audit_record_type = "entry"


@extend_schema(tags=["patients"])
class PatientTreatmentsView(generics.ListCreateAPIView, PatientRecordsView):
    """Staff read a patient's treatments; clinicians of the care team record them."""

    model = Treatment
    serializer_class = TreatmentSerializer
    filterset_class = TreatmentFilter
    permission_classes = [(IsStaff & ReadOnly) | IsClinician]
    audit_record_type = "patch"

    def create(self, request, *args, **kwargs):
        return create_record(
            self.get_serializer(data=request.data),
            model=Treatment,
            patient=self.get_patient(),
            recorded_by=request.user,
        )


@extend_schema(tags=["patients"])
class PatientDayLogsView(PatientRecordsView):
    model = DayLog
    serializer_class = DayLogSerializer
    filterset_class = DayLogFilter
    permission_classes = [IsStaff]
    audit_record_type = "day_log"


@extend_schema(tags=["patients"])
class PatientImpressionsView(generics.ListCreateAPIView, PatientRecordsView):
    """Staff read a patient's PGIC answers; clinicians of the care team record
    one answered in clinic."""

    model = Impression
    serializer_class = ImpressionSerializer
    filterset_class = ImpressionFilter
    permission_classes = [(IsStaff & ReadOnly) | IsClinician]
    audit_record_type = "impression"

    def get_queryset(self):
        return super().get_queryset().select_related("treatment")

    def create(self, request, *args, **kwargs):
        return create_record(
            self.get_serializer(data=request.data),
            model=Impression,
            patient=self.get_patient(),
            recorded_by=request.user,
        )
