"""Every message has German, French and Spanish text, and the API speaks them.

A message marked for translation in the code but missing from a catalogue, or
left untranslated or fuzzy there, fails here: so does the build.
"""

import datetime as dt
import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract, extract_from_dir
from babel.messages.pofile import read_po
from django.core import mail
from django.test import override_settings
from django.utils.translation.template import templatize
from rest_framework.test import APIClient

from notifications.models import Device, PushMessage
from notifications.services.alerts import flag_fan_out
from notifications.services.deliveries import deliveries_due, delivery_send
from notifications.services.reminders import checkins_schedule, reminder_send, reminders_due
from tests.factories import FlagFactory, TreatmentFactory

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("de", "fr", "es")
APPS = ("accounts", "api", "audit", "clinic", "config", "diary", "exports", "notifications")
KEYWORDS = {"_": None, "gettext": None, "gettext_lazy": None, "ngettext": (1, 2)}
# What templatize() turns {% translate %} and {% blocktranslate %} into.
TEMPLATE_KEYWORDS = {
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def catalogue(language):
    with (ROOT / "locale" / language / "LC_MESSAGES" / "django.po").open("rb") as source:
        return read_po(source, locale=language)


def ids_in_code() -> set[str]:
    found = set()
    for app in APPS:
        for _, _, message, _, _ in extract_from_dir(
            ROOT / app,
            method_map=[("migrations/**", "ignore"), ("**.py", "python")],
            keywords=KEYWORDS,
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def ids_in_templates() -> set[str]:
    """The ids of {% translate %} and {% blocktranslate %} in the apps' templates."""
    found = set()
    for app in (*APPS, "patient_app"):
        for path in sorted((ROOT / app / "templates").glob("**/*")):
            if path.suffix not in (".html", ".txt"):
                continue
            source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
            # Each gettext() is on one line; its X and B filler keeps the
            # template's indentation, which Python's tokenizer would refuse.
            source = "\n".join(line.lstrip() for line in source.splitlines())
            for _, message, _, _ in extract(
                "python", io.BytesIO(source.encode()), keywords=TEMPLATE_KEYWORDS
            ):
                found.add(message[0] if isinstance(message, tuple) else message)
    return found


def as_list(text):
    return list(text) if isinstance(text, tuple | list) else [text]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_id_has_a_translation(language):
    untranslated = [
        m.id for m in catalogue(language) if m.id and (m.fuzzy or not all(as_list(m.string)))
    ]
    assert not untranslated, f"{language}: translate these in locale/{language}/: {untranslated}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_of_the_code_is_in_the_catalogue(language):
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalogue(language) if m.id}
    missing = sorted((ids_in_code() | ids_in_templates()) - ids)
    assert not missing, f"run `manage.py makemessages -l {language}` and translate: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    for m in catalogue(language):
        if m.id:
            wanted = set(PLACEHOLDER.findall(as_list(m.id)[-1]))
            for text in as_list(m.string):
                assert set(PLACEHOLDER.findall(text)) == wanted, (language, m.id, text)


# --- The API answers in the caller's language ------------------------------------


@pytest.mark.django_db
def test_a_german_accept_language_is_answered_in_german(cast, api):
    response = api(cast.patient_a.user).post(
        "/api/v1/entries/",
        {"recorded_at": "2099-01-01T08:00:00+01:00", "posture": "sitting", "headache": 11},
        format="json",
        HTTP_ACCEPT_LANGUAGE="de-CH,de;q=0.9,en;q=0.5",
    )

    error = response.json()["error"]
    assert error["message"] == "Einige Felder sind ungültig."
    assert error["fields"]["recorded_at"] == ["Diese Zeit liegt in der Zukunft."]
    assert error["field_codes"]["recorded_at"] == ["future_time"]  # codes never translated
    assert response["Content-Language"] == "de"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "message"),
    [("en", "Not found."), ("fr", "Introuvable."), ("es", "No encontrado.")],
)
def test_without_accept_language_the_users_own_language_is_used(cast, api, language, message):
    user = cast.patient_a.user
    user.language = language
    user.save()

    response = api(user).get("/api/v1/entries/00000000-0000-0000-0000-000000000000/")

    assert response.json()["error"]["message"] == message


@pytest.mark.django_db
def test_an_anonymous_caller_is_answered_in_the_accept_language():
    response = APIClient().get("/api/v1/entries/", HTTP_ACCEPT_LANGUAGE="fr")
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["Content-Language"] == "fr"


@pytest.mark.django_db
def test_the_profile_language_is_followed_by_the_next_request(cast, api):
    client = api(cast.patient_a.user)
    client.patch("/api/v1/me/profile/", {"language": "es"}, format="json")

    response = client.patch("/api/v1/me/profile/", {"timezone": "Mars/Olympus"}, format="json")

    assert response.json()["error"]["fields"]["timezone"] == [
        "'Mars/Olympus' no es una zona horaria IANA como 'Europe/Zurich'."
    ]


# --- Push texts and emails in the recipient's language -----------------------------


@pytest.mark.django_db
def test_a_push_is_worded_in_the_patients_language(cast):
    cast.patient_a.user.language = "fr"
    cast.patient_a.user.save()
    Device.objects.create(user=cast.patient_a.user, platform="ios", token="phone-a")
    performed = dt.datetime(2026, 3, 10, 9, tzinfo=dt.UTC)
    TreatmentFactory(patient=cast.patient_a, performed_at=performed)
    checkins_schedule(now=performed)
    due = performed + dt.timedelta(hours=6)

    for reminder_id in reminders_due(now=due):
        reminder_send(reminder_id=reminder_id, now=due)

    push = PushMessage.objects.get()
    assert (push.title, push.body) == (
        "C'est l'heure d'un point",
        "Notez une évaluation assis ou debout, et une en position allongée.",
    )


@pytest.mark.django_db
@override_settings(LANGUAGE_CODE="en")
def test_each_clinician_gets_the_flag_email_in_their_own_language(cast):
    cast.clinician_on.email, cast.clinician_on.language = "dr_on@example.org", "de"
    cast.clinician_on.save()
    now = dt.datetime(2026, 3, 20, 12, tzinfo=dt.UTC)
    flag = FlagFactory(treatment=TreatmentFactory(patient=cast.patient_a), detected_at=now)

    flag_fan_out(flag_id=flag.pk, now=now)
    for delivery_id in deliveries_due(now=now):
        delivery_send(delivery_id=delivery_id, now=now)

    [message] = mail.outbox
    assert message.subject == "Neuer Hinweis: Rückfall nach Besserung bei Alice"
    assert "keine Diagnose" in message.body
