"""The clinic's outcomes by treatment, for its clinicians and coordinators."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsStaff
from api.serializers.outcomes import ClinicOutcomesSerializer, OutcomesQuerySerializer
from diary.services.outcomes import GROUP_BY, clinic_outcomes


class OutcomesView(APIView):
    """How the clinic's treatments did, per group: counts with 95 % Wilson intervals
    and the Kaplan-Meier relapse-free curve (definitions: docs/outcomes.md).

    Aggregates of the caller's own clinic, whole: no patient names or ids.
    """

    permission_classes = [IsStaff]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "from", OpenApiTypes.DATE, description="First UTC day of treatments (a year back)."
            ),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last UTC day (today)."),
            OpenApiParameter("group_by", str, enum=GROUP_BY, description="Default: approach."),
        ],
        responses=ClinicOutcomesSerializer,
    )
    def get(self, request):
        query = OutcomesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        outcomes = clinic_outcomes(clinic_id=request.user.clinic_id, **query.validated_data)
        return Response(ClinicOutcomesSerializer(outcomes).data)
