"""Failed attempts at secrets (API tokens, sign-ins, team invite codes) are rate-limited, so
that nobody can guess them at the speed of the network.

Each kind of secret has a budget of failures per moving window, counted per client address
and, where there is one, per account (the team whose invite code is tried, the user trying).
Once a budget is spent, every try on it is refused with 429 and ``Retry-After`` until the
window moves on, before the secret is even looked at; reaching a budget is audited.

Counts live in the ``limits`` library's storage: in memory in the embedded mode, in Redis
(``ODX_RATELIMIT_URL``) when several API processes must share them.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from odx.platform.db.engine import session_scope
from odx.platform.errors import Message, OdxError
from odx.platform.services import audit
from odx.platform.settings import Settings

log = logging.getLogger("odx.attempts")
T = TypeVar("T")


class Secret(StrEnum):
    TOKEN = "token"  # an API token, sent as a bearer token or typed into the sign-in page
    INVITE = "invite"  # a team's invite code


# Failures allowed per window, by secret and by whose count it is.
BUDGETS: dict[tuple[Secret, str], str] = {
    (Secret.TOKEN, "client"): "10 per minute",
    (Secret.INVITE, "client"): "10 per 10 minutes",
    (Secret.INVITE, "team"): "10 per 10 minutes",
    (Secret.INVITE, "user"): "10 per 10 minutes",
}


class TooManyAttemptsError(OdxError):
    code = "too_many_attempts"
    title = "Too many failed attempts"
    status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail, extra={"retry_after": retry_after})
        self.headers["Retry-After"] = str(retry_after)


@dataclass(frozen=True)
class Who:
    """Whose failures a try counts toward: the client's address, and the accounts involved."""

    client: str
    accounts: tuple[tuple[str, str], ...] = ()  # (kind, id), e.g. ("team", "42")

    def counted(self) -> list[tuple[str, str]]:
        return [("client", self.client), *self.accounts]


class Attempts:
    """The failure counts of one platform (one per app)."""

    def __init__(self, storage: Storage, database_url: str) -> None:
        self.limiter = MovingWindowRateLimiter(storage)
        self.database_url = database_url  # where a spent budget is audited

    @classmethod
    def for_settings(cls, settings: Settings) -> Attempts:
        url = settings.ratelimit_url or "memory://"
        options: dict[str, object] = {}
        if url.startswith(("redis://", "rediss://")):
            options = {
                "key_prefix": f"{settings.queue_prefix}attempts",
                "socket_connect_timeout": 2,
                "socket_timeout": 2,
            }
        return cls(storage_from_string(url, **options), settings.resolved_database_url)

    def _budgets(self, secret: Secret, who: Who) -> list[tuple[RateLimitItem, str, str]]:
        return [
            (parse(BUDGETS[secret, kind]), kind, key)
            for kind, key in who.counted()
            if (secret, kind) in BUDGETS
        ]

    def check(self, secret: Secret, who: Who) -> None:
        """Refuse (429) while any of ``who``'s budgets for ``secret`` is spent."""
        for item, kind, key in self._budgets(secret, who):
            if self._safely(True, self.limiter.test, item, secret, kind, key):
                continue
            stats = self._safely(None, self.limiter.get_window_stats, item, secret, kind, key)
            retry = max(1, math.ceil(stats.reset_time - time.time())) if stats else 60
            raise TooManyAttemptsError(
                Message(
                    "attempts.too_many",
                    "too many failed attempts; try again in {seconds} seconds",
                    seconds=retry,
                ),
                retry_after=retry,
            )

    def failed(self, secret: Secret, who: Who) -> None:
        """Count one failure toward each budget; audit a budget the moment it is spent (in
        a transaction of its own: the failed request's is rolled back)."""
        for item, kind, key in self._budgets(secret, who):
            self._safely(None, self.limiter.hit, item, secret, kind, key)
            stats = self._safely(None, self.limiter.get_window_stats, item, secret, kind, key)
            if stats is not None and stats.remaining == 0:
                with session_scope(self.database_url) as session:
                    audit.record(
                        session,
                        actor=who.client,
                        action=f"{secret}.too_many_failures",
                        target=f"{kind}:{key}",
                        details={"budget": BUDGETS[secret, kind]},
                    )

    def attempt(self, secret: Secret, who: Who, call: Callable[[], T]) -> T:
        """``call()``, which checks a secret, unless a budget is spent; a failure it reports
        (an ``OdxError`` of status 401, 403 or 404) is counted."""
        self.check(secret, who)
        try:
            return call()
        except OdxError as error:
            if error.status in (401, 403, 404):
                self.failed(secret, who)
            raise

    def spend(self, budget: str, kind: str, key: str) -> None:
        """Count one use toward ``budget`` (e.g. "30 per hour") of ``kind:key``, such as an
        evaluator's model runs; 429 with Retry-After once it is spent."""
        item = parse(budget)
        if self._safely(True, self.limiter.hit, item, "use", kind, key):
            return
        stats = self._safely(None, self.limiter.get_window_stats, item, "use", kind, key)
        retry = max(1, math.ceil(stats.reset_time - time.time())) if stats else 60
        raise TooManyAttemptsError(
            Message(
                "attempts.budget",
                "you have used your {budget}; try again in {seconds} seconds",
                budget=budget,
                seconds=retry,
            ),
            retry_after=retry,
        )

    def _safely(self, default: Any, call: Callable[..., T], *args: Any) -> Any:
        """A store that cannot be reached (Redis down) must not take sign-in down with it:
        the try goes ahead uncounted, and the outage is logged."""
        try:
            return call(*args)
        except Exception:  # any storage error: log it, let the try through
            log.exception("the attempts store cannot be reached; failures are not counted")
            return default
