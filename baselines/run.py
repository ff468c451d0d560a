"""A challenge's baseline from its public files alone: train, predict, write the upload.

Nothing here knows the platform: ``predict_release`` reads a release's public folder and
returns the file a participant would upload, with the fitted model for the judges' run. The
platform submits that file through the same intake as any team
(``odx.platform.services.baselines``).
"""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from odx.baselines import ranking
from odx.baselines.pipelines import BASELINES, Baseline, fit_predict
from odx.baselines.ranking import RANKERS, Tables
from odx.datasets.release import TEST, TEST_SAMPLE, TRAIN, ReleaseManifest
from odx.submissions.models.archive import zip_folder

UPLOAD_NAME = "baseline.csv"
MODEL_UPLOAD_NAME = "baseline-model.zip"
DEFAULT = "baseline"  # the name (and team) of a dataset's one baseline
MODEL_RANKER = "popularity"  # the ranking baseline uploaded as a model


@dataclass(frozen=True)
class BaselinePrediction:
    description: str
    upload: bytes  # the CSV a participant would upload
    model: object | None  # the fitted model, for the judges' run (a ranking rule has none)
    example: pd.DataFrame | None  # a few test rows, the input example of the model's signature


def baseline_names(public_dir: Path) -> list[str]:
    """The baselines a release has, each submitted by its own team of the same name: one
    fitted model per dataset, or the rankers of a ranking release."""
    manifest = ReleaseManifest.read(public_dir)
    if manifest.ranking is not None and manifest.hides_test_features:
        return [f"{DEFAULT}-{MODEL_RANKER}"]  # the ranker that needs no history inside
    if manifest.ranking is not None:
        return [f"{DEFAULT}-{name}" for name in RANKERS]
    return [DEFAULT]


@dataclass(frozen=True)
class _Fitted:
    baseline: Baseline
    model: object
    predictions: pd.DataFrame  # of the rows given
    example: pd.DataFrame  # a few of them without the id: the model's input example


def _fit(public_dir: Path, manifest: ReleaseManifest, rows_file: str) -> _Fitted:
    """The dataset's baseline trained on ``train.csv``, predicting ``rows_file``."""
    id_column, target = manifest.id_column, manifest.target_column
    baseline = BASELINES[manifest.dataset_id]
    train = pd.read_csv(public_dir / TRAIN, dtype={id_column: str})
    rows = pd.read_csv(public_dir / rows_file, dtype={id_column: str})
    model, predictions = fit_predict(baseline, train, rows, id_column=id_column, target=target)
    return _Fitted(baseline, model, predictions, rows.drop(columns=[id_column]).head(5))


def predict_release(public_dir: Path, name: str = DEFAULT) -> BaselinePrediction:
    """Train the dataset's baseline ``name`` on ``train.csv`` and predict ``test.csv``; where
    the test features are hidden, the upload is the trained model instead (``model_release``)."""
    manifest = ReleaseManifest.read(public_dir)
    if manifest.ranking is not None and manifest.hides_test_features:
        return ranking_model_release(public_dir)
    if manifest.ranking is not None:
        return rank_release(public_dir, name.removeprefix(f"{DEFAULT}-"))
    if manifest.hides_test_features:
        return model_release(public_dir)
    fitted = _fit(public_dir, manifest, TEST)
    upload = fitted.predictions.to_csv(index=False).encode("utf-8")
    return BaselinePrediction(fitted.baseline.description, upload, fitted.model, fitted.example)


def model_release(public_dir: Path) -> BaselinePrediction:
    """Train the baseline on ``train.csv`` and save it as an MLflow model, zipped: what a team
    uploads to a model challenge (it predicts the hidden test features in the sandbox)."""
    import mlflow.sklearn

    fitted = _fit(public_dir, ReleaseManifest.read(public_dir), TEST_SAMPLE)
    model, example, baseline = fitted.model, fitted.example, fitted.baseline
    method = "predict_proba" if baseline.output == "probability" else "predict"
    with tempfile.TemporaryDirectory(prefix="odx-baseline-") as folder:
        saved = Path(folder) / "model"
        # cloudpickle: a model may hold any type, and it is only ever loaded in the sandbox
        mlflow.sklearn.save_model(
            model,
            saved,
            serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
            pyfunc_predict_fn=method,
            input_example=example,
        )
        buffer = io.BytesIO()
        zip_folder(saved, buffer)
        upload = buffer.getvalue()
    return BaselinePrediction(baseline.description, upload, model, example)


def rank_release(public_dir: Path, ranker: str) -> BaselinePrediction:
    """One ranker's lists for the test queries of a ranking release."""
    if ranker not in RANKERS:
        raise KeyError(f"no ranking baseline '{ranker}'; there are: {', '.join(RANKERS)}")
    description, rank = RANKERS[ranker]
    lists = rank(Tables.read(public_dir))
    return BaselinePrediction(description, lists.to_csv(index=False).encode("utf-8"), None, None)


def ranking_model_release(public_dir: Path) -> BaselinePrediction:
    """The popularity ranker saved as an MLflow model, zipped, for a ranking release whose
    test features are hidden: it ranks the companies it is given in the sandbox."""
    import cloudpickle
    import mlflow.pyfunc

    tables = Tables.read(public_dir, TEST_SAMPLE)
    description, _ = RANKERS[MODEL_RANKER]
    example = tables.test.drop(columns=[tables.query_id]).head(5)
    with tempfile.TemporaryDirectory(prefix="odx-baseline-") as folder:
        saved = Path(folder) / "model"
        # by value: the sandbox has numpy, pandas and MLflow, not odx
        cloudpickle.register_pickle_by_value(ranking)
        try:
            mlflow.pyfunc.save_model(
                saved, python_model=ranking.popularity_ranker(tables), input_example=example
            )
        finally:
            cloudpickle.unregister_pickle_by_value(ranking)
        buffer = io.BytesIO()
        zip_folder(saved, buffer)
    return BaselinePrediction(f"{description} (as a model)", buffer.getvalue(), None, example)
