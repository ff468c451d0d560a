"""Properties of every split rule, over many seeds and fractions (hypothesis)."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from factories import TINY_SPEC
from odx.datasets.spec import DatasetSpec
from odx.datasets.split import split_rows

FRAME = pd.DataFrame(
    {
        "shop_id": [f"S{i:03d}" for i in range(90)],
        "city": [f"c{i % 10}" for i in range(90)],
        "size": [float(i % 17) for i in range(90)],
        "memo": [f"2024-{1 + i % 6:02d}" for i in range(90)],
        "kind": [["a", "b", "c"][i % 3] for i in range(90)],
    }
)


def _spec(method: str, seed: int, test_fraction: float, public_fraction: float) -> DatasetSpec:
    column = {"time": "memo", "group": "city"}.get(method)
    split = {
        "method": method,
        "test_fraction": test_fraction,
        "public_fraction": public_fraction,
        "seed": seed,
    } | ({"column": column} if column else {})
    return DatasetSpec.model_validate(TINY_SPEC | {"split": split})


@settings(max_examples=40, deadline=None)
@given(
    method=st.sampled_from(["random", "stratified", "group", "time"]),
    seed=st.integers(0, 2**31 - 1),
    test_fraction=st.floats(0.15, 0.5),
    public_fraction=st.floats(0.2, 0.8),
)
def test_split_partitions_rows_deterministically(
    method: str, seed: int, test_fraction: float, public_fraction: float
) -> None:
    spec = _spec(method, seed, test_fraction, public_fraction)
    split = split_rows(FRAME, spec)
    assert sorted([*split.train, *split.test]) == list(FRAME.index)
    assert len(split.public) == len(split.test) and 0 < split.public.sum() < len(split.test)
    again = split_rows(FRAME, spec)
    assert list(again.test) == list(split.test) and list(again.public) == list(split.public)
    if method == "group":
        assert not set(FRAME.loc[split.train, "city"]) & set(FRAME.loc[split.test, "city"])
    if method == "time":
        assert FRAME.loc[split.train, "memo"].max() < FRAME.loc[split.test, "memo"].min()
    if method == "stratified":
        assert set(FRAME.loc[split.train, "kind"]) == {"a", "b", "c"}
