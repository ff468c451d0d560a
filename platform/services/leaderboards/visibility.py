"""Who may see which board: the one rule the API and the pages both apply.

The public board is for everyone. The private board ranks by the hidden split, so before
the reveal only staff see it; anyone else is told it does not exist yet (404, not 403).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from odx.platform.db.models import Challenge, User
from odx.platform.errors import Message, NotFoundError
from odx.platform.services.leaderboards.ranking import Board
from odx.platform.services.users import is_staff

# Who is asking, looked up only when it matters (a private board before the reveal), so a
# stale token sent along with a public read does not spoil it.
Viewer = Callable[[], User | None]


def open_to_all(board: Board, revealed_at: datetime | None) -> bool:
    """A board anyone may see, signed in or not: the public one, or the private once revealed."""
    return board == "public" or revealed_at is not None


def require_visible(challenge: Challenge, board: Board, viewer: Viewer) -> None:
    """Refuse, as if it did not exist, a private board the viewer may not see yet."""
    if open_to_all(board, challenge.revealed_at):
        return
    user = viewer()
    if user is None or not is_staff(user):
        raise NotFoundError(
            Message("board.private_hidden", "the private leaderboard has not been revealed yet")
        )
