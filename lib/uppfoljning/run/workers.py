"""One process per notebook: papermill executes it, nbconvert exports it, the runner collects.

Each notebook runs in a fresh interpreter (``sys.executable``: the runner's environment and
installed ``uppfoljning``), at most ``workers`` at a time, so one notebook's kernel, memory or
crash never reaches another notebook or the runner. A worker and its kernel die with the runner,
even one killed with SIGKILL. A worker writes its result as JSON next to its log; stdout and
stderr of the worker and of the kernel go to that log, the terminal keeps the progress lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from uppfoljning.present import formatting
from uppfoljning.present.html import export_html

__all__ = ["Job", "NotebookLine", "Result", "execute_all", "normalise", "normalise_executed", "now"]


class NotebookLine(str):
    """A progress line about one notebook, e.g. "klar ekonomi (7,8 s)".

    It is the plain line for anyone who prints or collects the messages; a terminal display
    also reads ``notebook`` and ``state`` ("startar", "klar" or "fel") to show a spinner per
    running notebook without parsing the text.
    """

    notebook: str
    state: str

    def __new__(cls, text: str, notebook: str, state: str) -> NotebookLine:
        line = super().__new__(cls, text)
        line.notebook = notebook
        line.state = state
        return line


@dataclass(frozen=True)
class Job:
    """Everything a worker process needs for one notebook (passed to it as JSON)."""

    name: str
    input_path: str
    executed_path: str
    html_path: str
    log_path: str
    parameters: dict[str, str]
    kernel_name: str
    cwd: str
    report_title: str


@dataclass
class Result:
    """What a worker reports back about one notebook (as JSON in a file next to its log)."""

    name: str
    ok: bool
    duration: float = 0.0
    started: str = ""
    finished: str = ""
    title: str = ""
    failure: dict[str, Any] = field(default_factory=dict)


def now() -> str:
    """The current local time with offset, as recorded in results and the manifest."""
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


_ADDRESS_RE = re.compile(r" at 0x[0-9a-f]+>")
_TIMING_KEYS = ("start_time", "end_time", "duration")


def normalise_executed(path: Path) -> None:
    """Make an executed notebook file the same in every identical run (see `normalise`)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    normalise(nb)
    nbformat.write(nb, path)


def normalise(nb: Any) -> None:
    """Make an executed notebook the same in every identical run, in place.

    Papermill and nbclient stamp every cell with times, the injected-parameters cell gets a
    random id, object reprs carry memory addresses and widget views random model ids; the run
    times are kept in manifest.json instead, so a diff of two reports shows only real changes.
    """
    for key in _TIMING_KEYS:
        nb.metadata.get("papermill", {}).pop(key, None)
    models: dict[str, str] = {}
    for index, cell in enumerate(nb.cells):
        cell.metadata.pop("execution", None)
        for key in _TIMING_KEYS:
            cell.metadata.get("papermill", {}).pop(key, None)
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
        elif not getattr(cell, "id", None):
            cell.id = f"cell-{index}"
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/plain" in data:
                text = data["text/plain"]
                text = "".join(text) if isinstance(text, list) else text
                data["text/plain"] = _ADDRESS_RE.sub(">", text)
            view = data.get("application/vnd.jupyter.widget-view+json")
            if isinstance(view, dict) and "model_id" in view:
                view["model_id"] = models.setdefault(view["model_id"], f"modell-{len(models) + 1}")
    nb.metadata.pop("widgets", None)


def _run_notebook(job: Job) -> Result:
    """Execute one notebook with papermill, then export it; failures are returned, not raised."""
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    result = Result(name=job.name, ok=False, started=now())
    start = time.perf_counter()
    executed = None
    try:
        # Saving the whole notebook at every cell's start and end (papermill's default) costs
        # more than many cells; papermill still writes it once at the end, and on an error.
        executed = papermill.execute_notebook(
            job.input_path,
            job.executed_path,
            parameters=job.parameters,
            kernel_name=job.kernel_name,
            cwd=job.cwd,
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
        )
    except PapermillExecutionError as exc:
        result.failure = {
            "stage": "körning",
            "ename": exc.ename,
            "evalue": exc.evalue,
            "cell_index": exc.cell_index,
            "execution_count": exc.exec_count,
            "cell_first_line": _first_line(exc.source or ""),
        }
        return result
    except Exception as exc:  # kernel did not start, no such kernelspec, I/O ...
        result.failure = {"stage": "körning", "ename": type(exc).__name__, "evalue": str(exc)}
        return result
    finally:
        result.duration = time.perf_counter() - start
        result.finished = now()
        if executed is None:  # the failed notebook papermill wrote, kept for the reader
            with contextlib.suppress(OSError, ValueError):
                normalise_executed(Path(job.executed_path))
    try:
        normalise(executed)
        nbformat.write(executed, job.executed_path)
        result.title = export_html(
            Path(job.executed_path),
            Path(job.html_path),
            report_title=job.report_title,
            source_dir=Path(job.cwd),
            notebook=executed,
        )
    except Exception as exc:  # template error, external reference ...
        result.failure = {"stage": "export", "ename": type(exc).__name__, "evalue": str(exc)}
        return result
    result.ok = True
    return result


def _kill_descendants() -> None:
    """Kill this process's children and theirs (the notebook's kernel runs in its own session,
    so a signal to our process group would not reach it)."""
    import psutil

    for child in psutil.Process().children(recursive=True):
        with contextlib.suppress(psutil.Error):
            child.kill()


def _die_with_runner() -> None:
    """Worker: stop the kernel and exit as soon as the runner is gone or asks us to stop.

    A runner killed with SIGKILL cannot clean up after itself; without this its workers would
    go on executing notebooks (and their kernels live on) for as long as the notebooks take.
    """
    import signal
    import threading

    runner = os.getppid()

    def stop(*_: object) -> None:
        _kill_descendants()
        os._exit(1)

    signal.signal(signal.SIGTERM, stop)

    def watch() -> None:
        while os.getppid() == runner:
            time.sleep(0.2)  # polling the parent: no signal tells a child that it is orphaned
        stop()

    threading.Thread(target=watch, name="runner-watch", daemon=True).start()


def worker_main(argv: Sequence[str]) -> int:
    """Entry point of a worker process: ``<job json> <result path>``."""
    _die_with_runner()
    job = Job(**json.loads(argv[0]))
    result = _run_notebook(job)
    Path(argv[1]).write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")
    return 0


_WORKER_CODE = (
    "import sys\n"
    "from uppfoljning.run.workers import worker_main\n"
    "sys.exit(worker_main(sys.argv[1:]))"
)


def _start_worker(job: Job) -> tuple[subprocess.Popen[bytes], Path]:
    """Start a fresh interpreter for one notebook; its stdout/stderr (and the kernel's) go to the
    job's log file, keeping the terminal for progress messages and the log for post-mortems."""
    result_path = Path(job.log_path).with_suffix(".resultat.json")
    env = dict(os.environ)
    with open(job.log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-c", _WORKER_CODE, json.dumps(asdict(job)), str(result_path)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    return process, result_path


def _stop(processes: Sequence[subprocess.Popen[bytes]]) -> None:
    """Stop workers of an interrupted run; their kernels exit when their parent is gone."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _kernel_did_not_start(result: Result) -> bool:
    failure = result.failure
    return (
        not result.ok
        and failure.get("cell_index") is None
        and failure.get("stage") == "körning"
        and "Kernel died before replying to kernel_info" in str(failure.get("evalue", ""))
    )


def execute_all(
    jobs: Sequence[Job], workers: int, progress: Callable[[str], None]
) -> dict[str, Result]:
    """Run each job in its own process, at most ``workers`` at a time; report as they go."""
    results: dict[str, Result] = {}
    retried: set[str] = set()
    pending = list(jobs)
    running: dict[str, tuple[subprocess.Popen[bytes], Path, Job]] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                job = pending.pop(0)
                progress(NotebookLine(f"startar {job.name}", job.name, "startar"))
                process, result_path = _start_worker(job)
                running[job.name] = (process, result_path, job)
            done = [name for name, (process, _, _) in running.items() if process.poll() is not None]
            if not done:
                time.sleep(0.05)
                continue
            for name in done:
                process, result_path, job = running.pop(name)
                try:
                    result = Result(**json.loads(result_path.read_text(encoding="utf-8")))
                    result_path.unlink()
                except (OSError, ValueError, TypeError):
                    result = Result(name, False)
                    result.failure = {
                        "stage": "körning",
                        "ename": "Processfel",
                        "evalue": f"arbetsprocessen avslutades med kod {process.returncode}",
                    }
                if _kernel_did_not_start(result) and name not in retried:
                    # Two kernels starting at once can race for a port (jupyter_client): the
                    # notebook never ran, so starting it again is safe. Once.
                    retried.add(name)
                    progress(
                        NotebookLine(
                            f"kärnan startade inte för {name}; försöker igen", name, "startar"
                        )
                    )
                    pending.insert(0, job)
                    continue
                results[name] = result
                if result.ok:
                    seconds = formatting.format_number(result.duration, 1)
                    progress(NotebookLine(f"klar {name} ({seconds} s)", name, "klar"))
                else:
                    f = result.failure
                    text = (
                        f"FEL i {name} ({formatting.format_number(result.duration, 1)} s): "
                        f"{f.get('ename')}: {f.get('evalue')}"
                    )
                    progress(NotebookLine(text, name, "fel"))
    except BaseException:
        _stop([process for process, _, _ in running.values()])
        raise
    return results
