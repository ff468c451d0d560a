"""Content-addressed storage of uploaded files: streamed to disk, never held in memory.

A file is stored under its sha256, so the same bytes uploaded twice are kept once and a stored
file can never change under a submission that points at it.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from odx.datasets.errors import CoreError

CHUNK = 1 << 20


class UploadTooLargeError(CoreError):
    code = "upload_too_large"
    title = "File too large"


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    path: Path


class ObjectStore:
    """Files by checksum under one folder (``$ODX_HOME/objects``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put_chunks(self, chunks: Iterable[bytes], *, max_bytes: int) -> StoredFile:
        """Write chunks to a temp file while hashing; refuse past ``max_bytes`` and keep nothing."""
        staging = self.root / "staging"
        staging.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = staging / uuid.uuid4().hex
        digest, size = hashlib.sha256(), 0
        try:
            # Owner-only: a participant's file is nobody else's to read on this machine.
            with os.fdopen(
                os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb"
            ) as handle:
                for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise UploadTooLargeError(
                            f"the file is larger than the limit of {max_bytes:,} bytes"
                        )
                    digest.update(chunk)
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            final = self.path_for(digest.hexdigest())
            final.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.replace(temp, final)
            return StoredFile(digest.hexdigest(), size, final)
        finally:
            temp.unlink(missing_ok=True)

    def put_file(self, path: Path, *, max_bytes: int) -> StoredFile:
        with path.open("rb") as handle:
            return self.put_chunks(iter(lambda: handle.read(CHUNK), b""), max_bytes=max_bytes)
