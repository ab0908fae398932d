from rest_framework import serializers

from diary.models import Flag


class FlagSerializer(serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient_id", read_only=True)
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
