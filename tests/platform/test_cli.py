"""The command line as an organizer uses it: real processes, real data folder, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from factories import DatasetFactory, tiny_rows
from odx.platform.db.engine import session_scope
from odx.platform.db.models import utcnow
from odx.platform.services import applications, challenges, evaluation, users
from odx.platform.settings import Settings

ODX = Path(sys.executable).parent / "odx"


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ODX_HOME": str(home), "ODX_PROGRESS": "false", "COLUMNS": "200"}
    return subprocess.run([str(ODX), *args], capture_output=True, text=True, env=env, timeout=300)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A local platform made the way an organizer makes one: `odx init`."""
    folder = tmp_path / "home"
    created = run(folder, "init")
    assert created.returncode == 0, created.stderr
    return folder


def assert_clean_failure(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert message in output, output
    assert "Traceback" not in output


def test_validate_publish_list_show_round_trip(home: Path, make_dataset: DatasetFactory) -> None:
    folder = str(make_dataset())
    validated = run(home, "datasets", "validate", folder)
    assert validated.returncode == 0, validated.stderr
    assert "passed its quality gate" in validated.stdout and "report.html" in validated.stdout

    published = run(home, "datasets", "publish", folder)
    assert published.returncode == 0 and "published tiny-shops version 1" in published.stdout
    again = run(home, "datasets", "publish", folder)
    assert again.returncode == 0
    assert "unchanged; version 1 already holds these inputs" in again.stdout

    listing = run(home, "datasets", "list")
    assert "tiny-shops" in listing.stdout and "market-store-count" in listing.stdout
    shown = run(home, "datasets", "show", "tiny-shops")
    assert shown.returncode == 0 and "train.csv" in shown.stdout and "sha256" in shown.stdout


def test_validate_failure_exits_non_zero_with_examples(
    home: Path, make_dataset: DatasetFactory
) -> None:
    rows = tiny_rows()
    rows[3]["kind"] = rows[4]["kind"] = "문구점"
    result = run(home, "datasets", "validate", str(make_dataset(rows=rows)))
    assert_clean_failure(result, "failed its quality gate")
    assert "expect_column_values_to_be_in_set column=kind" in result.stdout
    assert "문구점" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["datasets", "publish", "no-such-dataset"], "unknown dataset 'no-such-dataset'"),
        (["datasets", "show", "no-such-dataset"], "has no published version"),
        (["datasets", "validate"], "Missing argument"),
        (["datasets", "show", "market-store-count", "--version", "x"], "Invalid value"),
    ],
)
def test_bad_commands_fail_with_a_message(home: Path, args: list[str], message: str) -> None:
    assert_clean_failure(run(home, *args), message)


def test_broken_spec_fails_with_file_and_key(home: Path, make_dataset: DatasetFactory) -> None:
    folder = make_dataset(
        spec={
            "split": {"method": "sideways", "test_fraction": 0.3, "public_fraction": 0.5, "seed": 1}
        }
    )
    result = run(home, "datasets", "validate", str(folder))
    assert_clean_failure(result, f"{folder / 'dataset.yaml'}: split.method:")


def test_undecodable_raw_file_fails_clearly(home: Path, make_dataset: DatasetFactory) -> None:
    folder = make_dataset(raw_bytes=b"shop_id,city\n\x81\xff\xfe,\x00\n")
    assert_clean_failure(
        run(home, "datasets", "publish", str(folder)),
        "not UTF-8, UTF-8 with BOM, CP949 or EUC-KR",
    )


def test_demo_brings_up_datasets_challenges_baselines_and_accounts_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "ODX_HOME"}
    env |= {"ODX_PROGRESS": "false", "COLUMNS": "200"}  # one line per baseline
    command = [str(ODX), "demo", "--no-serve"]
    first = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert first.returncode == 0, first.stderr
    for dataset_id in ("bizinfo-support-field", "market-store-count", "sme-growth-risk"):
        assert f"dataset {dataset_id}: published as version 1" in first.stdout
        assert f"baseline on {dataset_id}-2026: scored, public score" in first.stdout
    ranking = "support-programme-recommendation"
    assert f"dataset {ranking}: published as version 1" in first.stdout
    for name in ("baseline-popularity", "baseline-content"):
        assert f"{name} on {ranking}-2026: scored, public score" in first.stdout
    model = f"baseline-popularity on {ranking}-model-2026: scored, public score"
    assert model in first.stdout  # a ranking model, run in the sandbox
    programme = "sme-growth-risk-finals-2026"
    assert "dataset sme-growth-risk-sample: published as version 1" in first.stdout
    assert f"baseline on {programme}: scored, public score" in first.stdout  # not a finalist
    assert f"programme {programme}: SME distress-risk programme" in first.stdout
    assert f"odx terms {programme} --accept && odx download {programme}" in first.stdout
    assert f"demo-team's model on {programme}: scored, public score" in first.stdout
    _assert_programme_in_finals(tmp_path / ".odx", programme)
    assert "API docs: http://127.0.0.1:8000/docs" in first.stdout
    assert (tmp_path / ".odx" / "odx.db").is_file()
    hidden = next((tmp_path / ".odx" / "hidden" / "sme-growth-risk").iterdir())
    assert hidden.stat().st_mode & 0o077 == 0  # labels readable by the service user only
    token = next(
        line.split()[-1]
        for line in first.stdout.splitlines()
        if line.strip().startswith("demo ") and "odx_" in line
    )
    second = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )
    assert second.stdout.count("already published as version 1") == 8
    assert second.stdout.count(": already registered") == 7
    assert ": scored, public score" not in second.stdout  # no baseline is submitted twice
    assert token in second.stdout
    _assert_programme_in_finals(tmp_path / ".odx", programme)  # the same, not a second time


def _assert_programme_in_finals(home: Path, challenge_id: str) -> None:
    """The programme holds its finals today; demo-team applied once, is its finalist and sent
    one model, so 'demo' may accept the terms; the evaluator of the user evaluation exists."""
    settings = Settings(home=home, progress=False)
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, challenge_id)
        spec = challenges.spec_of(challenge)
        assert spec.stages is not None and spec.stages.current(utcnow()) == "finals"
        assert applications.finalists(session, challenge) == ["demo-team"]
        (sent,) = applications.for_staff(session, challenge)
        assert sent["team"] == "demo-team" and sent["plan_bytes"] > 0
        outcome = applications.outcome(session, challenge, users.get_by_name(session, "demo"))
        assert outcome.status == "finalist"
        assert users.get_by_name(session, "demo-evaluator").role == "evaluator"
        # the finalist's model, for the user evaluation and the judging an organizer starts
        assert [team for team, _ in evaluation.finalist_models(session, challenge)] == ["demo-team"]
