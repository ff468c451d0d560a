"""MLflow models for the sandbox tests: a real scikit-learn model, and hostile ones.

Hostile models are "models from code": a small Python file whose ``predict`` does the harm,
saved with ``mlflow.pyfunc.save_model(python_model=<file>)``. Saving never calls ``predict``,
so the harm happens only where the model is run. Every loop in them is bounded, so a test
cannot endanger the machine even if containment were missing.
"""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROWS = 40
ID = "company_id"
TARGET = "risk"


def features(folder: Path, rows: int = ROWS) -> Path:
    """A test-features file: an id column and two numeric features."""
    frame = pd.DataFrame(
        {
            ID: [f"C{i:05d}" for i in range(rows)],
            "employees": np.arange(rows, dtype=float),
            "age": np.arange(rows, dtype=float) % 9,
        }
    )
    path = folder / "features.csv"
    frame.to_csv(path, index=False)
    return path


def sklearn_model(folder: Path) -> Path:
    """A fitted logistic regression saved with MLflow's scikit-learn flavor (probabilities)."""
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    x = pd.DataFrame({"employees": np.arange(60.0), "age": np.arange(60.0) % 9})
    y = (x["employees"] > 30).astype(int)
    path = folder / "sklearn-model"
    mlflow.sklearn.save_model(
        LogisticRegression().fit(x, y), path, pyfunc_predict_fn="predict_proba"
    )
    return path


def code_model(folder: Path, body: str, *, name: str = "model") -> Path:
    """A pyfunc model whose ``predict(model_input)`` runs ``body`` and returns its ``result``
    (default: 0.5 for every row)."""
    import mlflow.pyfunc

    code = folder / f"{name}_code.py"
    code.write_text(
        "import mlflow.pyfunc\nimport mlflow.models\n\n\n"
        "class Model(mlflow.pyfunc.PythonModel):\n"
        "    def predict(self, context, model_input, params=None):\n"
        "        result = [0.5] * len(model_input)\n"
        + textwrap.indent(textwrap.dedent(body), " " * 8)
        + "\n        return result\n\n\nmlflow.models.set_model(Model())\n",
        encoding="utf-8",
    )
    path = folder / name
    mlflow.pyfunc.save_model(path, python_model=str(code))
    return path


class _RunsOnLoad:
    """Unpickling this runs ``exec(code)``: what a malicious pickle does."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple:
        return (exec, (self.code,))


def pickle_model(folder: Path, code: str) -> Path:
    """An 'sklearn' model whose pickle runs ``code`` the moment it is loaded."""
    path = folder / "pickle-model"
    path.mkdir()
    (path / "model.pkl").write_bytes(pickle.dumps(_RunsOnLoad(code)))
    mlmodel = {
        "flavors": {
            "python_function": {
                "loader_module": "mlflow.sklearn",
                "model_path": "model.pkl",
                "predict_fn": "predict",
                "python_version": "3.11",
            },
            "sklearn": {"pickled_model": "model.pkl", "serialization_format": "pickle"},
        },
        "mlflow_version": "3.17.2",
    }
    (path / "MLmodel").write_text(yaml.safe_dump(mlmodel), encoding="utf-8")
    return path
