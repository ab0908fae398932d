"""Outcomes benchmark: GET /api/v1/outcomes/ for a clinic's year.

    .venv/bin/python bench/outcomes.py [--patients 10000] [--treatments 30000] [--rounds 5]

On PostgreSQL, in a database of its own (`csf_bench_outcomes`, dropped at the
end unless --keep), built with COPY: one clinic of N patients (five
conditions) with T treatments spread over the last year (kinds, approaches,
volumes varied) and each treatment's stored follow-up, as evaluations leave
them (~85 % evaluable, ~70 % improved by 72 h, ~80 % within 7 days, ~20 % of
the improved relapsing after 1-60 days, the rest censored within 90 days).
PGIC answers as the app collects them: ~60 % of treatments answered at 7
days (scores 1-7, ~half 1 or 2), ~5 % of those with an earlier, deleted 7-day
answer beside it, ~50 % answered at 72 h.
Diary entries are not needed: the outcomes read the stored follow-ups only.

Then, for each grouping, the outcomes of the last 365 days are asked for
through the API view (a coordinator of the clinic; the view, the serializers,
the one query, the statistics), `--rounds` times: the median and the slowest
time, the SQL statement count, and the figures' sanity (groups add up).

Goal (issue 16): <= 2 s for 10,000 patients with 30,000 treatments.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

import psycopg

from bench.harness import app_env, drop_database, pg_url, recreate_database, setup_django
from bench.sweep import _copy

GOAL_SECONDS = 2.0
CONDITIONS = ("pdph", "spontaneous", "post_surgical", "traumatic", "unknown")
KINDS = ("epidural_blood_patch",) * 8 + ("fibrin_glue", "platelet_lysate", "surgical_repair")
PATIENT_COLUMNS = ("id", "clinic_id", "display_name", "timezone", "condition", "created_at")
TREATMENT_COLUMNS = (
    "id",
    "uuid",
    "patient_id",
    "note",
    "created_at",
    "updated_at",
    "version",
    "performed_at",
    "kind",
    "approach",
    "levels",
    "volume_ml",
)
FOLLOW_UP_COLUMNS = (
    "treatment_id",
    "patient_id",
    "updated_at",
    "baseline",
    "baseline_method",
    "upright_entries_7d",
    "evaluable",
    "improved_on",
    "improved_at",
    "improved_by_72h",
    "improved_within_7d",
    "relapse_proven_at",
    "followed_until",
    "improvement_window_end",
)

IMPRESSION_COLUMNS = (
    "id",
    "uuid",
    "patient_id",
    "note",
    "created_at",
    "updated_at",
    "deleted_at",
    "version",
    "sync_digest",
    "treatment_id",
    "answered_at",
    "answered_offset_minutes",
    "checkpoint",
    "score",
    "recorded_by_id",
)
PGIC_SCORES = (1, 2, 3, 4, 5, 6, 7)
PGIC_WEIGHTS = (20, 30, 20, 15, 8, 5, 2)


def _t(at: datetime | None) -> str:
    return r"\N" if at is None else f"{at.replace(tzinfo=None)}+00"


def build(dbname: str, n_patients: int, n_treatments: int, seed: int) -> tuple[int, float]:
    """One clinic, its patients, treatments and follow-ups. Returns (clinic id, seconds)."""
    from accounts.models import Clinic
    from diary.models import Impression, Patient, Treatment, TreatmentFollowUp

    rng = random.Random(seed)
    t0 = time.perf_counter()
    clinic = Clinic.objects.create(name="Bench outcomes clinic")
    now = datetime.now(UTC)
    created = _t(now)
    patients = [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(n_patients)]
    patient_rows = "".join(
        f"{pid}\t{clinic.pk}\tBench patient {i:06d}\tEurope/Zurich\t"
        f"{CONDITIONS[i % len(CONDITIONS)]}\t{created}\n"
        for i, pid in enumerate(patients)
    )
    treatment_rows, follow_up_rows, impression_rows = [], [], []
    pgic = random.Random(seed + 1)  # its own draws: the treatments stay those of before
    for pk in range(1, n_treatments + 1):
        patient = patients[(pk - 1) % n_patients]
        performed = now - timedelta(minutes=rng.randrange(1, 365 * 24 * 60))
        kind = rng.choice(KINDS)
        patch = kind != "surgical_repair"
        approach = rng.choice(("blind", "targeted")) if patch else r"\N"
        volume = f"{rng.choice((8, 12, 15, 20, 25, 30, 40))}.0" if patch else r"\N"
        treatment_rows.append(
            f"{pk}\t{uuid.UUID(int=rng.getrandbits(128), version=4)}\t{patient}\t\t{created}\t"
            f"{created}\t1\t{_t(performed)}\t{kind}\t{approach}\t[]\t{volume}\n"
        )
        evaluable = rng.random() < 0.85
        by_72h = rng.random() < 0.7
        within_7d = by_72h or rng.random() < 0.35
        improved_at = performed + timedelta(hours=rng.uniform(6, 70 if by_72h else 160))
        relapse = within_7d and rng.random() < 0.2
        relapse_at = performed + timedelta(days=rng.uniform(1, 60)) if relapse else None
        followed = min(now, performed + timedelta(days=rng.uniform(3, 90)))
        window_end = performed + timedelta(days=8)
        follow_up_rows.append(
            "\t".join(
                (
                    str(pk),
                    str(patient),
                    created,
                    "8",
                    "7_days",
                    str(rng.randrange(3, 15) if evaluable else rng.randrange(0, 3)),
                    "t" if evaluable else "f",
                    improved_at.date().isoformat() if within_7d else r"\N",
                    _t(improved_at if within_7d else None),
                    "t" if by_72h else "f",
                    "t" if within_7d else "f",
                    _t(relapse_at),
                    _t(relapse_at or followed),
                    _t(window_end),
                )
            )
            + "\n"
        )
        answers = []
        if pgic.random() < 0.5:
            answers.append(("72h", 3, None))
        if pgic.random() < 0.6:
            if pgic.random() < 0.05:
                answers.append(("7d", 7, now))  # corrected: tombstoned
            answers.append(("7d", 7, None))
        for checkpoint, days, deleted in answers:
            score = pgic.choices(PGIC_SCORES, PGIC_WEIGHTS)[0]
            impression_rows.append(
                f"{len(impression_rows) + 1}\t{uuid.UUID(int=pgic.getrandbits(128), version=4)}\t"
                f"{patient}\t\t{created}\t{created}\t{_t(deleted)}\t1\t\t{pk}\t"
                f"{_t(performed + timedelta(days=days))}\t60\t{checkpoint}\t{score}\t\\N\n"
            )
    with psycopg.connect(pg_url(dbname)) as conn, conn.cursor() as cur:
        _copy(cur, Patient, PATIENT_COLUMNS, [patient_rows])
        _copy(cur, Treatment, TREATMENT_COLUMNS, ["".join(treatment_rows)])
        _copy(cur, TreatmentFollowUp, FOLLOW_UP_COLUMNS, ["".join(follow_up_rows)])
        _copy(cur, Impression, IMPRESSION_COLUMNS, ["".join(impression_rows)])
        cur.execute("SELECT setval(pg_get_serial_sequence('diary_treatment', 'id'), %s)", [pk])
        conn.commit()
    with psycopg.connect(pg_url(dbname), autocommit=True) as conn:
        tables = ("diary_patient", "diary_treatment", "diary_treatmentfollowup", "diary_impression")
        for table in tables:
            conn.execute(f"VACUUM (ANALYZE) {table}")
    return clinic.pk, time.perf_counter() - t0


def measure(clinic_id: int, rounds: int) -> list[tuple[str, float, float, int, str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIRequestFactory, force_authenticate

    from accounts.models import User
    from api.views.outcomes import OutcomesView

    user = User.objects.create_user(
        "bench_coordinator", password=None, role="coordinator", clinic_id=clinic_id
    )
    view = OutcomesView.as_view()
    factory = APIRequestFactory()
    results = []
    for group_by in ("approach", "kind", "volume", "condition"):
        times, queries = [], 0
        for _ in range(rounds):
            request = factory.get("/api/v1/outcomes/", {"group_by": group_by})
            force_authenticate(request, user=user)
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = view(request)
                response.render()
                times.append(time.perf_counter() - start)
            queries = len(captured)
        body = response.data
        if response.status_code != 200:
            raise SystemExit(f"GET outcomes answered {response.status_code}: {body}")
        treatments = body["overall"]["treatments"]
        if sum(g["treatments"] for g in body["groups"]) != treatments:
            raise SystemExit(f"groups of {group_by} do not add up to {treatments}")
        pgic = body["overall"]["pgic_responders"]
        if sum(g["pgic_responders"]["n"] for g in body["groups"]) != pgic["n"]:
            raise SystemExit(f"PGIC answers of {group_by} do not add up to {pgic['n']}")
        answered = f"{treatments:,} ({pgic['k']:,} of {pgic['n']:,} PGIC responders)"
        results.append((group_by, statistics.median(times), max(times), queries, answered))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--treatments", type=int, default=30_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", default="csf_bench_outcomes", help="database to (re)create")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--seed", type=int, default=20261130)
    args = parser.parse_args()

    recreate_database(args.db)
    try:
        setup_django(app_env(args.db))
        clinic_id, seconds = build(args.db, args.patients, args.treatments, args.seed)
        print(
            f"built 1 clinic, {args.patients:,} patients, {args.treatments:,} treatments "
            f"with their follow-ups and PGIC answers in {seconds:.1f} s"
        )
        print(f"\nGET /api/v1/outcomes/ (last 365 days), {args.rounds} rounds each:")
        print(f"  {'group_by':<10} {'median':>8} {'slowest':>8} {'SQL':>4}  treatments")
        worst = 0.0
        for group_by, median, slowest, queries, treatments in measure(clinic_id, args.rounds):
            worst = max(worst, median)
            print(f"  {group_by:<10} {median:>7.3f}s {slowest:>7.3f}s {queries:>4}  {treatments}")
        verdict = "met" if worst <= GOAL_SECONDS else "NOT met"
        print(f"\ngoal <= {GOAL_SECONDS:.0f} s: {verdict} (slowest median {worst:.3f} s)")
    finally:
        from django.db import connections

        connections.close_all()
        if args.keep:
            print(f"\nkept database {args.db!r} ({pg_url(args.db)})")
        else:
            drop_database(args.db)


if __name__ == "__main__":
    main()
