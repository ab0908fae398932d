from rest_framework import serializers

from api.serializers.records import EntrySerializer, TreatmentSerializer


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
