import datetime as dt

import django_filters
from django import forms
from django.utils.translation import gettext as _

from diary.models import (
    Checkpoint,
    DayLog,
    Flag,
    FlagKind,
    FlagStatus,
    Impression,
    SymptomEntry,
    Treatment,
)


class UtcIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant, turned into UTC before it reaches the database.

    PostgreSQL refuses offsets beyond ±15:59 with an error (found by the
    schema fuzzer: `?from=...-19:26` was a 500); in UTC any valid instant works,
    and one that does not fit a date at all is a 400.
    """

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None or parsed.tzinfo is None:
            return parsed
        try:
            return parsed.astimezone(dt.UTC)
        except OverflowError as exc:
            raise forms.ValidationError(_("This time is out of range."), code="range") from exc


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


def _range_filterset(model, moment_field: str):
    """`from` / `to` on the record's moment (a Python keyword, hence built this way)."""
    attrs = {
        "from": UtcIsoDateTimeFilter(field_name=moment_field, lookup_expr="gte"),
        "to": UtcIsoDateTimeFilter(field_name=moment_field, lookup_expr="lte"),
        "patient": django_filters.UUIDFilter(field_name="patient_id"),
        "Meta": type("Meta", (), {"model": model, "fields": []}),
    }
    return type(f"{model.__name__}Filter", (django_filters.FilterSet,), attrs)


EntryFilter = _range_filterset(SymptomEntry, "recorded_at")
TreatmentFilter = _range_filterset(Treatment, "performed_at")


class DayLogFilter(django_filters.FilterSet):
    """`from` / `to`: local days, both included."""

    patient = django_filters.UUIDFilter(field_name="patient_id")

    class Meta:
        model = DayLog
        fields = []


DayLogFilter.base_filters["from"] = django_filters.DateFilter(field_name="date", lookup_expr="gte")
DayLogFilter.base_filters["to"] = django_filters.DateFilter(field_name="date", lookup_expr="lte")


class ImpressionFilter(_range_filterset(Impression, "answered_at")):
    treatment = django_filters.UUIDFilter(field_name="treatment__uuid")
    checkpoint = django_filters.ChoiceFilter(choices=Checkpoint.choices)


class FlagFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices)
    kind = django_filters.ChoiceFilter(choices=FlagKind.choices)
    patient = django_filters.UUIDFilter(field_name="patient_id")

    class Meta:
        model = Flag
        fields = ["status", "kind", "patient"]
