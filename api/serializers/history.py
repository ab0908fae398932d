from rest_framework import serializers

from api.serializers.records import (
    DayLogSerializer,
    EntrySerializer,
    ImpressionSerializer,
    TreatmentSerializer,
)


class ChangedBySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    role = serializers.CharField()


class EntryVersionSerializer(serializers.Serializer):
    change = serializers.ChoiceField(choices=["update", "delete"])
    changed_at = serializers.DateTimeField()
    changed_by = ChangedBySerializer(allow_null=True)
    valid_from = serializers.DateTimeField(help_text="When this version was written.")
    record = EntrySerializer(help_text="The entry as it was before this change.")


class EntryHistorySerializer(serializers.Serializer):
    id = serializers.UUIDField()
    current = EntrySerializer(allow_null=True, help_text="Null once deleted.")
    versions = EntryVersionSerializer(many=True, help_text="Earlier versions, newest first.")


class TreatmentVersionSerializer(EntryVersionSerializer):
    record = TreatmentSerializer(help_text="The treatment as it was before this change.")


class TreatmentHistorySerializer(EntryHistorySerializer):
    current = TreatmentSerializer(allow_null=True, help_text="Null once deleted.")
    versions = TreatmentVersionSerializer(many=True, help_text="Earlier versions, newest first.")


class DayLogVersionSerializer(EntryVersionSerializer):
    record = DayLogSerializer(help_text="The day log as it was before this change.")


class DayLogHistorySerializer(EntryHistorySerializer):
    current = DayLogSerializer(allow_null=True, help_text="Null once deleted.")
    versions = DayLogVersionSerializer(many=True, help_text="Earlier versions, newest first.")


class ImpressionVersionSerializer(EntryVersionSerializer):
    record = ImpressionSerializer(help_text="The answer as it was before this change.")


class ImpressionHistorySerializer(EntryHistorySerializer):
    current = ImpressionSerializer(allow_null=True, help_text="Null once deleted.")
    versions = ImpressionVersionSerializer(many=True, help_text="Earlier versions, newest first.")
