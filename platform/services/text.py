"""What text a person may type into a name, a message or a file name.

NUL and the other control characters are refused everywhere: PostgreSQL rejects NUL in text
while SQLite keeps it, so without one rule the two databases would disagree; and control or
direction-override characters in a name shown on a leaderboard can disguise it.
"""

from __future__ import annotations

import unicodedata

from odx.platform.errors import InvalidInputError, Message

# Line breaks and tabs are fine in a message, never in a name.
_MULTILINE_OK = frozenset("\n\r\t")
# Bidirectional overrides and isolates reorder what a reader sees (U+202A..E, U+2066..9).
_BIDI = frozenset(map(chr, [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]))


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """The first character a person may not type into this kind of text, if any."""
    for character in value:
        if multiline and character in _MULTILINE_OK:
            continue
        if character in _BIDI or unicodedata.category(character) in ("Cc", "Cs"):
            return character
    return None


def typed(value: str, field: str, *, most: int, multiline: bool = False) -> str:
    """``value`` if a person may type it into ``field`` (at most ``most`` characters)."""
    bad = forbidden_character(value, multiline=multiline)
    if bad is not None:
        raise InvalidInputError(
            Message(
                "text.control",
                "the {field} contains a control character ({code}); remove it",
                field=field,
                code=f"U+{ord(bad):04X}",
            )
        )
    if len(value) > most:
        raise InvalidInputError(
            Message(
                "text.too_long",
                "the {field} has {length} characters; at most {most} are allowed",
                field=field,
                length=len(value),
                most=most,
            )
        )
    return value


def file_name(value: str, *, most: int = 255) -> str:
    """An uploaded file's name as the client gave it, kept for display: its last path part,
    without control characters (a name is a label here, never a path on the server)."""
    base = value.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if forbidden_character(c) is None)[:most]
