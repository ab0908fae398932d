"""A year of patient A's diary (six entries a day, four treatments, most days
logged, PGIC answers) and its flags."""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from diary.models import DayLog, Flag, Impression
from diary.services.evaluation import patient_evaluate
from exports.data import ExportData
from exports.models import ExportJob
from exports.sample import sample_year_create
from exports.services import export_data_load

YEAR_START = dt.date(2025, 3, 1)  # spans both DST changes of Europe/Zurich
YEAR_END = YEAR_START + dt.timedelta(days=364)


@dataclass
class Year:
    patient: object
    entries: int
    treatments: int
    flags: int
    day_logs: int = 0
    impressions: int = 0

    def data(self, **range_) -> ExportData:
        job = ExportJob(patient=self.patient, format="pdf", **range_)
        return export_data_load(job=job, now=timezone.now())


@pytest.fixture
def year(cast) -> Year:
    patient = cast.patient_a
    entries, treatments = sample_year_create(patient, start=YEAR_START)
    # The real judgement raises the flags, as the nightly sweep would have.
    end = dt.datetime.combine(YEAR_END, dt.time(23, 0), tzinfo=dt.UTC)
    patient_evaluate(patient_id=patient.pk, now=end)
    return Year(
        patient,
        entries,
        treatments,
        Flag.objects.filter(patient=patient).count(),
        day_logs=DayLog.objects.filter(patient=patient).count(),
        impressions=Impression.objects.filter(patient=patient).count(),
    )
