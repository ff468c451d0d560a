"""Running a model in a bubblewrap sandbox, with limits, and nothing of the platform in view.

What the sandbox sees: the Python runtime and its packages (read-only), the unpacked model
(read-only), the test features (read-only, as one file), an output folder and a size-capped
scratch ``/tmp``. No network (an empty network namespace), no other process (its own PID
namespace), a scrubbed environment, and, when the platform runs as root, an unprivileged user
that :mod:`runner` switches to before it touches the model. Memory, processes, file size and
CPU time are resource limits set there too; wall-clock time is enforced from here by killing
the whole sandbox. Everything the model prints is kept up to ``log_bytes``.

Where ``bwrap`` is missing, :func:`run_model` refuses (``SandboxUnavailableError``) unless it
is called with ``unsandboxed=True``, a development setting that runs the same runner directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from odx.datasets.errors import CoreError

RUNNER = Path(__file__).with_name("runner.py")
SANDBOX_UID = 65534  # nobody
MODEL, INPUT, OUTPUT, SCRATCH, PROGRAM = "/model", "/input", "/output", "/tmp", "/sandbox"
FEATURES_NAME, PREDICTIONS_NAME, STATUS_NAME = "features.csv", "predictions.csv", "status.json"
Outcome = Literal["ok", "timeout", "memory", "output", "crashed"]


class SandboxUnavailableError(CoreError):
    """Model submissions cannot run here: no sandbox, and running unsandboxed was not asked."""

    code = "sandbox_unavailable"
    title = "Models cannot be run on this server"


@dataclass(frozen=True)
class ModelLimits:
    """What one run may use; the challenge's ``model_limits``."""

    seconds: int = 120
    memory_mb: int = 2048
    processes: int = 64
    output_mb: int = 512
    scratch_mb: int = 256
    log_bytes: int = 64 * 1024


@dataclass(frozen=True)
class ModelTask:
    """What the model is asked: features in, one prediction row per id out."""

    id_column: str
    target_columns: list[str]
    binary: bool = False
    ranking: bool = False  # each row's prediction is a ranked list of item ids


@dataclass
class SandboxRun:
    """How a run ended. ``predictions`` is set only when ``outcome`` is ``ok``."""

    outcome: Outcome
    message: str
    exit_code: int | None
    seconds: float
    peak_memory_mb: float
    log: str
    log_truncated: bool
    predictions: Path | None = None
    report: dict[str, object] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


def bwrap() -> str | None:
    """The bubblewrap executable, if installed."""
    return shutil.which("bwrap")


def run_model(
    model_root: Path,
    features: Path,
    work: Path,
    task: ModelTask,
    limits: ModelLimits = ModelLimits(),
    *,
    unsandboxed: bool = False,
    label: str = "",
) -> SandboxRun:
    """Run the model on ``features`` in the sandbox; ``work`` (new, private) holds the output.
    ``label`` (e.g. the submission id) names the run in the process list."""
    executable = bwrap()
    if executable is None and not unsandboxed:
        raise SandboxUnavailableError(
            "model submissions need the bubblewrap sandbox ('bwrap', Debian package "
            "'bubblewrap'), which is not installed on this server; the model was not run"
        )
    output = work / "output"
    output.mkdir(parents=True)
    if os.geteuid() == 0:
        os.chown(output, SANDBOX_UID, SANDBOX_UID)
    if unsandboxed:
        scratch = work / "scratch"
        scratch.mkdir()
        config = _config(task, limits, model_root, features, output, scratch, uid=None)
        config["label"] = label
        command = [sys.executable, "-I", str(RUNNER), json.dumps(config)]
    else:
        config = _config(task, limits, MODEL, f"{INPUT}/{FEATURES_NAME}", OUTPUT, SCRATCH)
        config["label"] = label
        command = [
            executable or "bwrap",
            *_bwrap_arguments(model_root, features, output, limits),
            sys.executable,
            "-I",
            f"{PROGRAM}/runner.py",
            json.dumps(config),
        ]
    return _supervise(command, output, limits, unsandboxed=unsandboxed)


def _config(
    task: ModelTask,
    limits: ModelLimits,
    model: Path | str,
    features: Path | str,
    output: Path | str,
    scratch: Path | str,
    *,
    uid: int | None = SANDBOX_UID,
) -> dict[str, object]:
    return {
        "model": str(model),
        "features": str(features),
        "predictions": f"{output}/{PREDICTIONS_NAME}",
        "status": f"{output}/{STATUS_NAME}",
        "scratch": str(scratch),
        "id_column": task.id_column,
        "target_columns": task.target_columns,
        "binary": task.binary,
        "ranking": task.ranking,
        "memory_bytes": limits.memory_mb * 1024 * 1024,
        "processes": limits.processes,
        "file_bytes": limits.output_mb * 1024 * 1024,
        "cpu_seconds": limits.seconds + 5,
        "uid": uid,
        "gid": uid,
    }


def runtime_paths() -> list[Path]:
    """The folders the Python runtime needs: the interpreter's prefixes and ``/usr``."""
    paths = {Path("/usr")}
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix):
        paths.add(Path(prefix).resolve())
    executable = Path(sys.executable)
    paths.add(executable.resolve().parent.parent)
    kept = sorted(paths)
    return [p for p in kept if not any(p != q and p.is_relative_to(q) for q in kept)]


def _bwrap_arguments(
    model_root: Path, features: Path, output: Path, limits: ModelLimits
) -> list[str]:
    args = [
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--hostname",
        "sandbox",
    ]
    if os.geteuid() == 0:  # the runner keeps only what it needs to become nobody
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    else:  # no root to drop from: an unprivileged user namespace instead
        args += ["--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    # the scratch first: a runtime that lives below /tmp (a venv there) is bound on top of it
    scratch = str(limits.scratch_mb * 1024 * 1024)
    args += ["--size", scratch, "--perms", "1777", "--tmpfs", SCRATCH]
    for name in ("lib", "lib64", "bin", "sbin"):
        if Path(f"/{name}").is_symlink():
            args += ["--symlink", os.readlink(f"/{name}"), f"/{name}"]
    for path in runtime_paths():
        args += [*_parents(path), "--ro-bind", str(path), str(path)]
    for name in ("ld.so.cache", "localtime"):
        if Path("/etc", name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += [
        "--perms", "0755", "--dir", PROGRAM,
        "--ro-bind", str(RUNNER), f"{PROGRAM}/runner.py",
        "--ro-bind", str(model_root), MODEL,
        "--perms", "0755", "--dir", INPUT,
        "--ro-bind", str(features), f"{INPUT}/{FEATURES_NAME}",
        "--bind", str(output), OUTPUT,
        "--proc", "/proc",
        "--dev", "/dev",
        "--size", str(limits.scratch_mb * 1024 * 1024), "--perms", "1777", "--tmpfs", "/dev/shm",
        "--setenv", "HOME", SCRATCH,
        "--setenv", "TMPDIR", SCRATCH,
        "--setenv", "PATH", "/usr/bin:/bin",
        "--setenv", "LANG", "C.UTF-8",
    ]  # fmt: skip
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        args += ["--setenv", name, "1"]  # threads count as processes against the limit
    return args


def _parents(path: Path) -> list[str]:
    """Readable mount points for ``path``'s parents (bwrap would make them 0700)."""
    args: list[str] = []
    for parent in reversed(path.parents):
        if str(parent) != "/":
            args += ["--perms", "0755", "--dir", str(parent)]
    return args


def _supervise(
    command: list[str], output: Path, limits: ModelLimits, *, unsandboxed: bool
) -> SandboxRun:
    """Start the run, keep its log, kill it all at the deadline, and say how it ended."""
    started = time.monotonic()
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"} if unsandboxed else {},
    )
    log = _LogKeeper(process.stdout, limits.log_bytes)  # type: ignore[arg-type]
    deadline = started + limits.seconds
    timed_out = False
    # wait for the end without reaping, so the process group cannot be reused before it is killed
    while os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() > deadline:
            timed_out = True
            break
        time.sleep(0.01)
    _kill_group(process.pid)  # at the deadline the whole sandbox; else what the model left
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    text, truncated = log.finish()
    seconds = time.monotonic() - started
    report = _read_report(output / STATUS_NAME)
    peak = _peak_memory_mb(report, usage.ru_maxrss / 1024)
    outcome, message = _outcome(process.returncode, timed_out, report, limits)
    predictions = output / PREDICTIONS_NAME if outcome == "ok" else None
    return SandboxRun(
        outcome, message, process.returncode, seconds, peak, text, truncated, predictions, report
    )


def _outcome(
    code: int, timed_out: bool, report: dict[str, object], limits: ModelLimits
) -> tuple[Outcome, str]:
    if timed_out:
        return "timeout", f"the model did not finish within the time limit of {limits.seconds} s"
    error = report.get("error")
    if code == 3 or error == "memory":
        return "memory", f"the model ran out of memory (limit {limits.memory_mb} MB)"
    if code == 2 and error == "output":
        return "output", str(report.get("message", "the model's predictions cannot be used"))
    if code == 0 and not error:
        return "ok", "predictions written"
    if code == -signal.SIGXFSZ or code == 128 + signal.SIGXFSZ:
        return "crashed", f"the model wrote a file over the size limit of {limits.output_mb} MB"
    if code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        return "timeout", f"the model used more than {limits.seconds} s of CPU time"
    if code < 0:
        return "crashed", f"the model was stopped by signal {signal.Signals(-code).name}"
    detail = str(report.get("message") or f"exit status {code}")
    return "crashed", f"the model failed: {detail}"


def _peak_memory_mb(report: dict[str, object], rusage_mb: float) -> float:
    """The runner's own peak; rusage's also counts the worker that started the sandbox (it is
    inherited through vfork and exec), so it is only a fallback. The report is written from
    inside the sandbox: anything but a plausible number is ignored."""
    value = report.get("peak_memory_mb")
    if isinstance(value, int | float) and 0 < value <= rusage_mb:
        return float(value)
    return rusage_mb


def _read_report(path: Path) -> dict[str, object]:
    try:
        text = path.read_text("utf-8")[:65536]
        report = json.loads(text)
    except (OSError, ValueError):
        return {}
    return report if isinstance(report, dict) else {}


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


class _LogKeeper:
    """Drain a pipe in a thread, keeping its first ``limit`` bytes (a flood is counted, not
    kept, and never blocks the model on a full pipe)."""

    def __init__(self, stream: object, limit: int) -> None:
        self.stream, self.limit = stream, limit
        self.kept = bytearray()
        self.total = 0
        self.thread = threading.Thread(target=self._drain, daemon=True)
        self.thread.start()

    def _drain(self) -> None:
        while chunk := self.stream.read1(65536):  # type: ignore[attr-defined]
            self.total += len(chunk)
            room = self.limit - len(self.kept)
            if room > 0:
                self.kept += chunk[:room]

    def finish(self) -> tuple[str, bool]:
        self.thread.join(timeout=5)
        self.stream.close()  # type: ignore[attr-defined]
        truncated = self.total > len(self.kept)
        text = self.kept.decode("utf-8", errors="replace")
        if truncated:
            text += f"\n[… {self.total - len(self.kept):,} more bytes not kept]"
        return text, truncated
