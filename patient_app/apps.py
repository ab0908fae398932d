from django.apps import AppConfig


class PatientAppConfig(AppConfig):
    """The patient's offline-first web app at /app/, on the public API only."""

    name = "patient_app"
    verbose_name = "Patient web app"
