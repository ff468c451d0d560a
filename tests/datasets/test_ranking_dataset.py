"""Ranking datasets: further tables, ranked-list targets, the ranking leakage check, and the
shipped recommendation dataset published byte for byte the same twice."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from odx.datasets.prepare import DataError
from odx.datasets.publish import build_candidate, gate
from odx.datasets.spec import SpecError, load_spec
from odx.platform.services import datasets as service
from odx.platform.settings import Settings

SHIPPED = Path(__file__).resolve().parents[2] / "datasets" / "catalog"
RANKING = "support-programme-recommendation"
COMPANIES = 60
ITEMS = 12


def _spec() -> dict[str, Any]:
    text = {"ko": "설명", "en": "About"}
    return {
        "id": "tiny-ranking",
        "title": {"ko": "작은 추천", "en": "Tiny recommendation"},
        "description": text,
        "task": "ranking",
        "synthetic": True,
        "source": {"agency": text, "reference": "generated in a test", "licence": {"name": "none"}},
        "raw": [{"path": "raw/companies.csv"}],
        "id_column": {"column": "company_id"},
        "target": {"column": "items"},
        "columns": [
            {"name": "company_id", "type": "string", "description": text},
            {"name": "region", "type": "category", "description": text},
            {"name": "note", "type": "text", "description": text},
            {"name": "employees", "type": "integer", "description": text},
            {"name": "items", "type": "string", "description": text},
        ],
        "tables": [
            {
                "name": "programmes",
                "description": text,
                "raw": {"path": "raw/programmes.csv"},
                "id_column": "programme_id",
                "columns": [
                    {"name": "programme_id", "type": "string", "description": text},
                    {"name": "summary", "type": "text", "description": text},
                ],
                "drop": [{"column": "phone", "reason": "a contact detail"}],
            },
            {
                "name": "interactions",
                "description": text,
                "raw": {"path": "raw/interactions.csv"},
                "columns": [
                    {"name": "company_id", "type": "string", "description": text},
                    {"name": "programme_id", "type": "string", "description": text},
                ],
            },
        ],
        "ranking": {"k": 3, "items": "programmes", "item_id": "programme_id"},
        "split": {"method": "random", "test_fraction": 0.3, "public_fraction": 0.5, "seed": 7},
        "quality": {"leakage": {"max_adversarial_auc": 0.99}},
    }


def _tables() -> dict[str, pd.DataFrame]:
    items = [f"P{i:02d}" for i in range(ITEMS)]
    companies = pd.DataFrame(
        {
            "company_id": [f"C{i:03d}" for i in range(COMPANIES)],
            "region": ["서울", "부산", "대구"] * (COMPANIES // 3),
            "note": ["평범한 기업"] * COMPANIES,
            "employees": [3 + i % 20 for i in range(COMPANIES)],
            "items": [f"{items[i % ITEMS]} {items[(i + 5) % ITEMS]}" for i in range(COMPANIES)],
        }
    )
    programmes = pd.DataFrame(
        {
            "programme_id": items,
            "summary": [f"지원사업 {i}\n신청 안내" for i in range(ITEMS)],
            "phone": ["02-000-0000"] * ITEMS,
        }
    )
    interactions = pd.DataFrame(
        {
            "company_id": [f"C{i:03d}" for i in range(COMPANIES)],
            "programme_id": [items[(i + 1) % ITEMS] for i in range(COMPANIES)],  # never a target
        }
    )
    return {"companies": companies, "programmes": programmes, "interactions": interactions}


def write_ranking(
    folder: Path, spec: dict[str, Any] | None = None, tables: dict[str, pd.DataFrame] | None = None
) -> Path:
    """A tiny ranking dataset folder: companies, programmes and interactions."""
    folder = folder / "tiny-ranking"
    (folder / "raw").mkdir(parents=True, exist_ok=True)
    for name, frame in (tables or _tables()).items():
        frame.to_csv(folder / "raw" / f"{name}.csv", index=False)
    (folder / "dataset.yaml").write_text(
        yaml.safe_dump(spec or _spec(), allow_unicode=True), encoding="utf-8"
    )
    suite = {"name": "tiny-ranking", "expectations": []}
    (folder / "expectations.json").write_text(json.dumps(suite), encoding="utf-8")
    return folder


def _checks(folder: Path) -> dict[str, Any]:
    report = gate(build_candidate(load_spec(folder)))
    return {check.name: check for check in report.checks}


def test_a_ranking_dataset_publishes_its_tables_beside_train_and_test(
    tmp_path: Path, settings: Settings
) -> None:
    outcome = service.publish(settings, str(write_ranking(tmp_path)))
    public = outcome.public_dir
    assert {"programmes.csv", "interactions.csv", "train.csv", "test.csv"} <= {
        p.name for p in public.iterdir()
    }
    programmes = pd.read_csv(public / "programmes.csv", dtype=str)
    assert list(programmes.columns) == ["programme_id", "summary"]  # the phone is dropped
    assert programmes["summary"].iloc[0] == "지원사업 0\n신청 안내"
    manifest = json.loads((public / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["ranking"] == {
        "k": 3,
        "items_file": "programmes.csv",
        "item_id_column": "programme_id",
    }
    assert manifest["files"]["interactions.csv"]["rows"] == COMPANIES
    assert set(manifest["raw_files"]) == {
        "raw/companies.csv",
        "raw/programmes.csv",
        "raw/interactions.csv",
    }
    sample = pd.read_csv(public / "sample_submission.csv", dtype=str)
    lists = sample["items"].str.split()
    assert lists.map(len).eq(3).all() and set(lists.explode()) <= set(programmes["programme_id"])
    assert "items" not in pd.read_csv(public / "test.csv").columns


def test_a_further_table_changes_the_fingerprint(tmp_path: Path) -> None:
    first = build_candidate(load_spec(write_ranking(tmp_path / "a"))).fingerprint
    tables = _tables()
    tables["programmes"].loc[0, "summary"] = "바뀐 요약"
    second = build_candidate(load_spec(write_ranking(tmp_path / "b", tables=tables))).fingerprint
    assert first != second


def test_the_gate_finds_test_labels_in_a_public_table(tmp_path: Path) -> None:
    assert _checks(write_ranking(tmp_path / "clean"))["ranking_leakage"].success
    tables = _tables()
    companies = tables["companies"]
    leaked = pd.DataFrame(
        {
            "company_id": companies["company_id"],
            "programme_id": companies["items"].str.split().str[0],
        }
    )
    tables["interactions"] = pd.concat([tables["interactions"], leaked], ignore_index=True)
    check = _checks(write_ranking(tmp_path / "leaky", tables=tables))["ranking_leakage"]
    assert not check.success
    assert check.details["pairs_in_tables"] > 0 and check.details["tables"] == ["interactions"]
    assert "appear in a public table (interactions)" in check.summary


def test_the_gate_finds_a_feature_naming_a_querys_own_items(tmp_path: Path) -> None:
    tables = _tables()
    companies = tables["companies"]
    companies["note"] = "다음 신청: " + companies["items"].str.split().str[1]
    check = _checks(write_ranking(tmp_path, tables=tables))["ranking_leakage"]
    assert not check.success and check.details["feature_mentions"] > 0


def test_personal_data_in_a_further_table_blocks_publishing(tmp_path: Path) -> None:
    tables = _tables()
    tables["programmes"].loc[3, "summary"] = "문의: 010-1234-5678"
    check = _checks(write_ranking(tmp_path, tables=tables))["personal_data"]
    assert not check.success
    assert [f["column"] for f in check.details["findings"]] == ["programmes.summary"]


def test_a_target_naming_an_unknown_or_repeated_item_is_refused(tmp_path: Path) -> None:
    tables = _tables()
    tables["companies"].loc[4, "items"] = "P01 NOPE"
    with pytest.raises(DataError, match=r"1 ids that are not in the items table, e.g. \['NOPE'\]"):
        build_candidate(load_spec(write_ranking(tmp_path / "unknown", tables=tables)))
    tables = _tables()
    tables["companies"].loc[4, "items"] = "P01 P01"
    with pytest.raises(DataError, match="repeats an id within a row in 1 rows"):
        build_candidate(load_spec(write_ranking(tmp_path / "repeated", tables=tables)))


def test_a_raw_column_of_a_further_table_must_be_accounted_for(tmp_path: Path) -> None:
    spec = _spec()
    spec["tables"][0]["drop"] = []
    with pytest.raises(SpecError, match=r"'phone' is neither in 'tables\[0\]\.columns'"):
        build_candidate(load_spec(write_ranking(tmp_path, spec=spec)))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: s.pop("ranking"), "a ranking task needs 'ranking'"),
        (lambda s: s["ranking"].update(items="nowhere"), "names 'nowhere', which is not a table"),
        (lambda s: s["ranking"].update(item_id="summary"), "must be the id_column of table"),
        (lambda s: s["columns"][4].update(type="category"), "give it type string"),
        (lambda s: s["tables"][1].update(name="labels"), "is a release file's own name"),
        (lambda s: s["tables"][0].update(id_column="nope"), "id_column 'nope' is not a column"),
        (lambda s: s.update(task="multiclass"), "only a ranking task takes it"),
    ],
)
def test_ranking_specs_are_checked_like_any_other(
    tmp_path: Path, change: Any, message: str
) -> None:
    spec = _spec()
    change(spec)
    with pytest.raises(SpecError, match=message):
        load_spec(write_ranking(tmp_path, spec=spec))


def test_the_shipped_recommendation_dataset_passes_the_gate_and_publishes_identically(
    tmp_path: Path,
) -> None:
    """The issue's bar: publishing it twice gives byte-identical files (public and hidden)."""
    trees = []
    for name in ("first", "second"):
        catalog = tmp_path / name / "catalog"
        shutil.copytree(SHIPPED / RANKING, catalog / RANKING)
        settings = Settings(home=tmp_path / name / "home", progress=False)
        outcome = service.publish(settings, str(catalog / RANKING))
        hidden = settings.hidden_root / RANKING / outcome.fingerprint[:16]
        trees.append(
            {
                p.relative_to(root).as_posix(): p.read_bytes()
                for root in (outcome.public_dir, hidden)
                for p in sorted(root.iterdir())
            }
        )
    first, second = trees
    assert first == second
    assert {"programmes.csv", "interactions.csv", "labels.csv"} <= set(first)
    quality = json.loads(first["quality_report.json"])
    checks = {c["name"]: c["success"] for c in quality["checks"]}
    assert checks["ranking_leakage"] and checks["k_anonymity"] and "target_leakage" not in checks


def test_the_model_variant_holds_the_same_data_with_hidden_test_companies() -> None:
    same, model = SHIPPED / RANKING, SHIPPED / f"{RANKING}-model"
    for raw in sorted((same / "raw").iterdir()):
        assert (model / "raw" / raw.name).read_bytes() == raw.read_bytes()
    spec, hidden = load_spec(same).spec, load_spec(model).spec
    assert hidden.release.test_features == "hidden" and spec.release.test_features == "public"
    keep = {"id", "title", "description", "source", "release"}
    assert hidden.model_dump(exclude=keep) == spec.model_dump(exclude=keep)
