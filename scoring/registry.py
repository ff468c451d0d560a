"""The MLflow Model Registry side of model challenges: winners registered, models fetched.

A version is registered from the ``model`` artifact a model submission's run already holds
(the upload as it came, never loaded here), once per submission: registering again finds the
version by its ``odx.submission_id`` tag.
"""

from __future__ import annotations

from pathlib import Path

from odx.scoring.tracking import SUBMISSION_TAG, mlflow_client

MODEL_ARTIFACT = "model"


def register_version(
    tracking_uri: str, name: str, run_id: str, *, submission_id: str, tags: dict[str, str]
) -> str:
    """Register the run's model as a version of ``name`` (made if new); returns the version."""
    from mlflow.exceptions import MlflowException

    client = mlflow_client(tracking_uri)
    try:
        client.create_registered_model(name)
    except MlflowException as error:
        if error.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    quoted = submission_id.replace("'", "")
    found = client.search_model_versions(
        f"name = '{name}' and tags.`{SUBMISSION_TAG}` = '{quoted}'"
    )
    if found:
        return str(found[0].version)
    version = client.create_model_version(
        name,
        source=f"runs:/{run_id}/{MODEL_ARTIFACT}",
        run_id=run_id,
        tags=tags | {SUBMISSION_TAG: submission_id},
    )
    return str(version.version)


def set_alias(tracking_uri: str, name: str, alias: str, version: str) -> None:
    mlflow_client(tracking_uri).set_registered_model_alias(name, alias, version)


def fetch_version(tracking_uri: str, name: str, alias: str, dest: Path) -> tuple[Path, dict]:
    """Download the files of the version ``alias`` points at (as files: nothing is loaded);
    returns the model folder and the version's tags (with ``version``)."""
    import mlflow.artifacts

    client = mlflow_client(tracking_uri)
    version = client.get_model_version_by_alias(name, alias)
    folder = mlflow.artifacts.download_artifacts(
        artifact_uri=version.source, dst_path=str(dest), tracking_uri=tracking_uri
    )
    return Path(folder), dict(version.tags) | {"version": str(version.version)}
