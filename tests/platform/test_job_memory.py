"""A compressed upload that expands a hundredfold costs the worker about what its table
holds, not several times the file's text, and the job gives the memory back afterwards.
Each measurement runs in a fresh process (peak and current RSS from /proc: VmHWM starts
afresh with the program, unlike getrusage's, which keeps the forking parent's)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

ROWS = 8_000_000  # about 100 MB of CSV once expanded
MB = 1 << 20

PROBE = """
import json, sys
from pathlib import Path
from odx.platform.jobs import memory
from odx.submissions.files import read_upload

def status(field):
    with open("/proc/self/status") as handle:
        line = next(line for line in handle if line.startswith(field + ":"))
    return int(line.split()[1]) * 1024

upload = Path(sys.argv[1])
before = status("VmRSS")
with memory.decoding(upload):
    rows = len(read_upload(upload, max_rows=10_000_000).frame)
grew, kept = status("VmHWM") - before, status("VmRSS") - before
print(json.dumps({"rows": rows, "grew": grew, "kept": kept}))
"""


def test_an_expanding_upload_costs_its_table_and_is_given_back(tmp_path: Path) -> None:
    body = b"id,target\n" + b"".join(b"R%07d,0.5\n" % (i % 1000) for i in range(ROWS))
    upload = tmp_path / "big.csv.gz"
    upload.write_bytes(gzip.compress(body, compresslevel=6))
    assert upload.stat().st_size < len(body) / 10
    run = subprocess.run(
        [sys.executable, "-c", PROBE, str(upload)], capture_output=True, text=True, check=True
    )
    measured = json.loads(run.stdout)
    assert measured["rows"] == ROWS
    # The text is ~100 MB. Read whole into memory as bytes, text and Python objects, it took
    # over 1.1 GB and kept 260 MB after the job; as Arrow columns from a temp file, ~310 MB.
    assert measured["grew"] < 600 * MB, measured
    assert measured["kept"] < 150 * MB, measured
