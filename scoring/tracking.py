"""MLflow tracking: one run per scored submission, written from the committed score, for judges.

MLflow holds private scores, so nothing here is served to participants. Runs are keyed by the
``odx.submission_id`` tag, which makes ``log_run`` safe to retry after MLflow was unreachable
or a write crashed half-way. MLflow and matplotlib are imported inside functions: importing
MLflow takes seconds and the platform's core must start fast.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import os
import sys
import threading
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from odx.scoring.metrics import METRICS
from odx.scoring.migration_lock import ALEMBIC_LOCK
from odx.scoring.ranking_report import RankingReport, ranking_report

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from mlflow import MlflowClient

log = logging.getLogger(__name__)

SUBMISSION_TAG = "odx.submission_id"
FINISHED = "FINISHED"  # mlflow.entities.RunStatus, as RunInfo.status spells it
Triple = tuple[float | None, float | None, float | None]
# Our figures ask for NanumGothic first; DejaVu Sans (matplotlib's own) covers what it lacks,
# such as the Unicode minus of negative tick labels.
FONT_FALLBACK = "DejaVu Sans"
MAX_SCATTER = 20_000
MAX_CURVE = 2_000
MAX_ANNOTATED_CLASSES = 30
PER_QUERY_BINS = 20
PRECISION_FIGURE = "precision_at_k.png"
PER_QUERY_TABLE = "per_query.csv"
_font_lock = threading.Lock()


@dataclass(frozen=True)
class RunRecord:
    """What a judge needs to see about one scored submission, as our database committed it."""

    submission_id: str
    challenge_id: str
    kind: Literal["submission", "baseline"]
    team: str
    user: str
    phase: str
    file_sha256: str
    message: str
    metric: str
    task: str
    public: Triple
    private: Triple
    overall: Triple
    model_run: dict[str, Any] | None = None  # a model submission's sandbox run
    k: int | None = None  # a ranking metric's cut-off, from the release's manifest


_opened: set[str] = set()


def mlflow_client(tracking_uri: str) -> MlflowClient:
    """A client bound to one store; the global tracking URI is never touched (threads differ).

    A database store is opened (created and migrated, with Alembic) once per process under
    :data:`ALEMBIC_LOCK`, so it never migrates while another thread runs Alembic.
    """
    # Usage telemetry is off unless explicitly enabled: this store holds private scores.
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    if tracking_uri not in _opened and not is_server(tracking_uri):
        with ALEMBIC_LOCK:
            client._tracking_client.store  # noqa: B018 - opening the store migrates it
            _opened.add(tracking_uri)
    return client


def is_server(tracking_uri: str) -> bool:
    """An MLflow tracking server (production mode), not a database or folder on this machine."""
    return tracking_uri.startswith(("http://", "https://"))


def _artifact_uri(artifact_root: Path, challenge_id: str) -> str:
    """The experiment's explicit file URI, so MLflow never falls back to ./mlruns in the cwd."""
    if challenge_id in {"", ".", ".."} or "/" in challenge_id or "\\" in challenge_id:
        raise ValueError(f"challenge id {challenge_id!r} cannot name an artifact folder")
    return (artifact_root / challenge_id).resolve().as_uri()


def experiment_for(tracking_uri: str, challenge_id: str, artifact_root: Path) -> str:
    """Id of the experiment ``odx/<challenge_id>``, created with artifacts under our root."""
    return _experiment(mlflow_client(tracking_uri), challenge_id, artifact_root)


def existing_experiment_id(tracking_uri: str, challenge_id: str) -> str | None:
    """The challenge's experiment id, or None if it has none yet or MLflow cannot be read."""
    try:
        experiment = mlflow_client(tracking_uri).get_experiment_by_name(f"odx/{challenge_id}")
    except Exception:  # an unreachable tracking server must not break the judge's page
        return None
    return experiment.experiment_id if experiment is not None else None


def run_url(ui_url: str, experiment_id: str, run_id: str) -> str:
    """Where a run opens in the MLflow UI."""
    return f"{ui_url.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def _experiment(client: MlflowClient, challenge_id: str, artifact_root: Path) -> str:
    """Get or create the challenge's experiment; a concurrent creator's experiment is reused."""
    from mlflow.exceptions import MlflowException

    name = f"odx/{challenge_id}"
    # A tracking server stores artifacts where its --artifacts-destination says; a local store
    # gets an explicit folder under our root.
    location = (
        None if is_server(client.tracking_uri) else _artifact_uri(artifact_root, challenge_id)
    )
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        try:
            return client.create_experiment(name, artifact_location=location)
        except MlflowException:
            experiment = client.get_experiment_by_name(name)  # lost a race to another writer
            if experiment is None:
                raise
    if location is not None and experiment.artifact_location.rstrip("/") != location:
        raise ValueError(
            f"experiment {name} stores artifacts at {experiment.artifact_location}, "
            f"not {location}; move the artifacts or fix artifact_root"
        )
    if experiment.lifecycle_stage == "deleted":
        client.restore_experiment(experiment.experiment_id)
    return experiment.experiment_id


def log_run(
    tracking_uri: str,
    artifact_root: Path,
    record: RunRecord,
    *,
    y_true: np.ndarray | None = None,
    y_pred: np.ndarray | None = None,
    report: dict | None = None,
    labels: list[str] | None = None,
    model_dir: Path | None = None,
    ids: np.ndarray | None = None,
) -> str:
    """Write the submission's run once (or finish a half-written one) and return its id.

    ``model_dir``: a model submission's unpacked folder, logged as the run's ``model``
    artifact as uploaded (MLflow's UI shows its MLmodel and signature); it is never loaded.
    ``ids``: the rows' ids, in ``y_true``'s order; a ranking run names its queries by them in
    ``per_query.csv``.
    """
    from mlflow.entities import Metric, RunTag

    client = mlflow_client(tracking_uri)
    experiment_id = _experiment(client, record.challenge_id, artifact_root)
    run = _existing_run(client, experiment_id, record.submission_id)
    if run is not None and run.info.status == FINISHED:
        return run.info.run_id
    if run is None:
        run = client.create_run(
            experiment_id,
            tags={SUBMISSION_TAG: record.submission_id},
            run_name=f"{record.team} · {record.submission_id[:8]}",
        )
    run_id = run.info.run_id
    ranking, failed = _ranking(record, ids, y_true, y_pred)
    logged = set(run.data.metrics)  # a resumed run keeps what it has: no duplicate history
    now = int(time.time() * 1000)
    points = [(key, value, 0) for key, value in _metrics(record).items()]
    points += _ranking_metrics(ranking) if ranking is not None else []
    metrics = [Metric(key, value, now, step) for key, value, step in points if key not in logged]
    tags = [RunTag(key, value) for key, value in _tags(record).items()]
    client.log_batch(run_id, metrics=metrics, tags=tags)
    client.log_dict(run_id, _jsonable(report or {}), "report.json")
    if record.model_run is not None:
        _log_model_run(client, run_id, record.model_run, model_dir)
    failed += _log_plots(client, run_id, record, y_true, y_pred, labels, ranking=ranking)
    if ranking is not None:
        client.log_text(run_id, ranking.table.to_csv(index=False), PER_QUERY_TABLE)
    if failed:
        client.set_tag(run_id, "odx.plot_errors", ",".join(failed))
    client.set_terminated(run_id, FINISHED)
    return run_id


JUDGING_TAG = "odx.judging.team"


def log_judging_run(
    tracking_uri: str,
    artifact_root: Path,
    challenge_id: str,
    team: str,
    *,
    metrics: dict[str, float],
    tags: dict[str, str],
    submission_run_id: str | None = None,
) -> str:
    """One judging run per finalist in the challenge's experiment (found again by its team
    tag, so judging again updates it), a child of the final submission's run when known."""
    from mlflow.entities import Metric, RunTag

    client = mlflow_client(tracking_uri)
    experiment_id = _experiment(client, challenge_id, artifact_root)
    quoted = team.replace("\\", "\\\\").replace("'", "\\'")
    found = client.search_runs([experiment_id], filter_string=f"tags.`{JUDGING_TAG}` = '{quoted}'")
    if found:
        run_id = found[0].info.run_id
    else:
        link = {"mlflow.parentRunId": submission_run_id} if submission_run_id else {}
        run_id = client.create_run(
            experiment_id, tags={JUDGING_TAG: team, **link}, run_name=f"judging · {team}"
        ).info.run_id
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(key, value, now, 0) for key, value in metrics.items()],
        tags=[RunTag(key, value) for key, value in tags.items()],
    )
    client.set_terminated(run_id, FINISHED)
    return run_id


def _log_model_run(
    client: MlflowClient, run_id: str, model_run: dict[str, Any], model_dir: Path | None
) -> None:
    """The sandbox run (time, memory, exit status, log) and the model as uploaded."""
    numbers = {
        "model_seconds": model_run.get("seconds"),
        "model_peak_memory_mb": model_run.get("peak_memory_mb"),
        "model_exit_code": model_run.get("exit_code"),
    }
    for key, value in numbers.items():
        if isinstance(value, int | float):
            client.log_metric(run_id, key, float(value))
    client.set_tag(run_id, "odx.model.outcome", str(model_run.get("outcome", "")))
    client.set_tag(run_id, "odx.model.flavors", ",".join(model_run.get("flavors") or []))
    client.set_tag(run_id, "odx.model.sandboxed", str(bool(model_run.get("sandboxed"))).lower())
    if model_run.get("signature"):
        client.log_dict(run_id, model_run["signature"], "model_signature.json")
    client.log_text(run_id, str(model_run.get("log", "")), "model_log.txt")
    if model_dir is not None:
        client.log_artifacts(run_id, str(model_dir), "model")


def _existing_run(client: MlflowClient, experiment_id: str, submission_id: str) -> Any:
    """The run already tagged with this submission (finished ones first), deleted ones included."""
    from mlflow.entities import ViewType

    quoted = submission_id.replace("\\", "\\\\").replace("'", "\\'")
    runs = client.search_runs(
        [experiment_id],
        filter_string=f"tags.`{SUBMISSION_TAG}` = '{quoted}'",
        run_view_type=ViewType.ALL,
        order_by=["attributes.start_time ASC"],
    )
    if not runs:
        return None
    finished = [run for run in runs if run.info.status == FINISHED]
    return (finished or list(runs))[0]


def _tags(record: RunRecord) -> dict[str, str]:
    """Searchable tags; the message becomes the run's description shown in the MLflow UI."""
    return {
        SUBMISSION_TAG: record.submission_id,
        "odx.challenge": record.challenge_id,
        "odx.team": record.team,
        "odx.user": record.user,
        "odx.phase": record.phase,
        "odx.kind": record.kind,
        "odx.file_sha256": record.file_sha256,
        "odx.metric": record.metric,
        "odx.task": record.task,
        "mlflow.user": record.user,
        "mlflow.note.content": record.message[:7000],  # MLflow caps tag values at 8000
    }


def _metrics(record: RunRecord) -> dict[str, float]:
    """``<part>_<metric>`` and its interval's ends; undefined (None or nan) values are skipped."""
    out: dict[str, float] = {}
    for part in ("public", "private", "overall"):
        value, low, high = getattr(record, part)
        base = f"{part}_{record.metric}"
        for key, number in ((base, value), (f"{base}_ci_low", low), (f"{base}_ci_high", high)):
            if number is not None and not math.isnan(number):
                out[key] = float(number)
    return out


def _ranking_artifacts(record: RunRecord) -> list[str]:
    """What a ranking run adds for judges, named when it cannot be made."""
    return [f"per_query_{record.metric}.png", PRECISION_FIGURE, PER_QUERY_TABLE]


def _ranking(
    record: RunRecord,
    ids: np.ndarray | None,
    y_true: np.ndarray | None,
    y_pred: np.ndarray | None,
) -> tuple[RankingReport | None, list[str]]:
    """A ranking run's per-query numbers, or the artifacts they would have made if odd data
    (or a record without k) prevents them: the scores are logged either way."""
    if record.task != "ranking" or y_true is None or y_pred is None:
        return None, []
    try:
        queries = ids if ids is not None else np.arange(1, len(y_true) + 1)
        return ranking_report(queries, y_true, y_pred, metric=record.metric, k=record.k), []
    except Exception:
        log.warning("no per-query report for submission %s", record.submission_id, exc_info=True)
        return None, _ranking_artifacts(record)


def _ranking_metrics(ranking: RankingReport) -> list[tuple[str, float, int]]:
    """Mean precision at 1..k as one stepped metric (MLflow draws it as a curve), its ends
    as plain metrics a judge can search and sort by, and the share of queries with a hit."""
    curve = [float(value) for value in ranking.precision]
    points = [("overall_precision_at", value, step) for step, value in enumerate(curve, 1)]
    ends = {"overall_precision_at_1": curve[0], f"overall_precision_at_{ranking.k}": curve[-1]}
    ends["overall_queries_with_hit_share"] = ranking.hit_share
    return points + [(key, value, 0) for key, value in ends.items()]


def _jsonable(value: Any) -> Any:
    """Strict JSON: nan becomes null and numpy scalars plain numbers (not their strings)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _log_plots(
    client: MlflowClient,
    run_id: str,
    record: RunRecord,
    y_true: np.ndarray | None,
    y_pred: np.ndarray | None,
    labels: list[str] | None,
    *,
    ranking: RankingReport | None = None,
) -> list[str]:
    """Log the task's figures; one that cannot be drawn is named, not fatal (scores matter more)."""
    if y_true is None or y_pred is None:
        return []
    spec = METRICS.get(record.metric)
    title = f"{record.team} · {record.submission_id[:8]}"
    builders: dict[str, Any] = {}
    if record.task == "binary" and spec is not None and spec.needs_probabilities:
        builders["roc_curve.png"] = lambda: roc_figure(y_true, y_pred, title)
        builders["precision_recall_curve.png"] = lambda: pr_figure(y_true, y_pred, title)
    elif record.task in ("binary", "multiclass"):
        builders["confusion_matrix.png"] = lambda: confusion_figure(y_true, y_pred, labels, title)
    elif record.task == "regression":
        log1p = record.metric == "rmsle"
        builders["residuals.png"] = lambda: residual_figure(y_true, y_pred, title, log1p=log1p)
    elif record.task == "ranking" and ranking is not None:
        values = ranking.table[ranking.column].to_numpy()
        builders[f"per_query_{record.metric}.png"] = lambda: per_query_figure(
            values, ranking.label, title
        )
        builders[PRECISION_FIGURE] = lambda: precision_figure(ranking.precision, title)
    failed = []
    for name, build in builders.items():
        try:
            figure = build()
        except Exception:  # odd data must not block the run; store errors still raise below
            log.warning(
                "could not plot %s for submission %s", name, record.submission_id, exc_info=True
            )
            failed.append(name)
            continue
        client.log_figure(run_id, figure, name)
    return failed


@cache
def font_family() -> str:
    """Register the NanumGothic file koreanize-matplotlib ships (not system fonts) for Hangul."""
    from matplotlib import font_manager

    # find_spec locates the package without importing it: its import rewrites global rcParams.
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("koreanize-matplotlib is not installed; Hangul labels cannot render")
    path = Path(next(iter(spec.submodule_search_locations))) / "fonts" / "NanumGothic.ttf"
    with _font_lock:
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path).get_name()


def _figure() -> tuple[Figure, Any]:
    """A pyplot-free figure: no global figure registry to leak into or race on across threads."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 5), dpi=100, layout="constrained")
    return figure, figure.subplots()


def _with_font(figure: Figure) -> Figure:
    """Set our font on every text; ticks made later copy the first tick's font."""
    from matplotlib.text import Text

    family = [font_family(), FONT_FALLBACK]
    for text in figure.findobj(Text):
        text.set_fontfamily(family)
    return figure


def _thin(*arrays: np.ndarray, limit: int) -> list[np.ndarray]:
    """At most ``limit`` evenly spaced points of a curve: enough to draw, cheap to save."""
    size = len(arrays[0])
    if size <= limit:
        return list(arrays)
    keep = np.unique(np.linspace(0, size - 1, limit).astype(np.intp))
    return [a[keep] for a in arrays]


def roc_figure(y_true: np.ndarray, y_score: np.ndarray, title: str) -> Figure:
    """ROC curve of a binary probability (1 = positive)."""
    from sklearn.metrics import auc, roc_curve

    fpr, tpr, _ = roc_curve(np.asarray(y_true, dtype=float), np.asarray(y_score, dtype=float))
    figure, ax = _figure()
    ax.plot(*_thin(fpr, tpr, limit=MAX_CURVE), label=f"AUC = {auc(fpr, tpr):.4f}")
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    ax.set(xlabel="False positive rate", ylabel="True positive rate", title=f"ROC · {title}")
    ax.legend(loc="lower right")
    return _with_font(figure)


def pr_figure(y_true: np.ndarray, y_score: np.ndarray, title: str) -> Figure:
    """Precision-recall curve of a binary probability, with the positive rate as baseline."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    truth = np.asarray(y_true, dtype=float)
    score = np.asarray(y_score, dtype=float)
    precision, recall, _ = precision_recall_curve(truth, score)
    figure, ax = _figure()
    ap = average_precision_score(truth, score)
    ax.step(*_thin(recall, precision, limit=MAX_CURVE), where="post", label=f"AP = {ap:.4f}")
    ax.axhline(truth.mean(), linestyle="--", color="grey", linewidth=0.8)
    ax.set(xlabel="Recall", ylabel="Precision", title=f"Precision-recall · {title}")
    ax.set(xlim=(0, 1), ylim=(0, 1.02))
    ax.legend(loc="lower left")
    return _with_font(figure)


def confusion_figure(
    y_true: np.ndarray, y_pred: np.ndarray, labels: list[str] | None, title: str
) -> Figure:
    """Confusion matrix (rows true, columns predicted) of labels compared as strings."""
    from sklearn.metrics import confusion_matrix

    truth = np.asarray(y_true).astype(str)
    guess = np.asarray(y_pred).astype(str)
    classes = list(labels) if labels is not None else sorted(set(truth) | set(guess))
    matrix = confusion_matrix(truth, guess, labels=classes)
    figure, ax = _figure()
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax)
    ticks = range(len(classes))
    ax.set_xticks(ticks, labels=classes, rotation=45, ha="right")
    ax.set_yticks(ticks, labels=classes)
    ax.set(xlabel="Predicted", ylabel="True", title=f"Confusion matrix · {title}")
    if len(classes) <= MAX_ANNOTATED_CLASSES:
        threshold = matrix.max() / 2 if matrix.size else 0
        for (row, column), count in np.ndenumerate(matrix):
            color = "white" if count > threshold else "black"
            ax.text(column, row, str(count), ha="center", va="center", color=color, fontsize=8)
    return _with_font(figure)


def residual_figure(
    y_true: np.ndarray, y_pred: np.ndarray, title: str, *, log1p: bool = False
) -> Figure:
    """Residuals against predictions (on log1p axes for RMSLE), sampled to stay light."""
    truth = np.asarray(y_true, dtype=float)
    guess = np.asarray(y_pred, dtype=float)
    if log1p:
        truth, guess = np.log1p(truth), np.log1p(guess)
    if truth.size > MAX_SCATTER:
        keep = np.random.default_rng(0).choice(truth.size, MAX_SCATTER, replace=False)
        truth, guess = truth[keep], guess[keep]
    figure, ax = _figure()
    ax.scatter(guess, truth - guess, s=4, alpha=0.3, rasterized=True)
    ax.axhline(0, color="grey", linewidth=0.8)
    axis = "log1p(predicted)" if log1p else "Predicted"
    residual = "log1p(true) − log1p(predicted)" if log1p else "True − predicted"
    ax.set(xlabel=axis, ylabel=residual, title=f"Residuals · {title}")
    return _with_font(figure)


def per_query_figure(values: np.ndarray, label: str, title: str) -> Figure:
    """Histogram of a per-query metric in [0, 1] with its mean (the score) and median: the
    mean alone cannot tell a few perfect queries from many middling ones."""
    scores = np.asarray(values, dtype=float)
    mean, median = float(scores.mean()), float(np.median(scores))
    figure, ax = _figure()
    ax.hist(scores, bins=np.linspace(0, 1, PER_QUERY_BINS + 1), edgecolor="white")
    ax.axvline(mean, color="C1", linewidth=1.5, label=f"Mean = {mean:.4f}")
    ax.axvline(median, color="C2", linewidth=1.5, linestyle="--", label=f"Median = {median:.4f}")
    # A little room either side, so a median of exactly 0 or 1 is not hidden by the frame.
    ax.set(xlabel=f"{label} of a query", ylabel="Queries", xlim=(-0.02, 1.02))
    ax.set(title=f"{label} per query ({scores.size:,} queries) · {title}")
    ax.legend(loc="upper center")
    return _with_font(figure)


def precision_figure(precision: np.ndarray, title: str) -> Figure:
    """Mean precision at each cut-off 1..k: how fast relevant items run out down the list."""
    from matplotlib.ticker import MaxNLocator

    curve = np.asarray(precision, dtype=float)
    steps = np.arange(1, curve.size + 1)
    figure, ax = _figure()
    ax.plot(steps, curve, marker="o", markersize=3)
    title = f"Precision at 1…{curve.size} · {title}"
    ax.set(xlabel="Cut-off i", ylabel="Mean precision@i", title=title)
    ax.set_xlim(0.5, curve.size + 0.5)
    ax.set_ylim(0, min(1.02, max(float(curve.max()) * 1.15, 0.05)))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return _with_font(figure)


def ui_command(tracking_uri: str, artifact_root: Path, port: int = 5000) -> list[str]:
    """The local-only ``mlflow ui`` a judge runs to browse this store (never exposed publicly)."""
    return [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        tracking_uri,
        "--default-artifact-root",
        artifact_root.resolve().as_uri(),
        "--no-serve-artifacts",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]


def log_model(tracking_uri: str, run_id: str, model: Any, input_example: Any) -> None:
    """Attach a fitted scikit-learn model, with its signature and an input example, to a run.

    Uses MLflow's fluent API, which keeps a process-wide tracking URI: call it from one
    thread at a time (the baseline command does).
    """
    import mlflow
    import mlflow.sklearn
    import skops.io
    from mlflow.models import infer_signature

    predict = getattr(model, "predict_proba", None) or model.predict
    output = predict(input_example)
    # skops (MLflow's safe format) distrusts some of scikit-learn's and numpy's own types
    # (and functools.partial, which sklearn uses to wrap its own functions); trust those,
    # never a type from anywhere else.
    untrusted = skops.io.get_untrusted_types(data=skops.io.dumps(model))
    trusted = [
        t for t in untrusted if t.split(".")[0] in ("sklearn", "numpy") or t == "functools.partial"
    ]
    mlflow.set_tracking_uri(tracking_uri)
    with mlflow.start_run(run_id=run_id):
        mlflow.sklearn.log_model(
            model,
            name="model",
            signature=infer_signature(input_example, output),
            input_example=input_example,
            skops_trusted_types=trusted or None,
        )
