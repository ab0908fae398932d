"""Exports before an appointment: request a file, watch it being built, download it.

Who may export a patient's diary is who may read it (Patient.visible_to):
the patient, the clinicians of their care team, the coordinators of their
clinic. Anyone else gets 404, for the patient and for the job alike.
"""

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.response import Response

from api.errors import BrokerUnavailable, error_response
from api.permissions import IsDiaryReader
from api.serializers.exports import (
    ExportAcceptedSerializer,
    ExportJobSerializer,
    ExportRequestSerializer,
)
from api.throttling import ScopedRateThrottle
from api.views.scope import own_patient
from config import broker
from diary.models import Patient
from exports.models import ExportJob
from exports.services import (
    ExportExpired,
    ExportNotReady,
    export_open_for_download,
    export_request,
)


class ExportThrottle(ScopedRateThrottle):
    """Only requesting a build counts against the `export` rate; polling is free."""

    scope_attr = "export_throttle_scope"

    def allow_request(self, request, view):
        if getattr(view, "action", None) != "create":
            return True
        return super().allow_request(request, view)


@extend_schema(tags=["exports"])
class ExportViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = ExportJobSerializer
    permission_classes = [IsDiaryReader]
    lookup_value_converter = "uuid"
    export_throttle_scope = "export"

    def get_throttles(self):
        return [*super().get_throttles(), ExportThrottle()]

    def get_queryset(self):
        return ExportJob.objects.visible_to(self.request.user)

    def _patient(self, patient_id) -> Patient:
        user = self.request.user
        if patient_id is None:
            if not user.is_patient:
                raise ValidationError(
                    {"patient": [ErrorDetail(_("This field is required."), "required")]}
                )
            return own_patient(user)
        return get_object_or_404(Patient.objects.visible_to(user), pk=patient_id)

    @extend_schema(
        request=ExportRequestSerializer,
        responses={202: ExportAcceptedSerializer},
        description=(
            "Queue an export of one patient's diary. The file is built in the background: "
            "poll `GET /exports/{id}/` until `status` is `done`, then fetch `download`. "
            "Formats: `pdf` (for the clinician: summary, chart, treatments, flags, the full "
            "diary), `csv` (one UTF-8 file of entries and treatments, see docs/exports.md for its "
            "columns), `fhir` (a FHIR R4 Bundle as JSON). Files expire after EXPORT_TTL_DAYS."
        ),
    )
    def create(self, request):
        serializer = ExportRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if broker.unavailable():
            # Only a worker builds files: with the broker away, say when to ask again
            # rather than accept a job that would fail.
            raise BrokerUnavailable
        job = export_request(
            patient=self._patient(data.get("patient")),
            requested_by=request.user,
            export_format=data["format"],
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )
        return Response({"id": job.id, "status": job.status}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="PDF"),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV"),
            (200, "application/fhir+json"): OpenApiResponse(
                OpenApiTypes.OBJECT, description="FHIR R4 Bundle"
            ),
            409: OpenApiResponse(description="Not built yet, or the build failed."),
            410: OpenApiResponse(description="The file has expired; request a new export."),
        }
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        job = self.get_object()
        try:
            download = export_open_for_download(
                job=job, user=request.user, audit=request.method != "HEAD"
            )
        except ExportExpired:
            return error_response(
                "expired", _("This export has expired; request a new one."), status.HTTP_410_GONE
            )
        except ExportNotReady:
            message = job.error or _("This export is not ready yet.")
            return error_response("not_ready", message, status.HTTP_409_CONFLICT)
        response = FileResponse(
            download.file,
            as_attachment=True,
            filename=download.filename,
            content_type=download.content_type,
        )
        response["Cache-Control"] = "private, no-store"
        return response
