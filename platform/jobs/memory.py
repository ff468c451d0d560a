"""What a scoring job costs the process's memory: one large upload decoded at a time, and
what the job freed handed back to the system afterwards.

A compressed upload may expand to many times its size, and pandas, Arrow and glibc keep freed
memory for reuse: without this, a worker that scored one large file keeps its peak for good.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa

from odx.submissions.files import is_compressed

LARGE_UPLOAD_BYTES = 16 * 1024 * 1024
_large_decodes = threading.BoundedSemaphore(1)


@contextmanager
def decoding(upload: Path) -> Iterator[None]:
    """Decode ``upload`` now, or, if it is large or compressed, once no other large upload
    is being decoded in this process; after a large one, give back what it freed."""
    if upload.stat().st_size < LARGE_UPLOAD_BYTES and not is_compressed(upload):
        yield
        return
    with _large_decodes:
        try:
            yield
        finally:
            release()


def release() -> None:
    """Hand memory the last job freed back to the system (Arrow's pool, then the C heap)."""
    gc.collect()
    pa.default_memory_pool().release_unused()
    libc = ctypes.util.find_library("c")
    if libc:
        trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)  # glibc only
        if trim is not None:
            trim(0)
