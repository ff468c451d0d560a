"""The command line starts at once and acts where the one rule says (real processes)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ODX = Path(sys.executable).parent / "odx"
HEAVY = ("sklearn", "pandas", "mlflow", "great_expectations", "fastapi", "sqlalchemy")


@pytest.mark.parametrize(
    "command", ["login", "submit", "leaderboard", "submissions", "select", "download", "terms"]
)
def test_participant_commands_import_nothing_heavy(command: str) -> None:
    code = (
        "import sys; from odx.platform.cli.main import cli; "
        f"cli(['{command}', '--help'], standalone_mode=False); "
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[]"


def _run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("ODX_HOME", "ODX_URL", "ODX_TOKEN")}
    clean |= {"XDG_CONFIG_HOME": str(cwd / "config"), "COLUMNS": "200", **env}
    return subprocess.run(
        [str(ODX), *args], cwd=cwd, capture_output=True, text=True, env=clean, timeout=300
    )


def test_a_folder_without_platform_is_refused_not_created(tmp_path: Path) -> None:
    result = _run(tmp_path, "users", "create", "kim")
    assert result.returncode == 1
    assert "odx login" in result.stderr and "odx init" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / ".odx").exists()


def test_init_then_local_commands_act_on_it(tmp_path: Path) -> None:
    created = _run(tmp_path, "init")
    assert created.returncode == 0, created.stderr
    assert "odx_" in created.stdout
    again = _run(tmp_path, "init")
    assert again.returncode == 1 and "already holds a platform" in again.stderr
    user = _run(tmp_path, "users", "create", "kim", "--json")
    assert user.returncode == 0, user.stderr
    assert '"role": "participant"' in user.stdout


def test_explicit_home_without_platform_says_how_to_make_one(tmp_path: Path) -> None:
    result = _run(tmp_path, "challenges", "close", "x", ODX_HOME=str(tmp_path / "nowhere"))
    assert result.returncode == 1
    assert "no platform in" in result.stderr and "odx init" in result.stderr
    assert not (tmp_path / "nowhere").exists()
