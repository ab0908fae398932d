"""Settings come from the environment; these load them in a fresh process."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def settings_value(name: str, **env: str) -> str:
    code = f"from django.conf import settings; print(settings.{name})"
    environment = {
        **{k: v for k, v in os.environ.items() if k != "SECRET_KEY"},
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


def test_a_secret_key_starting_with_a_dollar_is_taken_as_it_is():
    # django-environ would read "$..." as the name of another variable.
    key = "$" + "k" * 60
    assert (
        settings_value(
            "SECRET_KEY", SECRET_KEY=key, DEBUG="false", DATABASE_URL="sqlite://:memory:"
        )
        == key
    )


def test_without_a_secret_key_a_development_run_makes_one():
    assert len(settings_value("SECRET_KEY", DEBUG="true")) >= 50
