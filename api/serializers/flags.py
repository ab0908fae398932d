from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from diary.models import Flag

EVIDENCE_SCHEMA = {
    "type": "object",
    "description": "The numbers and dates that raised the flag (they differ by `kind`), "
    "with `summary` saying it in words.",
    "required": ["summary"],
    "properties": {"summary": {"type": "string"}},
    "additionalProperties": True,
}


@extend_schema_field(EVIDENCE_SCHEMA)
class EvidenceField(serializers.JSONField):
    pass


class FlagSerializer(serializers.ModelSerializer):
    """A prompt for the care team to review a patient's course after a
    treatment; not a diagnosis."""

    patient = serializers.UUIDField(source="patient_id", read_only=True)
    evidence = EvidenceField(read_only=True)
    patch = serializers.UUIDField(source="treatment.uuid", read_only=True)

    class Meta:
        model = Flag
        fields = [
            "id",
            "patient",
            "patch",
            "kind",
            "status",
            "detected_at",
            "proven_at",
            "evidence",
            "still_supported",
            "rechecked_at",
            "acknowledged_by",
            "acknowledged_at",
            "resolved_by",
            "resolved_at",
            "resolution_note",
        ]
        read_only_fields = fields


class FlagResolveSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
