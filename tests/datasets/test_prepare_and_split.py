"""Preparing applies the spec strictly; splitting is deterministic and keeps its promises."""

from __future__ import annotations

import pandas as pd
import pytest

from factories import DatasetFactory, tiny_rows
from odx.datasets.prepare import DataError, prepare
from odx.datasets.raw import read_raw
from odx.datasets.spec import SpecError, load_spec
from odx.datasets.split import SplitError, split_rows


def _prepare(folder):  # type: ignore[no-untyped-def]
    loaded = load_spec(folder)
    raw, _ = read_raw(loaded)
    return loaded, prepare(raw, loaded.spec, source=str(loaded.path))


def test_spec_naming_a_column_absent_from_raw_data_is_refused(make_dataset: DatasetFactory) -> None:
    rows = [{k: v for k, v in r.items() if k != "size"} | {"sise": r["size"]} for r in tiny_rows()]
    with pytest.raises(SpecError, match=r"reads raw column 'size'.*did you mean 'sise'"):
        _prepare(make_dataset(rows=rows))


def test_raw_column_neither_published_nor_dropped_is_refused(make_dataset: DatasetFactory) -> None:
    rows = [r | {"owner_email": "kim@example.com"} for r in tiny_rows()]
    with pytest.raises(SpecError, match="raw column 'owner_email' is neither in 'columns' nor"):
        _prepare(make_dataset(rows=rows))


def test_target_with_nulls_is_refused_unless_spec_drops_them(make_dataset: DatasetFactory) -> None:
    rows = tiny_rows()
    rows[5]["kind"] = None
    with pytest.raises(DataError, match="target 'kind' is empty in 1 of 120 rows"):
        _prepare(make_dataset(rows=rows))
    _, prepared = _prepare(
        make_dataset(rows=rows, spec={"target": {"column": "kind", "drop_missing": True}})
    )
    assert prepared.rows_dropped_missing_target == 1 and len(prepared.frame) == 119


def test_duplicated_ids_are_refused_with_examples(make_dataset: DatasetFactory) -> None:
    rows = tiny_rows()
    rows[7]["shop_id"] = rows[3]["shop_id"]
    with pytest.raises(DataError, match=r"duplicated values .*'S0003'"):
        _prepare(make_dataset(rows=rows))


def test_non_numeric_value_in_float_column_is_refused(make_dataset: DatasetFactory) -> None:
    rows = tiny_rows()
    rows[2]["size"] = "큼"
    with pytest.raises(
        DataError, match=r"column 'size' \(float\): values that are not numbers: \['큼'\]"
    ):
        _prepare(make_dataset(rows=rows))


def test_html_entities_are_decoded_and_split_first_keeps_the_first_label(
    make_dataset: DatasetFactory,
) -> None:
    rows = tiny_rows()
    rows[0]["memo"] = "가치&amp;#40;공급&#41;사슬"
    rows[0]["kind"] = "식당@카페"
    columns = load_spec(make_dataset()).spec.model_dump(mode="json", exclude_defaults=True)[
        "columns"
    ]
    columns[3]["transforms"] = ["html_unescape"]
    columns[4]["transforms"] = [{"split_first": "@"}]
    _, prepared = _prepare(make_dataset(rows=rows, spec={"columns": columns}))
    assert prepared.frame.loc[0, "memo"] == "가치(공급)사슬"
    assert prepared.frame.loc[0, "kind"] == "식당"


def test_split_is_deterministic_and_disjoint(make_dataset: DatasetFactory) -> None:
    loaded, prepared = _prepare(make_dataset())
    first, second = split_rows(prepared.frame, loaded.spec), split_rows(prepared.frame, loaded.spec)
    assert list(first.train) == list(second.train) and list(first.public) == list(second.public)
    assert not set(first.train) & set(first.test)
    assert len(first.test) == 36 and first.public.sum() == 18


def test_split_leaving_a_class_absent_from_train_is_refused(make_dataset: DatasetFactory) -> None:
    rows = tiny_rows()
    for i, row in enumerate(rows):
        row["memo"] = f"2024-0{1 + i % 6}"
    rows[-1]["kind"] = "꽃집"
    rows[-1]["memo"] = "2024-09"
    spec = {
        "split": {
            "method": "time",
            "column": "memo",
            "test_fraction": 0.2,
            "public_fraction": 0.5,
            "seed": 1,
        }
    }
    loaded, prepared = _prepare(make_dataset(rows=rows, spec=spec))
    with pytest.raises(SplitError, match=r"absent from train: \['꽃집'\]"):
        split_rows(prepared.frame, loaded.spec)


def test_time_split_puts_latest_values_in_test_without_splitting_a_time(
    make_dataset: DatasetFactory,
) -> None:
    rows = tiny_rows()
    for i, row in enumerate(rows):
        row["memo"] = f"2024-0{1 + i % 4}"
    spec = {
        "split": {
            "method": "time",
            "column": "memo",
            "test_fraction": 0.2,
            "public_fraction": 0.5,
            "seed": 1,
        }
    }
    loaded, prepared = _prepare(make_dataset(rows=rows, spec=spec))
    split = split_rows(prepared.frame, loaded.spec)
    frame = prepared.frame
    assert set(frame.loc[split.test, "memo"]) == {"2024-04"}
    assert "2024-04" not in set(frame.loc[split.train, "memo"])


def test_group_split_keeps_each_group_on_one_side(make_dataset: DatasetFactory) -> None:
    spec = {
        "split": {
            "method": "group",
            "column": "city",
            "test_fraction": 0.25,
            "public_fraction": 0.5,
            "seed": 3,
        }
    }
    loaded, prepared = _prepare(make_dataset(spec=spec))
    split = split_rows(prepared.frame, loaded.spec)
    train_cities = set(prepared.frame.loc[split.train, "city"])
    test_cities = set(prepared.frame.loc[split.test, "city"])
    assert train_cities and test_cities and not train_cities & test_cities
    assert isinstance(prepared.frame, pd.DataFrame)
