"""Worker processes: papermill executes a notebook, nbconvert exports it, the runner collects.

A run starts a pool of at most ``workers`` worker processes (``sys.executable``: the runner's
environment and installed ``uppfoljning``); each takes notebooks one at a time. Every notebook
gets a kernel of its own, so one notebook's state, memory or crash never reaches another
notebook, and a worker that dies costs only its notebook. The pool is warm: a worker imports
papermill and nbconvert once and starts its next kernel, with the modules every notebook
imports, before it is given the notebook, and the CLI starts the pool while it still checks the
inputs. A kernel's warm-up runs silently (no execution count, nothing in the notebook's
namespace), so the executed notebook is the same as with a cold kernel.

A worker and its kernels die with the runner, even one killed with SIGKILL. A worker writes
each result as JSON next to the notebook's log; stdout and stderr of the worker and of the
kernel go to that log, the terminal keeps the progress lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from uppfoljning.present import formatting
from uppfoljning.present.html import export_html

__all__ = [
    "Job",
    "NotebookLine",
    "Result",
    "WorkerPool",
    "default_kernel",
    "execute_all",
    "normalise",
    "normalise_executed",
    "now",
]

DEFAULT_KERNEL = "uppfoljning"
FALLBACK_KERNEL = "python3"
# What every notebook imports through `uf.open_period` (the lazy package API): a warm kernel
# has imported them before it gets its notebook.
WARM_MODULES = (
    "pandas",
    "pyarrow.parquet",
    "matplotlib.pyplot",
    "uppfoljning.economy",
    "uppfoljning.present.report",
    "uppfoljning.present.plots",
)
_WARM_UP = (
    f"for __uppfoljning_module in {WARM_MODULES!r}:\n"
    "    try:\n"
    "        __import__(__uppfoljning_module)\n"
    "    except Exception:\n"
    "        pass\n"
    "del __uppfoljning_module\n"
)


def default_kernel() -> str:
    """The project's own kernelspec when registered, else the interpreter's default kernel."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()
    except Exception:  # any failure just means "not registered"
        specs = {}
    return DEFAULT_KERNEL if DEFAULT_KERNEL in specs else FALLBACK_KERNEL


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


def _run_notebook(job: Job, km: Any = None) -> Result:
    """Execute one notebook with papermill, then export it; failures are returned, not raised.

    ``km`` is a kernel manager with a started (warm) kernel for the notebook, else papermill
    starts one."""
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
            **({"km": km} if km is not None else {}),
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
        for connection_file in _WARM_CONNECTION_FILES:  # a shut-down kernel removes its own
            with contextlib.suppress(OSError):
                os.unlink(connection_file)
        os._exit(1)

    signal.signal(signal.SIGTERM, stop)

    def watch() -> None:
        while os.getppid() == runner:
            time.sleep(0.2)  # polling the parent: no signal tells a child that it is orphaned
        stop()

    threading.Thread(target=watch, name="runner-watch", daemon=True).start()


# Connection files of this worker's warm kernels that are not shut down yet.
_WARM_CONNECTION_FILES: set[str] = set()


class _WarmKernel:
    """A started kernel that has imported `WARM_MODULES`, waiting for its notebook."""

    def __init__(self, kernel_name: str, cwd: str) -> None:
        import nbformat
        from jupyter_core.utils import run_sync
        from nbclient import NotebookClient

        self.kernel_name, self.cwd = kernel_name, cwd
        # Started the way papermill's client starts one (same kernel manager, same arguments).
        client = NotebookClient(nbformat.v4.new_notebook(), kernel_name=kernel_name)
        client.km = client.create_kernel_manager()
        self.km = client.km
        client.start_new_kernel(cwd=cwd)
        _WARM_CONNECTION_FILES.add(self.km.connection_file)
        kc = self.km.client()
        try:
            kc.start_channels()
            run_sync(kc.wait_for_ready)(timeout=60)
            # silent: no execution count and no output, so the notebook cannot tell
            msg_id = kc.execute(_WARM_UP, silent=True, store_history=False, allow_stdin=False)
            while True:
                reply = run_sync(kc.get_shell_msg)(timeout=120)
                if reply.get("parent_header", {}).get("msg_id") == msg_id:
                    break
        except BaseException:
            self.shutdown()
            raise
        finally:
            kc.stop_channels()

    def shutdown(self) -> None:
        from jupyter_core.utils import run_sync

        with contextlib.suppress(Exception):
            run_sync(self.km.shutdown_kernel)(now=True)
        _WARM_CONNECTION_FILES.discard(self.km.connection_file)


def _warm_kernel(kernel_name: str, cwd: str) -> _WarmKernel | None:
    """A warm kernel, or None when it cannot start (papermill then starts one and reports why)."""
    try:
        return _WarmKernel(kernel_name, cwd)
    except Exception:
        return None


@contextlib.contextmanager
def _output_to(path: str) -> Iterator[None]:
    """Point this process's stdout and stderr (and those of kernels it starts) at ``path``."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(target, 1)
    os.dup2(target, 2)
    os.close(target)
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        os.close(saved[0])
        os.close(saved[1])


def _move_output(own_log: str, job_log: str) -> None:
    """What the warm kernel wrote (to the worker's own log) belongs in its notebook's log."""
    with contextlib.suppress(OSError):
        text = Path(own_log).read_bytes()
        if text:
            with open(job_log, "ab") as log:
                log.write(text)
            os.truncate(own_log, 0)


def _result_path(job: Job) -> Path:
    return Path(job.log_path).with_suffix(".resultat.json")


def worker_main(argv: Sequence[str]) -> int:
    """Entry point of a worker process: ``<kernel name> <kernel working dir> <own log>``.

    Reads one message per line on stdin, ``{"job": {...}, "more": bool}``, runs the job and
    writes its result next to the job's log; ``more`` says whether to warm a kernel for another
    job afterwards. Exits when stdin closes.
    """
    _die_with_runner()
    kernel_name, cwd, own_log = argv
    import papermill  # noqa: F401 - imported once per worker, not once per notebook

    import uppfoljning.present.html  # noqa: F401

    warm = _warm_kernel(kernel_name, cwd)
    for line in sys.stdin:
        message = json.loads(line)
        job = Job(**message["job"])
        if warm is not None and (warm.kernel_name, warm.cwd) != (job.kernel_name, job.cwd):
            warm.shutdown()
            warm = None
        with _output_to(job.log_path):
            result = _run_notebook(job, warm.km if warm is not None else None)
        if warm is not None:
            warm.shutdown()  # a kernel serves one notebook
            warm = None
        _move_output(own_log, job.log_path)
        path = _result_path(job)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")
        os.replace(partial, path)  # the runner sees a whole result or none
        if message.get("more"):
            warm = _warm_kernel(kernel_name, cwd)
    if warm is not None:
        warm.shutdown()
    return 0


_WORKER_CODE = (
    "import sys\n"
    "from uppfoljning.run.workers import worker_main\n"
    "sys.exit(worker_main(sys.argv[1:]))"
)


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    job: Job | None = None


class WorkerPool:
    """``size`` worker processes for one run's notebooks, all with the same kernel and working
    directory. Use as a context manager; `close` stops the workers and their kernels."""

    def __init__(self, size: int, *, kernel_name: str, cwd: str) -> None:
        if size < 1:
            raise ValueError(f"jobs måste vara minst 1, inte {size}.")
        self.size, self.kernel_name, self.cwd = size, kernel_name, cwd
        self._dir = Path(tempfile.mkdtemp(prefix="uppfoljning-arbetare-"))
        self._started = 0
        self._workers = [_Worker(self._spawn()) for _ in range(size)]

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _command(self, own_log: Path) -> list[str]:
        return [sys.executable, "-c", _WORKER_CODE, self.kernel_name, self.cwd, str(own_log)]

    def _spawn(self) -> subprocess.Popen[bytes]:
        """A fresh worker; its own output (the warm kernel's, before a job) goes to its log."""
        self._started += 1
        own_log = self._dir / f"arbetare-{self._started}.txt"
        with open(own_log, "ab") as log:
            return subprocess.Popen(
                self._command(own_log),
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(os.environ),
            )

    def _send(self, worker: _Worker, job: Job, more: bool) -> None:
        message = json.dumps({"job": asdict(job), "more": more}, ensure_ascii=False) + "\n"
        for attempt in (1, 2):
            try:
                assert worker.process.stdin is not None
                worker.process.stdin.write(message.encode("utf-8"))
                worker.process.stdin.flush()
                break
            except (BrokenPipeError, OSError):
                if attempt == 2:
                    raise
                worker.process = self._spawn()  # it died while idle: a new one takes the job
        worker.job = job

    def execute(self, jobs: Sequence[Job], progress: Callable[[str], None]) -> dict[str, Result]:
        """Run the jobs on the pool's workers; report as they go. Raises nothing for a failed
        notebook (its Result says what failed); stops the workers when interrupted."""
        results: dict[str, Result] = {}
        retried: set[str] = set()
        pending = list(jobs)
        try:
            while pending or any(w.job for w in self._workers):
                for worker in self._workers:
                    if worker.job is None and pending:
                        job = pending.pop(0)
                        busy = sum(1 for w in self._workers if w.job is not None)
                        # warm a kernel after this job only if a job will be left for it
                        self._send(worker, job, more=len(pending) > busy)
                        progress(NotebookLine(f"startar {job.name}", job.name, "startar"))
                finished = [(w, r) for w in self._workers if (r := self._collect(w)) is not None]
                if not finished:
                    time.sleep(0.05)  # waiting for a worker's result file; bounded by the run
                    continue
                for worker, result in finished:
                    job = worker.job
                    assert job is not None
                    worker.job = None
                    if _kernel_did_not_start(result) and job.name not in retried:
                        # Two kernels starting at once can race for a port (jupyter_client): the
                        # notebook never ran, so starting it again is safe. Once.
                        retried.add(job.name)
                        progress(
                            NotebookLine(
                                f"kärnan startade inte för {job.name}; försöker igen",
                                job.name,
                                "startar",
                            )
                        )
                        pending.insert(0, job)
                        continue
                    results[job.name] = result
                    _report(result, progress)
        except BaseException:
            self.close()
            raise
        return results

    def _collect(self, worker: _Worker) -> Result | None:
        """The result of the worker's job when it is done, else None."""
        if worker.job is None:
            return None
        path = _result_path(worker.job)
        if path.exists():
            try:
                result = Result(**json.loads(path.read_text(encoding="utf-8")))
                path.unlink()
                return result
            except (OSError, ValueError, TypeError):
                pass
        elif worker.process.poll() is None:
            return None
        result = Result(worker.job.name, False)
        result.failure = {
            "stage": "körning",
            "ename": "Processfel",
            "evalue": f"arbetsprocessen avslutades med kod {worker.process.poll()}",
        }
        if worker.process.poll() is not None:
            worker.process = self._spawn()  # the next job gets a live worker
        return result

    def close(self) -> None:
        """Stop the workers and their kernels (a worker's handler kills its kernels), and
        remove the pool's logs. Called when the run's notebooks are done or the run stopped."""
        processes = [w.process for w in self._workers]
        for process in processes:
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
        self._workers = []
        shutil.rmtree(self._dir, ignore_errors=True)


def _report(result: Result, progress: Callable[[str], None]) -> None:
    seconds = formatting.format_number(result.duration, 1)
    if result.ok:
        progress(NotebookLine(f"klar {result.name} ({seconds} s)", result.name, "klar"))
        return
    f = result.failure
    text = f"FEL i {result.name} ({seconds} s): {f.get('ename')}: {f.get('evalue')}"
    progress(NotebookLine(text, result.name, "fel"))


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
    """Run each job on a pool of its own, at most ``workers`` at a time; report as they go."""
    if not jobs:
        return {}
    size = min(workers, len(jobs))
    with WorkerPool(size, kernel_name=jobs[0].kernel_name, cwd=jobs[0].cwd) as pool:
        return pool.execute(jobs, progress)
