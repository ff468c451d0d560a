"""A built wheel holds every subpackage and the shipped catalogue (editable installs hide gaps)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_contains_modules_and_catalogue_and_imports(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("odx-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "odx/platform/cli/main.py",
        "odx/platform/db/migrations/env.py",
        "odx/platform/db/migrations/versions/0001_dataset_catalogue.py",
        "odx/datasets/quality/gate.py",
        "odx/datasets/templates/DATACARD.md.j2",
        "odx/datasets/catalog/market-store-count/dataset.yaml",
        "odx/datasets/catalog/market-store-count/expectations.json",
        "odx/datasets/catalog/bizinfo-support-field/raw/bizinfo_support_programs_2021.json",
        "odx/datasets/catalog/sme-growth-risk/raw/sme_panel.csv",
        "odx/platform/challenges/catalog/sme-growth-risk-2026.yaml",
    ):
        assert expected in names, expected
    assert not any(n.startswith("platform/") or n == "platform.py" for n in names)

    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    probe = (
        "import odx.platform.cli.main, odx.datasets.catalog as c, platform; "
        "print(c.SHIPPED_DIR); print(sorted(p.name for p in c.SHIPPED_DIR.iterdir() if p.is_dir() "
        "and not p.name.startswith('_')))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    first, second = out.stdout.splitlines()
    assert first.startswith(str(target))
    assert "sme-growth-risk" in second and "market-store-count" in second
