"""GET /api/v1/outcomes/: a small clinic whose figures are worked out by hand."""

import datetime as dt

import pytest

from diary.models import Treatment
from diary.services.evaluation import patients_evaluate
from diary.services.outcomes import clinic_outcomes
from tests.diary.analysis.test_outcomes import wilson
from tests.factories import EntryFactory, ImpressionFactory, PatientFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

PATCH_AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)
MARCH = {"from": "2026-03-01", "to": "2026-03-31"}


def treated(clinic, after, *, approach, volume_ml, condition="pdph", at=PATCH_AT):
    """A patient with a week of 8/10 before a patch at noon and `after` (one score a
    day, two standing entries at 08:00 and 20:00 UTC) from the patch's day on."""
    patient = PatientFactory(clinic=clinic, timezone="UTC", condition=condition)
    TreatmentFactory(patient=patient, performed_at=at, approach=approach, volume_ml=volume_ml)
    start = at.replace(hour=0) - dt.timedelta(days=7)
    for day, score in enumerate([8] * 7 + after):
        for hour in (8, 20):
            moment = start + dt.timedelta(days=day, hours=hour)
            EntryFactory(patient=patient, recorded_at=moment, headache=score, posture="standing")
    return patient


@pytest.fixture
def cohort(cast):
    clinic = cast.clinic
    patients = [
        # Relief on the patch's evening, back to 8/10 on day 2: proven 56 h after.
        treated(clinic, [2, 2, 8, 8], approach="targeted", volume_ml=15, condition="spontaneous"),
        # Holds; its last entry is on day 4 at 20:00 (104 h after).
        treated(clinic, [2, 2, 2, 2, 2], approach="targeted", volume_ml=15),
        # Nothing changes: evaluable, not improved.
        treated(clinic, [8, 8, 8, 8, 8], approach="blind", volume_ml=25),
        # One entry after the patch (and one before it on its day): not evaluable.
        treated(clinic, [8], approach="blind", volume_ml=25),
        # Not counted: another clinic, and a patch in February.
        treated(cast.other_clinic, [2, 2, 2], approach="blind", volume_ml=25),
        treated(clinic, [2, 2, 2], approach="targeted", volume_ml=15, at=PATCH_AT.replace(month=2)),
    ]
    # PGIC answers: live 7-day ones count (targeted 2 and 1, blind 4); a tombstoned
    # 7-day answer, a 72 h one and those outside the clinic or the period do not.
    deleted = dt.datetime(2026, 3, 20, tzinfo=dt.UTC)
    for patient, checkpoint, score, deleted_at in [
        (patients[0], "7d", 2, None),
        (patients[1], "7d", 6, deleted),  # corrected: the live answer below replaces it
        (patients[1], "7d", 1, None),
        (patients[2], "72h", 1, None),
        (patients[2], "7d", 4, None),
        (patients[3], "72h", 2, None),
        (patients[3], "7d", 1, deleted),
        (patients[4], "7d", 1, None),
        (patients[5], "7d", 1, None),
    ]:
        ImpressionFactory(
            treatment=Treatment.objects.get(patient=patient),
            checkpoint=checkpoint,
            score=score,
            deleted_at=deleted_at,
        )
    patients_evaluate(
        patient_ids=[str(p.pk) for p in patients], now=dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    )
    return patients


def share(k, n):
    low, high = wilson(k, n)
    return {
        "k": k,
        "n": n,
        "share": pytest.approx(k / n),
        "ci95": pytest.approx([low, high], abs=1e-4),
    }


def empty():
    return {"k": 0, "n": 0, "share": None, "ci95": None}


def test_outcomes_by_approach(cohort, cast, api):
    response = api(cast.clinician_on).get("/api/v1/outcomes/", {**MARCH, "group_by": "approach"})

    assert response.status_code == 200
    body = response.json()
    assert (body["from"], body["to"], body["group_by"]) == ("2026-03-01", "2026-03-31", "approach")
    blind, targeted = body["groups"]
    assert (blind["group"], targeted["group"]) == ("blind", "targeted")
    assert blind == {
        "group": "blind",
        "label": "Blind",
        "treatments": 2,
        "evaluable": share(1, 2),
        "improved_72h": share(0, 1),
        "improved_7d": share(0, 1),
        "relapsed": empty(),
        "pgic_responders": share(0, 1),  # answered 4 at 7 days
        "median_days_to_relapse": None,
        "relapse_free": [],
        "small_numbers": True,
    }
    assert targeted["treatments"] == 2
    assert targeted["evaluable"] == share(2, 2)
    assert targeted["improved_72h"] == share(2, 2)
    assert targeted["relapsed"] == share(1, 2)
    # Answered 2 and 1 at 7 days: both respond.
    assert targeted["pgic_responders"] == {"k": 2, "n": 2, "share": 1.0, "ci95": [0.3424, 1.0]}
    assert targeted["median_days_to_relapse"] == pytest.approx(56 / 24, abs=1e-4)
    # Relapse at 2.33 days among 2; the other censored at 4.33 days.
    assert targeted["relapse_free"] == [
        {"day": 0, "at_risk": 2, "survival": 1.0},
        {"day": 1, "at_risk": 2, "survival": 1.0},
        {"day": 2, "at_risk": 2, "survival": 1.0},
        {"day": 3, "at_risk": 1, "survival": 0.5},
        {"day": 4, "at_risk": 1, "survival": 0.5},
        {"day": 5, "at_risk": 0, "survival": 0.5},
    ]
    overall = body["overall"]
    assert overall["treatments"] == 4
    assert (overall["evaluable"], overall["improved_7d"]) == (share(3, 4), share(2, 3))
    # 2 of 3: p = 0.6667, z^2/n = 1.2805; centre 1.3069 / 2.2805 = 0.5731,
    # half-width 1.96 * sqrt(0.0741 + 0.1067) / 2.2805 = 0.3654.
    assert overall["pgic_responders"] == {
        "k": 2,
        "n": 3,
        "share": pytest.approx(2 / 3),
        "ci95": [0.2077, 0.9385],
    }


@pytest.mark.parametrize(
    ("group_by", "expected"),
    [
        pytest.param("volume", {"10_to_20": 2, "20_to_30": 2}, id="by volume band"),
        pytest.param("condition", {"pdph": 3, "spontaneous": 1}, id="by condition"),
        pytest.param("kind", {"epidural_blood_patch": 4}, id="by kind"),
    ],
)
def test_other_groupings_add_up_to_the_whole(cohort, cast, api, group_by, expected):
    body = api(cast.coordinator).get("/api/v1/outcomes/", {**MARCH, "group_by": group_by}).json()
    assert {g["group"]: g["treatments"] for g in body["groups"]} == expected
    for measure in ("evaluable", "improved_72h", "improved_7d", "relapsed", "pgic_responders"):
        for part in ("k", "n"):
            total = sum(g[measure][part] for g in body["groups"])
            assert total == body["overall"][measure][part]


def test_no_patient_is_named_or_identified(cohort, cast, api):
    text = api(cast.coordinator).get("/api/v1/outcomes/", MARCH).content.decode()
    for patient in cohort:
        assert str(patient.pk) not in text
        assert patient.display_name not in text


def test_the_default_period_is_the_year_up_to_today(cast, api):
    TreatmentFactory(patient=cast.patient_a)  # yesterday
    TreatmentFactory(patient=cast.patient_a, performed_at=PATCH_AT.replace(year=2020))
    body = api(cast.coordinator).get("/api/v1/outcomes/").json()
    assert body["overall"]["treatments"] == 1
    start, end = dt.date.fromisoformat(body["from"]), dt.date.fromisoformat(body["to"])
    assert (end - start).days == 364


def test_a_deleted_treatment_does_not_count(cohort, cast, api):
    from diary.models import Treatment

    Treatment.objects.filter(patient=cohort[0]).update(deleted_at=PATCH_AT)
    body = api(cast.coordinator).get("/api/v1/outcomes/", MARCH).json()
    assert body["overall"]["treatments"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        pytest.param({"group_by": "colour"}, "group_by", id="an unknown grouping"),
        pytest.param({"from": "2026-13-01"}, "from", id="a date that does not exist"),
        pytest.param({"from": "2026-04-01", "to": "2026-03-01"}, "from", id="from after to"),
    ],
)
def test_bad_queries_are_a_400_naming_the_field(cast, api, params, field):
    response = api(cast.coordinator).get("/api/v1/outcomes/", params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert list(error["fields"]) == [field]


def test_one_query_however_many_patients(cohort, cast, django_assert_num_queries):
    with django_assert_num_queries(1):
        few = clinic_outcomes(
            clinic_id=cast.clinic.pk, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)
        )
    for _ in range(3):
        treated(cast.clinic, [2, 2, 8, 8], approach="targeted", volume_ml=15)
    with django_assert_num_queries(1):
        more = clinic_outcomes(
            clinic_id=cast.clinic.pk, start=dt.date(2026, 3, 1), end=dt.date(2026, 3, 31)
        )
    # Not evaluated yet: counted as treatments, not as evaluable.
    assert (few.overall.treatments, more.overall.treatments) == (4, 7)
    assert more.overall.evaluable.k == few.overall.evaluable.k


def test_the_schema_types_the_answer(api, cast):
    schema = api(cast.coordinator).get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/outcomes/"]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert set(component["properties"]) == {"from", "to", "group_by", "overall", "groups"}
    assert {p["name"] for p in operation["parameters"]} >= {"from", "to", "group_by"}


def test_volume_bands_include_their_upper_bound(cast):
    for volume in (10, 10.5, 20, 30, 30.5, None):
        TreatmentFactory(patient=cast.patient_a, performed_at=PATCH_AT, volume_ml=volume)
    outcomes = clinic_outcomes(
        clinic_id=cast.clinic.pk, start=PATCH_AT.date(), end=PATCH_AT.date(), group_by="volume"
    )
    assert [(g.key, g.outcome.treatments) for g in outcomes.groups] == [
        ("up_to_10", 1),
        ("10_to_20", 2),
        ("20_to_30", 1),
        ("over_30", 1),
        ("not_recorded", 1),
    ]
