"""What makes a folder a platform's data folder, known without importing anything heavy.

``odx init`` and ``odx demo`` write the marker; every other command refuses a folder without
one instead of creating an empty platform by accident (and printing tokens nobody can use).
"""

from __future__ import annotations

import json
from pathlib import Path

from odx.platform.errors import OdxError

MARKER = "platform.json"


class NoPlatformError(OdxError):
    code = "no_platform"
    title = "No platform to act on"


def exists(home: Path) -> bool:
    """A data folder made by ``odx init`` or ``odx demo`` (``odx.db``: made before the marker)."""
    return (home / MARKER).is_file() or (home / "odx.db").is_file()


def require(home: Path) -> None:
    if not exists(home):
        raise NoPlatformError(
            f"no platform in {home.expanduser().resolve()}. `odx init` creates one there "
            "(`odx demo` one with the shipped challenges); to act on a server, "
            "`odx login URL TOKEN`"
        )


def mark(home: Path, *, database: str) -> None:
    """Record that this folder holds a platform (and which database it uses)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / MARKER).write_text(json.dumps({"database": database}) + "\n", encoding="utf-8")
