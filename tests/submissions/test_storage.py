"""The object store: uploads by checksum, streamed, never over the limit."""

from __future__ import annotations

from pathlib import Path

import pytest

from odx.submissions.storage import ObjectStore, UploadTooLargeError


def test_stored_file_path_is_content_addressed(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "objects")
    first = store.put_chunks([b"a,b\n", b"1,2\n"], max_bytes=100)
    second = store.put_chunks([b"a,b\n1,2\n"], max_bytes=100)
    assert first.sha256 == second.sha256 and first.path == second.path
    assert first.path.read_bytes() == b"a,b\n1,2\n"
    with pytest.raises(UploadTooLargeError, match="larger than the limit"):
        store.put_chunks([b"x" * 101], max_bytes=100)
    assert not list((tmp_path / "objects" / "staging").iterdir())
