import datetime as dt
import uuid

import factory
from django.utils import timezone

from accounts.models import Clinic, Role, User
from diary.models import DayLog, Flag, Impression, Patient, SymptomEntry, Treatment

PASSWORD = "correct horse battery staple"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Clinic {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)
    role = Role.PATIENT


class ClinicianFactory(UserFactory):
    role = Role.CLINICIAN
    clinic = factory.SubFactory(ClinicFactory)


class CoordinatorFactory(UserFactory):
    role = Role.COORDINATOR
    clinic = factory.SubFactory(ClinicFactory)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient
        skip_postgeneration_save = True

    clinic = factory.SubFactory(ClinicFactory)
    user = factory.SubFactory(UserFactory)
    display_name = factory.Faker("name")
    timezone = "Europe/Zurich"

    @factory.post_generation
    def care_team(self, create, clinicians, **kwargs):
        if create and clinicians:
            self.care_team.set(clinicians)


class EntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SymptomEntry

    uuid = factory.LazyFunction(uuid.uuid4)
    patient = factory.SubFactory(PatientFactory)
    recorded_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    posture = "standing"
    headache = 5


class TreatmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Treatment

    uuid = factory.LazyFunction(uuid.uuid4)
    patient = factory.SubFactory(PatientFactory)
    performed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1))
    kind = "epidural_blood_patch"
    approach = "blind"
    levels = factory.LazyFunction(lambda: ["L3/L4"])
    volume_ml = 20


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    treatment = factory.SubFactory(TreatmentFactory)
    patient = factory.SelfAttribute("treatment.patient")
    kind = "relapse"
    detected_at = factory.LazyFunction(timezone.now)
    proven_at = factory.LazyFunction(timezone.now)
    evidence = factory.LazyFunction(lambda: {"summary": "Upright headache back to 8/10."})


class DayLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DayLog

    uuid = factory.LazyFunction(uuid.uuid4)
    patient = factory.SubFactory(PatientFactory)
    date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1))
    upright_hours = 4
    bed_rest_hours = 12


class ImpressionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Impression

    uuid = factory.LazyFunction(uuid.uuid4)
    treatment = factory.SubFactory(TreatmentFactory)
    patient = factory.SelfAttribute("treatment.patient")
    answered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    checkpoint = "72h"
    score = 3
