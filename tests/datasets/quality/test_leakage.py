"""Leakage checks on small synthetic splits built in the test."""

from __future__ import annotations

import json
from dataclasses import asdict

import numpy as np
import pandas as pd

from odx.datasets.quality.leakage import (
    DuplicateResult,
    IdLikeColumn,
    adversarial_auc,
    cross_split_duplicates,
    find_id_like_columns,
    find_target_leaks,
)


def _frame(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    subcategory = rng.integers(0, 30, rows)
    frame = pd.DataFrame(
        {
            "id": [f"PBLN_{i:012d}" for i in range(rows)],
            "subcategory": [f"세부{v:02d}" for v in subcategory],
            "region": rng.choice(["서울", "부산", "대구", "광주"], rows),
            "amount": rng.normal(100, 10, rows).round(2),
            "serial": np.arange(rows) * 7 + 3,
        }
    )
    frame["label"] = np.where(subcategory < 15, "창업", "기술")
    frame["url"] = "https://www.example.go.kr/view?id=" + frame["id"]
    return frame


def _scores(frame: pd.DataFrame, **kwargs: object) -> dict[str, object]:
    features = ["subcategory", "region", "amount", "serial"]
    return {s.column: s for s in find_target_leaks(frame, "label", features, **kwargs)}


def test_lookup_score_flags_a_subcategory_that_determines_the_label() -> None:
    scores = _scores(_frame(), classification=True, threshold=0.95, seed=7)
    leak = scores["subcategory"]
    assert leak.kind == "lookup"
    assert leak.score == 1.0
    assert leak.flagged
    assert 0.4 < leak.baseline < 0.6
    assert scores["region"].score < 0.6
    assert not scores["region"].flagged


def test_target_scores_cover_every_feature_sorted_and_deterministic() -> None:
    frame = _frame()
    features = ["subcategory", "region", "amount", "serial"]
    first = find_target_leaks(frame, "label", features, classification=True, threshold=0.9, seed=3)
    again = find_target_leaks(frame, "label", features, classification=True, threshold=0.9, seed=3)
    assert first == again
    assert sorted(s.column for s in first) == sorted(features)
    assert [s.score for s in first] == sorted((s.score for s in first), reverse=True)
    json.dumps([asdict(s) for s in first])


def test_unique_column_is_id_like_not_a_target_leak() -> None:
    frame = _frame()
    scores = _scores(frame, classification=True, threshold=0.95, seed=1)
    assert scores["serial"].score == scores["serial"].baseline
    assert not scores["serial"].flagged
    id_like = find_id_like_columns(
        frame, "id", ["subcategory", "region", "amount", "serial"], uniqueness=0.99
    )
    assert id_like == [IdLikeColumn("serial", 1.0, False)]


def test_url_embedding_the_row_id_is_id_like() -> None:
    frame = _frame()
    frame["url"] = frame["url"].where(frame.index % 4 != 0, "https://www.example.go.kr/")
    id_like = find_id_like_columns(frame, "id", ["url", "region"], uniqueness=0.99)
    assert [(c.column, c.contains_id) for c in id_like] == [("url", True)]


def test_float_and_long_text_columns_are_not_id_like_by_uniqueness() -> None:
    frame = _frame(500)
    frame["measured"] = np.linspace(0, 1, len(frame))
    frame["essay"] = [f"{'긴 설명 문장입니다. ' * 10}{i}" for i in range(len(frame))]
    assert find_id_like_columns(frame, "id", ["measured", "essay"], uniqueness=0.99) == []


def test_text_that_contains_the_label_is_a_leak() -> None:
    frame = _frame()
    rng = np.random.default_rng(5)
    words = rng.choice(["지원", "공고", "사업", "모집"], len(frame))
    frame["title"] = [
        f"2024년 {label} {w} {i}호"
        for i, (label, w) in enumerate(zip(frame["label"], words, strict=True))
    ]
    scores = _scores(frame.assign(subcategory="x"), classification=True, threshold=0.95, seed=2)
    found = find_target_leaks(
        frame, "label", ["title"], classification=True, threshold=0.95, seed=2
    )
    assert scores["subcategory"].score < 0.6
    [title] = found
    assert (title.kind, title.score, title.flagged) == ("contains_target", 1.0, True)
    assert title.baseline < 0.7


def test_regression_lookup_and_monotone_scores() -> None:
    rng = np.random.default_rng(0)
    rows = 3000
    group = rng.integers(0, 20, rows)
    frame = pd.DataFrame({"group": group, "noise": rng.normal(size=rows)})
    frame["price"] = group * 10.0 + rng.normal(size=rows)
    frame["price_in_won"] = np.exp(frame["price"] / 50) + rng.normal(size=rows) * 1e-6
    found = {
        s.column: s
        for s in find_target_leaks(
            frame,
            "price",
            ["group", "noise", "price_in_won"],
            classification=False,
            threshold=0.95,
            seed=0,
        )
    }
    assert found["group"].kind == "lookup" and found["group"].score > 0.99
    assert found["price_in_won"].kind == "monotone" and found["price_in_won"].score > 0.99
    assert found["noise"].score < 0.1 and not found["noise"].flagged


def test_imbalanced_target_does_not_flag_a_useless_feature() -> None:
    rng = np.random.default_rng(1)
    rows = 4000
    frame = pd.DataFrame(
        {
            "label": np.where(rng.random(rows) < 0.98, "정상", "이상"),
            "region": rng.choice(["서울", "부산", "대구"], rows),
        }
    )
    [score] = find_target_leaks(
        frame, "label", ["region"], classification=True, threshold=0.95, seed=0
    )
    assert score.score > 0.95
    assert not score.flagged


def test_cross_split_duplicates_counts_test_rows_seen_in_train_with_nulls_equal() -> None:
    train = pd.DataFrame({"a": [1.0, 2.0, np.nan, 4.0], "b": ["x", None, "z", "w"]})
    test = pd.DataFrame({"a": [2.0, np.nan, 9.0, 1.0], "b": [np.nan, "z", "x", "y"]})
    result = cross_split_duplicates(train, test, ["a", "b"])
    assert result == DuplicateResult(test_rows_duplicated=2, fraction=0.5, examples=[0, 1])
    json.dumps(asdict(result))


def test_cross_split_duplicates_ignores_dtype_differences_between_splits() -> None:
    train = pd.DataFrame({"n": [1, 2, 3], "c": ["a", "b", "c"]})
    test = pd.DataFrame({"n": [1.0, np.nan], "c": pd.Series(["a", "b"], dtype="category")})
    assert cross_split_duplicates(train, test, ["n", "c"]).test_rows_duplicated == 1


def _split_frame(rows: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, rows),
            "region": rng.choice(["서울", "부산", "대구", "광주", "대전"], rows),
            "title": [f"공고 {v} 호" for v in rng.integers(0, 10**6, rows)],
            "opened": pd.Timestamp("2020-01-01")
            + pd.to_timedelta(rng.integers(0, 1500, rows), unit="D"),
            "count": rng.integers(0, 100, rows),
        }
    )


def test_adversarial_auc_is_near_half_for_random_split_and_high_for_shifted_split() -> None:
    frame = _split_frame(3000, seed=0)
    features = ["amount", "region", "title", "opened", "count"]
    test_mask = np.random.default_rng(1).random(len(frame)) < 0.25
    random_split = adversarial_auc(frame[~test_mask], frame[test_mask], features, seed=0)
    assert 0.4 < random_split.auc < 0.6

    by_time = frame.sort_values("opened")
    shifted = adversarial_auc(by_time.iloc[:2250], by_time.iloc[2250:], features, seed=0)
    assert shifted.auc > 0.95
    assert shifted.top_features[0][0] == "opened"
    assert shifted.top_features[0][1] > 0.95
    assert len(shifted.top_features) == 5
    aucs = [auc for _, auc in shifted.top_features]
    assert aucs == sorted(aucs, reverse=True)
    json.dumps(asdict(shifted))


def test_adversarial_auc_samples_deterministically() -> None:
    frame = _split_frame(4000, seed=3)
    features = ["amount", "region", "title"]
    first = adversarial_auc(frame.iloc[:3000], frame.iloc[3000:], features, seed=4, max_rows=1000)
    again = adversarial_auc(frame.iloc[:3000], frame.iloc[3000:], features, seed=4, max_rows=1000)
    assert first == again
    assert isinstance(first.auc, float)
