"""docs/mobile-quickstart.md runs as written: its shell blocks, in order,
against a live server, with the answers it promises."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import services_required
from tests.factories import ClinicFactory, CoordinatorFactory

QUICKSTART = Path(__file__).resolve().parents[2] / "docs" / "mobile-quickstart.md"


def script() -> str:
    return "\n".join(re.findall(r"```sh\n(.*?)```", QUICKSTART.read_text(), re.DOTALL))


def test_the_mobile_quickstart_runs_as_written(live_server, transactional_db):
    missing = [tool for tool in ("bash", "curl", "jq") if shutil.which(tool) is None]
    if missing:
        if services_required():
            pytest.fail(f"REQUIRE_SERVICES is set but {missing} are missing")
        pytest.skip(f"needs {missing}")
    CoordinatorFactory(
        username="coordinator", password="demo-password", clinic=ClinicFactory(name="Demo")
    )

    run = subprocess.run(
        ["bash", "-c", script()],
        env={"BASE": live_server.url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith('{"username":"carla","role":"patient","patient":"')
    assert lines[1:3] == ["201", "200"]  # after /me/: the create and its retry
    assert lines[3:5] == [
        '["created","error","created","deleted"]',
        '["unchanged","error","unchanged","unchanged"]',
    ]
    pulled = lines[5]
    assert '"has_more":false' in pulled and "5b0f3c52-8c1e-4a53-9d55-3f4d2b7f1a01" in pulled
    assert lines[6:] == ["[]", "carla", "205"]
