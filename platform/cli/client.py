"""The HTTP client of the commands that act on a server: URL and token from ``ODX_URL`` /
``ODX_TOKEN`` or the saved login (see :mod:`odx.platform.cli.login`)."""

from __future__ import annotations

import os
from typing import Any

import httpx

from odx.platform.cli.login import saved_login
from odx.platform.errors import OdxError

DEFAULT_URL = "http://127.0.0.1:8000"


class RemoteError(OdxError):
    """The server said no; its problem body is shown as it is."""

    code = "remote_error"
    title = "The server refused the request"


class Client:
    def __init__(self, url: str | None = None, token: str | None = None) -> None:
        login = saved_login()
        url = url or os.environ.get("ODX_URL") or login.url or DEFAULT_URL
        token = token or login.token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=url.rstrip("/"), headers=headers, timeout=120)

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RemoteError(f"cannot reach {self.http.base_url}: {exc}") from None
        if response.status_code >= 400:
            raise RemoteError(_problem_text(response), extra={"status": response.status_code})
        return response

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.request(method, path, **kwargs).json()


def _problem_text(response: httpx.Response) -> str:
    """A refusal as one line (status: detail) and the problems it lists, one per line."""
    try:
        body = response.json()
        detail = body.get("detail") or body.get("title")
        problems = body.get("problems")
    except (ValueError, AttributeError):
        detail, problems = response.text[:500], None
    if isinstance(detail, list):  # FastAPI's own 422: a list of field errors
        problems, detail = [{"message": _field_error(d)} for d in detail], "invalid request"
    lines = [f"{response.status_code}: {detail}"]
    for problem in problems or []:
        if isinstance(problem, dict) and problem.get("message") not in (None, detail):
            lines.append(f"  - {problem['message']}")
    return "\n".join(lines)


def _field_error(error: Any) -> str:
    if not isinstance(error, dict):
        return str(error)
    where = ".".join(str(p) for p in error.get("loc", [])[1:])
    return f"{where}: {error.get('msg')}" if where else str(error.get("msg"))
