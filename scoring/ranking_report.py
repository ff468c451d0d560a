"""Per-query numbers of a ranking submission, for the judges' tracking run.

The leaderboard shows one mean over queries. Judges comparing close teams also need its
spread (a few perfect queries or many middling ones) and how precision falls from the first
item to the k-th, so this module works query by query. Each query's AP@k or NDCG@k comes
from the metric registry's own function, so the mean of the column is the run's score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from odx.scoring.confidence import RANKING_METRICS, per_query_scores

# The per-query value each ranking metric averages, as the per-query table names it.
PER_QUERY_COLUMNS = {"map_at_k": "ap_at_k", "ndcg_at_k": "ndcg_at_k"}
PER_QUERY_LABELS = {"map_at_k": "AP", "ndcg_at_k": "NDCG"}


@dataclass(frozen=True)
class RankingReport:
    """One row per query (labels' order) and mean precision at 1..k over all queries."""

    metric: str
    k: int
    table: pd.DataFrame  # query_id, relevant, hits_at_k and the per-query metric
    precision: np.ndarray  # precision[i - 1] is the mean precision@i

    @property
    def column(self) -> str:
        """The per-query metric's column in :attr:`table`."""
        return PER_QUERY_COLUMNS[self.metric]

    @property
    def label(self) -> str:
        """The per-query metric as a figure names it, e.g. ``AP@10``."""
        return f"{PER_QUERY_LABELS[self.metric]}@{self.k}"

    @property
    def hit_share(self) -> float:
        """Share of queries with at least one relevant item in their top k."""
        return float((self.table["hits_at_k"] > 0).mean())


def relevant_items(label: Any) -> set[str]:
    """A label's relevant item ids (space-separated text); a missing label has none.

    >>> sorted(relevant_items("P1 P2"))
    ['P1', 'P2']
    >>> relevant_items(float("nan"))
    set()
    """
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return set()
    return set(str(label).split())


def ranked_items(prediction: Any) -> list[str]:
    """A query's ranked item ids, as validation left them (a list) or as text; a query
    without a prediction (None or nan after reindexing) ranks nothing, which scores 0.

    >>> ranked_items(["P1", 7])
    ['P1', '7']
    >>> ranked_items("P1 P2"), ranked_items(None), ranked_items(float("nan"))
    (['P1', 'P2'], [], [])
    """
    if prediction is None or (isinstance(prediction, float) and math.isnan(prediction)):
        return []
    if isinstance(prediction, str):
        return prediction.split()
    return [str(item) for item in prediction]


def cumulative_hits(relevant: set[str], ranked: Sequence[str], k: int) -> np.ndarray:
    """Relevant items among the first 1..k; an item listed again counts once, as in the
    metrics, and a list shorter than k keeps its last count.

    >>> cumulative_hits({"a", "c"}, ["a", "b", "c", "a"], 5).tolist()
    [1, 1, 2, 2, 2]
    """
    gains = np.zeros(k, dtype=np.int64)
    seen: set[str] = set()
    for position, item in enumerate(ranked[:k]):
        gains[position] = item in relevant and item not in seen
        seen.add(item)
    return np.cumsum(gains)


def precision_at(relevant: set[str], ranked: Sequence[str], k: int) -> np.ndarray:
    """Precision@i = |top-i ∩ relevant| / i for i = 1..k (a short list is not rewarded:
    the missing places count as misses).

    >>> precision_at({"a", "c"}, ["a", "b", "c"], 4).tolist()
    [1.0, 0.5, 0.6666666666666666, 0.5]
    """
    return cumulative_hits(relevant, ranked, k) / np.arange(1, k + 1)


def ranking_report(
    query_ids: Sequence[Any] | np.ndarray,
    y_true: Sequence[Any] | np.ndarray,
    y_pred: Sequence[Any] | np.ndarray,
    *,
    metric: str,
    k: int | None,
) -> RankingReport:
    """Per-query hits and metric, and mean precision at 1..k, over all test queries.

    Rows are matched by position: ``y_true[i]`` is query ``query_ids[i]``'s relevant items
    and ``y_pred[i]`` its ranked list.
    """
    if metric not in RANKING_METRICS:
        raise ValueError(f"metric {metric} is not a ranking metric")
    if k is None or k < 1:
        raise ValueError(f"a ranking report needs k >= 1, not {k}")
    if not len(query_ids) == len(y_true) == len(y_pred) > 0:
        raise ValueError("a ranking report needs as many labels and predictions as queries")
    relevant = [relevant_items(label) for label in y_true]
    ranked = [ranked_items(prediction) for prediction in y_pred]
    hits = np.array([cumulative_hits(r, p, k) for r, p in zip(relevant, ranked, strict=True)])
    keys = [str(i) for i in range(len(relevant))]  # by position: ids need not be text
    values = per_query_scores(
        metric, dict(zip(keys, relevant, strict=True)), dict(zip(keys, ranked, strict=True)), k=k
    )
    table = pd.DataFrame(
        {
            "query_id": [str(q) for q in query_ids],
            "relevant": [len(r) for r in relevant],
            "hits_at_k": hits[:, -1],
            PER_QUERY_COLUMNS[metric]: values,
        }
    )
    precision = (hits / np.arange(1, k + 1)).mean(axis=0)
    return RankingReport(metric, k, table, precision)
