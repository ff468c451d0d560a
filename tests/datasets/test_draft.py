"""Drafting a dataset from a raw file: what is written, what is proposed, what is left to a person.

The acceptance tests draft each shipped dataset from its raw file alone (with its target, task
and id) and run the quality gate: it fails only on the decisions a person must make, and names
each of them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from odx.datasets.catalog import SHIPPED_DIR
from odx.datasets.draft import DraftResult, draft_dataset
from odx.datasets.draft.names import column_name, romanise
from odx.datasets.publish import OPEN_DECISIONS_CHECK, build_candidate, gate
from odx.datasets.quality.gate import GateReport
from odx.datasets.raw import RawDataError
from odx.datasets.spec import PLACEHOLDER, SpecError, load_spec, placeholders
from odx.datasets.split import SplitError


def _raw(dataset: str) -> Path:
    [path] = sorted((SHIPPED_DIR / dataset / "raw").iterdir())
    return path


def _gate(folder: Path) -> GateReport:
    return gate(build_candidate(load_spec(folder)))


def _failed(report: GateReport) -> dict[str, str]:
    return {c.name: c.summary for c in report.checks if not c.success}


def _shops(rows: int = 60) -> pd.DataFrame:
    """A small raw table with an id, contact details, a constant and a Y/N target."""
    return pd.DataFrame(
        {
            "상점코드": [f"S{i:04d}" for i in range(rows)],
            "상점명": [f"가게{i % 17}" for i in range(rows)],
            "업종": [["식당", "카페", "서점"][i % 3] for i in range(rows)],
            "면적": [round(20 + (i * 37) % 101 / 10, 1) for i in range(rows)],
            "개업연도": [2000 + i % 20 for i in range(rows)],
            "담당자 연락처": [f"010-{1000 + i:04d}-{5000 + i:04d}" for i in range(rows)],
            "메모": [f"연락은 shop{i}@example.com 으로" for i in range(rows)],
            "기준일자": ["2024-11-04"] * rows,
            "폐업여부": ["Y" if i % 4 == 0 else "N" for i in range(rows)],
        }
    )


def _write_csv(path: Path, frame: pd.DataFrame, *, encoding: str = "utf-8", sep: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(frame.to_csv(index=False, sep=sep).encode(encoding))
    return path


# --- acceptance: the shipped datasets from their raw files -----------------------------------


def test_draft_of_market_store_count_fails_the_gate_only_on_open_decisions(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "market-store-count"
    result = draft_dataset(
        folder,
        _raw("market-store-count"),
        target="점포수",
        task="regression",
        id_column="market_id",
    )
    assert result.id_generated and result.target == "jeomposu"
    failed = _failed(_gate(folder))
    assert list(failed) == [OPEN_DECISIONS_CHECK]
    for key in ("title.ko", "source.licence.name", "split.reason", "columns[0].description.en"):
        assert key in failed[OPEN_DECISIONS_CHECK]
    assert {d.key for d in result.open_decisions} >= {"title", "source.licence.name", "split"}


def test_draft_of_sme_growth_risk_fails_the_gate_only_on_open_decisions(tmp_path: Path) -> None:
    folder = tmp_path / "sme-growth-risk"
    draft_dataset(
        folder,
        _raw("sme-growth-risk"),
        target="distress_next_year",
        task="binary",
        id_column="record_id",
    )
    report = _gate(folder)
    assert list(_failed(report)) == [OPEN_DECISIONS_CHECK]
    leakage = next(c for c in report.checks if c.name == "target_leakage")
    assert all(s["kind"].startswith("auc") for s in leakage.details["scores"])


def test_draft_of_bizinfo_stops_at_the_target_decision_and_names_it(tmp_path: Path) -> None:
    folder = tmp_path / "bizinfo-support-field"
    result = draft_dataset(
        folder,
        _raw("bizinfo-support-field"),
        target="pldirSportRealmLclasCodeNm",
        task="multiclass",
        id_column="pblancId",
    )
    [target] = [d for d in result.to_review if d.key == "target"]
    assert "have a single row" in target.message and "split_first: '@'" in target.message
    with pytest.raises(SplitError, match="classes of 'pldirSportRealmLclasCodeNm' absent"):
        build_candidate(load_spec(folder))

    # The person takes the hint: keep the first of the '@'-separated labels (and drop the
    # drafted value set, which listed the raw combinations).
    spec = yaml.safe_load((folder / "dataset.yaml").read_text(encoding="utf-8"))
    target_column = next(c for c in spec["columns"] if c["name"] == "pldirSportRealmLclasCodeNm")
    target_column["transforms"] = [{"split_first": "@"}]
    (folder / "dataset.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")
    suite = json.loads((folder / "expectations.json").read_text(encoding="utf-8"))
    suite["expectations"] = [
        e
        for e in suite["expectations"]
        if not (
            e["kwargs"].get("column") == "pldirSportRealmLclasCodeNm" and "value_set" in e["kwargs"]
        )
    ]
    (folder / "expectations.json").write_text(json.dumps(suite, ensure_ascii=False), "utf-8")
    assert list(_failed(_gate(folder))) == [OPEN_DECISIONS_CHECK]


def test_bizinfo_draft_proposes_dropping_contacts_links_and_long_text(tmp_path: Path) -> None:
    result = draft_dataset(
        tmp_path / "bizinfo", _raw("bizinfo-support-field"), target="pldirSportRealmLclasCodeNm"
    )
    dropped = {c.raw: c.drop_reason for c in result.columns if c.name is None}
    assert set(dropped) == {
        "rceptInsttEmailAdres",
        "rceptInsttTelno",
        "rceptInsttChargerDeptNm",
        "pblancUrl",
        "bsnsSumryCn",
    }
    assert "e-mail" in dropped["rceptInsttEmailAdres"]
    assert "long free text" in dropped["bsnsSumryCn"]
    assert result.raw.records_path == "jsonArray" and result.raw.encoding == "utf-8"
    assert result.id_column == "pblancId" and not result.id_generated  # unique and id-like
    assert result.task == "multiclass"  # guessed, and said so
    assert any(d.key == "task" and "guessed" in d.message for d in result.to_review)


# --- what the draft writes -------------------------------------------------------------------


def test_draft_accounts_for_every_raw_column_and_copies_the_raw_file(tmp_path: Path) -> None:
    raw = _write_csv(tmp_path / "in" / "shops.csv", _shops(), encoding="cp949", sep=";")
    folder = tmp_path / "tiny-shops"
    result = draft_dataset(folder, raw, target="폐업여부", task="binary")
    assert (folder / "raw" / "shops.csv").read_bytes() == raw.read_bytes()
    assert sorted(p.name for p in result.written) == [
        "dataset.yaml",
        "expectations.json",
        "shops.csv",
    ]
    spec = load_spec(folder).spec
    assert (spec.raw[0].encoding, spec.raw[0].delimiter) == ("cp949", ";")
    published = {c.raw_name for c in spec.columns}
    assert published | {d.column for d in spec.drop} == set(_shops().columns)
    assert not published & {d.column for d in spec.drop}
    reasons = {d.column: d.reason for d in spec.drop}
    assert set(reasons) == {"담당자 연락처", "메모", "기준일자"}
    assert "phone" in reasons["담당자 연락처"]
    assert "e-mail addresses in 60 rows" in reasons["메모"]  # found in the values, not the header
    assert "same value" in reasons["기준일자"]
    assert spec.id_column.column == "sangjeomkodeu" and not spec.id_column.generate
    kinds = {c.raw_name: c.type.value for c in spec.columns}
    assert kinds == {
        "상점코드": "string",
        "상점명": "category",
        "업종": "category",
        "면적": "float",
        "개업연도": "integer",
        "폐업여부": "category",
    }
    assert spec.column("myeonjeok").description.ko == "면적"  # the raw header, kept


def test_drafted_suite_holds_on_the_data_it_was_drafted_from(tmp_path: Path) -> None:
    raw = _write_csv(tmp_path / "shops.csv", _shops())
    folder = tmp_path / "tiny-shops"
    draft_dataset(folder, raw, target="폐업여부", task="binary")
    suite = json.loads((folder / "expectations.json").read_text(encoding="utf-8"))
    by_kind: dict[str, dict[str, dict[str, object]]] = {}
    for e in suite["expectations"]:
        by_kind.setdefault(e["type"], {})[e["kwargs"].get("column", "")] = e["kwargs"]
    assert by_kind["expect_column_values_to_be_unique"] == {
        "sangjeomkodeu": {"column": "sangjeomkodeu"}
    }
    assert by_kind["expect_column_values_to_be_in_set"]["pyeeopyeobu"]["value_set"] == [0, 1]
    assert by_kind["expect_column_values_to_be_in_set"]["eopjong"]["value_set"] == [
        "서점",
        "식당",
        "카페",
    ]
    year = by_kind["expect_column_values_to_be_between"]["gaeeopyeondo"]
    assert (year["min_value"], year["max_value"]) == (1998, 2021)  # 2000-2019 with a margin
    report = _gate(folder)
    assert report.expectations.success, report.expectations.failed


def test_draft_loads_and_publishing_is_refused_until_the_placeholders_are_filled(
    tmp_path: Path,
) -> None:
    raw = _write_csv(tmp_path / "shops.csv", _shops(120))
    folder = tmp_path / "tiny-shops"
    draft_dataset(folder, raw, target="업종", task="multiclass")
    loaded = load_spec(folder)
    keys = placeholders(loaded.spec)
    assert "title.ko" in keys and "split.reason" in keys and "columns[0].description.en" in keys
    assert OPEN_DECISIONS_CHECK in _failed(_gate(folder))

    text = (folder / "dataset.yaml").read_text(encoding="utf-8")
    lines = [
        line.replace(f"'{PLACEHOLDER}:", "'filled in:") if PLACEHOLDER in line else line
        for line in text.splitlines()
    ]
    (folder / "dataset.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert placeholders(load_spec(folder).spec) == []
    assert OPEN_DECISIONS_CHECK not in _failed(_gate(folder))


def test_draft_without_a_target_names_the_target_and_task_to_fill_in(tmp_path: Path) -> None:
    raw = _write_csv(tmp_path / "shops.csv", _shops())
    folder = tmp_path / "tiny-shops"
    result = draft_dataset(folder, raw)
    assert result.target is None and result.task is None
    assert {"target.column", "task"} <= {d.key for d in result.open_decisions}
    with pytest.raises(SpecError) as error:
        load_spec(folder)
    assert "target.column: fill in the target" in error.value.detail
    assert "task: fill in the task: binary, multiclass, regression or ranking" in error.value.detail


def test_binary_target_with_other_values_asks_which_is_positive(tmp_path: Path) -> None:
    frame = _shops().assign(폐업여부=lambda f: f["폐업여부"].map({"Y": "폐업", "N": "영업"}))
    folder = tmp_path / "tiny-shops"
    result = draft_dataset(folder, _write_csv(tmp_path / "shops.csv", frame), target="폐업여부")
    assert result.task == "binary"
    assert "target.positive" in {d.key for d in result.open_decisions}
    with pytest.raises(SpecError, match=r"target\.positive: fill in which target value"):
        load_spec(folder)


def test_a_missing_id_is_generated_and_said(tmp_path: Path) -> None:
    frame = _shops().drop(columns=["상점코드"])
    result = draft_dataset(
        tmp_path / "tiny-shops", _write_csv(tmp_path / "shops.csv", frame), target="업종"
    )
    assert result.id_generated and result.id_column == "row_id"
    assert any(d.key == "id_column" and "generates" in d.message for d in result.to_review)


def test_empty_targets_are_left_out_and_said(tmp_path: Path) -> None:
    frame = _shops()
    frame.loc[[3, 9], "면적"] = None
    folder = tmp_path / "tiny-shops"
    result = draft_dataset(folder, _write_csv(tmp_path / "shops.csv", frame), target="면적")
    assert result.task == "regression"
    assert load_spec(folder).spec.target.drop_missing
    assert any(d.key == "target.drop_missing" and "2 rows" in d.message for d in result.to_review)


def test_summary_lists_what_is_open_and_what_to_review(tmp_path: Path) -> None:
    result = draft_dataset(
        tmp_path / "tiny-shops", _write_csv(tmp_path / "shops.csv", _shops()), target="업종"
    )
    text = result.summary()
    assert isinstance(result, DraftResult)
    assert "To fill in before publishing:\n  - title:" in text
    assert "  - drop[0]: '담당자 연락처':" in text


# --- refusals ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"target": "업중"},
            r"target '업중' is not a column of the raw file \(did you mean '업종'\?\)",
        ),
        ({"target": "업종", "task": "classification"}, r"task 'classification' is not one of"),
        ({"target": "업종", "id_column": "상점명"}, r"id column '상점명' repeats values"),
        ({"target": "업종", "id_column": "상점코"}, r"did you mean '상점코드'"),
        ({"target": "업종", "task": "binary"}, r"task: binary, but target '업종' has 3 values"),
        ({"target": "상점명", "task": "regression"}, r"target '상점명' is not numeric"),
    ],
)
def test_choices_that_do_not_fit_the_data_are_refused_before_anything_is_written(
    tmp_path: Path, kwargs: dict[str, str], message: str
) -> None:
    folder = tmp_path / "tiny-shops"
    with pytest.raises(SpecError, match=message):
        draft_dataset(folder, _write_csv(tmp_path / "shops.csv", _shops()), **kwargs)
    assert not folder.exists()


def test_an_existing_spec_is_never_overwritten(tmp_path: Path) -> None:
    raw = _write_csv(tmp_path / "shops.csv", _shops())
    draft_dataset(tmp_path / "tiny-shops", raw, target="업종")
    with pytest.raises(SpecError, match="already exists"):
        draft_dataset(tmp_path / "tiny-shops", raw, target="업종")


def test_folder_name_must_be_a_dataset_id(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="the folder's name is the dataset id"):
        draft_dataset(tmp_path / "Tiny Shops", _write_csv(tmp_path / "shops.csv", _shops()))


def test_unreadable_raw_file_is_refused(tmp_path: Path) -> None:
    raw = tmp_path / "broken.json"
    raw.write_text('{"items": [1, 2', encoding="utf-8")
    with pytest.raises(RawDataError, match=r"broken\.json:1:\d+: not valid JSON"):
        draft_dataset(tmp_path / "broken", raw)


# --- names -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("시장명", "sijangmyeong"),
        ("점포수", "jeomposu"),
        ("개설연도", "gaeseolyeondo"),
        ("점포수(개)", "jeomposu_gae"),
        ("2024 매출", "c_2024_maechul"),
        ("pblancId", "pblancId"),
        ("Market Name", "market_name"),
    ],
)
def test_headers_become_valid_readable_column_names(header: str, name: str) -> None:
    assert column_name(header) == name


def test_romanisation_follows_the_jamo() -> None:
    assert romanise("깎값의") == "kkakgapui"
    assert romanise("ID 번호") == "ID beonho"


def test_excel_raw_file_is_drafted_without_encoding_or_delimiter(tmp_path: Path) -> None:
    raw = tmp_path / "shops.xlsx"
    _shops().to_excel(raw, index=False)
    folder = tmp_path / "tiny-shops"
    result = draft_dataset(folder, raw, target="업종")
    assert (result.raw.format, result.raw.encoding, result.raw.delimiter) == ("excel", None, None)
    assert load_spec(folder).spec.raw[0].path == "raw/shops.xlsx"


def test_raw_file_already_in_the_folder_is_used_in_place(tmp_path: Path) -> None:
    folder = tmp_path / "tiny-shops"
    raw = _write_csv(folder / "raw" / "shops.csv", _shops())
    before = raw.read_bytes()
    result = draft_dataset(folder, raw, target="업종")
    assert raw.read_bytes() == before and result.written[-1] == raw
    assert sorted(p.name for p in (folder / "raw").iterdir()) == ["shops.csv"]
