import datetime as dt
from urllib.parse import urlencode

from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.models import Clinic, Role, User
from accounts.tokens import login_begin
from diary.demo import STORIES, story_day_logs, story_items
from diary.models import Patient
from diary.services.sync import sync_apply

DEMO_PASSWORD = "demo-password"  # noqa: S105 - demo logins on the embedded default only


def _user(username: str, role: str, clinic: Clinic | None) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"role": role, "clinic": clinic}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _app_link(base_url: str, username: str) -> str:
    """A login of its own (a token family, as the token endpoint starts) carried in
    the URL fragment: the fragment never reaches a server, and the app takes the
    tokens and removes them from the address bar."""
    refresh = login_begin(user=User.objects.get(username=username))
    fragment = urlencode(
        {"username": username, "access": str(refresh.access_token), "refresh": str(refresh)}
    )
    return f"The patient app, logged in as {username}: {base_url.rstrip('/')}/app/#{fragment}"


class Command(BaseCommand):
    help = "Create a demo clinic, staff and patients with typical diaries (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--app-link",
            metavar="BASE_URL",
            help="Also print a link that opens the patient app logged in as the first "
            "demo patient (e.g. http://127.0.0.1:8000).",
        )

    @transaction.atomic
    def handle(self, *args, **options):
        clinic, _ = Clinic.objects.get_or_create(name="Demo Clinic")
        clinician = _user("clinician", Role.CLINICIAN, clinic)
        _user("coordinator", Role.COORDINATOR, clinic)
        for number, story in enumerate(STORIES, start=1):
            user = _user(story.username, Role.PATIENT, None)
            patient, _ = Patient.objects.get_or_create(
                user=user,
                defaults={
                    "clinic": clinic,
                    "display_name": story.display_name,
                    "timezone": story.timezone,
                    "condition": story.condition,
                    "record_number": f"DEMO-{number:04d}",
                },
            )
            patient.care_team.add(clinician)
            # Anchored to the day before creation: no entry lies in the future.
            anchor = patient.created_at.date() - dt.timedelta(days=1)
            entries, patches = story_items(story, anchor=anchor)
            day_logs, impressions = story_day_logs(story, anchor, patches[0])
            sync_apply(
                patient=patient,
                entries=entries,
                patches=patches,
                day_logs=day_logs,
                impressions=impressions,
                deletions=[],
            )
        self.stdout.write(
            "Demo data ready. Logins (password "
            f"'{DEMO_PASSWORD}'): clinician, coordinator, " + ", ".join(s.username for s in STORIES)
        )
        if options["app_link"]:
            self.stdout.write(_app_link(options["app_link"], STORIES[0].username))
