"""Leakage checks on small synthetic splits built in the test.

Multiclass and numeric targets are judged by out-of-fold lookups (``_frame`` has three labels);
binary targets by each feature's own AUC (see the tests after the lookup ones).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

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
    frame["label"] = np.select([subcategory < 10, subcategory < 20], ["창업", "기술"], "수출")
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
    assert 0.3 < leak.baseline < 0.4
    assert scores["region"].score < 0.45
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
    assert scores["subcategory"].score < 0.45
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


def test_imbalanced_multiclass_target_does_not_flag_a_useless_feature() -> None:
    rng = np.random.default_rng(1)
    rows = 4000
    frame = pd.DataFrame(
        {
            "label": rng.choice(["정상", "이상", "주의"], rows, p=[0.98, 0.01, 0.01]),
            "region": rng.choice(["서울", "부산", "대구"], rows),
        }
    )
    [score] = find_target_leaks(
        frame, "label", ["region"], classification=True, threshold=0.95, seed=0
    )
    assert score.kind == "lookup" and score.score > 0.95  # the majority class alone scores that
    assert not score.flagged


# --- binary targets: each feature's own AUC ---------------------------------------------------


def _binary(rows: int, positive_share: float, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    target = (rng.random(rows) < positive_share).astype(int)
    frame = pd.DataFrame({"label": np.where(target == 1, "Y", "N")})
    return frame, target


def _binary_scores(frame: pd.DataFrame, features: list[str], **kwargs: object) -> dict[str, Any]:
    options: dict[str, Any] = {"classification": True, "threshold": 0.9, "seed": 0} | kwargs
    return {s.column: s for s in find_target_leaks(frame, "label", features, **options)}


def test_noisy_numeric_feature_with_auc_089_on_a_mostly_positive_target_is_a_leak() -> None:
    frame, target = _binary(6000, 0.83, seed=11)
    noise = np.random.default_rng(12).normal(size=len(frame))
    frame["signal"] = target * 1.73 + noise  # AUC = Φ(1.73 / √2) ≈ 0.89
    auc = roc_auc_score(target, frame["signal"])
    assert 0.87 < auc < 0.91 and 0.81 < target.mean() < 0.85
    # Accuracy of the best cut-off barely beats always saying "Y": the old check's blind spot.
    best_accuracy = max(
        ((frame["signal"] > cut) == target).mean()
        for cut in np.quantile(frame["signal"], 0.01 * np.arange(1, 100))
    )
    assert best_accuracy < 0.9
    [score] = _binary_scores(frame, ["signal"]).values()
    assert score.kind == "auc_rank" and score.baseline == 0.5
    assert abs(score.score - auc) < 1e-9
    assert score.flagged


def test_honest_weak_feature_on_a_mostly_positive_target_passes() -> None:
    frame, target = _binary(6000, 0.83, seed=21)
    noise = np.random.default_rng(22).normal(size=len(frame))
    frame["weak"] = target * 0.6 + noise  # AUC ≈ 0.66
    frame["flipped"] = -frame["weak"]
    scores = _binary_scores(frame, ["weak", "flipped"])
    assert 0.6 < scores["weak"].score < 0.72 and not scores["weak"].flagged
    assert scores["flipped"].score == scores["weak"].score  # direction does not matter


def test_auc_threshold_decides_what_counts_as_a_leak() -> None:
    frame, target = _binary(4000, 0.7, seed=31)
    frame["signal"] = target + np.random.default_rng(32).normal(size=len(frame))  # AUC ≈ 0.76
    assert not _binary_scores(frame, ["signal"])["signal"].flagged
    assert _binary_scores(frame, ["signal"], auc_threshold=0.7)["signal"].flagged


def test_category_that_determines_a_binary_target_is_a_leak_by_out_of_fold_rate() -> None:
    frame, _ = _binary(3000, 0.8, seed=41)
    rng = np.random.default_rng(42)
    codes = np.where(
        frame["label"] == "Y", rng.integers(0, 20, len(frame)), rng.integers(20, 25, len(frame))
    )
    frame["subcategory"] = [f"세부{c:02d}" for c in codes]
    frame["region"] = rng.choice(["서울", "부산", "대구", "광주"], len(frame))
    scores = _binary_scores(frame, ["subcategory", "region"])
    assert scores["subcategory"].kind == "auc_encoded" and scores["subcategory"].score > 0.99
    assert scores["subcategory"].flagged
    assert scores["region"].score < 0.6 and not scores["region"].flagged


def test_values_shared_by_few_rows_are_not_rewarded_for_noise() -> None:
    """Rows never see their own label, and a rate that ranks backwards is not turned around."""
    frame, _ = _binary(4000, 0.5, seed=51)
    frame["pair"] = [f"P{i // 2:05d}" for i in range(len(frame))]  # 2 rows per value, random labels
    frame["name"] = [f"업체{i:05d}" for i in range(len(frame))]  # unique per row
    scores = _binary_scores(frame, ["pair", "name"])
    assert scores["pair"].score < 0.55 and not scores["pair"].flagged
    assert scores["name"].score == 0.5 and not scores["name"].flagged


def test_empty_values_that_mark_the_target_are_a_leak() -> None:
    frame, target = _binary(3000, 0.85, seed=61)
    values = np.random.default_rng(62).normal(size=len(frame))
    frame["filled_later"] = np.where(target == 0, np.nan, values)  # empty exactly for "N"
    [score] = _binary_scores(frame, ["filled_later"]).values()
    assert score.score > 0.99 and score.flagged


def test_target_tied_to_a_middle_range_of_a_number_is_a_leak() -> None:
    rng = np.random.default_rng(71)
    x = rng.normal(size=5000)
    frame = pd.DataFrame({"x": x, "label": np.where(np.abs(x) < 0.6, "Y", "N")})
    [score] = _binary_scores(frame, ["x"]).values()
    assert score.kind == "auc_encoded" and score.score > 0.95 and score.flagged


def test_text_holding_a_binary_label_word_is_a_leak() -> None:
    frame, _ = _binary(2000, 0.8, seed=81)
    frame["label"] = frame["label"].map({"Y": "부실", "N": "정상"})
    frame["memo"] = [f"{i}번 기업: {label} 판정" for i, label in enumerate(frame["label"])]
    [score] = _binary_scores(frame, ["memo"]).values()
    assert (score.kind, score.score, score.flagged) == ("contains_target", 1.0, True)


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
