"""One Playwright set-up for the browser tests and the README screenshots.

Debian's chromium, never a browser downloaded by `playwright install`:
.ci/run installs the package when /usr/bin/chromium is missing.
"""

import os
from contextlib import contextmanager
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
VIEWPORT = {"width": 1280, "height": 900}


def chromium_available() -> bool:
    return os.access(CHROMIUM, os.X_OK)


@contextmanager
def chromium():
    """A headless Chromium; Django's ORM stays usable beside Playwright's sync API.

    The sync API runs an event loop in this thread, which Django's async-safety
    check mistakes for async code calling the ORM; the test code is not async.
    """
    from playwright.sync_api import sync_playwright

    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def log_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/clinic/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_load_state()


AXE_SCRIPT = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.0/2.1/2.2 A and AA: the level the clinic pages and the patient app promise.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[dict]:
    """Run the vendored axe-core on the page as it is now; its violations, summarised."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated through the DevTools protocol, not as a <script> tag: the
        # pages' Content-Security-Policy refuses inline scripts, and must stay on.
        page.evaluate(AXE_SCRIPT.read_text())
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]],
        }
        for violation in result["violations"]
    ]


def assert_accessible(page) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe-core found violations on {page.url}: {violations}"
