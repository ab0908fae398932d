from rest_framework import serializers

from api.serializers.fields import TimeZoneField
from diary.models import Condition, Patient
from diary.models.patients import validate_single_line

LINK_HELP = "What the QR code holds: the patient app's enrolment page with the code filled in."


class PatientSerializer(serializers.ModelSerializer):
    clinicians = serializers.PrimaryKeyRelatedField(source="care_team", many=True, read_only=True)
    enrolled = serializers.SerializerMethodField()

    class Meta:
        model = Patient
        fields = [
            "id",
            "display_name",
            "timezone",
            "condition",
            "clinic",
            "clinicians",
            "enrolled",
            "created_at",
        ]
        read_only_fields = fields

    def get_enrolled(self, patient) -> bool:
        """Whether the patient has claimed their login with the code."""
        return patient.user_id is not None


class PatientEnrollSerializer(serializers.Serializer):
    display_name = serializers.CharField(max_length=200, validators=[validate_single_line])
    timezone = TimeZoneField()
    condition = serializers.ChoiceField(choices=Condition.choices, default=Condition.UNKNOWN)
    clinicians = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list, max_length=50
    )


class EnrolledPatientSerializer(PatientSerializer):
    """The enrolment answer: the patient plus the code, shown this once."""

    enrollment_code = serializers.CharField()
    enrollment_code_expires_at = serializers.DateTimeField()
    link = serializers.URLField(help_text=LINK_HELP)

    class Meta(PatientSerializer.Meta):
        fields = [
            *PatientSerializer.Meta.fields,
            "enrollment_code",
            "enrollment_code_expires_at",
            "link",
        ]
        read_only_fields = fields


class EnrollmentCodeSerializer(serializers.Serializer):
    enrollment_code = serializers.CharField()
    enrollment_code_expires_at = serializers.DateTimeField()
    link = serializers.URLField(help_text=LINK_HELP)
