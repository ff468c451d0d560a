"""How well one feature alone ranks a binary target: its AUC.

AUC compares every positive row with every negative one, so a feature earns nothing by
agreeing with the majority class. Accuracy does: on a target that is 83% positive a useless
feature scores 0.83, and a feature that orders the rows almost perfectly hides below a fixed
accuracy threshold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

QUANTILE_BINS = 20


def oriented_auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """max(AUC, 1 − AUC): a number that ranks the target backwards leaks it as much."""
    if len(np.unique(labels)) < 2 or len(np.unique(scores)) < 2:
        return 0.5
    auc = float(roc_auc_score(labels, scores))
    return max(auc, 1.0 - auc)


def rank_auc(values: np.ndarray, labels: np.ndarray) -> float:
    """AUC of the numbers as they are; empty values ranked below all, then above all (the better).

    Nothing is fitted, so the score needs no held-out rows.
    """
    present = ~np.isnan(values)
    if present.all():
        return oriented_auc(labels, values)
    if not present.any():
        return 0.5
    low, high = np.nanmin(values) - 1.0, np.nanmax(values) + 1.0
    return max(oriented_auc(labels, np.where(present, values, fill)) for fill in (low, high))


def encoded_auc(codes: np.ndarray, labels: np.ndarray, folds: np.ndarray) -> float:
    """AUC of each row's positive rate among other folds' rows with the same value.

    Rows never see their own label, so a value unique to one row (a name, an id) earns nothing:
    every value met in no other fold gets one and the same rate. The score is not turned around:
    a rate learnt from other rows that ranks backwards is noise, not a leak.
    """
    unseen = float(labels.mean())  # one constant for all: it orders nothing
    rate = np.empty(len(labels), dtype=float)
    for fold in np.unique(folds):
        fit, held = folds != fold, folds == fold
        rates = pd.Series(labels[fit], dtype=float).groupby(codes[fit]).mean()
        looked_up = rates.reindex(codes[held]).to_numpy(dtype=float)
        rate[held] = np.where(np.isnan(looked_up), unseen, looked_up)
    if len(np.unique(labels)) < 2 or len(np.unique(rate)) < 2:
        return 0.5
    return float(roc_auc_score(labels, rate))


def quantile_codes(values: np.ndarray) -> np.ndarray:
    """Up to 20 bins of equal size for many-valued numbers (empty values in a bin of their own)."""
    series = pd.Series(values)
    if series.nunique() <= QUANTILE_BINS:
        codes, _ = pd.factorize(series, use_na_sentinel=False)
        return codes
    bins = pd.qcut(series.rank(method="dense"), QUANTILE_BINS, labels=False, duplicates="drop")
    return bins.fillna(-1).to_numpy(dtype=int)


def is_number(feature: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(feature) and not pd.api.types.is_bool_dtype(feature)


def feature_auc(feature: pd.Series, labels: np.ndarray, folds: np.ndarray) -> tuple[float, str]:
    """The feature's AUC against 0/1 ``labels`` and how it was measured.

    Numbers: the better of their own ranking (``rank``) and the out-of-fold rate per quantile
    bin (``encoded``, which also finds a target tied to a middle range). Anything else: the
    out-of-fold rate per value (``encoded``).
    """
    if is_number(feature):
        values = pd.to_numeric(feature).to_numpy(dtype=float, na_value=np.nan)
        ranked = rank_auc(values, labels)
        binned = encoded_auc(quantile_codes(values), labels, folds)
        return (ranked, "rank") if ranked >= binned else (binned, "encoded")
    codes, _ = pd.factorize(feature, use_na_sentinel=False)
    return encoded_auc(codes, labels, folds), "encoded"
