"""Spec errors read like a compiler's: file, key, what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from factories import DatasetFactory
from odx.datasets.spec import SpecError, load_spec, parse_spec


def test_load_spec_reads_shipped_specs() -> None:
    from odx.datasets.catalog import SHIPPED_DIR

    ids = [
        load_spec(folder).spec.id
        for folder in sorted(SHIPPED_DIR.iterdir())
        if (folder / "dataset.yaml").is_file()
    ]
    assert ids == ["bizinfo-support-field", "market-store-count", "sme-growth-risk"]


def test_spec_error_names_file_and_key_for_unknown_key(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(spec={"splitt": {}})
    with pytest.raises(SpecError) as error:
        load_spec(folder)
    assert f"{folder / 'dataset.yaml'}: splitt: unknown key" in error.value.detail


def test_spec_error_names_nested_key_and_index(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    text = (
        (folder / "dataset.yaml").read_text(encoding="utf-8").replace("type: float", "type: money")
    )
    (folder / "dataset.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as error:
        load_spec(folder)
    assert "columns[2].type: Input should be" in error.value.detail
    assert "'float'" in error.value.detail


def test_spec_error_reports_yaml_syntax_with_line() -> None:
    with pytest.raises(SpecError, match=r"^x\.yaml:3:\d+: not valid YAML"):
        parse_spec("id: a\ntitle: {ko: 가\nsplit: [", source="x.yaml")


def test_spec_error_for_target_not_among_columns(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(spec={"target": {"column": "category"}})
    with pytest.raises(SpecError, match="target 'category' is not among 'columns'"):
        load_spec(folder)


def test_spec_error_for_missing_required_key(make_dataset: DatasetFactory) -> None:
    folder = make_dataset()
    text = (folder / "dataset.yaml").read_text(encoding="utf-8")
    head, _, _ = text.partition("split:")
    (folder / "dataset.yaml").write_text(head, encoding="utf-8")
    with pytest.raises(SpecError, match=r"split: required key is missing"):
        load_spec(folder)


def test_spec_error_when_folder_has_no_spec(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="no dataset spec here"):
        load_spec(tmp_path)


def test_spec_error_for_split_column_with_random_method(make_dataset: DatasetFactory) -> None:
    folder = make_dataset(
        spec={
            "split": {
                "method": "random",
                "column": "city",
                "test_fraction": 0.3,
                "public_fraction": 0.5,
                "seed": 1,
            }
        }
    )
    with pytest.raises(SpecError, match="split: split method 'random' takes no 'column'"):
        load_spec(folder)
