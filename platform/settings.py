"""One settings object, read from ``ODX_*`` environment variables when first asked for."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where odx keeps its data and how it serves it.

    Everything the embedded mode writes lives under ``home``; nothing is read from
    outside it at run time except the shipped catalogue inside the package.
    """

    model_config = SettingsConfigDict(env_prefix="ODX_", extra="ignore")

    home: Path = Field(
        default=Path(".odx"), description="Data folder (database, datasets, reports)."
    )
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: a SQLite file inside home."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    progress: bool = Field(default=True, description="Show progress bars on the command line.")
    max_upload_bytes: int = Field(
        default=200 * 1024 * 1024, description="Largest submission file, compressed or not."
    )
    max_dataset_upload_bytes: int = Field(
        default=1024 * 1024 * 1024,
        description="Largest dataset archive an organizer may upload, and its unpacked size.",
    )
    max_request_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest body of any other request (JSON, a challenge's YAML).",
    )
    upload_idle_seconds: float = Field(
        default=30.0,
        gt=0,
        description="A request body that sends nothing for this long is dropped (408).",
    )
    request_head_seconds: float = Field(
        default=10.0,
        gt=0,
        description="A request line and headers not complete this long after the connection "
        "opened (or the last answer) close the connection.",
    )
    max_concurrent_bodies: int = Field(
        default=32,
        ge=1,
        description="Request bodies received at once; more wait for a 503 and Retry-After.",
    )
    workers: int = Field(
        default=2, ge=0, description="Scoring threads inside the server (0: none, e.g. Celery)."
    )
    mlflow_tracking_uri: str | None = Field(
        default=None, description="MLflow store; default: a SQLite file inside home."
    )
    mlflow_ui_url: str = Field(
        default="http://127.0.0.1:5000",
        description="Where judges open the MLflow UI (the judge page links runs there).",
    )
    secure_cookies: bool | None = Field(
        default=None,
        description="Mark the sign-in cookie Secure; default: when the request came over https.",
    )
    job_timeout_seconds: int = Field(
        default=600, ge=10, description="A job not finished by then is re-queued (worker died)."
    )
    broker_url: str | None = Field(
        default=None,
        description="Production mode: Celery broker, e.g. amqp://guest:guest@127.0.0.1:5672//; "
        "unset: the embedded threads score inside the server.",
    )
    ratelimit_url: str | None = Field(
        default=None,
        description="Where failed sign-in and invite-code attempts are counted, e.g. "
        "redis://127.0.0.1:6379/0 (shared by every API process); unset: in memory.",
    )
    evaluation_cases_per_hour: int = Field(
        default=30,
        ge=1,
        le=10_000,
        description="Cases an evaluator may run through the finalists' models per hour.",
    )
    queue_prefix: str = Field(
        default="odx.",
        pattern=r"^[A-Za-z0-9_.-]{0,64}$",
        description="Prefix of the broker's queue names (several platforms on one broker).",
    )
    sweep_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Production mode: how often jobs whose message was lost are sent again.",
    )
    model_workers: int = Field(
        default=1,
        ge=0,
        description="Embedded mode: threads that run model submissions, apart from the "
        "scoring threads, so a slow model never delays prediction files (0: none).",
    )
    unsafe_run_models_without_sandbox: bool = Field(
        default=False,
        description="DEVELOPMENT ONLY: run submitted models without bubblewrap where it is "
        "missing. A model then runs with the server's rights and can read everything it can.",
    )
    tracking_retry_seconds: float = Field(
        default=60.0,
        gt=0,
        description="First wait before writing a failed MLflow run again; doubles each time.",
    )

    @property
    def production(self) -> bool:
        """Jobs go through a broker to separate worker processes."""
        return bool(self.broker_url)

    @property
    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.resolved_home / 'odx.db'}"

    @property
    def resolved_mlflow_uri(self) -> str:
        return self.mlflow_tracking_uri or f"sqlite:///{self.resolved_home / 'mlflow.db'}"

    @property
    def mlflow_artifact_root(self) -> Path:
        """Plots, reports and models of MLflow runs (never served by odx)."""
        return self.resolved_home / "mlartifacts"

    @property
    def public_root(self) -> Path:
        """Published public files: the only tree the API serves."""
        return self.resolved_home / "public"

    @property
    def hidden_root(self) -> Path:
        """Hidden labels: read by the scorer only, never served."""
        return self.resolved_home / "hidden"

    @property
    def objects_root(self) -> Path:
        """Uploaded submission files, by sha256."""
        return self.resolved_home / "objects"

    @property
    def uploads_root(self) -> Path:
        """Dataset folders organizers uploaded, unpacked (one folder per job)."""
        return self.resolved_home / "uploads"

    @property
    def reports_root(self) -> Path:
        """Quality reports of validation runs (JSON and HTML)."""
        return self.resolved_home / "reports"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, built on first use (never at import)."""
    return Settings()
