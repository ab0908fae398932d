"""Export benchmark: time and peak memory of exporting a year of diary in each format.

    .venv/bin/python bench/export.py [--rounds 3] [--sample-pdf docs/export-sample.pdf] [--keep]

One patient, a year of six entries a day (2,190 entries), four treatments and
the flags the real judgement raises on them, in a PostgreSQL database of its
own. Each round of each format runs in a fresh Python process (DEBUG off),
so its peak RSS belongs to that export alone: the time is `export_build`
(load the diary, build the file, store it), the memory is the process's
peak resident set (`ru_maxrss`) and how much the build added to it.

Goal (from the issue): PDF <= 5 s and <= 500 MB peak.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from bench.harness import REPO_ROOT, app_env, drop_database, recreate_database, setup_django

GOAL_PDF_SECONDS = 5.0
GOAL_PDF_MB = 500.0
FORMATS = ("pdf", "csv", "fhir")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def seed(db: str, export_root: str) -> str:
    """The patient and their year; returns the patient id."""
    import datetime as dt

    setup_django(app_env(db, EXPORT_ROOT=export_root))
    from accounts.models import Clinic
    from diary.models import Patient
    from diary.services.evaluation import patient_evaluate
    from exports.sample import sample_year_create

    clinic = Clinic.objects.create(name="Bench clinic")
    patient = Patient.objects.create(
        clinic=clinic,
        display_name="Maria Keller",
        timezone="Europe/Zurich",
        condition="spontaneous",
    )
    start = dt.date(2025, 3, 1)
    entries, treatments = sample_year_create(patient, start=start)
    patient_evaluate(patient_id=patient.pk, now=dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.UTC))
    flags = patient.flags.count()
    print(f"seeded: {entries} entries, {treatments} treatments, {flags} flags")
    return str(patient.pk)


def one(args: argparse.Namespace) -> None:
    """Child process: one export, measured; prints a JSON line."""
    setup_django(app_env(args.db, EXPORT_ROOT=args.export_root), migrate=False)
    from accounts.models import User
    from diary.models import Patient
    from exports.builders import pdf as _pdf  # noqa: F401 - import cost is not the export's
    from exports.models import ExportJob
    from exports.services import export_build, export_storage

    patient = Patient.objects.get(pk=args.patient)
    user = User.objects.get_or_create(
        username="bench", defaults={"role": "coordinator", "clinic": patient.clinic}
    )[0]
    # The row only: export_request would queue (here: run in-process) the build itself.
    job = ExportJob.objects.create(patient=patient, requested_by=user, format=args.one)
    # Warm what every worker has warm after its first job: fonts, matplotlib's caches.
    if args.one == "pdf":
        from exports.builders.pdf import _fonts

        _fonts()
    before = rss_mb()
    start = time.perf_counter()
    done = export_build(job_id=job.pk)
    seconds = time.perf_counter() - start
    assert done is not None and done.status == "done", done and done.error
    result = {
        "format": args.one,
        "seconds": seconds,
        "peak_mb": rss_mb(),
        "added_mb": rss_mb() - before,
        "size_kb": done.file_size / 1024,
        "path": export_storage().path(done.file_name),
    }
    print(json.dumps(result))


def run_child(args: argparse.Namespace, fmt: str, patient: str) -> dict:
    argv = [sys.executable, str(Path(__file__).resolve()), "--db", args.db, "--one", fmt,
            "--patient", patient, "--export-root", args.export_root]  # fmt: skip
    out = subprocess.run(  # noqa: S603 (our own script, fixed argv)
        argv, cwd=REPO_ROOT, capture_output=True, text=True, check=False
    )
    if out.returncode:
        raise SystemExit(f"{fmt} export failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--db", default="bench_export")
    parser.add_argument("--sample-pdf", type=Path, help="copy one PDF here (for the docs)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--one", choices=FORMATS, help=argparse.SUPPRESS)
    parser.add_argument("--patient", help=argparse.SUPPRESS)
    parser.add_argument("--export-root", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    if args.one:
        one(args)
        return
    recreate_database(args.db)
    args.export_root = tempfile.mkdtemp(prefix="bench-export-")
    try:
        patient = seed(args.db, args.export_root)
        print(f"{'format':<6} {'median s':>9} {'min s':>7} {'peak MB':>8} {'added MB':>9} "
              f"{'file KB':>8}")  # fmt: skip
        results = {}
        for fmt in FORMATS:
            rounds = [run_child(args, fmt, patient) for _ in range(args.rounds)]
            results[fmt] = rounds
            seconds = [r["seconds"] for r in rounds]
            print(
                f"{fmt:<6} {statistics.median(seconds):>9.2f} {min(seconds):>7.2f} "
                f"{max(r['peak_mb'] for r in rounds):>8.0f} "
                f"{max(r['added_mb'] for r in rounds):>9.0f} {rounds[0]['size_kb']:>8.0f}"
            )
        pdf = results["pdf"]
        pdf_s = statistics.median(r["seconds"] for r in pdf)
        pdf_mb = max(r["peak_mb"] for r in pdf)
        ok = pdf_s <= GOAL_PDF_SECONDS and pdf_mb <= GOAL_PDF_MB
        print(
            f"goal PDF <= {GOAL_PDF_SECONDS:.0f} s and <= {GOAL_PDF_MB:.0f} MB: "
            f"{pdf_s:.2f} s, {pdf_mb:.0f} MB -> {'met' if ok else 'NOT met'}"
        )
        if args.sample_pdf:
            args.sample_pdf.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(pdf[0]["path"], args.sample_pdf)
            print(f"sample PDF: {args.sample_pdf}")
    finally:
        shutil.rmtree(args.export_root, ignore_errors=True)
        if not args.keep:
            drop_database(args.db)


if __name__ == "__main__":
    main()
