"""Each metric equals scikit-learn's (or a slow reference) and declares its direction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn import metrics as skm

from odx.scoring.metrics import METRICS, map_at_k_score, ndcg_at_k_score

RNG = np.random.default_rng(0)
Y_BIN = RNG.integers(0, 2, 500)
P_BIN = np.clip(Y_BIN * 0.3 + RNG.random(500) * 0.7, 0.001, 0.999)
Y_MULTI = RNG.choice(["금융", "경영", "기술"], 500)
P_MULTI = np.where(RNG.random(500) < 0.6, Y_MULTI, RNG.choice(["금융", "경영", "기술"], 500))
Y_REG = RNG.lognormal(4, 1, 500)
P_REG = Y_REG * RNG.lognormal(0, 0.3, 500)

CASES = {
    "roc_auc": (Y_BIN, P_BIN, skm.roc_auc_score(Y_BIN, P_BIN)),
    "log_loss": (Y_BIN, P_BIN, skm.log_loss(Y_BIN, P_BIN)),
    "accuracy": (Y_MULTI, P_MULTI, skm.accuracy_score(Y_MULTI, P_MULTI)),
    "f1": (Y_BIN, (P_BIN > 0.5).astype(int), skm.f1_score(Y_BIN, P_BIN > 0.5)),
    "f1_macro": (Y_MULTI, P_MULTI, skm.f1_score(Y_MULTI, P_MULTI, average="macro")),
    "rmse": (Y_REG, P_REG, np.sqrt(np.mean((Y_REG - P_REG) ** 2))),
    "mae": (Y_REG, P_REG, np.mean(np.abs(Y_REG - P_REG))),
    "rmsle": (Y_REG, P_REG, np.sqrt(np.mean((np.log1p(Y_REG) - np.log1p(P_REG)) ** 2))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_metric_equals_reference(name: str) -> None:
    y_true, y_pred, expected = CASES[name]
    assert METRICS[name].function(y_true, y_pred) == pytest.approx(expected, rel=1e-12)


def test_registry_names_every_required_metric_with_a_direction() -> None:
    assert set(METRICS) == {
        "roc_auc",
        "log_loss",
        "accuracy",
        "f1",
        "f1_macro",
        "rmse",
        "mae",
        "rmsle",
        "map_at_k",
        "ndcg_at_k",
    }
    for spec in METRICS.values():
        suffix_max = spec.function.__name__.endswith("_score")
        assert spec.greater_is_better == suffix_max, spec.name


@settings(max_examples=60, deadline=None)
@given(
    relevance=st.lists(st.lists(st.booleans(), min_size=2, max_size=8), min_size=1, max_size=5),
    k=st.integers(1, 8),
    seed=st.integers(0, 1000),
)
def test_ndcg_at_k_equals_sklearn(relevance: list[list[bool]], k: int, seed: int) -> None:
    width = max(len(r) for r in relevance)
    rows = [r + [False] * (width - len(r)) for r in relevance]
    rows = [r for r in rows if any(r)]
    assume(rows)  # a query with no relevant item has no NDCG
    scores = np.random.default_rng(seed).permutation(width * len(rows)).reshape(len(rows), width)
    items = [f"i{j}" for j in range(width)]
    relevant = {f"q{q}": {items[j] for j, hit in enumerate(r) if hit} for q, r in enumerate(rows)}
    ranked = {f"q{q}": [items[j] for j in np.argsort(-scores[q])] for q in range(len(rows))}
    expected = skm.ndcg_score(np.array(rows, dtype=float), scores.astype(float), k=k)
    assert ndcg_at_k_score(relevant, ranked, k=k) == pytest.approx(expected, rel=1e-9)


def test_map_at_k_rewards_relevant_items_ranked_first() -> None:
    relevant = {"q1": {"a", "b"}, "q2": {"z"}}
    perfect = {"q1": ["a", "b", "c"], "q2": ["z", "y"]}
    worse = {"q1": ["c", "a", "b"], "q2": ["y", "x"]}
    assert map_at_k_score(relevant, perfect, k=3) == 1.0
    assert map_at_k_score(relevant, worse, k=3) == pytest.approx((1 / 2 + 2 / 3) / 2 / 2)
    assert map_at_k_score(relevant, {"q1": ["a", "a", "b"], "q2": []}, k=3) == pytest.approx(
        (1 + 2 / 3) / 2 / 2
    )


def test_an_item_listed_twice_gains_nothing_the_second_time() -> None:
    """Repeating the one relevant item fills a list; NDCG stays at most 1, like MAP."""
    relevant = {"q": {"a"}}
    assert ndcg_at_k_score(relevant, {"q": ["a", "a", "a"]}, k=3) == pytest.approx(1.0)
    assert ndcg_at_k_score(relevant, {"q": ["b", "a", "a"]}, k=3) == pytest.approx(1 / np.log2(3))
    assert map_at_k_score(relevant, {"q": ["a", "a", "a"]}, k=3) == pytest.approx(1.0)
