"""Korean first, English one click away: every page string lives in ``messages.yaml``.

A key holds one text per language; ``{name}`` placeholders are filled with ``str.format``.
A missing key is an error at render time, and a test checks every key the templates use.
Errors raised with a :class:`~odx.platform.errors.Message` are said from ``detail.<key>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from odx.platform.errors import Message, plain

Lang = Literal["ko", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "ko"
COOKIE = "odx_lang"
MESSAGES = Path(__file__).with_name("messages.yaml")


@cache
def catalogue() -> dict[str, dict[str, str]]:
    data = yaml.safe_load(MESSAGES.read_text(encoding="utf-8"))
    for key, texts in data.items():
        missing = [lang for lang in LANGS if not texts.get(lang)]
        if missing:
            raise ValueError(f"{MESSAGES.name}: '{key}' has no text for {', '.join(missing)}")
    return data


def parse_lang(value: str | None) -> Lang:
    return value if value in LANGS else DEFAULT_LANG  # type: ignore[return-value]


def translate(lang: Lang, key: str, **values: object) -> str:
    """The text of ``key`` in ``lang``, with placeholders filled."""
    try:
        text = catalogue()[key][lang]
    except KeyError:
        raise KeyError(f"no message '{key}' in {MESSAGES.name}") from None
    return text.format(**values) if values else text


def pick(lang: Lang, ko: str, en: str) -> str:
    """Choose between a spec's Korean and English text (falls back to the other one)."""
    return (en or ko) if lang == "en" else (ko or en)


def shown(lang: Lang, value: object) -> object:
    """A value as a page shows it: an enum member by its own text when the catalogue has one
    (``role.judge`` for ``Role.judge``), lists joined, moments as the API writes them."""
    if isinstance(value, Enum):
        key = f"{type(value).__name__.lower()}.{value.value}"
        return translate(lang, key) if key in catalogue() else value.value
    if isinstance(value, list | tuple):
        return ", ".join(str(shown(lang, v)) for v in value)
    return plain(value)


def say(lang: Lang, key: str, values: Mapping[str, Any]) -> str | None:
    """``key`` in ``lang`` with ``values``; None when the catalogue lacks the key or the text
    asks for a value that is not there."""
    if key not in catalogue():
        return None
    try:
        return translate(lang, key, **{name: shown(lang, v) for name, v in values.items()})
    except (KeyError, IndexError, ValueError):
        return None


def detail_text(lang: Lang, detail: str) -> str | None:
    """An error's detail in ``lang`` from its message key and values; None for a detail
    raised as plain text (or with a key the catalogue does not know)."""
    if isinstance(detail, Message):
        return say(lang, f"detail.{detail.key}", detail.values)
    return None
