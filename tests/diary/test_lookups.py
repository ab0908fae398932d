"""`uuid__any`: the `in` lookup for long lists of ids."""

import uuid

import pytest

from diary.models import SymptomEntry
from tests.factories import EntryFactory

pytestmark = pytest.mark.django_db


def test_any_finds_exactly_the_ids_given(cast):
    wanted = EntryFactory.create_batch(3, patient=cast.patient_a)
    EntryFactory.create_batch(2, patient=cast.patient_a)
    ids = [e.uuid for e in wanted]

    for given in (ids, [str(i) for i in ids], [*ids, uuid.uuid4(), None, ids[0]]):
        found = SymptomEntry.objects.filter(uuid__any=given)
        assert sorted(e.uuid for e in found) == sorted(ids)


def test_any_of_nothing_is_nothing_without_a_query(cast, django_assert_num_queries):
    EntryFactory(patient=cast.patient_a)

    with django_assert_num_queries(0):
        assert list(SymptomEntry.objects.filter(uuid__any=[])) == []


def test_any_takes_a_subquery(cast):
    entry = EntryFactory(patient=cast.patient_a)
    EntryFactory(patient=cast.patient_b)

    same = SymptomEntry.objects.filter(patient=cast.patient_a).values("uuid")
    assert list(SymptomEntry.objects.filter(uuid__any=same)) == [entry]
