"""Unpacking uploaded zip archives (dataset folders now, model folders later) safely.

The rules are those of submission files: no member may leave the target folder (absolute
paths, drive letters, '..'), links and encrypted members are refused, and decompression is
streamed under a hard cap on the total size and the number of members, so a zip bomb stops
at the cap instead of filling the disk.
"""

from __future__ import annotations

import re
import stat
import zipfile
import zlib
from pathlib import Path

from odx.datasets.errors import CoreError

CHUNK = 1 << 20
MAX_MEMBERS = 2000


class ArchiveError(CoreError):
    """An upload that cannot be unpacked safely."""

    code = "invalid_archive"
    title = "The archive cannot be unpacked"


def unsafe_member_name(name: str) -> bool:
    """A member name that would escape an extraction folder: absolute, drive or '..'."""
    parts = re.split(r"[/\\]", name)
    return name.startswith(("/", "\\")) or bool(re.match(r"[A-Za-z]:", name)) or ".." in parts


def extract_zip(
    path: Path, dest: Path, *, max_bytes: int, max_members: int = MAX_MEMBERS
) -> list[Path]:
    """Unpack ``path`` into ``dest`` (which must not exist yet); returns the files written.

    Everything is checked before the first byte is written, and the written total is capped
    while streaming, so a lying header cannot get past the cap either.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            members = [i for i in archive.infolist() if not _ignored(i.filename)]
            _check_members(members, max_bytes=max_bytes, max_members=max_members)
            dest.mkdir(parents=True)
            written: list[Path] = []
            total = 0
            for info in members:
                target = dest / info.filename
                if info.is_dir():
                    target.mkdir(parents=True, exist_ok=True)
                    continue
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as stream, target.open("wb") as out:
                    while chunk := stream.read(CHUNK):
                        total += len(chunk)
                        if total > max_bytes:
                            raise ArchiveError(_too_large(max_bytes))
                        out.write(chunk)
                written.append(target)
            return written
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
        raise ArchiveError(f"the zip file is damaged or unsupported ({exc})") from None


def _ignored(name: str) -> bool:
    """Metadata that desktop archivers add: never part of what was meant to be sent."""
    return name.startswith("__MACOSX/") or Path(name).name in (".DS_Store", "Thumbs.db")


def _check_members(members: list[zipfile.ZipInfo], *, max_bytes: int, max_members: int) -> None:
    if not members:
        raise ArchiveError("the zip is empty")
    if len(members) > max_members:
        raise ArchiveError(f"the zip holds {len(members)} entries; at most {max_members}")
    for info in members:
        if unsafe_member_name(info.filename):
            raise ArchiveError(f"unsafe path in zip: '{info.filename}'")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise ArchiveError(f"'{info.filename}' is a link; put the file itself in the zip")
        if info.flag_bits & 0x1:
            raise ArchiveError("the zip is password-protected; upload it without one")
    if sum(i.file_size for i in members) > max_bytes:  # early refusal; the stream is capped too
        raise ArchiveError(_too_large(max_bytes))


def _too_large(max_bytes: int) -> str:
    return f"the unpacked archive is larger than the limit of {max_bytes:,} bytes"


def single_root(folder: Path) -> Path:
    """The folder itself, or its only subfolder when the archive wrapped everything in one."""
    entries = [p for p in folder.iterdir() if not p.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir():
        return entries[0]
    return folder
