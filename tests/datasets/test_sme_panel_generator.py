"""The synthetic SME panel: deterministic, exact in shape, faithful to the published rates."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupShuffleSplit
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from odx.datasets.generators import sme_panel
from odx.datasets.generators.sme_panel import generate, write_csv

REPO = Path(__file__).resolve().parents[2]
SHIPPED_CSV = REPO / "datasets" / "catalog" / "sme-growth-risk" / "raw" / "sme_panel.csv"
SHIPPED_ROWS = 40_000


@pytest.fixture(scope="module")
def large() -> pd.DataFrame:
    return generate(200_000)


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    return generate(20_000, seed=7)


def test_generate_same_seed_gives_equal_frames() -> None:
    pd.testing.assert_frame_equal(generate(5_000, seed=3), generate(5_000, seed=3))


def test_generate_different_seed_gives_different_frames() -> None:
    assert not generate(5_000, seed=3).equals(generate(5_000, seed=4))


@pytest.mark.parametrize("rows", [0, 1, 2, 3, 5, 999, 10_001])
def test_generate_returns_exact_row_count(rows: int) -> None:
    frame = generate(rows)
    assert len(frame) == rows
    assert list(frame.columns) == list(sme_panel.COLUMNS)


def test_generate_rejects_negative_rows() -> None:
    with pytest.raises(ValueError, match="rows"):
        generate(-1)


def test_generate_record_ids_are_unique_firm_and_year(large: pd.DataFrame) -> None:
    assert large["record_id"].is_unique
    expected = large["firm_id"].astype(str) + "-" + large["year"].astype(str)
    assert (large["record_id"] == expected).all()


def test_generate_firms_appear_in_consecutive_years(large: pd.DataFrame) -> None:
    years = large.groupby("firm_id")["year"].agg(["min", "max", "count"])
    assert (years["max"] - years["min"] + 1 == years["count"]).all()
    assert set(large["year"]) == {2021, 2022, 2023, 2024}
    assert len(large) / 4.5 < len(years) < len(large) / 3.5


def test_generate_firm_traits_are_fixed_and_consistent(large: pd.DataFrame) -> None:
    traits = large.groupby("firm_id", observed=True)[["region", "industry", "firm_size"]]
    assert (traits.nunique() == 1).all().all()
    capital = large["region"].isin(["서울", "인천", "경기"])
    assert ((large["capital_region"] == "Y") == capital).all()
    assert (large.loc[large["industry"] != "제조업", "smart_factory"] == "N").all()
    assert set(large["region"].unique()) == set(sme_panel.REGION_SHARES)


def test_generate_ai_adoption_never_reverts(large: pd.DataFrame) -> None:
    adopted = (large["ai_adoption"] == "Y").astype(int)
    steps = adopted.groupby(large["firm_id"]).diff().dropna()
    assert (steps >= 0).all()


def test_generate_ai_adoption_follows_published_rates(large: pd.DataFrame) -> None:
    adopted = large["ai_adoption"] == "Y"
    larger = large["firm_size"] == "중견기업"
    capital = large["capital_region"] == "Y"
    rates = {
        "sme": adopted[~larger].mean(),
        "larger": adopted[larger].mean(),
        "capital": adopted[capital].mean(),
        "non_capital": adopted[~capital].mean(),
    }
    published = {"sme": 0.287, "larger": 0.488, "capital": 0.404, "non_capital": 0.179}
    for name, rate in published.items():
        assert rates[name] == pytest.approx(rate, abs=0.02), name


def test_generate_target_base_rate_is_realistic(large: pd.DataFrame) -> None:
    assert set(large["distress_next_year"].unique()) == {0, 1}
    assert 0.08 <= large["distress_next_year"].mean() <= 0.12


def test_generate_injects_only_a_little_missing_data(large: pd.DataFrame) -> None:
    missing = large.isna().mean()
    assert 0.005 <= missing["rnd_intensity_pct"] <= 0.015
    assert missing["debt_ratio_pct"] <= 0.01
    others = missing.drop(["rnd_intensity_pct", "debt_ratio_pct"])
    assert (others == 0).all()


def _features(frame: pd.DataFrame) -> pd.DataFrame:
    numeric = pd.DataFrame(
        {
            "log_debt": np.log1p(frame["debt_ratio_pct"].fillna(frame["debt_ratio_pct"].median())),
            "growth": frame["revenue_growth_pct"] / 100,
            "log_rnd": np.log1p(frame["rnd_intensity_pct"].fillna(0)),
            "log_revenue": np.log(frame["revenue_krw_million"]),
            "log_employees": np.log(frame["employees"]),
            "log_age": np.log1p(frame["firm_age_years"]),
            "support": frame["support_programs_used"],
            "year": frame["year"] - 2021,
        }
    )
    flags = frame[["capital_region", "export", "ai_adoption", "smart_factory"]] == "Y"
    dummies = pd.get_dummies(frame[["industry", "firm_size"]], dtype=float)
    return pd.concat([numeric, flags.astype(float), dummies], axis=1)


def test_generate_target_is_learnable_by_logistic_regression(sample: pd.DataFrame) -> None:
    x, y = _features(sample), sample["distress_next_year"]
    split = GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=0)
    train, test = next(split.split(x, y, groups=sample["firm_id"]))
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2_000))
    model.fit(x.iloc[train], y.iloc[train])
    auc = roc_auc_score(y.iloc[test], model.predict_proba(x.iloc[test])[:, 1])
    assert 0.65 <= auc <= 0.92


def test_generate_target_is_not_given_away_by_one_feature(sample: pd.DataFrame) -> None:
    x, y = _features(sample), sample["distress_next_year"]
    for column in x.columns:
        auc = roc_auc_score(y, x[column])
        assert max(auc, 1 - auc) < 0.8, column


def test_write_csv_is_utf8_with_unix_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "panel.csv"
    frame = generate(50)
    write_csv(frame, path)
    data = path.read_bytes()
    assert b"\r" not in data
    assert data.decode("utf-8").splitlines()[0] == ",".join(sme_panel.COLUMNS)
    assert len(data.splitlines()) == 51


def test_shipped_raw_csv_is_the_generator_output(tmp_path: Path) -> None:
    path = tmp_path / "sme_panel.csv"
    write_csv(generate(SHIPPED_ROWS), path)
    assert path.read_bytes() == SHIPPED_CSV.read_bytes(), (
        "the shipped raw file no longer matches generate(40000); if numpy's random stream"
        " changed on purpose, regenerate it and update the dataset's checksum"
    )
