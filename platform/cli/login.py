"""The saved login of ``odx login``: ``$XDG_CONFIG_HOME/odx/config.json`` (mode 0600).

Kept apart from the HTTP client so that deciding where a command acts imports nothing heavy.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Login:
    url: str | None
    token: str | None


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "odx" / "config.json"


def saved_login() -> Login:
    """``ODX_TOKEN`` wins over the saved token; the URL is the saved one (or none)."""
    stored: dict[str, str] = {}
    path = config_path()
    if path.is_file():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            stored = {}
    url = stored.get("url")
    token = os.environ.get("ODX_TOKEN") or stored.get("token")
    return Login(url.rstrip("/") if url else None, token)


def save_login(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url.rstrip("/"), "token": token}), encoding="utf-8")
    path.chmod(0o600)
    return path
