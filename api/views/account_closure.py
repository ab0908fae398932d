from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from api.permissions import IsPatient
from diary.services.retention import patient_account_close


class AccountCloseView(APIView):
    """Close the patient's own account: no more logins, every token dies now.

    The diary is kept for the clinic's retention period, then removed.
    """

    permission_classes = [IsPatient]

    @extend_schema(request=None, responses={204: None})
    def post(self, request):
        patient_account_close(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
