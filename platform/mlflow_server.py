"""Production mode's MLflow tracking server, always behind MLflow's own basic-auth app.

The server holds every private score, so ``odx mlflow-server`` never starts it open: MLflow's
``basic-auth`` app guards every request. Its admin account is the one odx's workers and API
write with, named by MLflow's own ``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``
(the same two variables every client reads), so one pair of secrets serves both sides.
Every other account gets ``READ`` by default: judges read every run and can change none.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from odx.platform.errors import InvalidInputError
from odx.platform.settings import Settings

USERNAME_ENV = "MLFLOW_TRACKING_USERNAME"
PASSWORD_ENV = "MLFLOW_TRACKING_PASSWORD"
MIN_PASSWORD = 12  # MLflow's own password rule; checked here so the server never refuses late
FOLDER = "mlflow-server"


@dataclass(frozen=True)
class ServerPlan:
    """Everything needed to start the server: the command and the environment it needs."""

    command: list[str]
    environment: dict[str, str]
    auth_config: Path


def admin_credentials(environ: dict[str, str] | None = None) -> tuple[str, str]:
    """The admin account from MLflow's client variables, refused before anything starts."""
    environ = dict(os.environ) if environ is None else environ
    username, password = environ.get(USERNAME_ENV, ""), environ.get(PASSWORD_ENV, "")
    if not username or not password:
        raise InvalidInputError(
            f"set {USERNAME_ENV} and {PASSWORD_ENV}: the server's admin account, which odx's "
            "workers and API also write with (the server holds private scores, it never runs open)"
        )
    if len(password) < MIN_PASSWORD:
        raise InvalidInputError(f"{PASSWORD_ENV} must be at least {MIN_PASSWORD} characters")
    return username, password


def _secret_key(folder: Path) -> str:
    """The Flask secret of the server's sign-in sessions, kept so restarts keep them valid."""
    path = folder / "secret-key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(32), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _auth_config(folder: Path, database_uri: str, admin: str) -> Path:
    """MLflow's auth ini: who the admin is, where accounts live, READ for everyone else."""
    path = folder / "basic_auth.ini"
    path.write_text(
        "[mlflow]\n"
        "default_permission = READ\n"
        f"database_uri = {database_uri}\n"
        f"admin_username = {admin}\n"
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth\n",
        encoding="utf-8",
    )
    path.chmod(0o600)
    return path


def _mlflow_executable() -> str:
    """The ``mlflow`` next to this interpreter (a venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name("mlflow")
    found = str(beside) if beside.exists() else shutil.which("mlflow")
    if not found:
        raise InvalidInputError("the mlflow command is not installed next to odx")
    return found


def plan(
    settings: Settings,
    *,
    backend_store_uri: str | None,
    auth_database_uri: str | None,
    artifacts_destination: str | None,
    host: str,
    port: int,
    workers: int,
) -> ServerPlan:
    """The server for this platform: by default its stores live in the data folder."""
    username, password = admin_credentials()
    home = settings.resolved_home
    folder = home / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    backend = backend_store_uri or f"sqlite:///{home / 'mlflow.db'}"
    if backend.startswith(("http://", "https://")):
        raise InvalidInputError("--backend-store-uri is a database URL, not a server address")
    auth_db = auth_database_uri or f"sqlite:///{folder / 'auth.db'}"
    artifacts = artifacts_destination or str(settings.mlflow_artifact_root)
    config = _auth_config(folder, auth_db, username)
    command = [
        _mlflow_executable(),
        "server",
        "--app-name",
        "basic-auth",
        "--backend-store-uri",
        backend,
        "--artifacts-destination",
        artifacts,
        "--serve-artifacts",
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    environment = {
        "MLFLOW_AUTH_CONFIG_PATH": str(config),
        "MLFLOW_AUTH_ADMIN_PASSWORD": password,
        "MLFLOW_FLASK_SERVER_SECRET_KEY": os.environ.get("MLFLOW_FLASK_SERVER_SECRET_KEY")
        or _secret_key(folder),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    return ServerPlan(command=command, environment=environment, auth_config=config)
