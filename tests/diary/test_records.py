"""Record services work on the row as stored, not on the caller's earlier copy."""

import pytest

from diary.models import SymptomEntry
from diary.services.records import RecordDeleted, record_delete, record_update
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db


def two_copies(**fields):
    entry = EntryFactory(**fields)
    return entry, SymptomEntry.objects.get(pk=entry.pk)


def test_an_edit_from_an_old_copy_does_not_bring_a_deleted_record_back():
    mine, theirs = two_copies(headache=6)
    record_delete(record=theirs)

    with pytest.raises(RecordDeleted):
        record_update(record=mine, values={"headache": 2})

    stored = SymptomEntry.objects.get(pk=mine.pk)
    assert stored.is_deleted and stored.headache == 6


def test_two_edits_of_different_fields_both_stay():
    mine, theirs = two_copies(headache=6, note="")
    record_update(record=theirs, values={"note": "After a long walk."})

    record_update(record=mine, values={"headache": 3})

    stored = SymptomEntry.objects.get(pk=mine.pk)
    assert (stored.headache, stored.note) == (3, "After a long walk.")


def test_deleting_twice_from_two_copies_leaves_one_tombstone():
    mine, theirs = two_copies()
    record_delete(record=theirs)
    first_tombstone = SymptomEntry.objects.get(pk=mine.pk).deleted_at

    record_delete(record=mine)

    assert SymptomEntry.objects.get(pk=mine.pk).deleted_at == first_tombstone
