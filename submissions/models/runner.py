"""The program that runs inside the sandbox: limits, privileges, then the model.

It is started by :mod:`odx.submissions.models.sandbox` with one JSON argument and imports
nothing of odx (the platform's code is not even visible in the sandbox). Before anything of
the participant's is touched it lowers its resource limits, opens the input and output files
and, when started as root, drops to the sandbox's unprivileged user for good. Exit codes:
0 predictions written, 2 unusable predictions, 3 out of memory, 1 anything else (the
traceback is part of the log the team sees).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
import traceback
from typing import Any

EXIT_OUTPUT, EXIT_MEMORY = 2, 3


def main(config: dict[str, Any]) -> int:
    _limit(config)
    features = open(config["features"], "rb")  # noqa: SIM115 - the hidden file is root's own
    if config.get("uid") is not None and os.geteuid() == 0:
        os.setgroups([])
        os.setresgid(config["gid"], config["gid"], config["gid"])
        os.setresuid(config["uid"], config["uid"], config["uid"])  # for good: no capability left
    predictions = open(config["predictions"], "w", encoding="utf-8", newline="")  # noqa: SIM115
    status = open(config["status"], "w", encoding="utf-8")  # noqa: SIM115
    os.chdir(config["scratch"])
    report: dict[str, Any] = {}
    try:
        code = _predict(config, features, predictions, report)
    except MemoryError:
        report |= {"error": "memory", "message": "the model ran out of memory"}
        code = EXIT_MEMORY
    except BaseException as exc:  # the model may raise anything, SystemExit included
        traceback.print_exc()
        report |= {"error": "exception", "message": f"{type(exc).__name__}: {exc}"[:2000]}
        code = 1
    predictions.close()
    report["peak_memory_mb"] = _peak_memory_mb()
    json.dump(report, status)
    status.close()
    sys.stdout.flush()
    return code


def _peak_memory_mb() -> float | None:
    """This program's own peak resident memory (VmHWM starts afresh with the program; the
    kernel's rusage figure keeps the peak of the process that started it)."""
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


def _limit(config: dict[str, Any]) -> None:
    limits = {
        resource.RLIMIT_AS: config["memory_bytes"],
        resource.RLIMIT_NPROC: config["processes"],
        resource.RLIMIT_FSIZE: config["file_bytes"],
        resource.RLIMIT_CPU: config["cpu_seconds"],
        resource.RLIMIT_CORE: 0,
    }
    for which, value in limits.items():
        resource.setrlimit(which, (value, value))


def _predict(config: dict[str, Any], features: Any, out: Any, report: dict[str, Any]) -> int:
    started = time.perf_counter()
    import mlflow.pyfunc
    import numpy as np
    import pandas as pd

    id_column, targets = config["id_column"], config["target_columns"]
    frame = pd.read_csv(features, dtype={id_column: str}, keep_default_na=False, na_values=[""])
    ids = frame.pop(id_column)
    model = mlflow.pyfunc.load_model(config["model"])
    report["load_seconds"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    raw = model.predict(frame)
    report["predict_seconds"] = round(time.perf_counter() - started, 3)
    if config.get("ranking"):
        raw = _ranked_lists(raw)
    values, problem = _as_columns(raw, targets, binary=config.get("binary", False), np=np, pd=pd)
    if problem is None and len(values) != len(ids):
        problem = f"the model returned {len(values)} predictions for {len(ids)} rows"
    if problem is not None:
        report |= {"error": "output", "message": problem}
        return EXIT_OUTPUT
    result = pd.DataFrame(values, columns=targets)
    result.insert(0, id_column, ids.to_numpy())
    result.to_csv(out, index=False)
    report["rows"] = len(result)
    return 0


def _ranked_lists(raw: Any) -> Any:
    """A ranking model may return, per row, a list of item ids or them already joined by
    spaces; both become the file's space-separated text (the scorer checks the ids)."""
    if hasattr(raw, "columns"):  # a table: only one column can hold the lists
        if len(raw.columns) != 1:
            return raw
        raw = raw.iloc[:, 0]
    if isinstance(raw, str) or not hasattr(raw, "__iter__"):
        return raw
    return [
        " ".join(map(str, row)) if hasattr(row, "__iter__") and not isinstance(row, str) else row
        for row in raw
    ]


def _as_columns(raw: Any, targets: list[str], *, binary: bool, np: Any, pd: Any) -> tuple:
    """The model's output as an (n, len(targets)) array, or why it cannot be one."""
    if isinstance(raw, pd.DataFrame):
        if set(targets) <= set(map(str, raw.columns)):
            raw = raw[targets]
        raw = raw.to_numpy()
    elif isinstance(raw, pd.Series):
        raw = raw.to_numpy()
    try:
        array = np.asarray(raw)
    except Exception as exc:  # an object numpy cannot take
        return None, f"the model's output is not a table of predictions ({type(exc).__name__})"
    if array.ndim == 1:
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        return None, f"the model returned an array with {array.ndim} dimensions"
    if binary and len(targets) == 1 and array.shape[1] == 2:
        array = array[:, 1:]  # predict_proba: the positive class's probability
    if array.shape[1] != len(targets):
        want = ", ".join(targets)
        return None, f"the model returned {array.shape[1]} columns per row; expected {want}"
    return array, None


if __name__ == "__main__":
    sys.exit(main(json.loads(sys.argv[1])))
