"""A board as JSON for clients and as CSV for spreadsheets, with formulas neutralised."""

from __future__ import annotations

import csv
import io
import json

from odx.platform.services.leaderboards.ranking import Board
from odx.scoring.leaderboard import Row

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FIELDS = ["rank", "team", "score", "low", "high", "entries", "last_submitted_at", "is_baseline"]


def row_dict(row: Row) -> dict[str, object]:
    return {
        "rank": row.rank,
        "team": row.team,
        "score": row.score,
        "low": row.low,
        "high": row.high,
        "entries": row.entries,
        "last_submitted_at": row.last_submitted_at.isoformat(),
        "is_baseline": row.is_baseline,
    }


def to_json(board_rows: list[Row], *, board: Board) -> str:
    return json.dumps(
        {"board": board, "rows": [row_dict(r) for r in board_rows]}, ensure_ascii=False
    )


def safe_cell(value: object) -> object:
    """Neutralise spreadsheet formulas (OWASP CSV injection) in text cells."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(board_rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for row in board_rows:
        data = row_dict(row)
        writer.writerow([safe_cell(data[f]) for f in FIELDS])
    return buffer.getvalue()
