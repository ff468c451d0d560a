"""Models run only in the bubblewrap sandbox: a real model predicts, and every hostile model
ends contained — failed with the limit or rule it hit, or run with no effect outside."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from model_builders import ID, ROWS, TARGET, code_model, features, pickle_model, sklearn_model
from odx.submissions.models.sandbox import (
    ModelLimits,
    ModelTask,
    SandboxRun,
    SandboxUnavailableError,
    run_model,
)

TASK = ModelTask(ID, [TARGET], binary=True)
FAST = ModelLimits(seconds=60, memory_mb=2048, processes=64)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder like ODX_HOME beside the model: hidden labels with a secret in them."""
    home = tmp_path / "home"
    (home / "hidden").mkdir(parents=True)
    (home / "hidden" / "labels.csv").write_text(f"{ID},{TARGET}\nC00000,SECRET-LABEL-7\n")
    return home


def run(tmp_path: Path, model: Path, limits: ModelLimits = FAST) -> SandboxRun:
    label = f"test {tmp_path.name}"
    return run_model(model, features(tmp_path), tmp_path / "work", TASK, limits, label=label)


def sandbox_processes(tmp_path: Path) -> list[int]:
    """Processes still running this test's sandboxed runner (labelled with its folder)."""
    mine = f"test {tmp_path.name}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"/sandbox/runner.py" in command and mine in command:
                found.append(int(entry.name))
    return found


def test_a_saved_sklearn_model_predicts_every_row(tmp_path: Path) -> None:
    result = run(tmp_path, sklearn_model(tmp_path))
    assert result.ok, result.log
    frame = pd.read_csv(result.predictions, dtype={ID: str})
    assert list(frame.columns) == [ID, TARGET] and len(frame) == ROWS
    assert frame[ID].iloc[0] == "C00000" and frame[TARGET].between(0, 1).all()
    assert frame[TARGET].iloc[-1] > 0.5 > frame[TARGET].iloc[0]  # the model's own probabilities
    assert result.peak_memory_mb > 20 and result.exit_code == 0


def test_unpickling_runs_only_inside_the_sandbox(tmp_path: Path, outside: Path) -> None:
    marker = tmp_path / "unpickled-here"
    code = (
        "import os\n"
        f"print('payload ran as uid', os.getuid(), 'sees', sorted(os.listdir('/')))\n"
        f"open({str(marker)!r}, 'w').write('x')\n"
    )
    result = run(tmp_path, pickle_model(tmp_path, code))
    assert not marker.exists()
    assert "payload ran as uid 65534" in result.log  # it ran, in the sandbox, as nobody
    assert result.outcome == "crashed" and "No such file or directory" in result.message


def test_the_model_runs_as_nobody_without_capabilities_for_good(tmp_path: Path) -> None:
    body = """
    import os
    print("ids", os.getresuid(), os.getresgid(), os.getgroups())
    print([line for line in open("/proc/self/status") if line.startswith("Cap")])
    try:
        os.setuid(0)
        print("BECAME ROOT")
    except PermissionError as exc:
        print("setuid refused", exc.strerror)
    """
    result = run(tmp_path, code_model(tmp_path, body))
    assert result.ok, result.log
    assert "ids (65534, 65534, 65534) (65534, 65534, 65534) []" in result.log
    for capabilities in ("CapPrm", "CapEff", "CapAmb"):
        assert f"{capabilities}:\\t0000000000000000" in result.log
    assert "setuid refused" in result.log and "BECAME ROOT" not in result.log


def test_hidden_labels_are_nowhere_to_be_read(tmp_path: Path, outside: Path) -> None:
    labels = outside / "hidden" / "labels.csv"
    body = f"""
    import os
    for path in [{str(labels)!r}, "/proc/1/root{labels}"]:
        try:
            print("READ", open(path).read())
        except OSError as exc:
            print("refused", path, exc)
    seen = 0
    for folder, subdirs, files in os.walk("/", onerror=lambda exc: None):
        subdirs[:] = [d for d in subdirs if folder != "/" or d not in ("proc", "usr")]
        for name in files:
            seen += 1
            if "label" in name.lower() and seen < 20000:
                path = os.path.join(folder, name)
                try:
                    print("FOUND", path, open(path, errors="replace").read(200))
                except OSError:
                    pass
    print("walked", seen)
    """
    result = run(tmp_path, code_model(tmp_path, body))
    assert result.ok, result.log
    assert "SECRET-LABEL-7" not in result.log and "READ" not in result.log
    assert "refused" in result.log and "walked" in result.log


def test_no_network_not_even_the_hosts_loopback(tmp_path: Path) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    accepted: list[object] = []
    listener.settimeout(0.2)

    def accept() -> None:
        while not stop.is_set():
            try:
                accepted.append(listener.accept())
            except TimeoutError:
                continue

    stop = threading.Event()
    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    body = f"""
    import socket
    for address in [("127.0.0.1", {port}), ("127.0.0.1", 5432), ("10.0.0.1", 80)]:
        try:
            socket.create_connection(address, timeout=2)
            print("CONNECTED", address)
        except OSError as exc:
            print("no connection", address, exc)
    """
    try:
        result = run(tmp_path, code_model(tmp_path, body))
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert accepted == [] and "CONNECTED" not in result.log
    assert result.log.count("no connection") == 3 and result.ok


def test_writes_land_in_scratch_only(tmp_path: Path) -> None:
    escape = tmp_path / "written-from-the-sandbox"
    body = f"""
    import os
    for path in ["/model/extra.txt", "/input/extra.csv", "/usr/extra", "/extra",
                 {str(escape)!r}, "/tmp/scratch.txt"]:
        try:
            with open(path, "w") as handle:
                handle.write("x")
            print("WROTE", path)
        except OSError as exc:
            print("refused", path, exc.strerror)
    """
    model = code_model(tmp_path, body)
    before = sorted(p.name for p in model.iterdir())
    result = run(tmp_path, model)
    assert result.ok, result.log
    assert result.log.count("refused") == 5 and "WROTE /tmp/scratch.txt" in result.log
    assert not escape.exists() and sorted(p.name for p in model.iterdir()) == before


def test_a_fork_loop_stops_at_the_process_limit_and_leaves_nothing(tmp_path: Path) -> None:
    body = """
    import os, time
    children = 0
    for _ in range(200):  # bounded, whatever the limit
        try:
            pid = os.fork()
        except OSError as exc:
            print("fork refused after", children, exc.strerror)
            break
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
    """
    limits = ModelLimits(seconds=60, processes=24)
    result = run(tmp_path, code_model(tmp_path, body), limits)
    assert "fork refused after" in result.log, result.log
    refused_after = int(result.log.split("fork refused after")[1].split()[0])
    assert refused_after < 24
    assert result.seconds < 30  # the children sleeping 30 s died with the sandbox
    assert sandbox_processes(tmp_path) == []


def test_allocating_past_the_memory_limit_fails_the_run(tmp_path: Path) -> None:
    body = """
    blocks = []
    for _ in range(64):  # at most 4 GiB, whatever the limit
        blocks.append(bytearray(64 * 1024 * 1024))
    """
    limits = ModelLimits(seconds=60, memory_mb=1024)
    result = run(tmp_path, code_model(tmp_path, body), limits)
    assert result.outcome == "memory" and "1024 MB" in result.message
    assert result.peak_memory_mb < 1100


def test_the_peak_memory_is_the_models_own_not_the_workers(tmp_path: Path) -> None:
    """A worker that holds 1.5 GB starts a small model: its peak is the model's, not the
    worker's (the kernel's rusage figure carries the parent's peak through vfork and exec)."""
    held = bytearray(1536 * 1024 * 1024)  # zero pages are not resident until written
    for offset in range(0, len(held), 4096):
        held[offset] = 1
    body = """
    data = b"x" * (50 * 1024 * 1024)
    """
    result = run(tmp_path, code_model(tmp_path, body), ModelLimits(seconds=60))
    del held
    assert result.outcome == "ok" and 50 < result.peak_memory_mb < 1000


def test_a_model_that_never_returns_is_stopped_at_the_time_limit(tmp_path: Path) -> None:
    body = """
    import time
    print("sleeping", flush=True)
    time.sleep(3600)
    """
    result = run(tmp_path, code_model(tmp_path, body), ModelLimits(seconds=8))
    assert result.outcome == "timeout" and "8 s" in result.message
    assert 8 <= result.seconds < 20 and "sleeping" in result.log
    assert sandbox_processes(tmp_path) == []


def test_a_flood_of_output_is_capped(tmp_path: Path) -> None:
    body = """
    import sys
    line = "spam " * 200 + "\\n"
    for _ in range(20000):  # about 20 MB
        sys.stdout.write(line)
    """
    limits = ModelLimits(seconds=60, log_bytes=32 * 1024)
    result = run(tmp_path, code_model(tmp_path, body), limits)
    assert result.ok and result.log_truncated
    assert len(result.log.encode()) < 33 * 1024 and "more bytes not kept" in result.log


def test_the_wrong_number_of_predictions_is_refused(tmp_path: Path) -> None:
    result = run(tmp_path, code_model(tmp_path, "result = result[:-3]"))
    assert result.outcome == "output" and result.predictions is None
    assert result.message == f"the model returned {ROWS - 3} predictions for {ROWS} rows"


def test_without_bwrap_models_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = code_model(tmp_path, "")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(SandboxUnavailableError, match="bubblewrap"):
        run(tmp_path, model)


def test_the_development_setting_runs_the_same_runner_unsandboxed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = sklearn_model(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = run_model(model, features(tmp_path), tmp_path / "work", TASK, FAST, unsandboxed=True)
    assert result.ok, result.log
    assert len(pd.read_csv(result.predictions)) == ROWS


@pytest.fixture(autouse=True)
def _no_sandbox_left_running(tmp_path: Path) -> Iterator[None]:
    yield
    assert sandbox_processes(tmp_path) == []
