import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from diary.labels import MEDICATIONS, TRIGGERS
from diary.models import (
    Approach,
    Checkpoint,
    DayLog,
    Impression,
    Posture,
    SymptomEntry,
    Treatment,
    TreatmentKind,
)
from diary.spinal_levels import normalize_levels
from diary.symptoms import SYMPTOMS

from .fields import NotInFutureMixin, OffsetDateTimeField

# Generous bounds that still fit the database's integers: bedridden for a month,
# a headache that takes a day to come or go.
MAX_MINUTES_IN_POSTURE = 30 * 24 * 60
MAX_ONSET_OR_RELIEF_MINUTES = 24 * 60
TRIGGER_CODES = tuple(TRIGGERS)


class DiaryRecordSerializer(serializers.ModelSerializer):
    """What every diary record carries: a note, its version and its timestamps."""

    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    version = serializers.IntegerField(
        read_only=True,
        help_text="Changes whenever the record does; send it as `If-Match` or sync "
        "`base_version` so a change made elsewhere meanwhile is not overwritten.",
    )
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)


class EntrySerializer(NotInFutureMixin, DiaryRecordSerializer):
    """One symptom entry: how the patient feels at one moment in one posture."""

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
    triggers = serializers.ListField(
        child=serializers.ChoiceField(choices=TRIGGER_CODES),
        required=False,
        max_length=len(TRIGGER_CODES),
    )

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
            "triggers",
            "note",
            "version",
            "created_at",
            "updated_at",
        ]

    def validate_recorded_at(self, value):
        return self.validate_not_future(value)

    def validate_symptoms(self, value):
        return sorted(set(value), key=SYMPTOMS.index)

    def validate_triggers(self, value):
        return sorted(set(value), key=TRIGGER_CODES.index)

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


class TreatmentSerializer(NotInFutureMixin, DiaryRecordSerializer):
    """One treatment (a blood patch or another procedure) that relapse is judged against."""

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
    recorded_by = serializers.IntegerField(source="recorded_by_id", read_only=True)

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
            "version",
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


# A diary day may be a day ahead of UTC's (Kiribati is UTC+14); later is a mistake.
DAY_AHEAD_OF_UTC = dt.timedelta(days=1)


class MedicationSerializer(serializers.Serializer):
    name = serializers.ChoiceField(choices=tuple(MEDICATIONS))
    dose = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


def hours_in_a_day() -> serializers.DecimalField:
    """Hours of one day (upright, in bed), to a tenth, as a JSON number."""
    return serializers.DecimalField(
        max_digits=3,
        decimal_places=1,
        min_value=0,
        max_value=24,
        required=False,
        allow_null=True,
        coerce_to_string=False,
    )


class DayLogSerializer(DiaryRecordSerializer):
    id = serializers.UUIDField(source="uuid", required=False)
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    date = serializers.DateField(help_text="The patient's local day; one log per day.")
    upright_hours = hours_in_a_day()
    longest_upright_minutes = serializers.IntegerField(
        min_value=0, max_value=24 * 60, required=False, allow_null=True
    )
    bed_rest_hours = hours_in_a_day()
    fluids_l = serializers.DecimalField(
        max_digits=4,
        decimal_places=2,
        min_value=0,
        max_value=20,
        required=False,
        allow_null=True,
        coerce_to_string=False,
    )
    caffeine_mg = serializers.IntegerField(
        min_value=0, max_value=5000, required=False, allow_null=True
    )
    binder = serializers.BooleanField(required=False, allow_null=True, default=None)
    medications = MedicationSerializer(many=True, required=False, max_length=20)

    class Meta:
        model = DayLog
        fields = [
            "id",
            "patient",
            "date",
            "upright_hours",
            "longest_upright_minutes",
            "bed_rest_hours",
            "fluids_l",
            "caffeine_mg",
            "binder",
            "medications",
            "note",
            "version",
            "created_at",
            "updated_at",
        ]

    def validate_date(self, value):
        if value > (timezone.now() + DAY_AHEAD_OF_UTC).date():
            raise serializers.ValidationError(_("This day is in the future."), code="future_time")
        return value

    def validate_medications(self, value):
        return [dict(item) for item in value]  # plain dicts, compared as stored

    def validate(self, attrs):
        def current(name):
            return attrs[name] if name in attrs else getattr(self.instance, name, None)

        upright, bed_rest = current("upright_hours"), current("bed_rest_hours")
        if upright is not None and bed_rest is not None and upright + bed_rest > 24:
            raise serializers.ValidationError(
                {"bed_rest_hours": [_("Hours upright and in bed add up to more than a day.")]},
                code="max_value",
            )
        longest = current("longest_upright_minutes")
        if longest is not None and upright is not None and longest > upright * 60 + 6:
            # 6 minutes: the hours are rounded to a tenth.
            raise serializers.ValidationError(
                {"longest_upright_minutes": [_("Longer than the hours upright that day.")]},
                code="max_value",
            )
        return attrs


class ImpressionSerializer(NotInFutureMixin, DiaryRecordSerializer):
    id = serializers.UUIDField(source="uuid", required=False)
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    treatment = serializers.UUIDField(
        source="treatment_uuid", help_text="The id of the treatment this answer is about."
    )
    answered_at = OffsetDateTimeField()
    checkpoint = serializers.ChoiceField(choices=Checkpoint.choices)
    score = serializers.IntegerField(
        min_value=1,
        max_value=7,
        help_text="1 very much improved, 4 no change, 7 very much worse.",
    )
    recorded_by = serializers.IntegerField(source="recorded_by_id", read_only=True)

    class Meta:
        model = Impression
        fields = [
            "id",
            "patient",
            "treatment",
            "answered_at",
            "checkpoint",
            "score",
            "note",
            "version",
            "recorded_by",
            "created_at",
            "updated_at",
        ]

    def validate_answered_at(self, value):
        return self.validate_not_future(value)
