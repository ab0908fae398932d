import django_filters

from diary.models import Flag, FlagKind, FlagStatus, SymptomEntry, Treatment


def _range_filterset(model, moment_field: str):
    """`from` / `to` on the record's moment (a Python keyword, hence built this way)."""
    attrs = {
        "from": django_filters.IsoDateTimeFilter(field_name=moment_field, lookup_expr="gte"),
        "to": django_filters.IsoDateTimeFilter(field_name=moment_field, lookup_expr="lte"),
        "patient": django_filters.UUIDFilter(field_name="patient_id"),
        "Meta": type("Meta", (), {"model": model, "fields": []}),
    }
    return type(f"{model.__name__}Filter", (django_filters.FilterSet,), attrs)


EntryFilter = _range_filterset(SymptomEntry, "recorded_at")
TreatmentFilter = _range_filterset(Treatment, "performed_at")


class FlagFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=FlagStatus.choices)
    kind = django_filters.ChoiceFilter(choices=FlagKind.choices)
    patient = django_filters.UUIDFilter(field_name="patient_id")

    class Meta:
        model = Flag
        fields = ["status", "kind", "patient"]
