"""Uploaded submission files: plain, gzip or zip CSV, read safely into a table of text.

Compression is told by magic bytes, never by the name. A compressed file is decompressed as a
stream into a temp file under a hard size cap (a zip or gzip bomb stops at ``max_bytes``), and
every check after that reads the file in chunks: memory holds the parsed table, never the
file's bytes or text besides it. Every value stays text: the checker in
:mod:`odx.scoring.validation` decides what it means.

A clean file (UTF-8, one row per line, every row as wide as the header) is parsed by Arrow's
multithreaded reader into compact string columns; anything else goes through pandas, whose
errors name the line to fix.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from odx.datasets.errors import CoreError
from odx.submissions.archives import unsafe_member_name

Compression = Literal["none", "gzip", "zip"]
GZIP_MAGIC = b"\x1f\x8b"
ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")  # a member first; an empty archive
UTF8_BOM = codecs.BOM_UTF8
ENCODINGS = ("utf-8", "cp949")  # CP949 is a superset of EUC-KR
OTHER_DELIMITERS = {";": "';'", "\t": "tabs", "|": "'|'"}
CHUNK = 1 << 20
HEAD = 64 * 1024  # enough of the file to hold its header line


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


def read_upload(
    path: Path, *, max_bytes: int = 200 * 1024**2, max_rows: int | None = None
) -> UploadTable:
    """Read an uploaded CSV (plain, gzip or zip) as text, refusing anything unsafe or unclear.

    ``max_rows``: the rows a valid file has (one per test id). A file with far more lines is
    refused before it is parsed, so that millions of tiny rows cannot fill the memory.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise SubmissionFileError(f"the file is larger than the {_size(max_bytes)} limit")
    with _plain_csv(path, max_bytes) as (csv_path, compression, inner_name):
        encoding, lines = _encoding(csv_path)
        if max_rows is not None and lines > 2 * max_rows + 100:
            raise SubmissionFileError(
                f"the file has {lines:,} lines, far more than one row for each of the "
                f"{max_rows:,} test ids and a header"
            )
        header = _header(csv_path, encoding)
        frame = _parse_fast(csv_path, header, encoding)
        if frame is None:
            header, frame = _parse_careful(csv_path, header, encoding)
    return UploadTable(header, frame, encoding, compression, inner_name)


@contextmanager
def _plain_csv(path: Path, max_bytes: int) -> Iterator[tuple[Path, Compression, str | None]]:
    """The upload as a plain file: itself, or its decompressed copy in a temp folder that is
    removed afterwards (never larger than ``max_bytes``)."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic.startswith(GZIP_MAGIC) or magic in ZIP_MAGICS:
        with tempfile.TemporaryDirectory(prefix="odx-upload-") as scratch:
            target = Path(scratch) / "upload.csv"
            if magic.startswith(GZIP_MAGIC):
                _gunzip(path, target, max_bytes)
                yield target, "gzip", None
            else:
                inner = _unzip(path, target, max_bytes)
                yield target, "zip", inner
        return
    if path.name.lower().endswith(".gz"):
        raise SubmissionFileError("not a gzip file; upload a .csv, a .csv.gz or a .zip")
    if path.name.lower().endswith(".zip"):
        raise SubmissionFileError("not a zip file; upload a .csv, a .csv.gz or a .zip")
    yield path, "none", None


def _size(count: int) -> str:
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if count >= factor:
            return f"{count / factor:.4g} {unit}"
    return f"{count} bytes"


def _copy_capped(read: Callable[[int], bytes], target: Path, max_bytes: int) -> None:
    """Copy a decompressing stream to ``target`` chunk by chunk; refuse past ``max_bytes``."""
    written = 0
    with target.open("wb") as out:
        while chunk := read(CHUNK):
            written += len(chunk)
            if written > max_bytes:
                raise SubmissionFileError(
                    f"the decompressed file is larger than the {_size(max_bytes)} limit"
                )
            out.write(chunk)


def _gunzip(path: Path, target: Path, max_bytes: int) -> None:
    try:
        with gzip.open(path, "rb") as stream:
            _copy_capped(stream.read, target, max_bytes)
    except (OSError, EOFError, zlib.error) as exc:
        raise SubmissionFileError(f"the gzip file is damaged ({exc})") from None


def _unzip(path: Path, target: Path, max_bytes: int) -> str:
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
                _copy_capped(stream.read, target, max_bytes)
            return member.filename
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


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as handle:
        yield from iter(lambda: handle.read(CHUNK), b"")


def is_compressed(path: Path) -> bool:
    """A gzip or zip file, told by its first bytes (it may expand to many times its size)."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    return magic.startswith(GZIP_MAGIC) or magic in ZIP_MAGICS


def _encoding(path: Path) -> tuple[str, int]:
    """Strict decoding, chunk by chunk: UTF-8 (BOM or not) first, then CP949; refuse NUL
    bytes and a file of nothing but white space. Also counts the line breaks."""
    with path.open("rb") as handle:
        bom = handle.read(len(UTF8_BOM)) == UTF8_BOM
    decoders = {codec: codecs.getincrementaldecoder(codec)() for codec in ENCODINGS}
    blank, lines = True, 0
    for chunk in _chunks(path):
        lines += chunk.count(b"\n")
        if b"\x00" in chunk:
            raise SubmissionFileError(
                "the file contains NUL bytes (binary, or UTF-16 text); save it as CSV in UTF-8"
            )
        blank = blank and not chunk.translate(None, b" \t\r\n" + UTF8_BOM)
        for codec, decoder in list(decoders.items()):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                del decoders[codec]
    for codec, decoder in list(decoders.items()):
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            del decoders[codec]
    if blank and decoders:
        raise SubmissionFileError("the file is empty")
    if "utf-8" in decoders:
        return ("utf-8-sig" if bom else "utf-8"), lines
    if decoders:
        return next(iter(decoders)), lines
    raise SubmissionFileError("the file is not text in UTF-8 or CP949 (EUC-KR); save it as UTF-8")


def _header(path: Path, encoding: str) -> list[str]:
    """The first line's fields; refuses a blank first line and a delimiter other than commas."""
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    text = head.decode(encoding, errors="ignore")
    line = re.match(r"[^\r\n]*", text)
    first = line.group() if line else ""
    if not first.strip():
        raise SubmissionFileError("line 1 is blank; the header must be the first line")
    try:
        header = next(csv.reader([first]))
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
    return header


def _parse_fast(path: Path, header: list[str], encoding: str) -> pd.DataFrame | None:
    """Arrow's reader for a clean UTF-8 file; None when anything needs a careful look (a
    blank line, a short row, a quoted line break, CP949 …), left to pandas."""
    if encoding not in ("utf-8", "utf-8-sig"):
        return None
    names = [f"c{i}" for i in range(len(header))]
    try:
        table = pacsv.read_csv(
            path,
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, encoding="utf8"),
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    blank_tail = _trailing_blank_lines(path)
    if blank_tail:
        table = table.slice(0, max(table.num_rows - blank_tail, 0))
    if table.num_rows == 0:
        raise SubmissionFileError("the file has a header but no rows")
    frame = table.to_pandas()
    frame.columns = header
    return frame


def _parse_careful(path: Path, header: list[str], encoding: str) -> tuple[list[str], pd.DataFrame]:
    """pandas' reader, whose errors name lines; blank lines stay rows (of empty values) so
    that row i is line i + 2, and trailing blank lines are not rows."""
    try:
        frame = pd.read_csv(
            path,
            encoding=encoding,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise SubmissionFileError(_parser_message(str(exc))) from None
    blank_tail = _trailing_blank_lines(path)
    if blank_tail:
        frame = frame.iloc[: len(frame) - blank_tail]
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


def _trailing_blank_lines(path: Path) -> int:
    """How many lines of nothing but white space end the file: rows pandas would read, that
    are not rows of the submission."""
    size = path.stat().st_size
    with path.open("rb") as handle:
        tail = b""
        while len(tail) < size:  # back from the end, until something that is not white space
            start = max(size - len(tail) - CHUNK, 0)
            handle.seek(start)
            tail = handle.read(size - len(tail) - start) + tail
            if tail.strip(b" \t\r\n"):
                break
    blank = tail[len(tail.rstrip(b" \t\r\n")) :]
    lines = blank.split(b"\n")  # the first piece ends the last line that has content
    return max(len(lines) - 1 - (lines[-1] == b""), 0)  # a final line break ends a line


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
