"""What the terminal shows while the CLI works: spinners on a terminal, plain lines elsewhere.

A report run takes minutes and reading a few years of ledger some seconds. On a terminal `rich`
shows a spinner with the elapsed time for every notebook that is running and for the file being
read, and prints the usual Swedish lines ("startar ekonomi", "klar ekonomi (7,8 s)") above them.
When stdout is not a terminal (a log file, CI, the tests) only those lines are written, exactly
as `print` writes them, plus one line per large file being read.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn

from uppfoljning.present.formatting import format_number

__all__ = ["LARGE_FILE", "notebook_progress", "reading_progress"]

LARGE_FILE = 20_000_000  # bytes: a file that takes long enough to read to say so in a log


def _terminal() -> bool:
    stream = sys.stdout
    return stream is not None and hasattr(stream, "isatty") and stream.isatty()


def _spinners(console: Console) -> Progress:
    """Spinner, text and elapsed time; removed from the screen when the step is done."""
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.description}", markup=False),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _megabytes(size: int) -> str:
    return f"{format_number(size / 1_000_000, 1)} MB"


@contextlib.contextmanager
def notebook_progress() -> Iterator[Callable[[str], None]]:
    """A `progress` callback for `run_report`: every message as a line, and on a terminal a
    spinner per running notebook (messages that are `workers.NotebookLine` say which)."""
    if not _terminal():
        yield print
        return
    console = Console(file=sys.stdout, highlight=False)
    running: dict[str, TaskID] = {}
    with _spinners(console) as spinners:

        def show(message: str) -> None:
            notebook = getattr(message, "notebook", None)
            state = getattr(message, "state", None)
            if notebook is not None and state == "startar":
                running[notebook] = spinners.add_task(f"kör {notebook}")
            elif notebook in running:
                spinners.remove_task(running.pop(notebook))
            spinners.refresh()  # the line goes above the spinners as they are now
            spinners.console.print(str(message), markup=False, soft_wrap=True)

        yield show


@contextlib.contextmanager
def reading_progress() -> Iterator[Callable[[Path], None]]:
    """A `reading` callback for `ingest`: on a terminal a spinner naming the file being read
    and its size; elsewhere one line per file of at least LARGE_FILE bytes, nothing for others."""
    if not _terminal():

        def note(path: Path) -> None:
            size = _size(path)
            if size >= LARGE_FILE:
                print(f"  läser {path.name} ({_megabytes(size)})")

        yield note
        return
    console = Console(file=sys.stdout, highlight=False)
    with _spinners(console) as spinners:
        task: TaskID | None = None

        def show(path: Path) -> None:
            nonlocal task
            text = f"läser {path.name} ({_megabytes(_size(path))})"
            if task is None:
                task = spinners.add_task(text)
            else:
                spinners.reset(task, description=text)  # the time shown is this file's

        yield show
