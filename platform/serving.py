"""``odx models serve``: a registered model behind MLflow's scoring-server protocol, for
organizers, every request run in the same sandbox as scoring.

``POST /invocations`` takes ``{"dataframe_split": {"columns": [...], "data": [[...]]}}`` or
``{"dataframe_records": [{...}]}`` (the feature columns, as in ``train.csv`` without the id
and the target) and answers ``{"predictions": [...]}``; ``GET /ping`` and ``GET /version``
say it is up and which version it serves. The model's files are fetched from the registry as
files; they are only ever loaded inside the sandbox, one request at a time.
"""

from __future__ import annotations

import json
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

import pandas as pd
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from odx.platform.db.engine import session_scope
from odx.platform.services import challenges, model_registry
from odx.platform.services.models import limits_of, require_sandbox, unsandboxed
from odx.platform.settings import Settings
from odx.scoring.registry import fetch_version
from odx.submissions.models.sandbox import ModelTask, run_model

MAX_BODY_BYTES = 16 * 1024 * 1024
ROW = "__odx_row__"  # the row number the sandbox's runner pairs predictions with
PREDICTION = "prediction"


def _problem(status: int, detail: str) -> JSONResponse:
    body = {"title": "Cannot predict", "status": status, "detail": detail}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def frame_of(payload: Any) -> pd.DataFrame:
    """The request's rows in one of MLflow's scoring-server shapes."""
    if isinstance(payload, dict) and isinstance(payload.get("dataframe_split"), dict):
        split = payload["dataframe_split"]
        return pd.DataFrame(split.get("data") or [], columns=split.get("columns"))
    if isinstance(payload, dict) and isinstance(payload.get("dataframe_records"), list):
        return pd.DataFrame.from_records(payload["dataframe_records"])
    raise ValueError("send {'dataframe_split': {'columns': [...], 'data': [...]}} or "
                     "{'dataframe_records': [{...}, ...]}")  # fmt: skip


def create_serving_app(settings: Settings, challenge_id: str, alias: str) -> FastAPI:
    """The app serving ``odx-<challenge>@<alias>``; the model is fetched once, at start."""
    require_sandbox(settings)
    with session_scope(settings.resolved_database_url) as session:
        challenge = challenges.get(session, challenge_id)
        spec = challenges.spec_of(challenge)
    limits = limits_of(spec)
    task = ModelTask(ROW, [PREDICTION], binary=spec.task.value == "binary")
    work = Path(tempfile.mkdtemp(prefix="odx-serve-"))
    name = model_registry.registered_name(challenge_id)
    model_dir, version = fetch_version(settings.resolved_mlflow_uri, name, alias, work / "model")
    one_at_a_time = threading.Lock()
    app = FastAPI(title=f"{name}@{alias}", openapi_url=None, docs_url=None, redoc_url=None)

    def predict(frame: pd.DataFrame) -> JSONResponse:
        run_dir = work / uuid.uuid4().hex
        run_dir.mkdir()
        features = run_dir / "features.csv"
        frame.insert(0, ROW, range(len(frame)))
        frame.to_csv(features, index=False)
        with one_at_a_time:
            run = run_model(
                model_dir, features, run_dir / "run", task, limits,
                unsandboxed=unsandboxed(settings), label=f"serve {name}@{alias}",
            )  # fmt: skip
        if not run.ok or run.predictions is None:
            return _problem(422, run.message)
        predicted = pd.read_csv(run.predictions).sort_values(ROW)[PREDICTION]
        return JSONResponse({"predictions": predicted.tolist()})

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/version")
    def served() -> dict[str, Any]:
        return {"model": name, "alias": alias} | version

    @app.post("/invocations")
    async def invocations(request: Request) -> JSONResponse:
        declared = request.headers.get("content-length", "")
        if not declared.isdigit() or int(declared) > MAX_BODY_BYTES:
            return _problem(413, f"send a Content-Length of at most {MAX_BODY_BYTES:,} bytes")
        try:
            frame = frame_of(json.loads(await request.body()))
        except (ValueError, TypeError) as error:
            return _problem(400, str(error))
        if frame.empty:
            return _problem(400, "no rows to predict")
        return await run_in_threadpool(predict, frame)

    return app
