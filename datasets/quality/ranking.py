"""Leakage checks of a ranking task: does anything public name a test query's relevant items?

A ranking's labels are (query, item) pairs. They leak when a public table that holds both
ids (an interactions log) records a test query's relevant item, or when a feature of the
query's own row names one of its items (a "next programme" column left in by mistake).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

_ID_TOKEN = re.compile(r"[A-Za-z0-9_.-]+")


@dataclass(frozen=True)
class RankingLeakage:
    queries: int  # test queries checked
    relevant_pairs: int  # their (query, item) label pairs
    pairs_in_tables: int  # of those, found in a public table holding both ids
    tables: list[str]  # the public tables that hold both ids
    feature_mentions: int  # test queries whose own features name a relevant item
    columns: list[str]  # the feature columns searched


def label_pairs(test: pd.DataFrame, query_id: str, target: str, item_id: str) -> pd.DataFrame:
    """The (query, item) pairs of space-separated relevant-item lists."""
    pairs = test[[query_id, target]].assign(**{item_id: test[target].str.split()})
    return pairs.explode(item_id).dropna(subset=[item_id])[[query_id, item_id]]


def _mentions(test: pd.DataFrame, columns: list[str], relevant: pd.Series) -> int:
    """Test rows where a text feature contains, as a whole token, one of the row's items."""
    found = np.zeros(len(test), dtype=bool)
    for column in columns:
        tokens = test[column].map(
            lambda value: set(_ID_TOKEN.findall(value)) if isinstance(value, str) else set()
        )
        found |= np.array([bool(t & r) for t, r in zip(tokens, relevant, strict=True)])
    return int(found.sum())


def ranking_leakage(
    test: pd.DataFrame,
    *,
    query_id: str,
    target: str,
    item_id: str,
    text_features: list[str],
    tables: dict[str, pd.DataFrame],
) -> RankingLeakage:
    """Measure both kinds of leak over the test queries and every public further table."""
    pairs = label_pairs(test, query_id, target, item_id)
    keys = set(zip(pairs[query_id], pairs[item_id], strict=True))
    holding = sorted(n for n, t in tables.items() if {query_id, item_id} <= set(t.columns))
    in_tables: set[tuple[str, str]] = set()
    for name in holding:
        table = tables[name]
        in_tables |= keys & set(zip(table[query_id], table[item_id], strict=True))
    relevant = test[target].str.split().map(set)
    return RankingLeakage(
        queries=len(test),
        relevant_pairs=len(keys),
        pairs_in_tables=len(in_tables),
        tables=holding,
        feature_mentions=_mentions(test, text_features, relevant),
        columns=list(text_features),
    )
