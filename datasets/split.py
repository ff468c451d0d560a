"""Deterministic train/test splits and the public/private division of the test rows."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.model_selection import GroupShuffleSplit, train_test_split

from odx.datasets.errors import CoreError
from odx.datasets.spec import DatasetSpec


class SplitError(CoreError):
    code = "invalid_split"
    title = "The split cannot be made"


@dataclass(frozen=True)
class Split:
    """Row labels of the prepared frame; ``public`` is a boolean per test row."""

    train: pd.Index
    test: pd.Index
    public: np.ndarray

    def train_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[self.train]

    def test_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[self.test]


def _can_stratify(labels: pd.Series) -> bool:
    return bool(labels.value_counts().min() >= 2)


def _train_test(frame: pd.DataFrame, spec: DatasetSpec) -> tuple[pd.Index, pd.Index]:
    rule = spec.split
    index = frame.index
    if rule.method == "random":
        return tuple(train_test_split(index, test_size=rule.test_fraction, random_state=rule.seed))
    if rule.method == "stratified":
        labels = frame[spec.target.column]
        counts = labels.value_counts()
        rare = counts[counts < 2]
        if not rare.empty:
            raise SplitError(
                f"stratified split: classes with a single row cannot be in both train and test: "
                f"{[str(c) for c in rare.index[:5]]}; merge or remove them"
            )
        return tuple(
            train_test_split(
                index, test_size=rule.test_fraction, random_state=rule.seed, stratify=labels
            )
        )
    column = frame[rule.column]
    if column.isna().any():
        raise SplitError(
            f"split column '{rule.column}' is empty in {int(column.isna().sum())} rows"
        )
    if rule.method == "group":
        splitter = GroupShuffleSplit(
            n_splits=1, test_size=rule.test_fraction, random_state=rule.seed
        )
        train_pos, test_pos = next(splitter.split(index, groups=column.astype(str)))
        return index[train_pos], index[test_pos]
    # time: the latest values go to test, never splitting rows that share a time.
    ordered = np.sort(column.unique())
    counts = column.value_counts().reindex(ordered).to_numpy()
    from_end = np.cumsum(counts[::-1])
    needed = rule.test_fraction * len(frame)
    k = int(np.searchsorted(from_end, needed)) + 1  # how many distinct latest values
    if k >= len(ordered):
        raise SplitError(f"time split on '{rule.column}': too few distinct values to hold out")
    cutoff = ordered[len(ordered) - k]
    return index[column < cutoff], index[column >= cutoff]


def split_rows(frame: pd.DataFrame, spec: DatasetSpec) -> Split:
    """Split the prepared frame as the spec says; the same frame and spec give the same split."""
    train, test = _train_test(frame, spec)
    train, test = pd.Index(sorted(train)), pd.Index(sorted(test))
    if len(train) == 0 or len(test) == 0:
        raise SplitError("the split leaves train or test empty; change test_fraction")
    target = spec.target.column
    if spec.task.is_classification:
        absent = sorted(set(frame.loc[test, target]) - set(frame.loc[train, target]), key=str)
        if absent:
            raise SplitError(
                f"the split leaves classes of '{target}' absent from train: "
                f"{[str(c) for c in absent[:5]]}; change the split rule or merge rare classes"
            )
    labels = frame.loc[test, target]
    public_rows = int(spec.split.public_fraction * len(test))
    if public_rows < 1:
        raise SplitError("the test set is too small to have a public part; raise test_fraction")
    classes = labels.nunique()
    can_stratify = (
        spec.task.is_classification
        and _can_stratify(labels)
        and min(public_rows, len(test) - public_rows) >= classes
    )
    stratify = labels if can_stratify else None
    positions = np.arange(len(test))
    public_pos, _ = train_test_split(
        positions,
        train_size=public_rows,
        random_state=spec.split.seed + 1,
        stratify=stratify,
    )
    public = np.zeros(len(test), dtype=bool)
    public[public_pos] = True
    return Split(train=train, test=test, public=public)
