"""Korean first, English one click away: every page string lives in ``messages.yaml``.

A key holds one text per language; ``{name}`` placeholders are filled with ``str.format``.
A missing key is an error at render time, and a test checks every key the templates use.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal, get_args

import yaml

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
