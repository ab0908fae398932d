"""Settings come from the environment; these load them in a fresh process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 60,
    "DATABASE_URL": "sqlite://:memory:",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "ALLOWED_HOSTS": "diary.example.org",
}


def load_settings(name: str, **env: str) -> subprocess.CompletedProcess:
    code = f"from django.conf import settings; print(settings.{name})"
    unset = {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "ALLOWED_HOSTS"}
    environment = {
        **{k: v for k, v in os.environ.items() if k not in unset},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def settings_value(name: str, **env: str) -> str:
    done = load_settings(name, **env)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_a_secret_key_starting_with_a_dollar_is_taken_as_it_is():
    # django-environ would read "$..." as the name of another variable.
    key = "$" + "k" * 60
    assert settings_value("SECRET_KEY", **{**PRODUCTION, "SECRET_KEY": key}) == key


def test_without_a_secret_key_a_development_run_makes_one():
    assert len(settings_value("SECRET_KEY", DEBUG="true")) >= 50


def test_production_refuses_to_start_without_its_services():
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS"):
        env = {k: v for k, v in PRODUCTION.items() if k != name}
        done = load_settings("DEBUG", **env)
        assert done.returncode != 0
        assert name in done.stderr
    assert settings_value("DEBUG", **PRODUCTION) == "False"
    without_broker = {k: v for k, v in PRODUCTION.items() if k != "CELERY_BROKER_URL"}
    asked_for = settings_value(
        "CELERY_TASK_ALWAYS_EAGER", **without_broker, TASKS_IN_PROCESS="true"
    )
    assert asked_for == "True"


def test_a_larger_api_body_limit_raises_djangos_own():
    # The sync view reads request.body; Django's limit would answer a plain 400.
    assert settings_value("DATA_UPLOAD_MAX_MEMORY_SIZE", API_MAX_BODY_BYTES="9000000") == "9000000"
