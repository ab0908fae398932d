"""The evaluation service: load, judge, store flags; and when it is asked to run."""

import datetime as dt
import io
import uuid

import pytest
import time_machine
from django.core.management import call_command
from django.db import OperationalError

from diary import tasks
from diary.models import ClinicThresholds, Flag, FlagStatus, Patient, TreatmentFollowUp
from diary.services import evaluation
from diary.services.evaluation import patient_evaluate, patients_due_for_sweep
from tests.factories import EntryFactory, PatientFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 20, 12, 0, tzinfo=dt.UTC)
PATCH_AT = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def write_story(patient, upright_scores, start=PATCH_AT - dt.timedelta(days=7)):
    """Two standing entries a day (08:00 and 20:00 UTC), one score per day."""
    entries = []
    for day, score in enumerate(upright_scores):
        for hour in (8, 20):
            at = start.replace(hour=hour) + dt.timedelta(days=day)
            entries.append(EntryFactory(patient=patient, recorded_at=at, headache=score))
    return entries


RELAPSE = [8, 8, 8, 8, 8, 8, 8, 2, 2, 8, 8, 8]  # 7 baseline days, patch, relief, back


@pytest.fixture
def patched(cast):
    treatment = TreatmentFactory(patient=cast.patient_a, performed_at=PATCH_AT)
    return cast.patient_a, treatment


def test_a_relapse_raises_one_flag_with_its_evidence(patched):
    patient, treatment = patched
    write_story(patient, RELAPSE)

    result = patient_evaluate(patient_id=patient.pk, now=NOW)

    [flag] = result.raised
    assert (flag.kind, flag.treatment, flag.status) == ("relapse", treatment, FlagStatus.OPEN)
    assert flag.detected_at == NOW
    assert flag.evidence["summary"]
    assert flag.proven_at <= NOW


def test_running_twice_raises_nothing_new(patched):
    patient, _ = patched
    write_story(patient, RELAPSE)
    patient_evaluate(patient_id=patient.pk, now=NOW)

    again = patient_evaluate(patient_id=patient.pk, now=NOW + dt.timedelta(hours=1))

    assert again.raised == []
    assert Flag.objects.count() == 1


def test_a_flag_survives_an_edit_that_removes_its_proof_and_is_marked(patched):
    patient, _ = patched
    entries = write_story(patient, RELAPSE)
    [flag] = patient_evaluate(patient_id=patient.pk, now=NOW).raised
    evidence = flag.evidence

    for entry in entries[-6:]:  # the patient corrects the bad days
        entry.headache = 2
        entry.save()
    patient_evaluate(patient_id=patient.pk, now=NOW)
    flag.refresh_from_db()

    assert (flag.still_supported, flag.evidence) == (False, evidence)
    assert flag.rechecked_at == NOW

    for entry in entries[-6:]:
        entry.headache = 8
        entry.save()
    patient_evaluate(patient_id=patient.pk, now=NOW)
    flag.refresh_from_db()
    assert flag.still_supported is True


def test_deleted_entries_do_not_count(patched):
    patient, _ = patched
    for entry in write_story(patient, RELAPSE)[-6:]:
        entry.deleted_at = NOW
        entry.save()
    assert patient_evaluate(patient_id=patient.pk, now=NOW).raised == []


def test_a_clinic_can_raise_the_relapse_threshold(patched):
    patient, _ = patched
    write_story(patient, RELAPSE)
    ClinicThresholds.objects.create(clinic=patient.clinic, overrides={"relapse_min_score": 9})

    assert patient_evaluate(patient_id=patient.pk, now=NOW).raised == []


def test_a_patient_without_treatment_has_nothing_judged(cast):
    write_story(cast.patient_a, RELAPSE)
    assert patient_evaluate(patient_id=cast.patient_a.pk, now=NOW).raised == []


def test_a_patient_deleted_before_the_job_ran_is_skipped():
    assert patient_evaluate(patient_id=uuid.uuid4(), now=NOW).raised == []


def test_evaluation_clears_the_pending_request(patched):
    patient, _ = patched
    Patient.objects.filter(pk=patient.pk).update(evaluation_requested_at=NOW)
    patient_evaluate(patient_id=patient.pk, now=NOW)
    patient.refresh_from_db()
    assert patient.evaluation_requested_at is None


def test_sweep_takes_patients_with_a_treatment_in_the_last_90_days(cast):
    recent = TreatmentFactory(patient=cast.patient_a, performed_at=NOW - dt.timedelta(days=89))
    TreatmentFactory(patient=cast.patient_b, performed_at=NOW - dt.timedelta(days=91))
    others = [
        TreatmentFactory(patient=PatientFactory(), performed_at=NOW - dt.timedelta(days=1))
        for _ in range(4)
    ]
    deleted = TreatmentFactory(performed_at=NOW, deleted_at=NOW)

    chunks = list(patients_due_for_sweep(now=NOW, chunk_size=2))

    ids = [pid for chunk in chunks for pid in chunk]
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert sorted(ids) == sorted(str(t.patient_id) for t in [recent, *others])
    assert str(deleted.patient_id) not in ids


@time_machine.travel(NOW, tick=False)
def test_detect_relapses_judges_everyone_due_and_waits(patched, cast):
    write_story(cast.patient_a, RELAPSE)
    out = io.StringIO()

    call_command("detect_relapses", stdout=out)

    assert Flag.objects.filter(patient=cast.patient_a, kind="relapse").count() == 1
    assert "raised 1 new flags" in out.getvalue()


@time_machine.travel(NOW, tick=False)
def test_the_periodic_sweep_runs_in_process_on_the_embedded_default(patched, cast):
    write_story(cast.patient_a, RELAPSE)
    assert tasks.sweep_relapses.delay().get() == 1
    assert Flag.objects.filter(patient=cast.patient_a).count() == 1


# --- When an evaluation is asked for ------------------------------------------


@pytest.fixture
def enqueued(monkeypatch):
    """The patient ids handed to the queue (the task itself is tested above)."""
    calls = []
    monkeypatch.setattr(tasks.evaluate_pending, "delay", calls.append)
    return calls


def sync_body(n):
    return {
        "entries": [
            {
                "id": str(uuid.uuid4()),
                "recorded_at": (NOW - dt.timedelta(minutes=i)).isoformat(),
                "posture": "lying",
                "headache": 3,
            }
            for i in range(n)
        ]
    }


@time_machine.travel(NOW, tick=False)
def test_a_500_entry_sync_asks_for_one_evaluation_after_commit(
    cast, api, enqueued, django_capture_on_commit_callbacks
):
    client = api(cast.patient_a.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post("/api/v1/sync/", sync_body(500), format="json")
        assert enqueued == []  # nothing is queued before the commit
    for callback in callbacks:
        callback()
    assert enqueued == [str(cast.patient_a.pk)]


@time_machine.travel(NOW, tick=False)
def test_a_burst_of_writes_asks_once_until_the_evaluation_starts(
    patched, cast, api, enqueued, django_capture_on_commit_callbacks
):
    client = api(cast.patient_a.user)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            client.post("/api/v1/sync/", sync_body(1), format="json")
    assert len(enqueued) == 1

    patient_evaluate(patient_id=cast.patient_a.pk, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/sync/", sync_body(1), format="json")
    assert len(enqueued) == 2


def test_a_request_older_than_ten_minutes_is_asked_again(
    cast, api, enqueued, django_capture_on_commit_callbacks
):
    client = api(cast.patient_a.user)
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/sync/", sync_body(1), format="json")
    with (
        time_machine.travel(NOW + dt.timedelta(minutes=11), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post("/api/v1/sync/", sync_body(1), format="json")
    assert len(enqueued) == 2


def test_a_replayed_sync_asks_for_nothing(cast, api, enqueued, django_capture_on_commit_callbacks):
    body = sync_body(3)
    client = api(cast.patient_a.user)
    with time_machine.travel(NOW, tick=False):
        client.post("/api/v1/sync/", body, format="json")
        patient_evaluate(patient_id=cast.patient_a.pk, now=NOW)
        with django_capture_on_commit_callbacks(execute=True):
            client.post("/api/v1/sync/", body, format="json")
    assert enqueued == []


@time_machine.travel(NOW, tick=False)
def test_on_the_embedded_default_a_flag_appears_right_after_the_write(
    cast, api, django_capture_on_commit_callbacks
):
    """No broker: the same task runs in-process once the write commits."""
    TreatmentFactory(patient=cast.patient_a, performed_at=PATCH_AT)
    write_story(cast.patient_a, RELAPSE[:-1])
    last_day = PATCH_AT + dt.timedelta(days=4)
    body = {
        "entries": [
            {
                "recorded_at": last_day.replace(hour=h).isoformat(),
                "posture": "sitting",
                "headache": 8,
            }
            for h in (8, 21)
        ]
    }
    with django_capture_on_commit_callbacks(execute=True):
        api(cast.patient_a.user).post("/api/v1/sync/", body, format="json")
    assert Flag.objects.filter(patient=cast.patient_a, kind="relapse").exists()


# --- The task's contract ---------------------------------------------------------


def test_evaluation_task_is_late_acked_and_requeued_if_the_worker_dies():
    for task in (
        tasks.evaluate_patient,
        tasks.evaluate_patients,
        tasks.evaluate_pending,
        tasks.evaluate_pending_patients,
    ):
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
        assert OperationalError in task.autoretry_for


def test_evaluation_task_retries_a_database_error(patched, monkeypatch):
    patient, _ = patched
    write_story(patient, RELAPSE)
    real, calls = evaluation.patient_evaluate, []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise OperationalError("connection lost")
        return real(now=NOW, **kwargs)

    monkeypatch.setattr(tasks, "patient_evaluate", flaky)
    result = tasks.evaluate_patient.apply(args=[str(patient.pk)], throw=False)

    assert result.successful() and result.get() == 1
    assert len(calls) == 2


@time_machine.travel(NOW, tick=False)
def test_a_broker_outage_does_not_fail_the_write_and_the_request_stays_in_the_outbox(
    cast, api, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(patient_id):
        raise ConnectionError("broker unreachable")

    monkeypatch.setattr(tasks.evaluate_pending, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = api(cast.patient_a.user).post("/api/v1/sync/", sync_body(2), format="json")

    assert response.status_code == 200
    assert cast.patient_a.symptomentry_set.count() == 2
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.evaluation_requested_at == NOW  # the re-dispatch hands it out


# --- The outbox (issue 15) -------------------------------------------------------------


def test_a_lost_request_is_handed_out_again_after_a_minute_and_judged_once(
    patched, cast, monkeypatch, django_capture_on_commit_callbacks
):
    """The message of a write vanished (a worker killed, Redis restarted): the
    mark in the database is enough for the flag to come."""
    from django.db import transaction

    from diary.services.changes import diary_change_begin

    monkeypatch.setattr(tasks.evaluate_pending, "delay", lambda patient_id: None)  # lost
    write_story(cast.patient_a, RELAPSE)
    with time_machine.travel(NOW, tick=False):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            diary_change_begin(patient_id=cast.patient_a.pk, moments=[NOW])  # the write's
        assert tasks.redispatch_evaluations.delay().get() == 0  # not waited long enough
    assert not Flag.objects.exists()

    with time_machine.travel(NOW + dt.timedelta(seconds=61), tick=False):
        assert tasks.redispatch_evaluations.delay().get() == 1
        assert tasks.redispatch_evaluations.delay().get() == 0  # handed out once

    assert Flag.objects.filter(patient=cast.patient_a, kind="relapse").count() == 1
    cast.patient_a.refresh_from_db()
    assert cast.patient_a.evaluation_requested_at is None


def test_a_pending_job_handed_out_twice_judges_once(patched, cast):
    write_story(cast.patient_a, RELAPSE)
    Patient.objects.filter(pk=cast.patient_a.pk).update(evaluation_requested_at=NOW)

    with time_machine.travel(NOW, tick=False):
        assert tasks.evaluate_pending.delay(str(cast.patient_a.pk)).get() == 1
        # The second copy finds nothing asked for: no judgement at all.
        assert tasks.evaluate_pending.delay(str(cast.patient_a.pk)).get() == 0

    assert Flag.objects.count() == 1


def test_the_diary_app_does_not_import_notifications():
    import ast
    from pathlib import Path

    import diary

    offenders = []
    for path in Path(diary.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] == "notifications"]
    assert offenders == []


@time_machine.travel(NOW, tick=False)
def test_detect_relapses_all_judges_old_treatments_too(cast):
    old = TreatmentFactory(patient=cast.patient_b, performed_at=NOW - dt.timedelta(days=200))
    out = io.StringIO()

    call_command("detect_relapses", stdout=out)
    assert not TreatmentFollowUp.objects.filter(treatment=old).exists()

    call_command("detect_relapses", "--all", stdout=out)
    assert TreatmentFollowUp.objects.filter(treatment=old).exists()


@time_machine.travel(NOW, tick=False)
def test_detect_relapses_marks_flags_the_rules_no_longer_support(patched, cast):
    # A no_response flag raised under the first edition for a second patch given two
    # days into a relapse; the second edition calls that patch a success.
    patient, first = patched
    write_story(patient, [8] * 7 + [2, 2, 2, 2, 2, 8, 8] + [2] * 6)
    second = TreatmentFactory(patient=patient, performed_at=PATCH_AT + dt.timedelta(days=7))
    old_flag = Flag.objects.create(
        patient=patient,
        treatment=second,
        kind="no_response",
        detected_at=NOW - dt.timedelta(days=1),
        proven_at=NOW - dt.timedelta(days=1),
        evidence={"summary": "No improvement 72 h after ..."},
    )
    out = io.StringIO()

    call_command("detect_relapses", stdout=out)

    old_flag.refresh_from_db()
    assert (old_flag.still_supported, old_flag.rechecked_at) == (False, NOW)
    assert Flag.objects.filter(treatment=first, kind="relapse").exists()
    assert "1 flags no longer supported" in out.getvalue()
