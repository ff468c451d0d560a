"""Reading YAML spec files into pydantic models with errors that name the file and the key.

Shared by dataset specs and challenge definitions, so both read like a compiler's messages:
``datasets/catalog/x/dataset.yaml: split.method: Input should be ...``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Model = TypeVar("Model", bound=BaseModel)
# The caller's error class: called with the message and, for a list of problems, ``extra``.
ErrorType = Callable[..., Exception]

# Pydantic puts the tried branch of a union into an error's location ("SplitFirst",
# "literal['a','b']"); a person editing YAML never wrote those, so they are left out.
_UNION_BRANCH = re.compile(r"^[A-Z][A-Za-z]+$|\[")


def format_location(loc: tuple[Any, ...]) -> str:
    """``("columns", 2, "type")`` -> ``columns[2].type``."""
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts[-1:] = [f"{parts[-1]}[{item}]"] if parts else [f"[{item}]"]
        elif not _UNION_BRANCH.search(str(item)):
            parts.append(str(item))
    return ".".join(parts)


def parse_yaml_model(text: str, model: type[Model], *, source: str, error: ErrorType) -> Model:
    """Parse YAML text into ``model``; every problem becomes one ``error`` listing them all."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise error(f"{source}{where}: not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise error(f"{source}: expected a mapping of keys at the top level")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        lines = []
        for item in exc.errors():
            message = item["msg"].removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = "unknown key (check the spelling)"
            elif item["type"] == "missing":
                message = "required key is missing"
            key = format_location(item["loc"])  # empty for checks across keys, which name them
            lines.append(f"{source}: {key}: {message}" if key else f"{source}: {message}")
        raise error("\n".join(lines), extra={"problems": lines}) from None


def read_utf8(path: Path, *, error: ErrorType) -> tuple[bytes, str]:
    """The file's bytes (for hashing) and its text; specs must be UTF-8."""
    raw = path.read_bytes()
    return raw, decode_utf8(raw, source=str(path), error=error)


def decode_utf8(raw: bytes, *, source: str, error: ErrorType) -> str:
    """A spec's text (a byte-order mark allowed); specs must be UTF-8."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{source}: a spec must be UTF-8 text") from None
