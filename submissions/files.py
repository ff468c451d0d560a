"""Uploaded submission files: plain, gzip or zip CSV, read safely into a table of text.

Compression is told by magic bytes, never by the name; decompression is streamed under a
hard size cap, so a zip or gzip bomb stops at ``max_bytes``. Every value stays text: the
checker in :mod:`odx.scoring.validation` decides what it means.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd

from odx.datasets.errors import CoreError
from odx.submissions.archives import unsafe_member_name

Compression = Literal["none", "gzip", "zip"]
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member first; an empty archive
ENCODINGS = ("utf-8-sig", "cp949")  # CP949 is a superset of EUC-KR
OTHER_DELIMITERS = {";": "';'", "\t": "tabs", "|": "'|'"}
CHUNK = 1 << 20


class SubmissionFileError(CoreError):
    """An upload that cannot be read as one CSV table."""

    code = "invalid_submission_file"
    title = "The submission file cannot be read"


@dataclass(frozen=True)
class UploadTable:
    """An upload read as text: its header as written and one text column per header field.

    ``frame`` has a 0-based RangeIndex; row ``i`` is line ``i + 2`` of the file (the header is
    line 1) unless a quoted value spans lines. Column names are the header fields, duplicates
    kept.
    """

    header: list[str]
    frame: pd.DataFrame
    encoding: str
    compression: Compression
    inner_name: str | None


def read_upload(path: Path, *, max_bytes: int = 200 * 1024**2) -> UploadTable:
    """Read an uploaded CSV (plain, gzip or zip) as text, refusing anything unsafe or unclear."""
    size = path.stat().st_size
    if size > max_bytes:
        raise SubmissionFileError(f"the file is larger than the {_size(max_bytes)} limit")
    with path.open("rb") as handle:
        magic = handle.read(4)
    compression: Compression = "none"
    inner_name = None
    data: bytes | bytearray
    if magic.startswith(GZIP_MAGIC):
        compression = "gzip"
        data = _read_gzip(path, max_bytes)
    elif magic in ZIP_MAGICS:
        compression = "zip"
        data, inner_name = _read_zip(path, max_bytes)
    elif path.name.lower().endswith(".gz"):
        raise SubmissionFileError("not a gzip file; upload a .csv, a .csv.gz or a .zip")
    elif path.name.lower().endswith(".zip"):
        raise SubmissionFileError("not a zip file; upload a .csv, a .csv.gz or a .zip")
    else:
        data = path.read_bytes()
    text, encoding = _decode(data)
    header, frame = _parse(text)
    return UploadTable(header, frame, encoding, compression, inner_name)


def _size(count: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= factor:
            return f"{count / factor:.4g} {unit}"
    return f"{count} bytes"


def _read_capped(read: Callable[[int], bytes], max_bytes: int) -> bytearray:
    """Read a decompressing stream chunk by chunk; refuse once it passes ``max_bytes``."""
    out = bytearray()
    while chunk := read(CHUNK):
        out += chunk
        if len(out) > max_bytes:
            raise SubmissionFileError(
                f"the decompressed file is larger than the {_size(max_bytes)} limit"
            )
    return out


def _read_gzip(path: Path, max_bytes: int) -> bytearray:
    try:
        with gzip.open(path, "rb") as stream:
            return _read_capped(stream.read, max_bytes)
    except (OSError, EOFError, zlib.error) as exc:
        raise SubmissionFileError(f"the gzip file is damaged ({exc})") from None


def _read_zip(path: Path, max_bytes: int) -> tuple[bytearray, str]:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            for info in infos:
                if unsafe_member_name(info.filename):
                    raise SubmissionFileError(f"unsafe path in zip: '{info.filename}'")
            files = [i for i in infos if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
            csvs = [i for i in files if i.filename.lower().endswith(".csv")]
            if len(csvs) != 1:
                raise SubmissionFileError(_zip_content_message(csvs, files))
            member = csvs[0]
            if member.flag_bits & 0x1:
                raise SubmissionFileError("the zip is password-protected; upload it without one")
            if member.file_size > max_bytes:  # early refusal; the stream is capped anyway
                raise SubmissionFileError(
                    f"the decompressed file is larger than the {_size(max_bytes)} limit"
                )
            with archive.open(member) as stream:
                return _read_capped(stream.read, max_bytes), member.filename
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
        raise SubmissionFileError(f"the zip file is damaged or unsupported ({exc})") from None


def _zip_content_message(csvs: list[zipfile.ZipInfo], files: list[zipfile.ZipInfo]) -> str:
    if csvs:
        names = ", ".join(f"'{i.filename}'" for i in csvs[:5])
        return f"the zip holds {len(csvs)} .csv files ({names}); put exactly one in it"
    if not files:
        return "the zip is empty; put exactly one .csv file in it"
    if any(i.filename.startswith("xl/") for i in files):
        return "the zip is an Excel workbook, not a CSV; save the sheet as CSV (comma-separated)"
    names = ", ".join(f"'{i.filename}'" for i in files[:5])
    more = f" and {len(files) - 5} more" if len(files) > 5 else ""
    return f"the zip holds no .csv file (found {names}{more}); put exactly one .csv file in it"


def _decode(data: bytes | bytearray) -> tuple[str, str]:
    """Strict decoding, UTF-8 (BOM or not) first, then CP949; returns text and encoding."""
    if b"\x00" in data:
        raise SubmissionFileError(
            "the file contains NUL bytes (binary, or UTF-16 text); save it as CSV in UTF-8"
        )
    for codec in ENCODINGS:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        if codec == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf"):
            codec = "utf-8"
        return text, codec
    raise SubmissionFileError("the file is not text in UTF-8 or CP949 (EUC-KR); save it as UTF-8")


def _parse(text: str) -> tuple[list[str], pd.DataFrame]:
    """Split CSV text into its header and a text frame, keeping line numbers meaningful."""
    text = text.rstrip("\r\n\t ")  # trailing blank lines are not rows
    if not text.strip():
        raise SubmissionFileError("the file is empty")
    first_line = re.match(r"[^\r\n]*", text)
    line = first_line.group() if first_line else ""
    if not line.strip():
        raise SubmissionFileError("line 1 is blank; the header must be the first line")
    try:
        header = next(csv.reader([line]))
    except csv.Error as exc:
        raise SubmissionFileError(f"the header is not valid CSV ({exc})") from None
    if len(header) == 1:
        found = [d for d in OTHER_DELIMITERS if d in header[0]]
        if found:
            used = max(found, key=header[0].count)
            raise SubmissionFileError(
                "columns must be separated by commas; "
                f"the header looks separated by {OTHER_DELIMITERS[used]}"
            )
    try:
        # Blank lines stay rows (of empty values) so that row i is line i + 2.
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, skip_blank_lines=False
        )
    except pd.errors.ParserError as exc:
        raise SubmissionFileError(_parser_message(str(exc))) from None
    if not isinstance(frame.index, pd.RangeIndex):
        # pandas reads a first row with one field too many as an index: refuse it instead
        columns, saw = len(frame.columns), len(frame.columns) + frame.index.nlevels
        raise SubmissionFileError(
            f"line 2 has {saw} fields but the header has {columns}; check its commas"
        )
    if frame.empty:
        raise SubmissionFileError("the file has a header but no rows")
    if len(header) == len(frame.columns):
        frame.columns = header  # as written: pandas renames a repeated name to 'name.1'
    else:
        header = [str(c) for c in frame.columns]
    return header, frame


def _parser_message(message: str) -> str:
    fields = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", message)
    if fields:
        expected, line, saw = fields.groups()
        return f"line {line} has {saw} fields but the header has {expected}; check its commas"
    quote = re.search(r"EOF inside string starting at row (\d+)", message)
    if quote:
        line = int(quote.group(1)) + 1
        return f'a quoted value starting on line {line} is never closed; check its quotes (")'
    detail = message.removeprefix("Error tokenizing data. C error: ").strip()
    return f"the file is not valid CSV: {detail}"
