"""Binary targets written as Y/N, yes/no, true/false or 1/0, or any two values with a declared
positive one, publish as 0 and 1; targets that are not two-valued are refused before the gate."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from factories import TINY_SPEC, TINY_SUITE, DatasetFactory, tiny_rows
from odx.datasets.binary import binary_labels
from odx.datasets.spec import SpecError
from odx.platform.services import datasets as service
from odx.platform.settings import Settings

COLUMN = {"name": "closed", "type": "category", "description": {"ko": "폐업", "en": "Closed"}}


def _binary_dataset(
    make_dataset: DatasetFactory,
    spellings: tuple[str, str],
    *,
    positive: str | None = None,
    value_set: list[Any] | None = None,
) -> Path:
    """The tiny shops with a 30%-positive target 'closed' spelt as ``spellings`` (yes, no)."""
    flags = np.random.default_rng(0).random(120) < 0.3
    rows = [
        r | {"closed": spellings[0] if f else spellings[1]}
        for r, f in zip(tiny_rows(), flags, strict=True)
    ]
    target: dict[str, Any] = {"column": "closed"}
    if positive is not None:
        target["positive"] = positive
    suite = {
        "name": "tiny-shops",
        "expectations": [
            *TINY_SUITE["expectations"],
            {
                "type": "expect_column_values_to_be_in_set",
                "kwargs": {"column": "closed", "value_set": value_set or [0, 1]},
            },
        ],
    }
    spec = {"task": "binary", "target": target, "columns": [*TINY_SPEC["columns"], COLUMN]}
    return make_dataset(rows=rows, spec=spec, suite=suite)


def _column(path: Path, name: str) -> list[str]:
    return pd.read_csv(path, dtype=str)[name].tolist()


@pytest.mark.parametrize(
    "spellings", [("Y", "N"), ("yes", "No"), ("TRUE", "false"), ("1", "0"), (" y ", "n")]
)
def test_binary_target_publishes_as_zero_and_one(
    settings: Settings, make_dataset: DatasetFactory, spellings: tuple[str, str]
) -> None:
    folder = _binary_dataset(make_dataset, spellings)
    outcome = service.publish(settings, str(folder))
    train = _column(outcome.public_dir / "train.csv", "closed")
    assert set(train) == {"0", "1"}
    labels_dir = settings.hidden_root / "tiny-shops" / outcome.fingerprint[:16]
    assert set(_column(labels_dir / "labels.csv", "closed")) == {"0", "1"}
    rate = np.mean([int(v) for v in train])
    assert {float(v) for v in _column(outcome.public_dir / "sample_submission.csv", "closed")} == {
        round(float(rate), 6)
    }
    raw = pd.read_csv(folder / "raw" / "shops.csv", dtype=str).set_index("shop_id")["closed"]
    published = pd.read_csv(outcome.public_dir / "train.csv", dtype=str).set_index("shop_id")
    assert all(
        (raw[i].strip() == spellings[0].strip()) == (v == "1")
        for i, v in published["closed"].items()
    )


def test_declared_positive_value_decides_which_value_is_one(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    folder = _binary_dataset(make_dataset, ("폐업", "영업"), positive="폐업")
    outcome = service.publish(settings, str(folder))
    train = pd.read_csv(outcome.public_dir / "train.csv", dtype=str).set_index("shop_id")
    raw = pd.read_csv(folder / "raw" / "shops.csv", dtype=str).set_index("shop_id")["closed"]
    assert all((raw[i] == "폐업") == (v == "1") for i, v in train["closed"].items())


def test_declared_positive_can_turn_a_usual_pair_around() -> None:
    values = pd.Series(["Y", "N", "n", "y"])
    flipped = binary_labels(values, positive="N", column="closed", source="d.yaml")
    assert flipped.tolist() == [0, 1, 1, 0]
    assert binary_labels(values, positive=None, column="closed", source="d.yaml").tolist() == [
        1,
        0,
        0,
        1,
    ]


@pytest.mark.parametrize(
    ("spellings", "positive", "message"),
    [
        (
            ("폐업", "영업"),
            None,
            r"dataset\.yaml: target\.positive: target 'closed' has the values '영업', '폐업'; "
            r"declare which one means 1",
        ),
        (
            ("폐업", "영업"),
            "패업",
            r"target\.positive: '패업' is not a value of 'closed' .*\(did you mean '폐업'\?\)",
        ),
    ],
)
def test_binary_target_that_cannot_be_read_is_a_spec_error(
    settings: Settings,
    make_dataset: DatasetFactory,
    spellings: tuple[str, str],
    positive: str | None,
    message: str,
) -> None:
    folder = _binary_dataset(make_dataset, spellings, positive=positive)
    with pytest.raises(SpecError, match=message):
        service.publish(settings, str(folder))


def test_binary_target_that_is_not_two_valued_is_refused_before_the_gate_runs(
    settings: Settings, make_dataset: DatasetFactory, caplog: pytest.LogCaptureFixture
) -> None:
    rows = tiny_rows()
    spec = {"task": "binary", "split": {**TINY_SPEC["split"], "method": "random"}}
    folder = make_dataset(rows=rows, spec=spec, suite={"name": "t", "expectations": []})
    steps: list[str] = []
    with caplog.at_level(logging.ERROR), pytest.raises(SpecError) as error:
        service.validate(settings, str(folder), step=steps.append)
    assert error.value.detail == (
        f"{folder / 'dataset.yaml'}: task: binary, but target 'kind' has 3 values in the data "
        "('서점', '식당', '카페'); a binary target has exactly two — use task: multiclass, or map "
        "the values to two"
    )
    assert "expectations" not in steps  # refused while preparing, before any check ran
    assert not caplog.records


def test_single_valued_binary_target_is_refused() -> None:
    single = r"target 'closed' has a single value in the data \('Y', 'y'\)"
    with pytest.raises(SpecError, match=single):
        binary_labels(pd.Series(["Y", "y"]), positive=None, column="closed", source="d.yaml")


def test_binary_target_value_set_must_be_zero_and_one(
    settings: Settings, make_dataset: DatasetFactory
) -> None:
    folder = _binary_dataset(make_dataset, ("Y", "N"), value_set=["Y", "N"])
    with pytest.raises(SpecError, match=r"expectations\[3\]\.kwargs\.value_set: the binary target"):
        service.publish(settings, str(folder))
