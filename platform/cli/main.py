"""The ``odx`` command line."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from odx.platform.cli import (
    challenges_cmd,
    datasets_cmd,
    models_cmd,
    participant_cmd,
    teams_cmd,
    users_cmd,
)
from odx.platform.cli.output import console, errors
from odx.platform.errors import REPORTABLE, OdxError, reported

cli = typer.Typer(
    help="OpenData X: quality-checked public data and AI prediction challenges.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
cli.add_typer(datasets_cmd.app, name="datasets")
cli.add_typer(challenges_cmd.challenges_app, name="challenges")
cli.add_typer(users_cmd.users_app, name="users")
cli.add_typer(teams_cmd.teams_app, name="teams")
cli.add_typer(models_cmd.models_app, name="models")
cli.command()(models_cmd.rescore)
for command in participant_cmd.COMMANDS:
    cli.command()(command)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8000).")] = None,
    worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker",
            help="Score inside this process (embedded mode); --no-worker serves the API only, "
            "as production mode (ODX_BROKER_URL set) always does.",
        ),
    ] = True,
) -> None:
    """Start the HTTP API (OpenAPI docs at /docs) on an existing platform."""
    from odx.platform import instance
    from odx.platform.api import server
    from odx.platform.api.app import create_app
    from odx.platform.settings import get_settings

    settings = get_settings()
    if not worker:
        settings = settings.model_copy(update={"workers": 0})
    instance.require(settings.resolved_home)
    host, port = host or settings.host, port or settings.port
    app = create_app(settings)
    console.print(f"OpenData X on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    server.serve(app, settings, host=host, port=port)


@cli.command(name="worker")
def worker_command(
    queues: Annotated[
        str,
        typer.Option(help="Comma-separated queues to consume: predictions, tracking, models."),
    ] = "predictions,tracking",
    concurrency: Annotated[
        int, typer.Option(min=1, max=256, help="Worker processes (default: 2).")
    ] = 2,
    beat: Annotated[
        bool,
        typer.Option(
            "--beat/--no-beat",
            help="Also run the periodic sweep that re-sends lost jobs (idempotent: any "
            "number of workers may run it).",
        ),
    ] = True,
    loglevel: Annotated[str, typer.Option(help="Celery's log level.")] = "INFO",
) -> None:
    """Start a production-mode worker (Celery) on the broker ODX_BROKER_URL names."""
    from odx.platform import instance
    from odx.platform.celery_worker import run_worker
    from odx.platform.settings import get_settings

    settings = get_settings()
    if not settings.broker_url:
        raise OdxError("no broker: set ODX_BROKER_URL (e.g. amqp://guest:guest@127.0.0.1:5672//)")
    instance.require(settings.resolved_home)
    names = [name.strip() for name in queues.split(",") if name.strip()]
    try:
        run_worker(settings, queues=names, concurrency=concurrency, beat=beat, loglevel=loglevel)
    except ValueError as error:
        raise OdxError(str(error)) from error


@cli.command(name="mlflow-server")
def mlflow_server_command(
    backend_store_uri: Annotated[
        str | None,
        typer.Option(
            help="Runs' database, e.g. postgresql+psycopg://…/mlflow "
            "(default: mlflow.db in the data folder)."
        ),
    ] = None,
    auth_database_uri: Annotated[
        str | None,
        typer.Option(
            help="Accounts' database (default: mlflow-server/auth.db in the data folder)."
        ),
    ] = None,
    artifacts_destination: Annotated[
        str | None,
        typer.Option(
            help="Where run artifacts are stored (default: mlartifacts in the data folder)."
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 5000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server processes.")] = 2,
) -> None:
    """Start the MLflow tracking server of production mode, behind MLflow's basic-auth app.
    Its admin account comes from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, the
    pair odx's workers and API write with; every other account may only read."""
    from odx.platform import mlflow_server
    from odx.platform.settings import get_settings

    server = mlflow_server.plan(
        get_settings(),
        backend_store_uri=backend_store_uri,
        auth_database_uri=auth_database_uri,
        artifacts_destination=artifacts_destination,
        host=host,
        port=port,
        workers=workers,
    )
    console.print(f"MLflow tracking server on http://{host}:{port} (basic-auth)")
    sys.stdout.flush()
    # exec, not a child: a supervisor's signals reach the server itself
    os.execve(server.command[0], server.command, os.environ | server.environment)


@cli.command()
def demo(
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server afterwards.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Address to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port.")] = None,
) -> None:
    """Bring up the whole embedded platform: datasets published, challenges open, baselines
    on the leaderboards, demo accounts, a programme in its finals; then serve it."""
    from odx.platform import instance
    from odx.platform.flows import bring_up_demo
    from odx.platform.settings import get_settings

    settings = get_settings()
    tokens = bring_up_demo(settings, console.print)
    instance.mark(settings.resolved_home, database=settings.resolved_database_url)
    host, port = host or settings.host, port or settings.port
    console.print(
        "\ndemo accounts (keep these tokens; they are also in "
        f"{settings.resolved_home / 'demo-tokens.json'}):"
    )
    for name, token in tokens.items():
        console.print(f"  {name:16} {token}", highlight=False)
    console.print(
        "\nthe participant 'demo' is already in 'demo-team' on every challenge. Its shell:"
    )
    console.print(
        f"export ODX_URL=http://{host}:{port} ODX_TOKEN={tokens['demo']}",
        highlight=False,
        soft_wrap=True,
    )
    console.print(f"API docs: http://{host}:{port}/docs")
    if serve_after:
        serve(host=host, port=port)


@cli.command()
def init(
    admin: Annotated[str, typer.Option(help="Name of the first admin account.")] = "admin",
) -> None:
    """Create an empty platform in $ODX_HOME (default ./.odx) and its first admin account."""
    from odx.platform import instance
    from odx.platform.db.engine import session_scope
    from odx.platform.services import users
    from odx.platform.services.datasets import prepare_storage
    from odx.platform.settings import get_settings

    settings = get_settings()
    home = settings.resolved_home
    if instance.exists(home):
        raise OdxError(f"{home} already holds a platform; nothing done")
    prepare_storage(settings)
    with session_scope(settings.resolved_database_url) as session:
        _, token = users.create_user(session, name=admin, role="admin", actor="init")
    instance.mark(home, database=settings.resolved_database_url)
    console.print(f"platform created in {home}; admin '{admin}' token (shown once):")
    console.print(token, highlight=False, soft_wrap=True)
    console.print("start it with `odx serve`; from another machine: odx login URL TOKEN")


@cli.command("mlflow")
def mlflow_ui(
    start: Annotated[bool, typer.Option("--start", help="Start the MLflow UI now.")] = False,
    port: Annotated[int, typer.Option(help="Port of the MLflow UI.")] = 5000,
) -> None:
    """How a judge opens the MLflow UI on this platform's store (bound to 127.0.0.1 only:
    it holds private scores, so never expose it to participants). The address is recorded in
    the data folder, so the judge page links to this UI."""
    import shlex
    import subprocess

    from odx.platform import instance
    from odx.platform import mlflow_ui as ui_address
    from odx.platform.settings import get_settings
    from odx.scoring.tracking import ui_command

    settings = get_settings()
    command = ui_command(settings.resolved_mlflow_uri, settings.mlflow_artifact_root, port)
    url = ui_address.local_url(port)
    console.print(f"MLflow store: {settings.resolved_mlflow_uri}")
    console.print(f"run: {shlex.join(command)}", highlight=False, soft_wrap=True)
    console.print(f"then open {url} (experiments are named odx/<challenge>)")
    if instance.exists(settings.resolved_home):  # never create a data folder here
        ui_address.record(settings, url)
        shown = ui_address.resolve(settings)
        if shown.source == "setting":
            console.print(f"the judge page links to {shown.url} (ODX_MLFLOW_UI_URL wins)")
        else:
            console.print(f"the judge page links to {shown.url}")
    else:
        console.print(f"no platform in {settings.resolved_home}: the address is not recorded")
    if start:
        raise typer.Exit(subprocess.call(command))


def app() -> None:
    """Entry point: odx errors become a message and exit code 1, never a traceback.

    Click (inside Typer) already turns usage errors into a message and exit code 2.
    """
    try:
        cli()
    except REPORTABLE as exc:
        errors.print(f"[red]error:[/red] {reported(exc).detail}", highlight=False)
        sys.exit(1)
    except Exception as exc:
        if os.environ.get("ODX_DEBUG"):
            raise
        errors.print(
            f"[red]unexpected error:[/red] {type(exc).__name__}: {exc} "
            "(set ODX_DEBUG=1 for details)",
            highlight=False,
        )
        sys.exit(70)
