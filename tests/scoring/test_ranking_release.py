"""A ranking release through the core's one entry, ``evaluate``: the format read from the
public files the manifest names (sample submission, items table, k), the hidden labels
holding each query's relevant items."""

from __future__ import annotations

from pathlib import Path

import pytest

from odx.datasets.release import LABELS, SAMPLE_SUBMISSION, ReleaseManifest
from odx.scoring.evaluate import Evaluation, Rejection, Release, evaluate
from odx.scoring.validation import FormatError, SubmissionFormat

MANIFEST = {
    "dataset_id": "support-matching",
    "fingerprint": "0" * 64,
    "format_version": 1,
    "task": "ranking",
    "id_column": "company_id",
    "target_column": "programmes",
    "synthetic": True,
    "spec_sha256": "0" * 64,
    "suite_sha256": "0" * 64,
    "raw_files": {},
    "split": {"method": "time", "test_rows": 4, "public_rows": 2, "private_rows": 2},
    "quality": {"success": True, "expectations": "1/1", "checks": {}},
    "files": {},
    "ranking": {"k": 3, "items_file": "programmes.csv", "item_id_column": "pblancId"},
}


@pytest.fixture
def release(tmp_path: Path) -> Release:
    public, hidden = tmp_path / "public", tmp_path / "hidden"
    public.mkdir()
    hidden.mkdir()
    # Announcement text spans lines, and the table is larger than one block of Arrow's
    # reader, so quoted line breaks fall across block boundaries.
    filler = "".join(f'F{i},"지원사업 {i}\n☞ 신청 안내"\n' for i in range(60_000))
    (public / "programmes.csv").write_text(
        'pblancId,title\nP1,수출 바우처\nP2,정책자금\nP3,R&D\nP4,"창업\n패키지, 1"\n7,숫자 id\n'
        + filler,
        "utf-8",
    )
    (public / SAMPLE_SUBMISSION).write_text(
        "company_id,programmes\nC1,P1 P2 P3\nC2,P1 P2 P3\nC3,P1 P2 P3\nC4,P1 P2 P3\n", "utf-8"
    )
    (hidden / LABELS).write_text(
        "company_id,programmes,Usage\nC1,P1 P2,Public\nC2,P3,Public\nC3,7,Private\nC4,P4,Private\n",
        "utf-8",
    )
    return Release(public, hidden, ReleaseManifest.model_validate(MANIFEST))


def upload(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "submission.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_ranked_csv_is_scored_on_both_boards(release: Release, tmp_path: Path) -> None:
    text = "company_id,programmes\nC4,P4\nC3,P1 7\nC2,\nC1,P1 P2 P3\n"
    result = evaluate(upload(tmp_path, text), release, metric="map_at_k", max_bytes=1 << 20)
    assert isinstance(result, Evaluation)
    assert result.scores.public.value == pytest.approx((1 + 0) / 2)  # C2's empty list: 0
    assert result.scores.private.value == pytest.approx((1 / 2 + 1) / 2)
    assert result.scores.overall.rows == 4 and result.scores.overall.method == "bootstrap-queries"


def test_a_hostile_ranked_csv_gets_precise_problems(release: Release, tmp_path: Path) -> None:
    text = "company_id,programmes\nC1,P1 P1\nC2,P9\nC3,P1 P2 P3 P4\nC9,P1\n"
    result = evaluate(upload(tmp_path, text), release, metric="ndcg_at_k", max_bytes=1 << 20)
    assert isinstance(result, Rejection)
    codes = {problem["code"] for problem in result.problems}
    assert codes == {
        "repeated_items",
        "unknown_items",
        "too_many_items",
        "unknown_ids",
        "missing_ids",
    }
    assert all("labels" not in problem["message"] for problem in result.problems)


def test_a_ranking_release_must_name_its_items_and_k(release: Release) -> None:
    with pytest.raises(FormatError, match="items file and k"):
        SubmissionFormat.from_release(release.public_dir, task="ranking", metric="map_at_k")
