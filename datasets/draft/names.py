"""Published column names from raw headers: ``pblancId`` stays, ``시장명`` becomes ``sijangmyeong``.

A spec's column names must be ASCII identifiers, and a raw file's headers are often Korean.
Hangul is romanised syllable by syllable (Revised Romanisation without sound changes), which
keeps the name readable to a Korean speaker and stable; the organizer may rename it.
"""

from __future__ import annotations

import re

from odx.datasets.spec import COLUMN_NAME_PATTERN

# Jamo in Unicode order: 19 initials (ㅇ, silent, is "-"), 21 medials, 27 finals after "none".
_INITIALS = [j.strip("-") for j in "g kk n d tt r m b pp s ss - j jj ch k t p h".split()]  # noqa: SIM905
_MEDIALS = "a ae ya yae eo e yeo ye o wa wae oe yo u wo we wi yu eu ui i".split()  # noqa: SIM905
_FINALS = ["", *"k k k n n n t l k m l l l p l m p p t t ng t t k t p t".split()]  # noqa: SIM905
_HANGUL_FIRST, _HANGUL_LAST = 0xAC00, 0xD7A3
_VALID = re.compile(COLUMN_NAME_PATTERN)


def romanise(text: str) -> str:
    """Hangul syllables in Latin letters; every other character is kept."""
    out: list[str] = []
    for char in text:
        code = ord(char)
        if _HANGUL_FIRST <= code <= _HANGUL_LAST:
            index = code - _HANGUL_FIRST
            initial, rest = divmod(index, 21 * 28)
            medial, final = divmod(rest, 28)
            out.append(_INITIALS[initial] + _MEDIALS[medial] + _FINALS[final])
        else:
            out.append(char)
    return "".join(out)


def has_hangul(text: str) -> bool:
    return any(_HANGUL_FIRST <= ord(c) <= _HANGUL_LAST for c in text)


def column_name(header: str) -> str:
    """A valid column name for a raw header (not yet unique among its neighbours)."""
    if _VALID.match(header):
        return header
    words = re.findall(r"[0-9A-Za-z]+", romanise(header))
    name = "_".join(words).lower()
    if not name:
        return "column"
    return name if _VALID.match(name) else f"c_{name}"


def column_names(headers: list[str], *, taken: set[str] | None = None) -> dict[str, str]:
    """Raw header -> unique valid column name, in the headers' order.

    Headers that are valid names already keep them; the others yield on a clash.
    """
    used = set(taken or ())
    names: dict[str, str] = {}
    for header in (h for h in headers if _VALID.match(h) and h not in used):
        used.add(header)
        names[header] = header
    for header in (h for h in headers if h not in names):
        base = column_name(header)
        name, n = base, 2
        while name in used:
            name, n = f"{base}_{n}", n + 1
        used.add(name)
        names[header] = name
    return {header: names[header] for header in headers}
