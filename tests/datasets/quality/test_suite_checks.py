"""A suite's mistakes are spec errors naming the file and the key, found before GX runs."""

from __future__ import annotations

import copy
import logging
from pathlib import Path
from typing import Any

import pytest

from factories import TINY_SUITE, DatasetFactory
from odx.datasets.quality.expectations import load_suite
from odx.datasets.quality.suite_checks import expectation_types, suite_problems
from odx.datasets.spec import SpecError, load_spec
from odx.platform.services import datasets as service
from odx.platform.settings import Settings


def _suite(*extra: dict[str, Any]) -> dict[str, Any]:
    suite = copy.deepcopy(TINY_SUITE)
    suite["expectations"] += list(extra)
    return suite


def test_known_types_come_from_gx_itself() -> None:
    known = expectation_types()
    assert "expect_column_values_to_not_be_null" in known
    assert "expect_column_values_to_not_be_nul" not in known
    assert len(known) > 40


def test_misspelt_expectation_type_is_a_spec_error_before_gx_runs(
    settings: Settings, make_dataset: DatasetFactory, caplog: pytest.LogCaptureFixture
) -> None:
    suite = _suite(
        {"type": "expect_column_values_to_not_be_nul", "kwargs": {"column": "city"}, "meta": {}}
    )
    folder = make_dataset(suite=suite)
    steps: list[str] = []
    with caplog.at_level(logging.ERROR), pytest.raises(SpecError) as error:
        service.validate(settings, str(folder), step=steps.append)
    assert error.value.detail == (
        f"{folder / 'expectations.json'}: expectations[3].type: unknown expectation type "
        "'expect_column_values_to_not_be_nul' (did you mean 'expect_column_values_to_not_be_null'?)"
    )
    assert steps == ["check the expectation suite"]  # no data read, no expectation run
    assert not [r for r in caplog.records if r.name.startswith("great_expectations")]


def test_expectation_on_a_column_not_in_the_spec_suggests_the_right_one(
    make_dataset: DatasetFactory,
) -> None:
    suite = _suite(
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "sise"}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "owner_phone"}},
        {
            "type": "expect_column_pair_values_to_be_equal",
            "kwargs": {"column_A": "city", "column_B": "kindd"},
        },
    )
    loaded = load_spec(make_dataset(suite=suite))
    with pytest.raises(SpecError) as error:
        load_suite(loaded.suite_path, loaded.spec)
    path = loaded.suite_path
    assert error.value.extra["problems"] == [
        f"{path}: expectations[3].kwargs.column: 'sise' is not a column of the dataset "
        "(did you mean 'size'?)",
        f"{path}: expectations[4].kwargs.column: 'owner_phone' is not a column of the dataset; "
        "the spec drops it, so it is not published",
        f"{path}: expectations[5].kwargs.column_B: 'kindd' is not a column of the dataset "
        "(did you mean 'kind'?)",
    ]


def test_raw_column_name_in_a_suite_points_to_the_published_name(
    make_dataset: DatasetFactory,
) -> None:
    loaded = load_spec(make_dataset())
    columns = [c.model_dump(mode="json", exclude_defaults=True) for c in loaded.spec.columns]
    columns[2]["source"], columns[2]["name"] = "size", "area_m2"
    suite = {
        "name": "t",
        "expectations": [
            {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "size"}}
        ],
    }
    loaded = load_spec(make_dataset(spec={"columns": columns}, suite=suite))
    problems = suite_problems({"expectations": suite["expectations"]}, Path("s.json"), loaded.spec)
    assert problems == [
        "s.json: expectations[0].kwargs.column: 'size' is not a column of the dataset; it is "
        "published as 'area_m2', the name expectations see"
    ]


def test_unknown_missing_and_ill_typed_arguments_are_named_by_key() -> None:
    suite = {
        "expectations": [
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"colum": "size", "min_value": 1},
            },
            {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "city"}},
            {
                "type": "expect_column_values_to_be_between",
                "kwargs": {"column": "size", "min_value": "small"},
            },
            {"type": "expect_column_values_to_be_between", "kwargs": {"column": "size"}},
        ]
    }
    assert suite_problems(suite, Path("s.json")) == [
        "s.json: expectations[0].kwargs.colum: not an argument of "
        "expect_column_values_to_be_between (did you mean 'column'?)",
        "s.json: expectations[0].kwargs: expect_column_values_to_be_between needs 'column'",
        "s.json: expectations[1].kwargs: expect_column_values_to_be_in_set needs 'value_set'",
        "s.json: expectations[2].kwargs.min_value: value is not a valid float",
        "s.json: expectations[3].kwargs: min_value and max_value cannot both be None",
    ]


def test_shipped_suites_have_no_static_problems() -> None:
    from odx.datasets.catalog import SHIPPED_DIR

    for folder in sorted(p for p in SHIPPED_DIR.iterdir() if (p / "dataset.yaml").is_file()):
        loaded = load_spec(folder)
        load_suite(loaded.suite_path, loaded.spec)
