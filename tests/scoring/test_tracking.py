"""log_run against a real MLflow sqlite store: one finished run per submission, with artifacts."""

from __future__ import annotations

import io
import json
import math
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from odx.scoring.metrics import map_at_k_score
from odx.scoring.ranking_report import cumulative_hits, precision_at, ranked_items, ranking_report
from odx.scoring.tracking import (
    SUBMISSION_TAG,
    RunRecord,
    confusion_figure,
    experiment_for,
    log_run,
    per_query_figure,
    precision_figure,
    ui_command,
)

mlflow = pytest.importorskip("mlflow")
pytest.importorskip("koreanize_matplotlib")

# MLflow's own sqlite store trips this SQLAlchemy deprecation; it is not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:The ``noload`` loader strategy:DeprecationWarning")
KOREAN = ["금융", "경영", "기술"]
ROWS = 300


@dataclass(frozen=True)
class Store:
    uri: str
    artifacts: Path

    @property
    def client(self) -> mlflow.MlflowClient:
        return mlflow.MlflowClient(tracking_uri=self.uri)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """One migrated store per module: its first migration takes seconds."""
    root = tmp_path_factory.mktemp("mlflow")
    (root / "cwd").mkdir()
    made = Store(f"sqlite:///{root}/mlflow.db", root / "artifacts")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root / "cwd")
        made.client.search_experiments()  # creates and migrates the database
    assert not any((root / "cwd").iterdir())
    return made


@pytest.fixture(autouse=True)
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test runs in an empty folder that must stay empty (no ./mlruns, no ./mlartifacts)."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    yield folder
    assert not any(folder.iterdir()), sorted(p.name for p in folder.iterdir())


def _record(**changes: object) -> RunRecord:
    base = RunRecord(
        submission_id=uuid.uuid4().hex,
        challenge_id="credit-default",
        kind="submission",
        team="한빛 팀",
        user="minji",
        phase="main",
        file_sha256="ab" * 32,
        message="gradient boosting, 5 folds",
        metric="roc_auc",
        task="binary",
        public=(0.81, 0.78, 0.84),
        private=(0.8, 0.77, 0.83),
        overall=(0.805, 0.78, 0.83),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def _data(task: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    if task == "binary":
        truth = rng.integers(0, 2, ROWS)
        return truth, np.clip(0.4 * truth + 0.6 * rng.random(ROWS), 0, 1)
    if task == "multiclass":
        labels = np.array(KOREAN)
        truth = labels[rng.integers(0, 3, ROWS)]
        guess = np.where(rng.random(ROWS) < 0.7, truth, labels[rng.integers(0, 3, ROWS)])
        return truth, guess
    truth = rng.gamma(2.0, 50.0, ROWS)
    return truth, truth * rng.lognormal(0, 0.2, ROWS)


def _runs(store: Store, record: RunRecord) -> list:
    experiment = store.client.get_experiment_by_name(f"odx/{record.challenge_id}")
    assert experiment is not None
    return list(
        store.client.search_runs(
            [experiment.experiment_id], f"tags.`{SUBMISSION_TAG}` = '{record.submission_id}'"
        )
    )


CASES = {
    "binary": (
        {"metric": "roc_auc", "task": "binary"},
        {"precision_recall_curve.png", "roc_curve.png"},
    ),
    "multiclass": (
        {"metric": "f1_macro", "task": "multiclass", "challenge_id": "news-topics"},
        {"confusion_matrix.png"},
    ),
    "regression": (
        {
            "metric": "rmsle",
            "task": "regression",
            "challenge_id": "store-sales",
            "kind": "baseline",
        },
        {"residuals.png"},
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_one_finished_run_with_tags_metrics_and_artifacts(store: Store, case: str) -> None:
    changes, plots = CASES[case]
    record = _record(**changes)
    truth, guess = _data(record.task)
    report = {"rows": ROWS, "scores": {"public": {"value": 0.81, "low": None}}, "note": "금융"}
    labels = KOREAN if record.task == "multiclass" else None

    run_id = log_run(
        store.uri, store.artifacts, record, y_true=truth, y_pred=guess, report=report, labels=labels
    )

    [run] = _runs(store, record)
    assert run.info.run_id == run_id
    assert run.info.status == "FINISHED"
    assert run.info.run_name == f"{record.team} · {record.submission_id[:8]}"
    tags = run.data.tags
    assert tags["odx.challenge"] == record.challenge_id
    assert tags["odx.team"] == record.team
    assert tags["odx.user"] == record.user
    assert tags["odx.phase"] == record.phase
    assert tags["odx.kind"] == record.kind
    assert tags["odx.file_sha256"] == record.file_sha256
    assert tags["odx.metric"] == record.metric
    assert tags["mlflow.note.content"] == record.message
    assert "odx.plot_errors" not in tags
    m = record.metric
    assert run.data.metrics == {
        f"{part}_{m}{end}": value
        for part in ("public", "private", "overall")
        for end, value in zip(("", "_ci_low", "_ci_high"), getattr(record, part), strict=True)
    }

    listed = {info.path for info in store.client.list_artifacts(run_id)}
    assert listed == plots | {"report.json"}
    folder = store.artifacts / record.challenge_id / run_id / "artifacts"
    assert run.info.artifact_uri == folder.resolve().as_uri()
    for name in plots:
        assert (folder / name).read_bytes().startswith(b"\x89PNG")
    assert json.loads((folder / "report.json").read_text()) == report


def test_logging_twice_keeps_one_run(store: Store) -> None:
    record = _record()
    truth, guess = _data("binary")
    first = log_run(store.uri, store.artifacts, record, y_true=truth, y_pred=guess)
    second = log_run(store.uri, store.artifacts, record, y_true=truth, y_pred=guess)
    assert first == second
    assert len(_runs(store, record)) == 1
    assert len(store.client.get_metric_history(first, "public_roc_auc")) == 1


def test_a_run_left_running_is_completed_not_duplicated(store: Store) -> None:
    record = _record(message="")
    experiment_id = experiment_for(store.uri, record.challenge_id, store.artifacts)
    crashed = store.client.create_run(experiment_id, tags={SUBMISSION_TAG: record.submission_id})
    store.client.log_metric(crashed.info.run_id, "public_roc_auc", 0.81)  # before the crash

    run_id = log_run(store.uri, store.artifacts, record, report={"rows": 3})

    assert run_id == crashed.info.run_id
    [run] = _runs(store, record)
    assert run.info.status == "FINISHED"
    assert run.data.tags["odx.team"] == record.team
    assert "private_roc_auc" in run.data.metrics
    assert len(store.client.get_metric_history(run_id, "public_roc_auc")) == 1
    assert {info.path for info in store.client.list_artifacts(run_id)} == {"report.json"}


def test_nan_scores_are_skipped(store: Store) -> None:
    nan = float("nan")
    record = _record(
        metric="accuracy",
        public=(nan, nan, nan),
        private=(0.7, None, None),
        overall=(0.71, nan, 0.74),
    )
    run_id = log_run(store.uri, store.artifacts, record, report={"value": nan, "n": np.int64(3)})
    metrics = store.client.get_run(run_id).data.metrics
    assert metrics == {
        "private_accuracy": 0.7,
        "overall_accuracy": 0.71,
        "overall_accuracy_ci_high": 0.74,
    }
    assert not any(math.isnan(v) for v in metrics.values())
    folder = store.artifacts / record.challenge_id / run_id / "artifacts"
    assert json.loads((folder / "report.json").read_text()) == {"value": None, "n": 3}


def test_experiment_is_reused_and_keeps_artifacts_under_the_root(store: Store) -> None:
    first = experiment_for(store.uri, "reused", store.artifacts)
    assert experiment_for(store.uri, "reused", store.artifacts) == first
    location = store.client.get_experiment(first).artifact_location
    assert location == (store.artifacts / "reused").resolve().as_uri()
    with pytest.raises(ValueError, match="stores artifacts"):
        experiment_for(store.uri, "reused", store.artifacts / "elsewhere")
    with pytest.raises(ValueError, match="artifact folder"):
        experiment_for(store.uri, "../escape", store.artifacts)


def test_hangul_labels_render_in_nanum_gothic() -> None:
    from matplotlib import font_manager

    truth, guess = _data("multiclass")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        figure = confusion_figure(truth, guess, KOREAN, "한빛 팀 · 1234abcd")
        figure.savefig(io.BytesIO(), format="png")
    assert not [w for w in caught if "Glyph" in str(w.message)]
    ax = figure.axes[0]  # the matrix; axes[1] is its colour bar
    texts = [*ax.get_xticklabels(), *ax.get_yticklabels(), ax.title]
    assert {t.get_text() for t in ax.get_xticklabels()} == set(KOREAN)
    for text in texts:
        used = Path(font_manager.findfont(text.get_fontproperties(), fallback_to_default=False))
        assert used.name == "NanumGothic.ttf"
    packaged = [f for f in font_manager.fontManager.ttflist if f.name == "NanumGothic"]
    assert any(
        "koreanize_matplotlib" in Path(f.fname).parts for f in packaged
    )  # no system font needed


def test_ui_command_binds_to_localhost(store: Store) -> None:
    command = ui_command(store.uri, store.artifacts, port=5123)
    assert command[1:4] == ["-m", "mlflow", "ui"]
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "5123"
    assert command[command.index("--backend-store-uri") + 1] == store.uri


def test_a_figure_that_cannot_be_drawn_is_named_not_fatal(store: Store) -> None:
    record = _record()
    truth = np.array([0, 1, 1])
    run_id = log_run(store.uri, store.artifacts, record, y_true=truth, y_pred=np.array(["x"] * 3))
    run = store.client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["odx.plot_errors"] == "roc_curve.png,precision_recall_curve.png"
    assert {info.path for info in store.client.list_artifacts(run_id)} == {"report.json"}


# A ranking with k = 3, worked by hand. Per query: relevant items, ranked list, hits in the
# top 1..3, precision@1..3 and AP@3 = sum of precision at each hit / min(relevant, k).
RANKED_IDS = np.array(["기업-1", "C2", "C3", "C4", "C5"])
RANKED_TRUTH = np.array(["P1 P2", "P3", "P4", "P1 P2 P3 P4", "P2"], dtype=object)
RANKED_GUESS = np.empty(5, dtype=object)
RANKED_GUESS[:] = [["P1", "P3", "P2"], float("nan"), ["P1", "P4"], ["P2", "P5", "P6"], []]
HAND = {  # query: (relevant, hits@3, precision@1..3, AP@3)
    "기업-1": (2, 2, (1, 1 / 2, 2 / 3), (1 + 2 / 3) / 2),
    "C2": (1, 0, (0, 0, 0), 0.0),  # no prediction at all (nan after reindexing)
    "C3": (1, 1, (0, 1 / 2, 1 / 3), (1 / 2) / 1),
    "C4": (4, 1, (1, 1 / 2, 1 / 3), 1 / 3),  # min(4, k) = 3 relevant could have been found
    "C5": (1, 0, (0, 0, 0), 0.0),  # an empty list
}
HAND_PRECISION = np.mean([precision for _, _, precision, _ in HAND.values()], axis=0)
HAND_MAP = float(np.mean([ap for *_, ap in HAND.values()]))
RANKING_ARTIFACTS = {"per_query_map_at_k.png", "precision_at_k.png", "per_query.csv"}


def _ranking_record(**changes: object) -> RunRecord:
    base = _record(
        challenge_id="support-matching",
        metric="map_at_k",
        task="ranking",
        public=(0.4, 0.1, 0.7),
        private=(0.3, 0.0, 0.6),
        overall=(HAND_MAP, 0.1, 0.6),
        k=3,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_precision_and_average_precision_per_query_by_hand() -> None:
    assert cumulative_hits({"a", "c"}, ["a", "b", "c"], 3).tolist() == [1, 1, 2]
    assert cumulative_hits({"a"}, ["a", "a"], 3).tolist() == [1, 1, 1]  # listed again: once
    assert precision_at({"a", "c"}, ["a", "b", "c"], 3) == pytest.approx([1, 1 / 2, 2 / 3])
    assert precision_at({"a"}, [], 2).tolist() == [0.0, 0.0]

    report = ranking_report(RANKED_IDS, RANKED_TRUTH, RANKED_GUESS, metric="map_at_k", k=3)

    assert report.table.columns.tolist() == ["query_id", "relevant", "hits_at_k", "ap_at_k"]
    assert report.table["query_id"].tolist() == list(HAND)
    assert report.table["relevant"].tolist() == [r for r, *_ in HAND.values()]
    assert report.table["hits_at_k"].tolist() == [h for _, h, *_ in HAND.values()]
    assert report.table["ap_at_k"].tolist() == pytest.approx([ap for *_, ap in HAND.values()])
    assert report.precision == pytest.approx(HAND_PRECISION)
    assert report.precision == pytest.approx([2 / 5, 3 / 10, 4 / 15])
    assert report.hit_share == pytest.approx(3 / 5)
    assert report.label == "AP@3"
    # the column's mean is the leaderboard's metric, computed by the registry on all queries
    relevant = {q: set(t.split()) for q, t in zip(RANKED_IDS, RANKED_TRUTH, strict=True)}
    ranked = {q: ranked_items(p) for q, p in zip(RANKED_IDS, RANKED_GUESS, strict=True)}
    assert report.table["ap_at_k"].mean() == pytest.approx(map_at_k_score(relevant, ranked, k=3))
    assert map_at_k_score(relevant, ranked, k=3) == pytest.approx(HAND_MAP)


def test_ndcg_per_query_by_hand() -> None:
    report = ranking_report(RANKED_IDS, RANKED_TRUTH, RANKED_GUESS, metric="ndcg_at_k", k=3)
    ideal_2 = 1 + 1 / math.log2(3)
    expected = [
        (1 + 1 / math.log2(4)) / ideal_2,  # hits at 1 and 3 of 2 relevant
        0.0,
        1 / math.log2(3),  # the one relevant item second
        1.0 / (1 + 1 / math.log2(3) + 1 / math.log2(4)),  # 1 of 3 findable, first
        0.0,
    ]
    assert report.table["ndcg_at_k"].tolist() == pytest.approx(expected)
    assert report.label == "NDCG@3"


def test_a_ranking_needs_k_and_a_ranking_metric() -> None:
    with pytest.raises(ValueError, match="needs k"):
        ranking_report(RANKED_IDS, RANKED_TRUTH, RANKED_GUESS, metric="map_at_k", k=None)
    with pytest.raises(ValueError, match="not a ranking metric"):
        ranking_report(RANKED_IDS, RANKED_TRUTH, RANKED_GUESS, metric="rmse", k=3)


def test_a_ranking_run_shows_precision_at_1_to_k_and_per_query_numbers(store: Store) -> None:
    record = _ranking_record()

    run_id = log_run(
        store.uri,
        store.artifacts,
        record,
        y_true=RANKED_TRUTH,
        y_pred=RANKED_GUESS,
        report={"metric": "map_at_k"},
        ids=RANKED_IDS,
    )

    run = store.client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert "odx.plot_errors" not in run.data.tags
    history = store.client.get_metric_history(run_id, "overall_precision_at")
    assert [m.step for m in history] == [1, 2, 3]
    assert [m.value for m in history] == pytest.approx(HAND_PRECISION)
    metrics = run.data.metrics
    assert metrics["overall_precision_at_1"] == pytest.approx(2 / 5)
    assert metrics["overall_precision_at_3"] == pytest.approx(4 / 15)
    assert metrics["overall_queries_with_hit_share"] == pytest.approx(3 / 5)
    assert metrics["overall_map_at_k"] == pytest.approx(HAND_MAP)
    assert "overall_precision_at_2" not in metrics  # the curve is the stepped metric

    listed = {info.path for info in store.client.list_artifacts(run_id)}
    assert listed == RANKING_ARTIFACTS | {"report.json"}
    folder = store.artifacts / record.challenge_id / run_id / "artifacts"
    for name in RANKING_ARTIFACTS - {"per_query.csv"}:
        assert (folder / name).read_bytes().startswith(b"\x89PNG")
    table = pd.read_csv(folder / "per_query.csv", dtype={"query_id": str})
    assert table["query_id"].tolist() == list(HAND)
    assert table["relevant"].tolist() == [r for r, *_ in HAND.values()]
    assert table["hits_at_k"].tolist() == [h for _, h, *_ in HAND.values()]
    assert table["ap_at_k"].tolist() == pytest.approx([ap for *_, ap in HAND.values()])


def test_a_resumed_ranking_run_keeps_one_curve(store: Store) -> None:
    record = _ranking_record()
    kwargs = {"y_true": RANKED_TRUTH, "y_pred": RANKED_GUESS, "ids": RANKED_IDS}
    experiment_id = experiment_for(store.uri, record.challenge_id, store.artifacts)
    crashed = store.client.create_run(experiment_id, tags={SUBMISSION_TAG: record.submission_id})
    store.client.log_metric(crashed.info.run_id, "overall_precision_at", 0.4, step=1)

    run_id = log_run(store.uri, store.artifacts, record, **kwargs)  # type: ignore[arg-type]

    assert run_id == crashed.info.run_id
    assert len(store.client.get_metric_history(run_id, "overall_precision_at")) == 1
    assert store.client.get_run(run_id).data.metrics["overall_precision_at_3"] == pytest.approx(
        4 / 15
    )


def test_a_ranking_run_without_k_names_what_it_could_not_make(store: Store) -> None:
    record = _ranking_record(k=None)
    run_id = log_run(store.uri, store.artifacts, record, y_true=RANKED_TRUTH, y_pred=RANKED_GUESS)
    run = store.client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert (
        run.data.tags["odx.plot_errors"]
        == "per_query_map_at_k.png,precision_at_k.png,per_query.csv"
    )
    assert run.data.metrics["overall_map_at_k"] == pytest.approx(HAND_MAP)
    assert not any(key.startswith("overall_precision_at") for key in run.data.metrics)
    assert {info.path for info in store.client.list_artifacts(run_id)} == {"report.json"}


def test_a_ranking_run_without_ids_numbers_its_queries(store: Store) -> None:
    record = _ranking_record(metric="ndcg_at_k", overall=(0.5, None, None))
    guess = np.empty(5, dtype=object)
    guess[:] = [["P1"]] * 5
    run_id = log_run(store.uri, store.artifacts, record, y_true=RANKED_TRUTH, y_pred=guess)
    run = store.client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert "odx.plot_errors" not in run.data.tags
    listed = {info.path for info in store.client.list_artifacts(run_id)}
    assert listed == {
        "per_query_ndcg_at_k.png",
        "precision_at_k.png",
        "per_query.csv",
        "report.json",
    }
    folder = store.artifacts / record.challenge_id / run_id / "artifacts"
    table = pd.read_csv(folder / "per_query.csv", dtype={"query_id": str})
    assert table["query_id"].tolist() == ["1", "2", "3", "4", "5"]  # no ids given: positions


def test_ranking_figures_render_hangul_without_missing_glyphs() -> None:
    report = ranking_report(RANKED_IDS, RANKED_TRUTH, RANKED_GUESS, metric="map_at_k", k=3)
    values = report.table["ap_at_k"].to_numpy()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for figure in (
            per_query_figure(values, report.label, "한빛 팀 · 1234abcd"),
            precision_figure(report.precision, "한빛 팀 · 1234abcd"),
        ):
            figure.savefig(io.BytesIO(), format="png")
            assert "한빛 팀" in figure.axes[0].get_title()
    assert not [w for w in caught if "Glyph" in str(w.message)]
