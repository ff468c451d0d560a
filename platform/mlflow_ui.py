"""Where judges open the MLflow UI: one rule, used by ``odx mlflow`` and by the judge page.

``odx mlflow [--start] [--port N]`` records the address it prints in the data folder, so the
judge page links to the UI that was actually started. An address set explicitly (the
``ODX_MLFLOW_UI_URL`` environment variable, or the settings object's argument) wins over the
recorded one, and without either the default of the settings applies.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from odx.platform.settings import Settings

RECORD = "mlflow-ui.json"
Source = Literal["setting", "recorded", "default"]


@dataclass(frozen=True)
class UiAddress:
    """The MLflow UI's address and where it came from (the judge page says which)."""

    url: str
    source: Source


def local_url(port: int) -> str:
    """The address ``odx mlflow`` binds the UI to: localhost only, it shows private scores."""
    return f"http://127.0.0.1:{port}"


def record_path(settings: Settings) -> Path:
    return settings.resolved_home / RECORD


def record(settings: Settings, url: str) -> Path:
    """Remember ``url`` as the UI's address (written whole or not at all: pages read it)."""
    if not _is_web_address(url):
        raise ValueError(f"not an http(s) address: {url!r}")
    path = record_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=".mlflow-ui-", delete=False
    ) as handle:
        json.dump({"url": url}, handle)
        handle.write("\n")
    os.replace(handle.name, path)
    return path


def recorded(settings: Settings) -> str | None:
    """The address ``odx mlflow`` last recorded; None when none was, or the file is unusable
    (a page must not fail, nor link to a ``javascript:`` address, over a hand-edited file)."""
    try:
        data = json.loads(record_path(settings).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    url = data.get("url") if isinstance(data, dict) else None
    return url if isinstance(url, str) and _is_web_address(url) else None


def resolve(settings: Settings) -> UiAddress:
    """An explicitly set address, else the recorded one, else the settings' default."""
    if "mlflow_ui_url" in settings.model_fields_set:
        return UiAddress(settings.mlflow_ui_url.rstrip("/"), "setting")
    found = recorded(settings)
    if found is not None:
        return UiAddress(found.rstrip("/"), "recorded")
    return UiAddress(settings.mlflow_ui_url.rstrip("/"), "default")


def _is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)
