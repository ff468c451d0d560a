"""Where a command acts: one rule for every command that can work on a server or locally.

In this order:

1. ``--local`` acts on the local platform (``$ODX_HOME``, default ``./.odx``);
2. ``ODX_URL`` set: the server there, with ``ODX_TOKEN`` or the saved login's token;
3. ``ODX_HOME`` set: that local platform;
4. a saved login (``odx login``): that server, with its token;
5. a platform in ``./.odx`` (made by ``odx demo`` or ``odx init``): that one;
6. otherwise: an error that says how to choose.

Acting on a server goes over HTTP with the token, so the server checks the role. Acting
locally never creates a platform: only ``odx init`` and ``odx demo`` do.

This module imports nothing heavy: the participant commands share it and must start at once.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from odx.platform import instance
from odx.platform.cli.login import saved_login
from odx.platform.instance import NoPlatformError

DEFAULT_HOME = Path(".odx")


@dataclass(frozen=True)
class Remote:
    url: str
    token: str | None


@dataclass(frozen=True)
class Local:
    home: Path


def choose(*, local: bool = False) -> Remote | Local:
    """The platform a command acts on, by the rule above."""
    env_home = os.environ.get("ODX_HOME")
    if not local:
        login = saved_login()
        if os.environ.get("ODX_URL"):
            return Remote(os.environ["ODX_URL"].rstrip("/"), login.token)
        if not env_home and login.url:
            return Remote(login.url, login.token)
    home = Path(env_home) if env_home else DEFAULT_HOME
    if local or env_home or instance.exists(home):
        return Local(home)
    raise NoPlatformError(
        f"no platform here ({DEFAULT_HOME.resolve()} has none) and no server chosen. "
        "Use `odx login URL TOKEN` to act on a server, `--local` with ODX_HOME=FOLDER for a "
        "local platform, or `odx init` to create one here"
    )
