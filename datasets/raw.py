"""Reading an organizer's raw files: CSV in any Korean encoding, JSON, Excel, Parquet.

Everything is read as text (``dtype=str``) so that no value is reinterpreted before the
spec says what it is; typing happens in :mod:`odx.datasets.prepare`.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import json
from pathlib import Path
from typing import Any

import pandas as pd

from odx.datasets.errors import CoreError
from odx.datasets.spec import LoadedSpec, RawFile

# Tried in order when no encoding is declared. CP949 is a superset of EUC-KR.
CANDIDATE_ENCODINGS = ("utf-8-sig", "cp949")
# Tried in order when no delimiter is declared; the first that splits the sample into a
# steady number of columns (the most columns, on a tie) wins.
CANDIDATE_DELIMITERS = (",", "\t", ";", "|")
DELIMITER_SAMPLE_CHARS = 64 * 1024
DELIMITER_SAMPLE_LINES = 200


class RawDataError(CoreError):
    """A raw file that is missing, unreadable or not what its spec declares."""

    code = "invalid_raw_data"
    title = "Raw data cannot be read"


def sha256_file(path: Path, chunk_size: int = 1 << 20) -> str:
    """Checksum of a file, read in chunks so that large files never sit in memory."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def decode_text(data: bytes, *, declared: str | None, source: str) -> tuple[str, str]:
    """Decode bytes with the declared encoding, or detect UTF-8 (with or without BOM) or CP949.

    Returns the text and the encoding used.
    """
    if declared:
        try:
            codec = codecs.lookup(declared).name
        except LookupError:
            raise RawDataError(f"{source}: unknown encoding '{declared}'") from None
        if codec == "utf-8":
            codec = "utf-8-sig"  # a BOM is never part of the data
        try:
            return data.decode(codec), declared
        except UnicodeDecodeError as exc:
            raise RawDataError(
                f"{source}: cannot be decoded as declared encoding '{declared}' "
                f"(byte {exc.start}: {exc.reason}); fix 'encoding' in the spec or remove it "
                "to detect UTF-8 / CP949 automatically"
            ) from None
    for codec in CANDIDATE_ENCODINGS:
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError:
            continue
    raise RawDataError(
        f"{source}: not UTF-8, UTF-8 with BOM, CP949 or EUC-KR; declare 'encoding' in the spec"
    )


def detect_delimiter(text: str) -> str:
    """The CSV separator of ``text``: comma, tab, semicolon or pipe (comma when nothing fits).

    A candidate fits when it splits every sampled line into the same number of fields (two or
    more); among those that fit, the one giving the most columns wins, earlier ones on a tie.
    """
    sample = text[:DELIMITER_SAMPLE_CHARS]
    if len(text) > DELIMITER_SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # no line cut in half
    best, best_width = ",", 1
    for candidate in CANDIDATE_DELIMITERS:
        rows = csv.reader(io.StringIO(sample), delimiter=candidate)
        try:
            widths = {len(row) for row in itertools.islice(rows, DELIMITER_SAMPLE_LINES) if row}
        except csv.Error:
            continue
        if len(widths) == 1 and (width := widths.pop()) > best_width:
            best, best_width = candidate, width
    return best


def find_records_path(data: Any, *, source: str) -> str | None:
    """Dotted key path of the largest list of records in parsed JSON (``None``: the top level).

    Open-API responses nest records, e.g. ``response.body.items``; the draft of a spec needs
    the path, and this saves the organizer reading the file to find it.
    """
    best: tuple[int, str | None] = (-1, None)
    queue: list[tuple[Any, str | None]] = [(data, None)]
    while queue:
        value, path = queue.pop(0)
        if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
            best = max(best, (len(value), path), key=lambda found: found[0])
        elif isinstance(value, dict):
            for key, item in value.items():
                queue.append((item, f"{path}.{key}" if path else str(key)))
    if best[0] < 0:
        raise RawDataError(f"{source}: no list of records (JSON objects) in this file")
    return best[1]


def read_raw_file(path: Path, raw: RawFile) -> tuple[pd.DataFrame, str | None, str | None]:
    """Read one existing raw file as text columns.

    Returns the frame, the encoding used (text formats) and the delimiter used (CSV).
    """
    source = str(path)
    kind = raw.resolved_format
    if kind in ("excel", "parquet"):
        try:
            if kind == "excel":
                return pd.read_excel(path, dtype=str), None, None
            return pd.read_parquet(path).astype("string"), None, None
        except ImportError as exc:
            raise RawDataError(f"{source}: reading {kind} needs an extra package: {exc}") from None
        except Exception as exc:
            raise RawDataError(f"{source}: not a readable {kind} file ({exc})") from None
    text, encoding = decode_text(path.read_bytes(), declared=raw.encoding, source=source)
    if kind == "json":
        return _frame_from_json(text, raw, source), encoding, None
    delimiter = raw.delimiter or detect_delimiter(text)
    try:
        frame = pd.read_csv(
            io.StringIO(text), sep=delimiter, dtype=str, keep_default_na=False, na_values=[""]
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise RawDataError(f"{source}: not a readable CSV file ({exc})") from None
    return frame, encoding, delimiter


def parse_json(text: str, *, source: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise RawDataError(
            f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"
        ) from None


def _frame_from_json(text: str, raw: RawFile, source: str) -> pd.DataFrame:
    data = parse_json(text, source=source)
    if raw.records_path:
        for key in raw.records_path.split("."):
            if not isinstance(data, dict) or key not in data:
                raise RawDataError(f"{source}: records_path '{raw.records_path}' not found")
            data = data[key]
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise RawDataError(f"{source}: expected a list of records (set 'records_path')")
    frame = pd.DataFrame.from_records(data)
    return frame.apply(lambda col: col.map(lambda v: None if _is_empty(v) else str(v)))


def _read_checked(loaded: LoadedSpec, raw: RawFile) -> tuple[pd.DataFrame, dict[str, str | None]]:
    path = loaded.raw_path(raw)
    if not path.is_file():
        raise RawDataError(f"{path}: raw file not found (spec 'raw' entry '{raw.path}')")
    checksum = sha256_file(path)
    if raw.sha256 and raw.sha256 != checksum:
        raise RawDataError(
            f"{path}: sha256 is {checksum}, but the spec declares {raw.sha256}; "
            "the raw file changed — update the spec if that is intended"
        )
    frame, encoding, _ = read_raw_file(path, raw)
    return frame, {"sha256": checksum, "encoding": encoding}


def read_raw(loaded: LoadedSpec) -> tuple[pd.DataFrame, dict[str, dict[str, str | None]]]:
    """Read and concatenate every raw file of a spec, checking declared checksums.

    Returns the frame and, per raw file, its sha256 and the encoding used.
    """
    frames: list[pd.DataFrame] = []
    info: dict[str, dict[str, str | None]] = {}
    for raw in loaded.spec.raw:
        frame, info[raw.path] = _read_checked(loaded, raw)
        frames.append(frame)
    combined = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    return combined, info


def read_tables(
    loaded: LoadedSpec,
) -> tuple[dict[str, pd.DataFrame], dict[str, dict[str, str | None]]]:
    """Read the raw file of each further table (by table name), checking declared checksums."""
    frames: dict[str, pd.DataFrame] = {}
    info: dict[str, dict[str, str | None]] = {}
    for table in loaded.spec.tables:
        frames[table.name], info[table.raw.path] = _read_checked(loaded, table.raw)
    return frames, info


def _is_empty(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)
