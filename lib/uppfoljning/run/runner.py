"""Run the report notebooks for one period and publish the result atomically.

`run_report` executes each notebook with papermill on a pool of worker processes (several in
parallel, each notebook with a kernel of its own), exports it to self-contained HTML, collects
the tables and headline figures the notebooks wrote, and only then swaps the finished report
into place. A reader never sees a half-built report, and a failed run leaves the previous
report of the period untouched.

This module orchestrates (checks, staging, lock, swap, manifest); the worker processes are in
`uppfoljning.run.workers`, the output contract in `uppfoljning.run.outputs`, the errors in
`uppfoljning.run.errors`, and the pages and the workbook are written by
`uppfoljning.present.html` and `uppfoljning.present.workbook`.

Every notebook receives four parameters (tag a cell ``parameters`` to declare defaults):
``period`` ("2024-08"), ``params_file``, ``data_dir`` and ``output_dir`` (absolute paths, as str).
A notebook writes its outputs into ``output_dir``, and nothing else there:

- ``tables/<table_id>.csv``: UTF-8, comma separated, decimal point, first column ``rad``;
- ``headlines/<key>.json``: ``{"key", "label", "text", "section", "order"}``, where ``text`` is
  already formatted for readers ("1 880,9 mnkr") and ``order`` (int) sorts within ``section``.

Each notebook gets an ``output_dir`` of its own, so the runner knows which notebook wrote which
table and headline (recorded per notebook in the manifest). A table id or headline key written
by two notebooks is an error, as is any other file in ``output_dir``.

``run_report(..., keep_others=True)`` re-runs only some of the period's notebooks (``uppfoljning
run PERIOD --only NAME``): the new report starts from the previous one, minus the re-run
notebooks' page, executed notebook and the tables and headlines they wrote last time; the
workbook, start page and manifest are then rebuilt from everything present. Notebooks taken over
keep their manifest entry (title, duration, times), marked ``"from_previous_run": true``. A
previous manifest without per-notebook ``tables``/``headlines`` (older runner) only loses the
re-run notebooks' own files; their new tables and headlines overwrite those with the same name.

Output layout, for ``out_dir=reports`` and period 2024-08::

    reports/
      2024-08/                       the published report (replaced as a whole on success)
        index.html                   start page: headline figures by section, links to everything
        <notebook>.html              one page per notebook: no code, no prompts, table of contents
        uppfoljning_2024-08.xlsx     every table as a sheet (sheet name = table id, max 31 chars)
        tables/<table_id>.csv        the tables exactly as the notebooks wrote them
        headlines/<key>.json         the headline figures exactly as the notebooks wrote them
        executed/<notebook>.ipynb    executed notebooks, with code and papermill metadata
        manifest.json                period, parameters, inputs, package versions, parallel
                                     jobs, per notebook title, tables, headlines; run times only
                                     in the field ``tider`` (so identical runs differ only there)
      2024-08-misslyckad/            only after a failed run: the failed executed notebooks
        <notebook>.ipynb             (error cell marked by papermill), <notebook>.logg.txt with
        fel.txt                      the process's stderr, and fel.txt with the error summary;
                                     replaced by each failed run, removed by the next successful one
      .2024-08.lock                  lock file: a second run of the same period started while
                                     one is running fails at once (POSIX only)

While running, the report is built in ``reports/.2024-08.tmp-korning/`` (same file system) and
swapped in by renaming; the old report is renamed to ``.2024-08.old-<pid>`` and deleted after the
swap. Leftovers of an interrupted run are cleaned up (or restored) by the next run of the period.
The notebooks therefore see ``.2024-08.tmp-korning/utdata/<notebook>/`` as ``output_dir`` (its
``tables/`` and ``headlines/`` are moved into the report after the run; the manifest records
``output_dir`` as "."); it is also what the injected-parameters cell of
``executed/<notebook>.ipynb`` shows. Each notebook runs on a worker process
(``sys.executable``, so the same environment and installed ``uppfoljning`` as the runner) in a
kernel of its own, with ``notebooks_dir`` as working directory (see `uppfoljning.run.workers`).

The HTML pages, tables, workbook and start page are byte-identical when the notebooks produce the
same outputs: no timestamps, no random ids (pandas Styler ids are renumbered). Output on stderr
(warnings) is left out of the HTML but kept in the executed notebook. Cells tagged
``remove_cell`` are left out of the HTML, cells tagged ``remove_output`` show no output. Pages
contain no scripts: JavaScript and widget outputs are not shown, and LaTeX is shown as text.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import json
import os
import platform
import re
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from uppfoljning.data.config import load_period_params, read_yaml
from uppfoljning.present import formatting
from uppfoljning.present.changes import publish_changes
from uppfoljning.present.html import export_html, write_index
from uppfoljning.present.workbook import EXCEL_DIR, write_excel_copies, write_workbook
from uppfoljning.run.errors import (
    NotebookFailed,
    NotebookFailure,
    ReportError,
    ReportLocked,
    ReportOutputError,
)
from uppfoljning.run.outputs import (
    NAME_RE,
    OLD_TIME_KEYS,
    OUTPUT_KINDS,
    collect_headlines,
    collect_tables,
    merge_outputs,
    published_times,
    rmtree,
    start_from_previous,
)
from uppfoljning.run.workers import Job, Result, WorkerPool, default_kernel, execute_all, now

__all__ = [
    "NotebookFailed",
    "NotebookFailure",
    "ReportError",
    "ReportLocked",
    "ReportOutputError",
    "RunSummary",
    "period_label",
    "run_report",
]

FAILED_SUFFIX = "-misslyckad"

_PERIOD_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_VERSIONED_PACKAGES = (
    "uppfoljning",
    "pandas",
    "papermill",
    "nbconvert",
    "nbformat",
    "nbclient",
    "ipykernel",
    "matplotlib",
    "pyarrow",
    "duckdb",
    "openpyxl",
)


@dataclass(frozen=True)
class RunSummary:
    """What a successful run produced; paths point into the published report directory.

    ``durations`` covers the notebooks run now; ``titles`` and ``html_files`` every notebook in
    the report; ``kept`` names the notebooks taken over unchanged from the previous report
    (``keep_others=True``), in report order.
    """

    period: str
    report_dir: Path
    durations: dict[str, float]
    titles: dict[str, str]
    table_ids: tuple[str, ...]
    html_files: dict[str, Path]
    index_html: Path
    xlsx: Path
    manifest: Path
    headline_keys: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


# --------------------------------------------------------------------------- helpers


def period_label(period: str) -> str:
    """Swedish label of a period for titles: "2024-08" -> "augusti 2024"."""
    _check_period(period)
    return formatting.period_label(period)


def _check_period(period: str) -> None:
    if not isinstance(period, str) or not _PERIOD_RE.fullmatch(period):
        raise ValueError(f"Ogiltig period {period!r}: använd formen ÅÅÅÅ-MM, t.ex. 2024-08.")


def _relative(path: Path, start: Path) -> str:
    """Path relative to the report dir when both share a project tree (survives moving the tree).

    Paths that only meet at the file system root stay absolute: "../../../../x" helps nobody.
    """
    try:
        if Path(os.path.commonpath([path, start])) != Path(path.anchor):
            return Path(os.path.relpath(path, start)).as_posix()
    except ValueError:  # different drives on Windows
        pass
    return path.as_posix()


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in _VERSIONED_PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return versions


@contextlib.contextmanager
def _period_lock(out_dir: Path, period: str) -> Iterator[None]:
    """Serialise runs of one period so two runs never swap the same directory.

    The lock file exists only while a run holds it: it is removed before the lock is released,
    and a run that locked a file another run had just removed tries again with a new one.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no lock, runs of the same period must not overlap
        yield
        return
    lock_path = out_dir / f".{period}.lock"
    while True:
        handle = open(lock_path, "a+b")  # noqa: SIM115 - held open for the whole run
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.close()
            raise ReportLocked(
                f"En annan körning av perioden {period} pågår redan (låsfil {lock_path})."
            ) from exc
        try:
            current = os.stat(lock_path).st_ino
        except FileNotFoundError:
            current = None
        if current == os.fstat(handle.fileno()).st_ino:
            break
        handle.close()  # the previous holder removed this file while we waited for it
    try:
        yield
    finally:
        lock_path.unlink(missing_ok=True)
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        handle.close()


def _recover_leftovers(out_dir: Path, period: str) -> None:
    """Remove staging dirs of interrupted runs; restore a report lost mid-swap."""
    final = out_dir / period
    for stale in sorted(out_dir.glob(f".{period}.tmp-*")):
        rmtree(stale)
    olds = sorted(out_dir.glob(f".{period}.old-*"))
    if not final.exists() and len(olds) == 1:
        olds[0].rename(final)
        olds = []
    for old in olds:
        rmtree(old)


# --------------------------------------------------------------------------- publishing


def _keep_failed(
    out_dir: Path,
    period: str,
    staging: Path,
    results: dict[str, Result],
    order: Sequence[str],
    previous_report: Path | None,
) -> NotebookFailed:
    """Move failed notebooks and their logs to <period>-misslyckad/ and build the exception."""
    failed_dir = out_dir / f"{period}{FAILED_SUFFIX}"
    rmtree(failed_dir)
    failed_dir.mkdir()
    failures = []
    for name in order:
        result = results[name]
        if result.ok:
            continue
        kept: Path | None = None
        executed = staging / "executed" / f"{name}.ipynb"
        if executed.exists():
            kept = failed_dir / f"{name}.ipynb"
            shutil.move(executed, kept)
        log: Path | None = None
        log_source = staging / "logg" / f"{name}.txt"
        if log_source.exists() and log_source.stat().st_size:
            log = failed_dir / f"{name}.logg.txt"
            shutil.move(log_source, log)
        info = result.failure
        failures.append(
            NotebookFailure(
                notebook=name,
                stage=info.get("stage", "körning"),
                ename=str(info.get("ename", "")),
                evalue=str(info.get("evalue", "")),
                cell_index=info.get("cell_index"),
                execution_count=info.get("execution_count"),
                cell_first_line=info.get("cell_first_line", ""),
                kept_notebook=kept,
                log_file=log,
            )
        )
    error = NotebookFailed(failures, failed_dir, previous_report)
    (failed_dir / "fel.txt").write_text(str(error) + "\n", encoding="utf-8")
    return error


def _swap_in(staging: Path, final: Path) -> None:
    """Replace ``final`` by ``staging`` with renames only; restore the old report on error."""
    old = final.parent / f".{final.name}.old-{os.getpid()}"
    had_old = final.exists()
    if had_old:
        final.rename(old)
    try:
        staging.rename(final)
    except BaseException:
        if had_old:
            old.rename(final)
        raise
    if had_old:
        shutil.rmtree(old, ignore_errors=True)  # leftovers are removed by the next run


# --------------------------------------------------------------------------- API


def _rerender_comments(
    staging: Path,
    names: Sequence[str],
    params_file: Path,
    notebooks_dir: Path,
    title: str,
    progress: Callable[[str], None],
) -> None:
    """Kept notebooks whose comments changed: new comment outputs, the page exported again."""
    if not names:
        return
    from uppfoljning.present.report import rerender_comments  # matplotlib: only when needed

    comments_file = load_period_params(params_file).comments_file
    for name in names:
        executed = staging / "executed" / f"{name}.ipynb"
        rerender_comments(executed, comments_file)
        export_html(
            executed, staging / f"{name}.html", report_title=title, source_dir=notebooks_dir
        )
        progress(f"skrev om {name} med de nya kommentarerna")


def _write_document(
    staging: Path,
    params_file: Path,
    manifest_extra: dict[str, Any],
    titles: dict[str, str],
    order: list[str],
) -> list[str]:
    """The committee document (PDF and rapport.html) when the period file names one."""
    # Derived like the workbook: a kept report's document never outlives its parameters.
    for old in [staging / "rapport.html", *staging.glob("*.pdf")]:
        rmtree(old)
    raw = read_yaml(params_file)
    if not isinstance(raw, dict) or not raw.get("dokument"):
        return []  # the runner also runs other notebooks with their own parameter files
    from uppfoljning.document import DocumentError, build_document  # only with a document

    params = load_period_params(params_file)
    try:
        written = build_document(
            staging,
            params,
            demo=bool(manifest_extra.get("demodata")),
            analysis_pages=[titles[n] for n in order],
        )
    except DocumentError as exc:
        raise ReportError(str(exc)) from exc
    return [p.name for p in written]


def run_report(
    period: str,
    *,
    notebooks: Sequence[str],
    notebooks_dir: Path,
    params_file: Path,
    data_dir: Path,
    out_dir: Path,
    manifest_extra: dict[str, Any],
    jobs: int | None = None,
    kernel_name: str | None = None,
    progress: Callable[[str], None] = print,
    keep_others: bool = False,
    fingerprints: Mapping[str, str] | None = None,
    computations: Mapping[str, str] | None = None,
    rerender: Sequence[str] = (),
    pool: WorkerPool | None = None,
) -> RunSummary:
    """Execute ``notebooks`` for ``period`` and publish them as ``out_dir/period``.

    ``fingerprints`` (notebook → hash of its inputs, see run.fingerprint) are recorded in the
    manifest, so the next run can tell which notebooks are unchanged; ``computations`` (the
    same without the comments file) tell whether only the comments changed. ``rerender`` are
    notebooks of the previous report whose computation is unchanged: their executed notebooks
    get the current comments and their pages are exported again, without executing them.
    ``pool`` is a warm worker pool started by the caller (it sets the parallel jobs and the kernel;
    the caller closes it), else the run starts its own.

    With ``keep_others`` the other notebooks of the previous report of the period (if any) are
    kept, see the module docstring; otherwise the report holds exactly ``notebooks``.

    Raises NotebookFailed (after all notebooks have run) if any notebook fails or cannot be
    exported, ReportOutputError if a table or headline file breaks the contract, ReportLocked if
    the period is already being run, ReportError if ``keep_others`` meets a previous report
    without a readable manifest, ValueError/FileNotFoundError for bad arguments. In every error
    case the previous report of the period is left exactly as it was.
    """
    _check_period(period)
    fingerprints = dict(fingerprints or {})
    computations = dict(computations or {})
    names = list(notebooks)
    rerender = [n for n in rerender if n not in names]
    if not names and not rerender:
        raise ValueError("Inga notebooks att köra.")
    if rerender and not keep_others:
        raise ValueError("rerender bygger på den tidigare rapporten: ange keep_others.")
    if len(set(names)) != len(names):
        raise ValueError(f"Samma notebook anges flera gånger: {names}")
    for name in names:
        if not NAME_RE.fullmatch(name) or name.lower() == "index":
            raise ValueError(f"Ogiltigt notebooknamn {name!r} (utan .ipynb; 'index' är upptaget).")
    notebooks_dir = Path(notebooks_dir).resolve()
    missing = [n for n in names if not (notebooks_dir / f"{n}.ipynb").is_file()]
    if missing:
        raise FileNotFoundError(
            f"Hittar inte {', '.join(f'{n}.ipynb' for n in missing)} i {notebooks_dir}."
        )
    if not Path(params_file).is_file():
        raise FileNotFoundError(f"Parameterfilen {params_file} finns inte.")
    if not Path(data_dir).is_dir():
        raise FileNotFoundError(f"Datakatalogen {data_dir} finns inte.")
    reserved = {
        "period",
        "period_label",
        "notebook_parameters",
        "paths_relative_to",
        "kernel",
        "jobs",
        "versions",
        "notebooks",
        "tables",
        "html",
        "xlsx",
        "headlines",
        "tider",
        "dokument",
    }
    clash = sorted(reserved & set(manifest_extra))
    if clash:
        raise ValueError(f"manifest_extra använder nycklar som runnern själv skriver: {clash}")
    if pool is not None:
        workers, kernel = pool.size, pool.kernel_name
    else:
        workers = jobs if jobs is not None else min(max(len(names), 1), os.cpu_count() or 1)
        if workers < 1:
            raise ValueError(f"jobs måste vara minst 1, inte {workers}.")
        workers = min(workers, max(len(names), 1))
        kernel = kernel_name or default_kernel()
    params_file = Path(params_file).resolve()
    data_dir = Path(data_dir).resolve()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / period
    label = period_label(period)
    title = f"Uppföljning {label}"

    with _period_lock(out_dir, period):
        _recover_leftovers(out_dir, period)
        previous_report = final if final.exists() else None
        # A fixed name (the lock makes it exclusive): executed notebooks, whose parameters show
        # it, are then the same in every identical run.
        staging = out_dir / f".{period}.tmp-korning"
        started = now()
        try:
            previous: list[dict[str, Any]] = []
            owners: dict[tuple[str, str], str] = {}
            previous_times: dict[str, Any] = {}
            if keep_others and previous_report is not None:
                previous, owners = start_from_previous(final, staging, names, period)
                previous_times = published_times(final)
            order = [e["name"] for e in previous]
            order += [n for n in names if n not in order]
            kept = {e["name"]: e for e in previous if e["name"] not in names}
            for sub in ("executed", *OUTPUT_KINDS, "logg", "utdata"):
                (staging / sub).mkdir(parents=True, exist_ok=True)
            job_list = []
            for name in names:
                output_dir = staging / "utdata" / name
                for sub in OUTPUT_KINDS:
                    (output_dir / sub).mkdir(parents=True)
                parameters = {
                    "period": period,
                    "params_file": str(params_file),
                    "data_dir": str(data_dir),
                    "output_dir": str(output_dir),
                }
                job_list.append(
                    Job(
                        name=name,
                        input_path=str(notebooks_dir / f"{name}.ipynb"),
                        executed_path=str(staging / "executed" / f"{name}.ipynb"),
                        html_path=str(staging / f"{name}.html"),
                        log_path=str(staging / "logg" / f"{name}.txt"),
                        parameters=parameters,
                        kernel_name=kernel,
                        cwd=str(notebooks_dir),
                        report_title=title,
                    )
                )
            count = f"{len(names)} notebook" + ("s" if len(names) > 1 else "")
            if names:
                progress(f"Kör {count} för {label} med kärnan {kernel}, {workers} åt gången.")
            if kept:
                progress(f"Behåller {', '.join(kept)} från den tidigare rapporten.")
            results = (
                pool.execute(job_list, progress)
                if pool is not None
                else execute_all(job_list, workers, progress)
            )
            if not all(r.ok for r in results.values()):
                raise _keep_failed(out_dir, period, staging, results, names, previous_report)

            produced = merge_outputs(staging, names, owners)
            _rerender_comments(staging, rerender, params_file, notebooks_dir, title, progress)
            # Beside the previous report's tables: a table of its own, before workbook and index.
            changes, compared_with = publish_changes(staging, out_dir, period, params_file)
            tables = collect_tables(staging)
            headlines = collect_headlines(staging)
            # Sections on the index page follow the notebooks' order, not the alphabet.
            position = {n: i for i, n in enumerate(order)}
            for item in headlines:
                owner = owners.get(("headlines", item["key"]))
                item["_notebook"] = position.get(owner, len(position))
            titles = {
                n: results[n].title if n in results else str(kept[n].get("title") or n)
                for n in order
            }
            xlsx = f"uppfoljning_{period}.xlsx"
            views = {p.stem: p for p in sorted((staging / "views").glob("*.json"))}
            write_workbook(tables, staging / xlsx, title=f"{title} – tabeller", views=views)
            write_excel_copies(tables, staging / EXCEL_DIR)  # rebuilt whole, like the workbook
            write_index(
                staging,
                title=title,
                notebooks=[(n, titles[n]) for n in order],
                headlines=headlines,
                tables=list(tables),
                xlsx=xlsx,
                demo=bool(manifest_extra.get("demodata")),
                changes=changes,
            )
            document = _write_document(staging, params_file, manifest_extra, titles, order)
            shutil.rmtree(staging / "logg")
            entries: list[dict[str, Any]] = []
            times: dict[str, Any] = {}
            for n in order:
                if n in kept:
                    entry = {k: v for k, v in kept[n].items() if k not in OLD_TIME_KEYS}
                    if n in rerender:  # its page now shows the current comments
                        entry |= {
                            "fingerprint": fingerprints.get(n),
                            "berakning": computations.get(n),
                        }
                    entries.append({**entry, "from_previous_run": True})
                    times[n] = previous_times.get(n) or {
                        k: v for k, v in kept[n].items() if k in OLD_TIME_KEYS
                    }
                    continue
                entries.append(
                    {
                        "name": n,
                        "title": results[n].title,
                        "source": _relative(notebooks_dir / f"{n}.ipynb", final),
                        "executed": f"executed/{n}.ipynb",
                        "html": f"{n}.html",
                        **{kind: produced[n][kind] for kind in OUTPUT_KINDS},
                        "from_previous_run": False,
                        **({"fingerprint": fingerprints[n]} if n in fingerprints else {}),
                        **({"berakning": computations[n]} if n in computations else {}),
                    }
                )
                times[n] = {
                    "started": results[n].started,
                    "finished": results[n].finished,
                    "duration_seconds": round(results[n].duration, 3),
                }
            manifest = {
                "period": period,
                "period_label": label,
                "notebook_parameters": {
                    "period": period,
                    "params_file": _relative(params_file, final),
                    "data_dir": _relative(data_dir, final),
                    "output_dir": ".",
                },
                "paths_relative_to": "report directory",
                "kernel": kernel,
                "jobs": workers,
                **manifest_extra,
                "versions": _versions(),
                "notebooks": entries,
                "tables": [f"tables/{t}.csv" for t in tables],
                "xlsx": xlsx,
                "html": ["index.html", *(f"{n}.html" for n in order)],
                "headlines": [h["key"] for h in headlines],
                "forandring_jamfors_med": compared_with,
                "dokument": document,
                # The only run-specific field: two identical runs differ here and nowhere else.
                "tider": {"started": started, "finished": now(), "notebooks": times},
            }
            (staging / "manifest.json").write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n",
                encoding="utf-8",
            )
            _swap_in(staging, final)
        finally:
            rmtree(staging)
        rmtree(out_dir / f"{period}{FAILED_SUFFIX}")

    progress(f"Rapporten för {label} finns i {final}")
    return RunSummary(
        period=period,
        report_dir=final,
        durations={n: results[n].duration for n in names},
        titles=titles,
        table_ids=tuple(tables),
        html_files={n: final / f"{n}.html" for n in order},
        index_html=final / "index.html",
        xlsx=final / xlsx,
        manifest=final / "manifest.json",
        headline_keys=tuple(h["key"] for h in headlines),
        kept=tuple(n for n in kept if n not in rerender),  # re-rendered pages are new
    )
