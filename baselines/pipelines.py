"""One scikit-learn baseline per shipped dataset: simple, honest, and quick to train.

Each baseline trains on the public ``train.csv`` only and predicts ``test.csv``; what it
outputs has the shape of ``sample_submission.csv``. They are reference points on the
leaderboard, not contenders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

SEED = 20251124


def bizinfo_support_field() -> Pipeline:
    """Character n-grams suit Korean (no tokenizer needed); plus the target group.

    Built from scikit-learn parts only, so MLflow can store it in the safe skops format.
    """

    def tfidf() -> TfidfVectorizer:
        return TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 3),
            min_df=2,
            sublinear_tf=True,
            max_features=50_000,
        )

    features = ColumnTransformer(
        [
            ("title", tfidf(), "title"),
            ("summary", tfidf(), "summary"),
            ("group", OneHotEncoder(handle_unknown="ignore"), ["target_group", "ministry"]),
        ]
    )
    model = LogisticRegression(max_iter=2000, C=5.0, class_weight="balanced")
    return Pipeline([("features", features), ("model", model)])


def market_store_count() -> TransformedTargetRegressor:
    """Gradient boosting on log1p(stores): the metric is RMSLE, so fit in log space."""
    categorical = ["market_type", "opening_cycle", "has_public_toilet", "has_parking"]
    kinds = OrdinalEncoder(
        handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
    )
    features = ColumnTransformer(
        [
            ("numbers", SimpleImputer(strategy="median"), ["latitude", "longitude", "opened_year"]),
            ("goods", CountVectorizer(token_pattern=r"[^+]+", binary=True), "goods"),
            ("kinds", kinds, categorical),
        ],
        sparse_threshold=0.0,  # gradient boosting wants a dense matrix
    )
    model = Pipeline(
        [
            ("features", features),
            ("model", HistGradientBoostingRegressor(random_state=SEED, max_iter=300)),
        ]
    )
    return TransformedTargetRegressor(regressor=model, func=np.log1p, inverse_func=np.expm1)


def sme_growth_risk() -> Pipeline:
    """Gradient boosting with native categorical support; predicts a probability."""
    categorical = [
        "region",
        "capital_region",
        "industry",
        "firm_size",
        "export",
        "ai_adoption",
        "smart_factory",
    ]
    numeric = [
        "firm_age_years",
        "employees",
        "revenue_krw_million",
        "revenue_growth_pct",
        "debt_ratio_pct",
        "rnd_intensity_pct",
        "support_programs_used",
    ]
    features = ColumnTransformer(
        [
            (
                "kinds",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1
                ),
                categorical,
            ),
            ("numbers", "passthrough", numeric),
        ],
        verbose_feature_names_out=False,
    )
    model = HistGradientBoostingClassifier(
        random_state=SEED,
        max_iter=200,
        learning_rate=0.05,
        categorical_features=list(range(len(categorical))),
    )
    return Pipeline([("features", features), ("model", model)])


@dataclass(frozen=True)
class Baseline:
    """How to build, fit and apply one dataset's baseline."""

    dataset_id: str
    build: Callable[[], object]
    output: str  # "label", "probability" or "number"
    description: str


BASELINES: dict[str, Baseline] = {
    b.dataset_id: b
    for b in (
        Baseline(
            "bizinfo-support-field",
            bizinfo_support_field,
            "label",
            "TF-IDF character 2–3-grams of title and summary + target group, "
            "logistic regression (balanced classes)",
        ),
        Baseline(
            "market-store-count",
            market_store_count,
            "number",
            "gradient boosting on coordinates, opening year, goods count and market "
            "kind, fitted on log1p(store count)",
        ),
        Baseline(
            "sme-growth-risk",
            sme_growth_risk,
            "probability",
            "gradient boosting with native categorical features",
        ),
        Baseline(
            "sme-growth-risk-model",
            sme_growth_risk,
            "probability",
            "gradient boosting with native categorical features, submitted as an MLflow model",
        ),
        Baseline(
            "sme-growth-risk-finals",
            sme_growth_risk,
            "probability",
            "gradient boosting with native categorical features, submitted as an MLflow model",
        ),
    )
}


def fit_predict(
    baseline: Baseline, train: pd.DataFrame, test: pd.DataFrame, *, id_column: str, target: str
) -> tuple[object, pd.DataFrame]:
    """Fit on train, predict test; returns the fitted model and the submission frame."""
    model = baseline.build()
    features = train.drop(columns=[id_column, target])
    model.fit(features, train[target])
    x_test = test.drop(columns=[id_column])
    if baseline.output == "probability":
        predicted = model.predict_proba(x_test)[:, 1]
    else:
        predicted = model.predict(x_test)
    if baseline.output == "number":
        predicted = np.clip(predicted, 0, None)
    return model, pd.DataFrame({id_column: test[id_column].to_numpy(), target: predicted})
