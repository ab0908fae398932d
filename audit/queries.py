"""Reading a record's history back as unsaved model instances."""

from audit.models import RecordRevision


def record_revisions(*, record) -> list[tuple[RecordRevision, object]]:
    """(revision, the record as it was then), newest change first."""
    model = type(record)
    revisions = (
        RecordRevision.objects.filter(
            patient_id=record.patient_id,
            record_type={
                "SymptomEntry": "entry",
                "Treatment": "patch",
                "DayLog": "day_log",
                "Impression": "impression",
            }[model.__name__],
            record_uuid=record.uuid,
        )
        .select_related("changed_by")
        .order_by("-changed_at", "-id")
    )
    result = []
    for revision in revisions:
        values = {
            name: model._meta.get_field(name).to_python(value)
            for name, value in revision.values.items()
        }
        earlier = model(
            uuid=record.uuid,
            patient_id=record.patient_id,
            created_at=record.created_at,
            updated_at=revision.valid_from,
            **values,
        )
        result.append((revision, earlier))
    return result
