"""Who may open which clinic page: the API's scoping, with a browser's answers.

Anonymous: sent to the login page. A patient login: 403 (the phone app is
theirs). Staff: the patients `Patient.objects.visible_to` gives them, anything
else 404. The table is checked against clinic/urls.py, so a new page fails
`test_every_clinic_page_is_in_the_matrix` until it has a row here.
"""

import pytest
from django.test import Client
from django.urls import reverse

from clinic import urls as clinic_urls
from diary.models import FlagStatus, Patient
from exports.models import ExportJob
from exports.services import export_build
from tests.factories import FlagFactory, TreatmentFactory

pytestmark = pytest.mark.django_db

ROLES = (
    "anonymous",
    "patient_a",
    "patient_b",
    "clinician_on",  # on A's care team
    "clinician_off",  # same clinic, not on the team
    "coordinator",  # A's clinic
    "coordinator_other",  # another clinic
)
PUBLIC = {"login", "logout"}
LOGIN = 302  # anonymous: to /clinic/login/?next=...

# fmt: off
MATRIX = [
    # url name              method  anon   patA patB c_on c_off coord c_oth
    ("home",                "GET",  (LOGIN, 403, 403, 302, 302, 302, 302)),
    ("inbox",               "GET",  (LOGIN, 403, 403, 200, 200, 200, 200)),
    ("flag-acknowledge",    "POST", (LOGIN, 403, 403, 200, 404, 200, 404)),
    ("flag-resolve",        "POST", (LOGIN, 403, 403, 200, 404, 200, 404)),
    ("patients",            "GET",  (LOGIN, 403, 403, 200, 200, 200, 200)),
    ("enrol",               "GET",  (LOGIN, 403, 403, 403, 403, 200, 200)),
    ("enrol",               "POST", (LOGIN, 403, 403, 403, 403, 200, 200)),
    ("patient",             "GET",  (LOGIN, 403, 403, 200, 404, 200, 404)),
    ("export-create",       "POST", (LOGIN, 403, 403, 200, 404, 200, 404)),
    ("export",              "GET",  (LOGIN, 403, 403, 200, 404, 200, 404)),
    ("export-download",     "GET",  (LOGIN, 403, 403, 200, 404, 200, 404)),
    # Clinic outcomes (issue 16): aggregates of each staff member's own clinic.
    ("outcomes",            "GET",  (LOGIN, 403, 403, 200, 200, 200, 200)),
    ("outcomes-csv",        "GET",  (LOGIN, 403, 403, 200, 200, 200, 200)),
]
# fmt: on


def client_as(cast, role) -> Client:
    client = Client(headers={"HX-Request": "true"})
    if role != "anonymous":
        client.force_login(cast.user(role))
    return client


@pytest.fixture
def flag_of_a(cast):
    return FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a))


@pytest.fixture
def built_job_of_a(cast):
    job = ExportJob.objects.create(
        patient=cast.patient_a, requested_by=cast.coordinator, format="csv"
    )
    export_build(job_id=job.pk)
    return job


def url_and_body(name, cast, flag, job):
    args = {
        "flag-acknowledge": [flag.pk],
        "flag-resolve": [flag.pk],
        "patient": [cast.patient_a.pk],
        "export-create": [cast.patient_a.pk],
        "export": [job.pk],
        "export-download": [job.pk],
    }.get(name, [])
    body = {
        "flag-resolve": {"note": "Seen in clinic."},
        "enrol": {"display_name": "New Patient", "timezone": "Europe/Zurich"},
        "export-create": {"format": "pdf"},
    }.get(name, {})
    return reverse(f"clinic:{name}", args=args), body


@pytest.mark.parametrize(
    ("name", "method", "role", "expected"),
    [
        pytest.param(name, method, role, codes[i], id=f"{method} {name} as {role}")
        for name, method, codes in MATRIX
        for i, role in enumerate(ROLES)
    ],
)
def test_clinic_page_access(cast, flag_of_a, built_job_of_a, name, method, role, expected):
    url, body = url_and_body(name, cast, flag_of_a, built_job_of_a)
    client = client_as(cast, role)

    response = client.get(url) if method == "GET" else client.post(url, body)

    assert response.status_code == expected
    if role == "anonymous":
        assert response["Location"].startswith("/clinic/login/?next=")
    if expected == 200:
        assert "no-store" in response["Cache-Control"]  # health data stays out of caches


def test_every_clinic_page_is_in_the_matrix():
    names = {pattern.name for pattern in clinic_urls.urlpatterns}
    assert names - PUBLIC == {name for name, _, _ in MATRIX}


def test_out_of_scope_flags_are_left_unchanged(cast, flag_of_a):
    client_as(cast, "clinician_off").post(reverse("clinic:flag-acknowledge", args=[flag_of_a.pk]))
    client_as(cast, "coordinator_other").post(
        reverse("clinic:flag-resolve", args=[flag_of_a.pk]), {"note": "x"}
    )
    flag_of_a.refresh_from_db()
    assert flag_of_a.status == FlagStatus.OPEN


def test_lists_show_only_what_the_api_would(cast, flag_of_a):
    FlagFactory(
        treatment=TreatmentFactory(patient=cast.patient_b),
        evidence={"summary": "Bob's evidence"},
    )

    def page(role, name):
        return client_as(cast, role).get(reverse(f"clinic:{name}")).content.decode()

    assert "Upright headache back to 8/10." in page("clinician_on", "inbox")
    assert "Bob" not in page("clinician_on", "inbox")
    assert "Alice" not in page("clinician_off", "inbox")
    assert "Alice" in page("coordinator", "inbox") and "Bob" in page("coordinator", "inbox")
    assert "Alice" not in page("coordinator_other", "inbox")
    assert "Alice" in page("clinician_on", "patients")
    assert "Alice" not in page("clinician_off", "patients")
    assert "Alice" not in page("coordinator_other", "patients")


def test_an_export_is_requested_only_for_the_patient_in_the_url(cast):
    client = client_as(cast, "coordinator_other")
    client.post(reverse("clinic:export-create", args=[cast.patient_a.pk]), {"format": "pdf"})
    assert not ExportJob.objects.exists()


def test_enrolment_lands_in_the_coordinators_own_clinic(cast):
    client = client_as(cast, "coordinator_other")
    response = client.post(
        reverse("clinic:enrol"),
        {"display_name": "Cara", "timezone": "Europe/Vienna", "condition": "pdph"},
    )
    cara = Patient.objects.get(display_name="Cara")
    assert cara.clinic == cast.other_clinic
    assert 'id="enrolment-code"' in response.content.decode()
    assert "<svg" in response.content.decode()  # the QR code, inline


def test_enrolment_refuses_a_clinician_of_another_clinic(cast):
    client = client_as(cast, "coordinator_other")
    response = client.post(
        reverse("clinic:enrol"),
        {
            "display_name": "Cara",
            "timezone": "Europe/Vienna",
            "condition": "pdph",
            "clinicians": [cast.clinician_on.pk],
        },
    )
    assert response.status_code == 200  # the form again, with the error
    assert not Patient.objects.filter(display_name="Cara").exists()
    assert "Select a valid choice" in response.content.decode()


def test_the_enrolment_qr_code_holds_the_link_to_the_patient_app(cast, settings):
    import re

    import segno

    settings.SITE_URL = "https://diary.example.org"
    client = client_as(cast, "coordinator")
    page = client.post(
        reverse("clinic:enrol"),
        {"display_name": "Cara", "timezone": "Europe/Vienna", "condition": "unknown"},
    ).content.decode()

    code = re.search(r'id="enrolment-code">([^<]+)<', page)[1]
    link = f"https://diary.example.org/app/enrol#code={code}"
    expected = segno.make(link, error="m").svg_inline(scale=6, title=f"Enrolment code {code}")
    assert expected in page
