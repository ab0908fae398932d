"""Flags for the care team: prompts to review, not diagnoses."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from api.errors import error_response
from api.filters import FlagFilter
from api.permissions import IsStaff
from api.serializers.flags import FlagResolveSerializer, FlagSerializer
from api.views.auditing import AuditedReads
from diary.models import Flag
from diary.services.flags import FlagTransitionRefused, flag_acknowledge, flag_resolve
from notifications.services.inbox import inbox_mark_read


class FlagViewSet(
    AuditedReads, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Flags raised by the relapse judgement, open first, newest first.

    A flag asks a clinician to look at a patient's course after a treatment;
    it is not a diagnosis. Each carries the numbers and dates that raised it
    (`evidence`, with a plain-words `summary`).
    """

    serializer_class = FlagSerializer
    permission_classes = [IsStaff]
    audit_record_type = "flag"
    filterset_class = FlagFilter
    lookup_value_converter = "uuid"

    def get_queryset(self):
        return Flag.objects.visible_to(self.request.user).select_related("treatment").open_first()

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        inbox_mark_read(user=request.user, flag_id=kwargs["pk"])  # opened: read in the inbox
        return response

    def _transition(self, service, **kwargs):
        try:
            flag = service(flag=self.get_object(), by=self.request.user, **kwargs)
        except FlagTransitionRefused as exc:
            return error_response("flag_resolved", str(exc), status.HTTP_409_CONFLICT)
        return Response(FlagSerializer(flag).data)

    @extend_schema(request=None, responses=FlagSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._transition(flag_acknowledge)

    @extend_schema(request=FlagResolveSerializer, responses=FlagSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        serializer = FlagResolveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return self._transition(flag_resolve, note=serializer.validated_data["note"])
