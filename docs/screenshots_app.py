"""Make docs/app-*.png: the patient app's main screens at phone size, from the demo data.

    make screenshots

A throwaway SQLite database, `seed_demo --app-link` (the demo patient's login
link), the development server on a spare port, then the browser tests' own
Playwright set-up (Debian's chromium).
"""

import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "docs"))

from screenshots import _free_port, _wait_for  # noqa: E402

from tests.browser import chromium  # noqa: E402

PHONE = {"width": 390, "height": 844}


def shoot(page, name: str) -> None:
    page.locator("body[data-ready=true]").wait_for()
    page.screenshot(path=ROOT / "docs" / f"app-{name}.png")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/demo.sqlite3",
            "MEDIA_ROOT": tmp,
            "DEBUG": "true",
            # One key for seed_demo and the server: the link's tokens must be valid there.
            "SECRET_KEY": secrets.token_urlsafe(50),
        }
        env.pop("CELERY_BROKER_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)  # noqa: S603
        seeded = subprocess.run(  # noqa: S603
            [*manage, "seed_demo", "--app-link", base],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        link = seeded.stdout.strip().splitlines()[-1].split(": ", 1)[1]
        server = subprocess.Popen(  # noqa: S603
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port)
            with chromium() as browser:
                context = browser.new_context(viewport=PHONE, locale="en-GB", device_scale_factor=1)
                page = context.new_page()
                page.goto(link)
                page.get_by_role("heading", name="How are you now?").wait_for()
                # Wait for the first sync to fetch the demo diary (the chart redraws after it).
                page.get_by_role("link", name="My course").click()
                page.locator(".chart circle").first.wait_for()
                page.get_by_role("link", name="Log", exact=True).click()
                page.get_by_role("group", name="Right now I am").get_by_text("Sitting").click()
                page.get_by_role("group", name="My headache is").get_by_text(
                    "4", exact=True
                ).click()
                shoot(page, "log")
                page.get_by_role("link", name="Stand-up test").click()
                page.get_by_role("button", name="I am standing up now").click()
                page.wait_for_timeout(2100)
                shoot(page, "standup")
                page.get_by_role("button", name="Cancel the test").click()
                page.get_by_role("link", name="My course").click()
                page.locator(".chart").wait_for()
                shoot(page, "course")
                page.get_by_role("link", name="History: edit or delete entries").click()
                shoot(page, "history")
                page.get_by_role("link", name="My day").click()
                shoot(page, "day")
                context.close()
        finally:
            server.terminate()
            server.wait(timeout=10)
    print("wrote docs/app-log.png, app-standup.png, app-course.png, app-history.png, app-day.png")


if __name__ == "__main__":
    main()
