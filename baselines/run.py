"""A challenge's baseline from its public files alone: train, predict, write the upload.

Nothing here knows the platform: ``predict_release`` reads a release's public folder and
returns the file a participant would upload, with the fitted model for the judges' run. The
platform submits that file through the same intake as any team
(``odx.platform.services.baselines``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from odx.baselines.pipelines import BASELINES, fit_predict
from odx.datasets.release import TEST, TRAIN, ReleaseManifest

UPLOAD_NAME = "baseline.csv"


@dataclass(frozen=True)
class BaselinePrediction:
    description: str
    upload: bytes  # the CSV a participant would upload
    model: object
    example: pd.DataFrame  # a few test rows, the input example of the model's signature


def predict_release(public_dir: Path) -> BaselinePrediction:
    """Train the dataset's baseline on ``train.csv`` and predict ``test.csv``."""
    manifest = ReleaseManifest.read(public_dir)
    id_column, target = manifest.id_column, manifest.target_column
    baseline = BASELINES[manifest.dataset_id]
    train = pd.read_csv(public_dir / TRAIN, dtype={id_column: str})
    test = pd.read_csv(public_dir / TEST, dtype={id_column: str})
    model, predictions = fit_predict(baseline, train, test, id_column=id_column, target=target)
    example = test.drop(columns=[id_column]).head(5)
    upload = predictions.to_csv(index=False).encode("utf-8")
    return BaselinePrediction(baseline.description, upload, model, example)
