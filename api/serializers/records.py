from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from diary.models import Approach, Posture, SymptomEntry, Treatment, TreatmentKind
from diary.spinal_levels import normalize_levels
from diary.symptoms import SYMPTOMS

from .fields import NotInFutureMixin, OffsetDateTimeField

# Generous bounds that still fit the database's integers: bedridden for a month,
# a headache that takes a day to come or go.
MAX_MINUTES_IN_POSTURE = 30 * 24 * 60
MAX_ONSET_OR_RELIEF_MINUTES = 24 * 60


class EntrySerializer(NotInFutureMixin, serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", required=False)
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    recorded_at = OffsetDateTimeField()
    posture = serializers.ChoiceField(choices=Posture.choices)
    headache = serializers.IntegerField(min_value=0, max_value=10)
    minutes_in_posture = serializers.IntegerField(
        min_value=0, max_value=MAX_MINUTES_IN_POSTURE, required=False, allow_null=True
    )
    onset_minutes = serializers.IntegerField(
        min_value=0, max_value=MAX_ONSET_OR_RELIEF_MINUTES, required=False, allow_null=True
    )
    relief_minutes = serializers.IntegerField(
        min_value=0, max_value=MAX_ONSET_OR_RELIEF_MINUTES, required=False, allow_null=True
    )
    symptoms = serializers.ListField(
        child=serializers.ChoiceField(choices=SYMPTOMS), required=False, max_length=len(SYMPTOMS)
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = SymptomEntry
        fields = [
            "id",
            "patient",
            "recorded_at",
            "posture",
            "headache",
            "minutes_in_posture",
            "onset_minutes",
            "relief_minutes",
            "symptoms",
            "note",
            "created_at",
            "updated_at",
        ]

    def validate_recorded_at(self, value):
        return self.validate_not_future(value)

    def validate_symptoms(self, value):
        return sorted(set(value), key=SYMPTOMS.index)

    def validate(self, attrs):
        # On a partial update, judge the posture rules on the entry as it will be.
        def current(name):
            if name in attrs:
                return attrs[name]
            return getattr(self.instance, name, None)

        posture = current("posture")
        errors = {}
        if current("onset_minutes") is not None and posture == Posture.LYING:
            errors["onset_minutes"] = [
                ErrorDetail(_("Onset minutes are for sitting or standing entries."), "upright_only")
            ]
        if current("relief_minutes") is not None and posture != Posture.LYING:
            errors["relief_minutes"] = [
                ErrorDetail(_("Relief minutes are for lying entries."), "lying_only")
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class TreatmentSerializer(NotInFutureMixin, serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", required=False)
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    performed_at = OffsetDateTimeField()
    kind = serializers.ChoiceField(choices=TreatmentKind.choices)
    approach = serializers.ChoiceField(choices=Approach.choices, required=False, allow_null=True)
    levels = serializers.ListField(child=serializers.CharField(), required=False, max_length=10)
    volume_ml = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        required=False,
        allow_null=True,
        coerce_to_string=False,
        max_value=100,
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    recorded_by = serializers.IntegerField(source="recorded_by_id", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)

    class Meta:
        model = Treatment
        fields = [
            "id",
            "patient",
            "performed_at",
            "kind",
            "approach",
            "levels",
            "volume_ml",
            "note",
            "recorded_by",
            "created_at",
            "updated_at",
        ]

    def validate_performed_at(self, value):
        return self.validate_not_future(value)

    def validate_levels(self, value):
        try:
            return normalize_levels(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc), code="invalid_level") from exc

    def validate_volume_ml(self, value):
        if value is not None and value <= 0:
            raise serializers.ValidationError(_("Volume must be more than 0 mL."), code="min_value")
        return value
