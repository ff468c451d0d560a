"""Console output shared by the commands: errors, progress and tables."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

console = Console()
errors = Console(stderr=True)


@contextmanager
def progress_steps(title: str, total: int, *, enabled: bool) -> Iterator[Callable[[str], None]]:
    """A progress bar advanced by named steps; the callback is passed down to the core."""
    if not enabled:
        yield lambda _name: None
        return
    progress = Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=errors,
        transient=not os.environ.get("CI"),
    )
    with progress:
        task = progress.add_task(title, total=total)

        def step(name: str) -> None:
            progress.update(task, advance=1, description=f"{title}: {name}")

        yield step
        progress.update(task, completed=total, description=f"{title}: done")
