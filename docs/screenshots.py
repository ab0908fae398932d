"""Make the clinic pages' screenshots under docs/ from the demo data, desktop and phone.

docs/clinic-{inbox,patients,timeline}.png at 1366 px and docs/clinic-*-phone.png at
390 px (the widths the browser tests hold every page to).

    make screenshots

A throwaway SQLite database, `seed_demo`, the development server on a spare
port, then the browser tests' own Playwright set-up (Debian's chromium).
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import chromium, log_in  # noqa: E402

PASSWORD = "demo-password"  # noqa: S105 - the demo logins of seed_demo


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(port: int) -> None:
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("the development server did not start")


DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


def _shoot(browser, base: str, suffix: str, viewport: dict) -> None:
    phone = viewport is PHONE
    context = browser.new_context(
        viewport=viewport, locale="en-GB", device_scale_factor=2 if phone else 1
    )
    page = context.new_page()
    log_in(page, base, "clinician", PASSWORD)
    page.goto(f"{base}/clinic/flags/")
    page.screenshot(path=ROOT / f"docs/clinic-inbox{suffix}.png", full_page=True)
    page.goto(f"{base}/clinic/patients/")
    page.screenshot(path=ROOT / f"docs/clinic-patients{suffix}.png", full_page=True)
    page.get_by_role("link", name="Tom Whitaker (helps, then fails)").first.click()
    page.wait_for_load_state()
    # The top of the page: chart, flags, treatments (the entries table runs on).
    page.set_viewport_size({"width": viewport["width"], "height": 2400 if phone else 1500})
    page.screenshot(path=ROOT / f"docs/clinic-timeline{suffix}.png")
    context.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{tmp}/demo.sqlite3",
            "MEDIA_ROOT": tmp,
            "DEBUG": "true",
        }
        env.pop("CELERY_BROKER_URL", None)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run([*manage, "migrate", "-v0"], env=env, check=True)  # noqa: S603
        subprocess.run([*manage, "seed_demo"], env=env, check=True)  # noqa: S603
        port = _free_port()
        server = subprocess.Popen(  # noqa: S603
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port)
            base = f"http://127.0.0.1:{port}"
            with chromium() as browser:
                for suffix, viewport in (("", DESKTOP), ("-phone", PHONE)):
                    _shoot(browser, base, suffix, viewport)
        finally:
            server.terminate()
            server.wait(timeout=10)
    print("wrote docs/clinic-{inbox,patients,timeline}{,-phone}.png")


if __name__ == "__main__":
    main()
