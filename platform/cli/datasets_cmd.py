"""``odx datasets ...``: the organizer's commands for the dataset pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from odx.platform.cli.output import console, progress_steps

app = typer.Typer(help="Validate, publish and inspect datasets.", no_args_is_help=True)

GATE_STEPS = 6  # read, prepare, split, expectations, privacy, leakage
WRITE_STEPS = 4  # train, test, sample submission, card and report

DatasetArg = Annotated[str, typer.Argument(help="Dataset id from the catalogue, or a folder.")]


@app.command("validate")
def validate_command(dataset: DatasetArg) -> None:
    """Run the quality gate (GX suite, privacy, leakage) and write its report."""
    from odx.platform.db.engine import session_scope  # noqa: F401  (heavy: imported late)
    from odx.platform.services import datasets as service
    from odx.platform.settings import get_settings

    settings = get_settings()
    with progress_steps("validate", GATE_STEPS, enabled=settings.progress) as step:
        outcome = service.validate(settings, dataset, step=step)
    report = outcome.report
    table = Table(title=f"{report.dataset_id}: quality gate", show_lines=False)
    table.add_column("check")
    table.add_column("result")
    table.add_column("summary", overflow="fold")
    for check in report.checks:
        table.add_row(check.name, "[green]pass" if check.success else "[red]FAIL", check.summary)
    console.print(table)
    for outcome_ in report.expectations.failed:
        console.print(
            f"[red]✗[/red] {outcome_.expectation} column={outcome_.column} "
            f"observed={outcome_.observed_value} unexpected={outcome_.unexpected_count} "
            f"examples={outcome_.examples}" + (f" error={outcome_.error}" if outcome_.error else "")
        )
    console.print(f"report: {outcome.report_html}\n        {outcome.report_json}")
    if not report.success:
        console.print(f"[red]{report.dataset_id} failed its quality gate[/red]")
        raise typer.Exit(1)
    console.print(f"[green]{report.dataset_id} passed its quality gate[/green]")


@app.command("publish")
def publish_command(dataset: DatasetArg) -> None:
    """Gate, split and write an immutable version (unchanged inputs write nothing)."""
    from odx.platform.db.engine import session_scope  # noqa: F401  (heavy: imported late)
    from odx.platform.services import datasets as service
    from odx.platform.settings import get_settings

    settings = get_settings()
    with progress_steps("publish", GATE_STEPS + WRITE_STEPS, enabled=settings.progress) as step:
        outcome = service.publish(settings, dataset, step=step)
    if not outcome.created:
        console.print(
            f"{outcome.dataset_id}: unchanged; version {outcome.version} already holds these "
            f"inputs (fingerprint {outcome.fingerprint[:16]}); nothing written"
        )
        return
    files = outcome.manifest["files"]
    console.print(
        f"[green]published {outcome.dataset_id} version {outcome.version}[/green] "
        f"(fingerprint {outcome.fingerprint[:16]})"
    )
    for name, entry in files.items():
        rows = f"{entry['rows']} rows" if "rows" in entry else ""
        console.print(f"  {name:24} {entry['sha256'][:16]}  {rows}")
    console.print(f"  in {outcome.public_dir}")


@app.command("list")
def list_command() -> None:
    """List published versions and catalogue datasets not yet published."""
    from odx.platform.db.engine import session_scope
    from odx.platform.services import datasets as service
    from odx.platform.settings import get_settings

    settings = get_settings()
    service.prepare_storage(settings)
    with session_scope(settings.resolved_database_url) as session:
        rows = service.list_versions(session)
        pending = service.unpublished(settings, session)
        table = Table(title="datasets")
        for name in ("id", "version", "task", "title", "train", "test", "published (UTC)"):
            table.add_column(name)
        for row in rows:
            files = row.manifest["files"]
            table.add_row(
                row.dataset_id,
                str(row.version),
                row.task,
                row.title_ko,
                str(files["train.csv"]["rows"]),
                str(files["test.csv"]["rows"]),
                row.created_at.strftime("%Y-%m-%d %H:%M"),
            )
        for dataset_id in pending:
            table.add_row(dataset_id, "—", "", "[dim]not published[/dim]", "", "", "")
    console.print(table)


@app.command("show")
def show_command(
    dataset: Annotated[str, typer.Argument(help="Dataset id.")],
    version: Annotated[int | None, typer.Option(help="Version number (default: latest).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
) -> None:
    """Show one published version: manifest, files with checksums, quality summary."""
    from odx.platform.db.engine import session_scope
    from odx.platform.services import datasets as service
    from odx.platform.settings import get_settings

    settings = get_settings()
    service.prepare_storage(settings)
    with session_scope(settings.resolved_database_url) as session:
        row = service.get_version(session, dataset, version)
        if as_json:
            console.print_json(json.dumps({"version": row.version, **row.manifest}))
            return
        console.print(
            f"[bold]{row.dataset_id}[/bold] version {row.version} — {row.title_ko} · {row.title_en}"
        )
        console.print(
            f"task {row.task}; fingerprint {row.fingerprint[:16]}; "
            f"quality {row.manifest['quality']['expectations']} expectations, "
            f"{'passed' if row.manifest['quality']['success'] else 'FAILED'}"
        )
        for name, entry in row.manifest["files"].items():
            rows = f"{entry['rows']:>7} rows" if "rows" in entry else " " * 12
            console.print(f"  {name:24} {rows} {entry['bytes']:>10} B  sha256 {entry['sha256']}")
        console.print(f"  folder: {settings.public_root / row.public_dir}")


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
