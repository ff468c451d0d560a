"""Leakage checks on a train/test split: features that give the answer away, and splits that differ.

Every check is deterministic for a given seed and returns plain Python numbers, so its
dataclasses go straight into the JSON report via :func:`dataclasses.asdict`. A binary target is
judged by each feature's own AUC (:mod:`odx.datasets.quality.feature_auc`); multiclass and
numeric targets by an out-of-fold lookup.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from threadpoolctl import threadpool_limits

from odx.datasets.quality.feature_auc import feature_auc, oriented_auc
from odx.datasets.spec import LeakageThresholds

MAX_FOLDS = 5
MAX_CATEGORIES = 50
MAX_ID_TEXT_LENGTH = 80
CONTAINS_ID_SHARE = 0.5
CONTAINS_SAMPLE = 50_000
TOP_FEATURES = 5
DUPLICATE_EXAMPLES = 5
MAX_FEATURE_AUC: float = LeakageThresholds.model_fields["max_feature_auc"].default


@dataclass(frozen=True)
class FeatureTargetScore:
    """How well one feature alone predicts the target, against a baseline that ignores it.

    Binary targets: ``score`` is an AUC against a ``baseline`` of 0.5, and ``kind`` is
    ``auc_rank`` (the feature's numbers ranked as they are), ``auc_encoded`` (its out-of-fold
    positive rate per value or quantile bin) or ``contains_target`` (the text holds a label
    word); ``flagged`` says the AUC is above the AUC threshold.

    Other targets: ``kind`` is ``lookup`` (out-of-fold value -> label lookup, accuracy or R²),
    ``contains_target`` (share of rows whose text holds their label) or ``monotone``
    (|Spearman| with a numeric target); ``flagged`` says the score is above the threshold and
    closes over half the gap from baseline to perfect, so an imbalanced target does not flag
    every feature.
    """

    column: str
    score: float
    baseline: float
    kind: str
    flagged: bool = False


TargetLeak = FeatureTargetScore


@dataclass(frozen=True)
class IdLikeColumn:
    """A feature that identifies rows rather than describing them."""

    column: str
    unique_fraction: float
    contains_id: bool


@dataclass(frozen=True)
class DuplicateResult:
    """Test rows whose features also occur in train; ``examples`` are test row positions."""

    test_rows_duplicated: int
    fraction: float
    examples: list[int]


@dataclass(frozen=True)
class AdversarialResult:
    """How well a model tells train rows from test rows (0.5: indistinguishable)."""

    auc: float
    top_features: list[tuple[str, float]]


def _folds(rows: int, seed: int) -> np.ndarray:
    """Seeded fold number per row: 5 folds when there is data for it, never fewer than 2."""
    count = min(MAX_FOLDS, max(2, rows // 10))
    return np.random.default_rng(seed).permutation(rows) % count


def _lookup_classification(values: np.ndarray, labels: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Out-of-fold majority label per feature value; unseen values get the fold's majority."""
    predicted = np.empty_like(labels)
    for fold in np.unique(folds):
        train, test = folds != fold, folds == fold
        counts = pd.DataFrame({"v": values[train], "y": labels[train]}).value_counts()
        best = (
            counts.reset_index(name="n")
            .sort_values(["v", "n", "y"], ascending=[True, False, True], kind="stable")
            .drop_duplicates("v")
        )
        mapping = pd.Series(best["y"].to_numpy(), index=best["v"].to_numpy())
        majority = int(np.bincount(labels[train]).argmax())
        looked_up = mapping.reindex(values[test]).to_numpy()
        predicted[test] = np.where(pd.isna(looked_up), majority, looked_up).astype(labels.dtype)
    return predicted


def _lookup_regression(values: np.ndarray, target: np.ndarray, folds: np.ndarray) -> np.ndarray:
    """Out-of-fold mean target per feature value; unseen values get the fold's mean."""
    predicted = np.empty_like(target)
    for fold in np.unique(folds):
        train, test = folds != fold, folds == fold
        means = pd.Series(target[train]).groupby(values[train]).mean()
        looked_up = means.reindex(values[test]).to_numpy()
        predicted[test] = np.where(np.isnan(looked_up), target[train].mean(), looked_up)
    return predicted


def _r2(target: np.ndarray, predicted: np.ndarray) -> float:
    """R² that is 0, not undefined, for a constant target."""
    total = float(((target - target.mean()) ** 2).sum())
    return 0.0 if total == 0 else 1.0 - float(((target - predicted) ** 2).sum()) / total


def _is_text(column: pd.Series) -> bool:
    """String-like columns (object, string or categorical)."""
    return (
        pd.api.types.is_object_dtype(column.dtype)
        or pd.api.types.is_string_dtype(column.dtype)
        or isinstance(column.dtype, pd.CategoricalDtype)
    )


def _is_number(word: str) -> bool:
    """Numeric labels such as "1" or "10" occur in any text with digits, so they prove nothing."""
    try:
        float(word)
    except ValueError:
        return False
    return True


def _contains_share(text: pd.Series, labels: pd.Series) -> float:
    """Share of rows whose text holds that row's label (only labels that are words, not numbers)."""
    text = text.astype(object)
    hits = 0
    for label, rows in labels.groupby(labels, sort=False).groups.items():
        word = str(label)
        if len(word) < 2 or _is_number(word):
            continue
        cells = text.loc[rows].dropna().astype(str)
        hits += int(cells.str.contains(word, regex=False).sum())
    return hits / len(labels) if len(labels) else 0.0


def _contains_score(text: pd.Series, words: list[object]) -> np.ndarray:
    """+1 where the text holds the second label word, -1 where it holds the first (else 0)."""
    cells = text.astype(object).where(text.notna(), "").astype(str)
    score = np.zeros(len(cells))
    for sign, label in zip((-1.0, 1.0), words, strict=True):
        word = str(label)
        if len(word) >= 2 and not _is_number(word):
            score += sign * cells.str.contains(word, regex=False).to_numpy(dtype=float)
    return score


def _binary_leaks(
    frame: pd.DataFrame, target: str, features: list[str], *, auc_threshold: float, seed: int
) -> list[FeatureTargetScore]:
    """Each feature's own AUC against a two-valued target."""
    codes, words = pd.factorize(frame[target], sort=True)
    labels = codes.astype(int)
    folds = _folds(len(frame), seed)
    results: list[FeatureTargetScore] = []
    for column in (c for c in features if c != target):
        feature = frame[column]
        score, kind = feature_auc(feature, labels, folds)
        kind = f"auc_{kind}"
        if _is_text(feature):
            contains = oriented_auc(labels, _contains_score(feature, list(words)))
            if contains > max(score, 0.5):
                score, kind = contains, "contains_target"
        results.append(FeatureTargetScore(column, score, 0.5, kind, score > auc_threshold))
    return sorted(results, key=lambda r: (-r.score, r.column))


def find_target_leaks(
    train: pd.DataFrame,
    target: str,
    features: list[str],
    *,
    classification: bool,
    threshold: float,
    seed: int,
    auc_threshold: float = MAX_FEATURE_AUC,
) -> list[FeatureTargetScore]:
    """Score every feature as a one-column predictor of the target; best first, for the report.

    A classification target with two values is judged by AUC against ``auc_threshold``; any
    other by lookup scores against ``threshold``.
    """
    frame = train[train[target].notna()].reset_index(drop=True)
    if classification and frame[target].nunique() == 2 and len(frame) >= 2:
        return _binary_leaks(frame, target, features, auc_threshold=auc_threshold, seed=seed)
    if not classification:
        numeric = pd.to_numeric(frame[target], errors="coerce")
        frame = frame[numeric.notna()].reset_index(drop=True)
    if len(frame) < 2:
        names = [c for c in features if c != target]
        return [FeatureTargetScore(c, 0.0, 0.0, "lookup") for c in sorted(names)]
    folds = _folds(len(frame), seed)
    if classification:
        labels, _ = pd.factorize(frame[target])
        values = np.empty(0)
        fallback = np.zeros_like(labels)
        for fold in np.unique(folds):
            fallback[folds == fold] = np.bincount(labels[folds != fold]).argmax()
        baseline = float((fallback == labels).mean()) if len(labels) else 0.0
        shuffled = frame[target].sample(frac=1.0, random_state=seed).reset_index(drop=True)
    else:
        values = pd.to_numeric(frame[target]).to_numpy(dtype=float)
        means = np.array([values[folds != fold].mean() for fold in range(folds.max() + 1)])
        baseline = _r2(values, means[folds])
        labels, shuffled = np.empty(0, dtype=np.intp), frame[target]
    results: list[FeatureTargetScore] = []
    for column in (c for c in features if c != target):
        feature = frame[column]
        codes, _ = pd.factorize(feature, use_na_sentinel=False)
        scores: list[tuple[float, float, str]] = []
        if classification:
            correct = _lookup_classification(codes, labels, folds) == labels
            scores.append((float(correct.mean()), baseline, "lookup"))
            if _is_text(feature):
                own = _contains_share(feature, frame[target])
                chance = _contains_share(feature, shuffled)
                scores.append((own, chance, "contains_target"))
        else:
            predicted = _lookup_regression(codes, values, folds)
            scores.append((_r2(values, predicted), baseline, "lookup"))
            numeric = pd.api.types.is_numeric_dtype(feature) and not pd.api.types.is_bool_dtype(
                feature
            )
            if numeric and feature.nunique() > 1:
                rho = feature.astype(float).corr(pd.Series(values), method="spearman")
                scores.append((0.0 if pd.isna(rho) else abs(float(rho)), 0.0, "monotone"))
        score, base, kind = max(scores, key=lambda s: s[0])
        flagged = score > threshold and score > base + (1.0 - base) / 2
        results.append(FeatureTargetScore(column, score, base, kind, flagged))
    return sorted(results, key=lambda r: (-r.score, r.column))


def _contains_id_share(frame: pd.DataFrame, id_column: str, column: str) -> float:
    """Share of rows (a fixed sample of big frames) whose text contains the row's id."""
    sample = frame[[id_column, column]]
    if len(sample) > CONTAINS_SAMPLE:
        sample = sample.sample(n=CONTAINS_SAMPLE, random_state=0)
    pairs = sample.dropna()
    hits = sum(
        str(ident) in str(text)
        for ident, text in zip(pairs[id_column].tolist(), pairs[column].tolist(), strict=True)
    )
    return hits / len(sample) if len(sample) else 0.0


def find_id_like_columns(
    frame: pd.DataFrame, id_column: str, features: list[str], *, uniqueness: float
) -> list[IdLikeColumn]:
    """Features that are row ids in disguise: almost all distinct, or embedding the row's id."""
    found: list[IdLikeColumn] = []
    rows = len(frame)
    for column in (c for c in features if c != id_column):
        values = frame[column]
        fraction = float(values.nunique(dropna=True) / rows) if rows else 0.0
        text = _is_text(values)
        kind_ok = text or (
            pd.api.types.is_integer_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values)
        )
        if text and kind_ok:
            lengths = values.dropna().astype(str).str.len()
            kind_ok = lengths.empty or float(lengths.median()) <= MAX_ID_TEXT_LENGTH
        contains = False
        if text and id_column in frame:
            contains = _contains_id_share(frame, id_column, column) >= CONTAINS_ID_SHARE
        if (kind_ok and fraction >= uniqueness) or contains:
            found.append(IdLikeColumn(column, fraction, contains))
    return found


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    """One 64-bit hash per row, with every kind of null hashing alike."""
    columns = {}
    for name in frame.columns:
        column = frame[name]
        if _is_text(column):
            column = column.astype(object).where(column.notna(), "\x00null")
        columns[name] = column
    return pd.util.hash_pandas_object(pd.DataFrame(columns), index=False).to_numpy()


def cross_split_duplicates(
    train: pd.DataFrame, test: pd.DataFrame, features: list[str]
) -> DuplicateResult:
    """Test rows whose whole feature vector already appears in train (answer copied over)."""
    if not features or test.empty:
        return DuplicateResult(0, 0.0, [])
    both = pd.concat([train[features], test[features]], ignore_index=True)
    hashes = _row_hashes(both)
    duplicated = np.isin(hashes[len(train) :], hashes[: len(train)])
    positions = np.flatnonzero(duplicated)
    return DuplicateResult(
        test_rows_duplicated=int(duplicated.sum()),
        fraction=float(duplicated.mean()),
        examples=[int(p) for p in positions[:DUPLICATE_EXAMPLES]],
    )


def _encode(frame: pd.DataFrame, features: list[str]) -> tuple[pd.DataFrame, list[bool], list[str]]:
    """Numbers as is, few-valued text as ordinal codes, other text as length and digit count."""
    columns: dict[str, np.ndarray] = {}
    categorical: list[bool] = []
    owners: list[str] = []

    def add(name: str, values: np.ndarray, is_category: bool, owner: str) -> None:
        columns[name] = values
        categorical.append(is_category)
        owners.append(owner)

    for column in features:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values.dtype):
            add(column, values.astype(float).to_numpy(), False, column)
        elif pd.api.types.is_datetime64_any_dtype(values.dtype):
            if getattr(values.dt, "tz", None) is not None:
                values = values.dt.tz_convert(None)
            ints = values.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
            add(column, np.where(values.isna().to_numpy(), np.nan, ints), False, column)
        elif pd.api.types.is_timedelta64_dtype(values.dtype):
            add(column, values.dt.total_seconds().to_numpy(dtype=float), False, column)
        elif pd.api.types.is_numeric_dtype(values.dtype):
            add(column, pd.to_numeric(values).to_numpy(dtype=float, na_value=np.nan), False, column)
        else:
            text = values.astype(object)
            present = text.notna()
            text = text.where(~present, text[present].astype(str)).where(present, None)
            if text.nunique(dropna=True) <= MAX_CATEGORIES:
                codes, _ = pd.factorize(text, sort=True)
                add(column, np.where(codes < 0, np.nan, codes).astype(float), True, column)
            else:
                strings = text.astype("string")
                lengths = strings.str.len().to_numpy(dtype=float, na_value=np.nan)
                digits = strings.str.count(r"\d").to_numpy(dtype=float, na_value=np.nan)
                add(f"{column}__length", lengths, False, column)
                add(f"{column}__digits", digits, False, column)
    return pd.DataFrame(columns, index=frame.index), categorical, owners


def _single_feature_auc(
    values: np.ndarray, is_test: np.ndarray, is_category: bool, splits: list[tuple[Any, Any]]
) -> float:
    """Out-of-fold AUC of the test-row rate per bin (category, or one of 20 quantile bins)."""
    bins = pd.Series(values)
    if not is_category and bins.nunique() > 20:
        bins = pd.qcut(bins.rank(method="dense"), 20, labels=False, duplicates="drop")
    codes = bins.fillna(-1.0).to_numpy()
    rate = np.empty(len(codes))
    for fit, held in splits:
        rates = pd.Series(is_test[fit].astype(float)).groupby(codes[fit]).mean()
        looked_up = rates.reindex(codes[held]).to_numpy()
        rate[held] = np.where(np.isnan(looked_up), is_test[fit].mean(), looked_up)
    return float(roc_auc_score(is_test, rate))


def adversarial_auc(
    train: pd.DataFrame,
    test: pd.DataFrame,
    features: list[str],
    *,
    seed: int,
    max_rows: int = 20_000,
) -> AdversarialResult:
    """Cross-validated AUC of a model telling train from test; high means the split is shifted."""
    total = len(train) + len(test)
    if not features or total == 0:
        return AdversarialResult(0.5, [])
    share = min(1.0, max_rows / total)
    # Keep sampled rows in their original order: a sample shuffled with the same seed as the
    # folds would line up with them and put whole slices of the data into one fold.
    parts = [
        part[features]
        .reset_index(drop=True)
        .sample(n=max(1, round(len(part) * share)), random_state=seed)
        .sort_index()
        if len(part)
        else part[features]
        for part in (train, test)
    ]
    if min(len(p) for p in parts) < 3:
        return AdversarialResult(0.5, [])
    sample = pd.concat(parts, ignore_index=True)
    is_test = np.r_[np.zeros(len(parts[0]), dtype=int), np.ones(len(parts[1]), dtype=int)]
    encoded, categorical, owners = _encode(sample, features)
    model = HistGradientBoostingClassifier(
        categorical_features=np.array(categorical, dtype=bool),
        max_iter=100,
        early_stopping=False,
        random_state=seed,
    )
    splits = list(
        StratifiedKFold(n_splits=3, shuffle=True, random_state=seed).split(encoded, is_test)
    )
    # One OpenMP thread: barely slower when idle, and 20x faster when another process
    # holds a core (spinning OpenMP workers wait on each other).
    with threadpool_limits(limits=1, user_api="openmp"):
        probability = cross_val_predict(
            model, encoded.to_numpy(), is_test, cv=splits, method="predict_proba"
        )[:, 1]
    per_feature: dict[str, float] = {}
    for name, is_category, owner in zip(encoded.columns, categorical, owners, strict=True):
        auc = _single_feature_auc(encoded[name].to_numpy(), is_test, is_category, splits)
        per_feature[owner] = max(per_feature.get(owner, 0.0), auc)
    top = sorted(per_feature.items(), key=lambda item: (-item[1], item[0]))[:TOP_FEATURES]
    return AdversarialResult(
        auc=float(roc_auc_score(is_test, probability)),
        top_features=[(name, float(auc)) for name, auc in top],
    )
