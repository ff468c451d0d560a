"""A model submission from upload to scored, against the same work in a bare process.

Run: ``python benchmarks/bench_model_submission.py [--rows 100000] [--repeat 3]``.

It writes a synthetic SME panel whose random split leaves ``--rows`` hidden test rows
(``platform_fixture.write_bench_dataset``, with ``release: {test_features: hidden}``),
publishes it, registers a model challenge on it, trains the shipped baseline pipeline
(gradient boosting with native categorical features) on ``train.csv`` and saves it with
``mlflow.sklearn.save_model``, zipped, as a team would. Then it times

- measured: ``submissions.accept`` (store the zip, queue the row) and ``jobs.scoring.run_job``
  (unpack, check the packages, run MLflow's loader and ``predict`` in the bubblewrap sandbox
  on the hidden test features, store the predictions, validate and score them with
  intervals, record the outcome) — upload to scored, without the MLflow run written after;
- reference: one bare ``python`` process that imports MLflow, loads the same saved model,
  reads the same test features, calls ``predict`` and ``roc_auc_score`` on the labels;

and the sandbox's fixed start-up cost: the runner on a one-row file with a constant model,
in the sandbox against the same runner without it. Goals: ratio <= 1.5x, start-up < 1 s.
Nothing is asserted: these machines are noisy.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).parent))
from platform_fixture import write_bench_dataset, write_challenge

from odx.baselines.pipelines import BASELINES, fit_predict
from odx.platform.db.engine import session_scope
from odx.platform.jobs.scoring import run_job
from odx.platform.services import challenges, teams, users
from odx.platform.services import datasets as dataset_service
from odx.platform.services import submissions as intake
from odx.platform.settings import Settings
from odx.submissions.models.archive import zip_folder
from odx.submissions.models.sandbox import ModelLimits, ModelTask, run_model

ID, TARGET = "record_id", "distress_next_year"
BARE = """
import sys, time
import mlflow.pyfunc, pandas as pd
from sklearn.metrics import roc_auc_score
model_dir, features, labels = sys.argv[1:4]
frame = pd.read_csv(features, dtype={"record_id": str})
model = mlflow.pyfunc.load_model(model_dir)
predictions = model.predict(frame.drop(columns=["record_id"]))[:, 1]
truth = pd.read_csv(labels, dtype={"record_id": str}).set_index("record_id")
print(roc_auc_score(truth.loc[frame["record_id"], "distress_next_year"], predictions))
"""
CONSTANT_MODEL = """
import mlflow.pyfunc, mlflow.models
class Model(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return [0.5] * len(model_input)
mlflow.models.set_model(Model())
"""


def prepare(root: Path, rows: int) -> tuple[Settings, str, Path]:
    """Publish the hidden-features dataset and register the model challenge on it."""
    folder = write_bench_dataset(root, rows)
    spec_path = folder / "dataset.yaml"
    spec = yaml.safe_load(spec_path.read_text("utf-8"))
    spec["id"] = "sme-bench"
    spec["release"] = {"test_features": "hidden", "test_sample_rows": 100}
    spec_path.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    settings = Settings(home=root / "home", progress=False, workers=1)
    published = dataset_service.publish(settings, str(folder))
    path = write_challenge(
        root / "challenge.yaml", challenge_id="sme-bench-model", dataset_id="sme-bench", version=1
    )
    definition = yaml.safe_load(path.read_text("utf-8"))
    definition["submission"] = "model"
    definition["model_limits"] = {"seconds": 900, "memory_mb": 8192, "processes": 64}
    path.write_text(yaml.safe_dump(definition, allow_unicode=True), encoding="utf-8")
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.register(session, path, actor="bench")
        user, _ = users.create_user(session, name="kim", role="participant", actor="bench")
        teams.create(session, challenge, user, "kim-ai")
    return settings, "sme-bench-model", published.public_dir


def save_model(public_dir: Path, folder: Path) -> Path:
    """The baseline pipeline trained on train.csv, saved by MLflow (what a team uploads)."""
    import mlflow.sklearn

    train = pd.read_csv(public_dir / "train.csv", dtype={ID: str})
    sample = pd.read_csv(public_dir / "test_sample.csv", dtype={ID: str})
    model, _ = fit_predict(BASELINES["sme-growth-risk"], train, sample, id_column=ID, target=TARGET)
    saved = folder / "model"
    mlflow.sklearn.save_model(
        model,
        saved,
        serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
        pyfunc_predict_fn="predict_proba",
    )
    return saved


def upload_to_scored(settings: Settings, challenge_id: str, upload: bytes) -> tuple[float, dict]:
    started = time.perf_counter()
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, challenge_id)
        user = users.get_by_name(session, "kim")
        submission_id = intake.accept(
            session, settings, challenge, user, intake.BytesUpload(upload, file_name="model.zip")
        ).id
    outcome = run_job(settings, submission_id, "bench")
    seconds = time.perf_counter() - started
    with session_scope(settings.resolved_database_url) as session:
        row = intake.get(session, submission_id)
        if outcome.status != "scored":
            raise RuntimeError(f"not scored: {row.problems}")
        return seconds, dict(row.model_run or {}) | {"public": row.public_score}


def bare(model_dir: Path, features: Path, labels: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", BARE, str(model_dir), str(features), str(labels)],
        capture_output=True,
        text=True,
        check=True,
    )
    float(done.stdout.strip())
    return time.perf_counter() - started


def start_up(folder: Path, repeat: int) -> tuple[float, float]:
    """Median seconds of the runner on a one-row file: in the sandbox, and without it."""
    code = folder / "constant.py"
    code.write_text(CONSTANT_MODEL, encoding="utf-8")
    import mlflow.pyfunc

    model = folder / "constant"
    mlflow.pyfunc.save_model(model, python_model=str(code))
    features = folder / "one-row.csv"
    features.write_text(f"{ID},x\nR1,1.0\n", encoding="utf-8")
    task = ModelTask(ID, [TARGET], binary=True)
    timings: dict[bool, list[float]] = {True: [], False: []}
    for index in range(repeat):
        for sandboxed in (True, False):
            run = run_model(
                model, features, folder / f"w{index}{sandboxed}", task, ModelLimits(),
                unsandboxed=not sandboxed,
            )  # fmt: skip
            if not run.ok:
                raise RuntimeError(run.message + run.log)
            timings[sandboxed].append(run.seconds)
    return statistics.median(timings[True]), statistics.median(timings[False])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000, help="hidden test rows")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="odx-bench-model-") as tmp:
        root = Path(tmp)
        settings, challenge_id, public_dir = prepare(root, args.rows)
        relative = public_dir.relative_to(settings.public_root)
        hidden = settings.hidden_root / relative
        model_dir = save_model(public_dir, root)
        buffer = io.BytesIO()
        zip_folder(model_dir, buffer)
        measured, references, runs = [], [], []
        for _ in range(args.repeat):
            seconds, run = upload_to_scored(settings, challenge_id, buffer.getvalue())
            measured.append(seconds)
            runs.append(run)
            references.append(bare(model_dir, hidden / "test_features.csv", hidden / "labels.csv"))
        sandboxed, plain = start_up(root, args.repeat)
    m, r = statistics.median(measured), statistics.median(references)
    print(f"model submission, {args.rows:,} hidden test rows, {args.repeat} runs (medians)")
    print(f"  reference (bare process: import, load, predict, AUC): {r:7.2f} s")
    print(f"  measured  (upload to scored, sandboxed):              {m:7.2f} s")
    print(
        f"    of which the sandbox run:                           "
        f"{statistics.median(x['seconds'] for x in runs):7.2f} s, "
        f"peak memory {statistics.median(x['peak_memory_mb'] for x in runs):.0f} MB"
    )
    print(f"  ratio measured / reference: {m / r:.2f}x   (goal <= 1.5x)")
    print(
        f"  sandbox start-up (one-row runner, sandboxed - unsandboxed): "
        f"{sandboxed - plain:+.3f} s  ({sandboxed:.2f} s vs {plain:.2f} s; goal < 1 s)"
    )
    print(json.dumps({"ratio": round(m / r, 3), "startup_seconds": round(sandboxed - plain, 3),
                      "public_auc": runs[-1]["public"]}))  # fmt: skip


if __name__ == "__main__":
    main()
