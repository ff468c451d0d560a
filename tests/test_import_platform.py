"""The card's `platform/` folder must never shadow the standard library's `platform`."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()
CHECK = (
    "import platform, pathlib; print(pathlib.Path(platform.__file__).resolve()); platform.system()"
)


def test_import_platform_is_stdlib_under_pytest() -> None:
    import platform

    assert Path(platform.__file__).resolve().parent == STDLIB
    assert platform.python_version()


@pytest.mark.parametrize(
    "command",
    [[sys.executable, "-c", CHECK], [sys.executable, "-P", "-c", CHECK]],
    ids=["python-c", "python-P-c"],
)
def test_import_platform_is_stdlib_from_repository_root(command: list[str]) -> None:
    out = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
    assert Path(out.stdout.strip()).parent == STDLIB


def test_import_platform_is_stdlib_under_python_m_pytest(tmp_path: Path) -> None:
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        "import pathlib, platform, sysconfig\n"
        "def test_probe():\n"
        "    stdlib = pathlib.Path(sysconfig.get_paths()['stdlib']).resolve()\n"
        "    assert pathlib.Path(platform.__file__).resolve().parent == stdlib\n"
        "    import odx.platform.settings\n"
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(ROOT),
            "-o",
            "addopts=",
            str(probe),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_init_file_in_card_folders() -> None:
    for folder in ("platform", "datasets", "scoring", "baselines", "submissions"):
        assert not (ROOT / folder / "__init__.py").exists(), folder
