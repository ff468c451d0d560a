"""``odx datasets …``: the organizer's dataset pipeline, on a server or on a local platform.

Where a command acts follows the one rule of :mod:`odx.platform.cli.target`. On a server,
``validate`` and ``publish`` upload a folder as one zip (or name a catalogue id), the quality
gate runs there as a background job, and the command waits for it and prints its checks.
``init`` drafts a new dataset folder from a raw file and needs no platform at all.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from odx.datasets.release import ReleaseManifest
from odx.platform.cli.common import JsonOpt, LocalOpt, local_settings, print_json
from odx.platform.cli.output import console, progress_steps
from odx.platform.cli.participant_cmd import client
from odx.platform.cli.target import Local, Remote, choose
from odx.platform.errors import OdxError
from odx.platform.states import FINAL_DATASET_JOB_STATES, DatasetJobStatus

if TYPE_CHECKING:
    from odx.platform.cli.client import Client

app = typer.Typer(
    help="Draft, validate, publish and inspect datasets.",
    no_args_is_help=True,
    rich_markup_mode=None,
)

GATE_STEPS = 6  # read, prepare, split, expectations, privacy, leakage
WRITE_STEPS = 4  # train, test, sample submission, card and report

DatasetArg = Annotated[
    str, typer.Argument(help="A dataset folder, or the id of a dataset in the catalogue.")
]
WaitOpt = Annotated[
    bool, typer.Option("--wait/--no-wait", help="On a server: wait for the job's outcome.")
]
TimeoutOpt = Annotated[
    int, typer.Option(min=1, help="On a server: seconds to wait for the job at most.")
]


@app.command("init")
def init_command(
    folder: Annotated[Path, typer.Argument(help="New dataset folder; its name is the dataset id.")],
    raw: Annotated[Path, typer.Option("--raw", help="The raw file (CSV, JSON, Excel or Parquet).")],
    target: Annotated[
        str | None, typer.Option(help="Target column (raw header or drafted name).")
    ] = None,
    task: Annotated[
        str | None, typer.Option(help="binary, multiclass, regression or ranking.")
    ] = None,
    id_column: Annotated[
        str | None, typer.Option("--id", help="Id column; one is generated if absent.")
    ] = None,
) -> None:
    """Draft dataset.yaml and expectations.json from a raw file, for you to review."""
    from odx.datasets.draft import draft_dataset

    result = draft_dataset(folder, raw, target=target, task=task, id_column=id_column)
    console.print(result.summary(), highlight=False)
    console.print(
        f"next: review {folder / 'dataset.yaml'}, then `odx datasets validate {folder}`",
        highlight=False,
    )


@app.command("validate")
def validate_command(
    dataset: DatasetArg,
    local: LocalOpt = False,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 3600,
    as_json: JsonOpt = False,
) -> None:
    """Run the quality gate (GX suite, privacy, leakage) and keep its report."""
    target = choose(local=local)
    if isinstance(target, Remote):
        _remote_job(dataset, "validate", wait=wait, timeout=timeout, as_json=as_json)
        return
    _validate_locally(target, dataset, as_json=as_json)


@app.command("publish")
def publish_command(
    dataset: DatasetArg,
    local: LocalOpt = False,
    wait: WaitOpt = True,
    timeout: TimeoutOpt = 3600,
    as_json: JsonOpt = False,
) -> None:
    """Gate, split and write an immutable version (unchanged inputs write nothing)."""
    target = choose(local=local)
    if isinstance(target, Remote):
        _remote_job(dataset, "publish", wait=wait, timeout=timeout, as_json=as_json)
        return
    _publish_locally(target, dataset, as_json=as_json)


@app.command("jobs")
def jobs_command(
    limit: Annotated[int, typer.Option(min=1, max=200, help="How many, newest first.")] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Recent dataset jobs on the server (organizers)."""
    from rich.table import Table

    rows = client().json("GET", "/api/dataset-jobs", params={"limit": limit})
    if as_json:
        print_json(rows)
        return
    table = Table(title="dataset jobs")
    for column in ("id", "action", "dataset", "status", "version", "by", "when (UTC)"):
        table.add_column(column, overflow="fold")
    for job in rows:
        version = "" if job["version"] is None else str(job["version"])
        table.add_row(
            job["id"][:12],
            job["action"],
            job["dataset_id"] or "",
            job["status"],
            version,
            job["actor"],
            job["created_at"][:19],
        )
    console.print(table)


@app.command("list")
def list_command(
    local: LocalOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Published datasets (latest versions; locally, catalogue datasets not yet published)."""
    from rich.table import Table

    target = choose(local=local)
    rows, pending = _listing(target)
    if as_json:
        print_json({"data": rows, "unpublished": pending})
        return
    table = Table(title="datasets")
    for name in ("id", "version", "task", "title", "train", "test", "published (UTC)"):
        table.add_column(name)
    for row in rows:
        table.add_row(
            row["id"],
            str(row["version"]),
            row["task"],
            row["title_ko"],
            str(row["train_rows"]),
            str(row["test_rows"]),
            str(row["published_at"])[:16].replace("T", " "),
        )
    for dataset_id in pending:
        table.add_row(dataset_id, "—", "", "[dim]not published[/dim]", "", "", "")
    console.print(table)


@app.command("show")
def show_command(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    version: Annotated[int | None, typer.Option(help="Version number (default: latest).")] = None,
    local: LocalOpt = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """One published version: manifest, files with checksums, quality summary."""
    target = choose(local=local)
    shown = _shown(target, dataset, version)
    if as_json:
        print_json({"version": shown["version"], **shown["manifest"]})
        return
    quality = shown["manifest"]["quality"]
    console.print(
        f"[bold]{shown['id']}[/bold] version {shown['version']} — "
        f"{shown['title_ko']} · {shown['title_en']}"
    )
    console.print(
        f"task {shown['task']}; fingerprint {shown['fingerprint'][:16]}; "
        f"quality {quality['expectations']} expectations, "
        f"{'passed' if quality['success'] else 'FAILED'}"
    )
    for name, entry in shown["manifest"]["files"].items():
        rows = f"{entry['rows']:>7} rows" if "rows" in entry else " " * 12
        console.print(f"  {name:24} {rows} {entry['bytes']:>10} B  sha256 {entry['sha256']}")
    console.print(f"  {shown['where']}", highlight=False)


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option(help="CSV file to write.")],
    rows: Annotated[int, typer.Option(min=1, help="Number of rows.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20251124,
) -> None:
    """Write the synthetic SME growth/risk panel (for benchmarks or a bigger release)."""
    from odx.datasets.generators.sme_panel import generate, write_csv

    write_csv(generate(rows, seed=seed), out)
    console.print(f"wrote {rows} rows to {out}")


# --- on a server -----------------------------------------------------------------------


def _remote_job(dataset: str, action: str, *, wait: bool, timeout: int, as_json: bool) -> None:
    """Queue a job (a folder goes up as one zip), then follow it to its outcome."""
    http = client()
    folder = Path(dataset)
    if folder.is_dir():
        with _zipped(folder) as archive:
            job = http.json(
                "POST",
                "/api/dataset-jobs/upload",
                params={"action": action},
                content=archive,
                headers={"Content-Type": "application/zip"},
            )
    elif "/" in dataset or dataset.startswith("."):
        raise OdxError(f"{dataset}: no such folder")
    else:
        job = http.json("POST", "/api/dataset-jobs", json={"dataset_id": dataset, "action": action})
    if not as_json:
        console.print(f"{action} job {job['id'][:12]} queued ({job['dataset_id']})")
    if wait:
        job = _follow(http, job, timeout=timeout)
    if as_json:
        print_json(job)
    else:
        _print_job(http, job)
    if job["status"] == DatasetJobStatus.FAILED:
        raise typer.Exit(1)


@contextmanager
def _zipped(folder: Path) -> Iterator[IO[bytes]]:
    """The folder as one zip in a temp file (its files at the top; caches and dotfiles left
    out), opened for reading so that the upload streams it with its length."""
    import tempfile
    import zipfile

    with tempfile.TemporaryFile() as handle:
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(folder.rglob("*")):
                relative = path.relative_to(folder)
                if path.is_file() and not any(
                    p.startswith(".") or p == "__pycache__" for p in relative.parts
                ):
                    archive.write(path, relative.as_posix())
        handle.seek(0)
        yield handle


def _follow(http: Client, job: dict[str, Any], *, timeout: int) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    seen = job["status"]
    while job["status"] not in FINAL_DATASET_JOB_STATES:
        if time.monotonic() > deadline:
            raise OdxError(
                f"job {job['id']} is still {job['status']} after {timeout} s; "
                f"see it later with `odx datasets jobs`"
            )
        time.sleep(1)
        job = http.json("GET", f"/api/dataset-jobs/{job['id']}")
        if job["status"] != seen:
            seen = job["status"]
            console.print(f"  {seen}")
    return job


def _print_job(http: Client, job: dict[str, Any]) -> None:
    if job["checks"]:
        _print_checks(job["dataset_id"] or "", job["checks"])
    if job["quality_run_id"] is not None:
        base = str(http.http.base_url).rstrip("/")
        console.print(f"report: {base}/organizer/quality-runs/{job['quality_run_id']}")
    if job["status"] == DatasetJobStatus.FAILED:
        console.print(f"[red]{job['error']}[/red]", highlight=False)
    elif job["status"] != DatasetJobStatus.DONE:
        console.print(f"job {job['id']} is {job['status']}")
    elif job["action"] == "validate":
        console.print(f"[green]{job['dataset_id']} passed its quality gate[/green]")
    elif job["created_version"]:
        console.print(f"[green]published {job['dataset_id']} version {job['version']}[/green]")
    else:
        console.print(f"{job['dataset_id']}: unchanged; version {job['version']} already holds it")


def _print_checks(dataset_id: str, checks: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(title=f"{dataset_id}: quality gate", show_lines=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("summary", overflow="fold")
    for check in checks:
        table.add_row(
            check["name"], "[green]pass" if check["success"] else "[red]FAIL", check["summary"]
        )
    console.print(table)


# --- on a local platform ---------------------------------------------------------------


def _validate_locally(target: Local, dataset: str, *, as_json: bool) -> None:
    from odx.platform.services import datasets as service

    settings = local_settings(target)
    with progress_steps("validate", GATE_STEPS, enabled=settings.progress) as step:
        outcome = service.validate(settings, dataset, step=step)
    report = outcome.report
    if as_json:
        print_json(report.to_dict())
    else:
        checks = [
            {"name": c.name, "success": c.success, "summary": c.summary} for c in report.checks
        ]
        _print_checks(report.dataset_id, checks)
        for failed in report.expectations.failed:
            console.print(
                f"[red]✗[/red] {failed.expectation} column={failed.column} "
                f"observed={failed.observed_value} unexpected={failed.unexpected_count} "
                f"examples={failed.examples}" + (f" error={failed.error}" if failed.error else "")
            )
        console.print(f"report: {outcome.report_html}\n        {outcome.report_json}")
    if not report.success:
        console.print(f"[red]{report.dataset_id} failed its quality gate[/red]")
        raise typer.Exit(1)
    if not as_json:
        console.print(f"[green]{report.dataset_id} passed its quality gate[/green]")


def _publish_locally(target: Local, dataset: str, *, as_json: bool) -> None:
    from odx.platform.services import datasets as service

    settings = local_settings(target)
    with progress_steps("publish", GATE_STEPS + WRITE_STEPS, enabled=settings.progress) as step:
        outcome = service.publish(settings, dataset, step=step, actor="cli")
    if as_json:
        print_json(
            {
                "dataset_id": outcome.dataset_id,
                "version": outcome.version,
                "created_version": outcome.created,
                "fingerprint": outcome.fingerprint,
            }
        )
        return
    if not outcome.created:
        console.print(
            f"{outcome.dataset_id}: unchanged; version {outcome.version} already holds these "
            f"inputs (fingerprint {outcome.fingerprint[:16]}); nothing written"
        )
        return
    console.print(
        f"[green]published {outcome.dataset_id} version {outcome.version}[/green] "
        f"(fingerprint {outcome.fingerprint[:16]})"
    )
    for name, entry in ReleaseManifest.model_validate(outcome.manifest).files.items():
        rows = f"{entry.rows} rows" if entry.rows is not None else ""
        console.print(f"  {name:24} {entry.sha256[:16]}  {rows}")
    console.print(f"  in {outcome.public_dir}")


def _listing(target: Remote | Local) -> tuple[list[dict[str, Any]], list[str]]:
    """Latest published versions as the API lists them, and unpublished catalogue ids."""
    if isinstance(target, Remote):
        return client().json("GET", "/api/datasets")["data"], []
    from odx.platform.db.engine import session_scope
    from odx.platform.services import datasets as service

    settings = local_settings(target)
    service.prepare_storage(settings)
    with session_scope(settings.resolved_database_url) as session:
        rows = [
            service.summary(row) | {"published_at": row.created_at.isoformat()}
            for row in service.latest_versions(session)
        ]
        return rows, service.unpublished(settings, session)


def _shown(target: Remote | Local, dataset: str, version: int | None) -> dict[str, Any]:
    """One version as the API shows it, plus where its files are."""
    if isinstance(target, Remote):
        path = f"/api/datasets/{dataset}" + (f"/versions/{version}" if version else "")
        shown = client().json("GET", path)
        return shown | {"where": f"on {shown['url']}"}
    from odx.platform.db.engine import session_scope
    from odx.platform.services import datasets as service

    settings = local_settings(target)
    service.prepare_storage(settings)
    with session_scope(settings.resolved_database_url) as session:
        row = service.get_version(session, dataset, version)
        return {
            "id": row.dataset_id,
            "version": row.version,
            "title_ko": row.title_ko,
            "title_en": row.title_en,
            "task": row.task,
            "fingerprint": row.fingerprint,
            "manifest": row.manifest,
            "where": f"folder: {settings.public_root / row.public_dir}",
        }
