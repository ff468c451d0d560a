"""The participant's HTTP client: server URL and token from the environment or a config file.

``ODX_URL`` / ``ODX_TOKEN`` win; otherwise ``odx login`` stores them in
``$XDG_CONFIG_HOME/odx/config.json`` (default ``~/.config/odx/config.json``, mode 0600).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx

from odx.platform.errors import OdxError

DEFAULT_URL = "http://127.0.0.1:8000"


class RemoteError(OdxError):
    """The server said no; its problem body is shown as it is."""

    code = "remote_error"
    title = "The server refused the request"


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "odx" / "config.json"


def save_login(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "token": token}), encoding="utf-8")
    path.chmod(0o600)
    return path


def _login() -> tuple[str, str | None]:
    stored: dict[str, str] = {}
    if config_path().is_file():
        stored = json.loads(config_path().read_text(encoding="utf-8"))
    url = os.environ.get("ODX_URL") or stored.get("url") or DEFAULT_URL
    return url.rstrip("/"), os.environ.get("ODX_TOKEN") or stored.get("token")


class Client:
    def __init__(self) -> None:
        url, token = _login()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url, headers=headers, timeout=120)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach {self.http.base_url}: {exc}") from None
        if response.status_code >= 400:
            try:
                body = response.json()
                detail = body.get("detail") or body.get("title")
                problems = body.get("problems")
            except ValueError:
                detail, problems = response.text[:500], None
            lines = [f"{response.status_code}: {detail}"]
            for problem in problems or []:
                if isinstance(problem, dict) and problem.get("message") not in (None, detail):
                    lines.append(f"  - {problem['message']}")
            raise RemoteError("\n".join(lines))
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()
