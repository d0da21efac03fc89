"""Run the report notebooks for one period and publish the result atomically.

`run_report` executes each notebook with papermill in its own process (several in parallel),
exports it to self-contained HTML, collects the tables and headline figures the notebooks wrote,
and only then swaps the finished report into place. A reader never sees a half-built report, and a
failed run leaves the previous report of the period untouched.

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
``executed/<notebook>.ipynb`` shows. Each notebook runs in a fresh
Python process (``sys.executable``, so the same environment and installed ``uppfoljning`` as the
runner); its kernel runs with ``notebooks_dir`` as working directory.

The HTML pages, tables, workbook and start page are byte-identical when the notebooks produce the
same outputs: no timestamps, no random ids (pandas Styler ids are renumbered). Output on stderr
(warnings) is left out of the HTML but kept in the executed notebook. Cells tagged
``remove_cell`` are left out of the HTML, cells tagged ``remove_output`` show no output. Pages
contain no scripts: JavaScript and widget outputs are not shown, and LaTeX is shown as text.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import html
import importlib.metadata
import io
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from uppfoljning.present import formatting, safety

__all__ = [
    "NotebookFailed",
    "NotebookFailure",
    "ReportError",
    "ReportLocked",
    "ReportOutputError",
    "RunSummary",
    "export_html",
    "period_label",
    "run_report",
    "write_workbook",
]

TEMPLATE_NAME = "uppfoljning"
FAILED_SUFFIX = "-misslyckad"
DEFAULT_KERNEL = "uppfoljning"
FALLBACK_KERNEL = "python3"

_PERIOD_RE = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
_NAME_RE = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
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
# Zip entries and workbook properties get fixed dates so that equal tables give equal bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_WORKBOOK_DATE = datetime(2000, 1, 1)
_TOC_PLACEHOLDER = "<!--uppfoljning:innehall-->"


# --------------------------------------------------------------------------- errors


class ReportError(Exception):
    """Base class for errors that stop a report run; the message is meant for readers (Swedish)."""


class ReportLocked(ReportError):
    """Another run of the same period holds the lock."""


class ReportOutputError(ReportError):
    """A notebook wrote a table or headline file that breaks the output contract."""


@dataclass(frozen=True)
class NotebookFailure:
    """Why one notebook could not be turned into a report page.

    ``stage`` is "körning" (execution) or "export" (HTML export). ``cell_index`` counts from 0 in
    the executed notebook (including papermill's injected-parameters cell); it is None when the
    error did not come from a cell (kernel did not start, export failed, ...).
    """

    notebook: str
    stage: str
    ename: str
    evalue: str
    cell_index: int | None = None
    execution_count: int | None = None
    cell_first_line: str = ""
    kept_notebook: Path | None = None
    log_file: Path | None = None

    def describe(self) -> str:
        """One Swedish paragraph naming notebook, cell and error."""
        if self.stage == "export":
            where = "vid HTML-exporten"
        elif self.cell_index is None:
            where = "vid körningen (felet kom inte från en cell)"
        else:
            count = "" if self.execution_count is None else f", In [{self.execution_count}]"
            where = f"i cell {self.cell_index} (räknat från 0){count}"
            if self.cell_first_line:
                where += f" som börjar med `{self.cell_first_line}`"
        text = f"Notebooken {self.notebook} misslyckades {where}: {self.ename}: {self.evalue}"
        if self.kept_notebook is not None:
            text += f"\n  Den körda notebooken finns kvar i {self.kept_notebook}"
        if self.log_file is not None:
            text += f"\n  Felutskrifter: {self.log_file}"
        return text


class NotebookFailed(ReportError):
    """One or more notebooks failed; the previous report of the period is left as it was.

    ``failures`` lists every failed notebook; the attributes of the first failure are also
    available directly (``notebook``, ``cell_index``, ``ename`` ...) for the common single case.
    ``previous_report`` is the period's published report, untouched, or None when the period had
    no report yet (then nothing was published).
    """

    def __init__(
        self,
        failures: Sequence[NotebookFailure],
        failed_dir: Path | None = None,
        previous_report: Path | None = None,
    ):
        if not failures:
            raise ValueError("NotebookFailed needs at least one failure")
        self.failures = tuple(failures)
        self.failed_dir = failed_dir
        self.previous_report = previous_report
        first = self.failures[0]
        self.notebook = first.notebook
        self.cell_index = first.cell_index
        self.execution_count = first.execution_count
        self.cell_first_line = first.cell_first_line
        self.ename = first.ename
        self.evalue = first.evalue
        self.kept_notebook = first.kept_notebook
        names = ", ".join(f.notebook for f in self.failures)
        head = f"{len(self.failures)} av rapportens notebooks misslyckades ({names}). "
        if previous_report is not None:
            head += f"Den tidigare rapporten för perioden ({previous_report}) är orörd."
        else:
            head += "Perioden hade ingen rapport sedan tidigare, och ingen rapport publicerades."
        super().__init__("\n".join([head, *(f.describe() for f in self.failures)]))


# --------------------------------------------------------------------------- results


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


@dataclass(frozen=True)
class _Job:
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
class _Result:
    """What a worker reports back about one notebook (as JSON in a file next to its log)."""

    name: str
    ok: bool
    duration: float = 0.0
    started: str = ""
    finished: str = ""
    title: str = ""
    failure: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- helpers


def period_label(period: str) -> str:
    """Swedish label of a period for titles: "2024-08" -> "augusti 2024"."""
    _check_period(period)
    return formatting.period_label(period)


def _check_period(period: str) -> None:
    if not isinstance(period, str) or not _PERIOD_RE.fullmatch(period):
        raise ValueError(f"Ogiltig period {period!r}: använd formen ÅÅÅÅ-MM, t.ex. 2024-08.")


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="milliseconds")


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


def _templates_dir() -> contextlib.AbstractContextManager[Path]:
    """The package's template directory as a real path (nbconvert and jinja need one)."""
    return as_file(files("uppfoljning") / "templates")


def _stylesheet() -> str:
    path = files("uppfoljning") / "templates" / TEMPLATE_NAME / "static" / "uppfoljning.css"
    return path.read_text(encoding="utf-8")


def _default_kernel() -> str:
    """The project's own kernelspec when registered, else the interpreter's default kernel."""
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        specs = KernelSpecManager().find_kernel_specs()
    except Exception:  # any failure just means "not registered"
        specs = {}
    return DEFAULT_KERNEL if DEFAULT_KERNEL in specs else FALLBACK_KERNEL


def _versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for package in _VERSIONED_PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return versions


def _rmtree(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


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
        _rmtree(stale)
    olds = sorted(out_dir.glob(f".{period}.old-*"))
    if not final.exists() and len(olds) == 1:
        olds[0].rename(final)
        olds = []
    for old in olds:
        _rmtree(old)


# --------------------------------------------------------------------------- HTML export


_HEADING_RE = re.compile(r"<h([1-3])((?:\s[^>]*)?)>(.*?)</h\1\s*>", re.S | re.I)
_ID_RE = re.compile(r"""\sid\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I)
_ANCHOR_LINK_RE = re.compile(r"<a\b[^>]*\banchor-link\b[^>]*>.*?</a>", re.S | re.I)
_TAG_RE = re.compile(r"<[^>]+>")
_STYLER_TABLE_RE = re.compile(r"""<table\b[^>]*\bid=["']T_([0-9a-f]{3,32})["']""", re.I)
_EXTERNAL_RE = re.compile(
    r"""<(?!a\b)[a-z][a-z0-9]*\b[^>]*?\s(?:src|href|data|poster|srcset)\s*=\s*["']?"""
    r"""\s*(?:https?:)?//[^\s"'>]*"""
    r"""|url\(\s*["']?\s*(?:https?:)?//[^)]*\)"""
    r"""|@import\b[^;]*""",
    re.I,
)
_MISSING_ALT = 'alt="No description has been provided for this image"'
_REMOVE_CELL_TAGS = {"remove_cell", "remove-cell"}
_REMOVE_OUTPUT_TAGS = {"remove_output", "remove-output"}
_DISPLAY_PRIORITY = [
    "text/html",
    "text/markdown",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/latex",
    "text/plain",
]


def _clean_for_html(nb: Any) -> Any:
    """Copy of the notebook with only what readers see and nothing run-specific.

    Papermill and nbclient timing metadata, cell ids (random for the injected parameters cell)
    and stderr output would otherwise make pages differ between identical runs.
    """
    nb = copy.deepcopy(nb)
    nb.metadata.pop("papermill", None)
    nb.metadata.pop("widgets", None)
    cells = []
    for index, cell in enumerate(nb.cells):
        tags = set(cell.metadata.get("tags", []))
        if tags & _REMOVE_CELL_TAGS or "papermill-error-cell-tag" in tags:
            continue
        cell.metadata.pop("papermill", None)
        cell.metadata.pop("execution", None)
        cell.id = f"cell-{index}"
        if cell.cell_type == "code":
            if tags & _REMOVE_OUTPUT_TAGS:
                cell.outputs = []
            cell.outputs = [
                out
                for out in cell.outputs
                if not (out.output_type == "stream" and out.get("name") == "stderr")
            ]
            if not cell.outputs:
                continue  # inputs are hidden: an output-less code cell shows nothing
            cell.execution_count = None
        cells.append(cell)
    nb.cells = cells
    return nb


def _strip_tags(fragment: str) -> str:
    text = _ANCHOR_LINK_RE.sub("", fragment)
    return " ".join(html.unescape(_TAG_RE.sub("", text)).split())


def _slug(text: str) -> str:
    return re.sub(r"[^\w-]+", "-", text, flags=re.UNICODE).strip("-") or "rubrik"


def _add_toc(page: str) -> tuple[str, str]:
    """Give every h1-h3 an id, put a nav of them at the top; return page and first h1 text."""
    start = page.find(_TOC_PLACEHOLDER)
    if start < 0:
        return page, ""
    head, body = page[:start], page[start + len(_TOC_PLACEHOLDER) :]
    seen: set[str] = set()
    entries: list[tuple[int, str, str]] = []
    title = ""

    def heading(match: re.Match[str]) -> str:
        nonlocal title
        level, attrs, inner = int(match.group(1)), match.group(2), match.group(3)
        text = _strip_tags(inner)
        id_match = _ID_RE.search(attrs)
        if id_match:
            raw_id = id_match.group(1) if id_match.group(1) is not None else id_match.group(2)
        else:
            raw_id = html.escape(_slug(text), quote=True)
        anchor = html.unescape(raw_id)
        if anchor in seen:
            number = 2
            while f"{anchor}-{number}" in seen:
                number += 1
            new = f"{anchor}-{number}"
            inner = inner.replace(f'href="#{raw_id}"', f'href="#{html.escape(new, quote=True)}"')
            anchor, raw_id = new, html.escape(new, quote=True)
            attrs = _ID_RE.sub("", attrs)
            id_match = None
        seen.add(anchor)
        if not id_match:
            attrs = f' id="{raw_id}"{attrs}'
        if text:
            entries.append((level, raw_id, text))
            if level == 1 and not title:
                title = text
        return f"<h{level}{attrs}>{inner}</h{level}>"

    body = _HEADING_RE.sub(heading, body)
    if not entries:
        return head + body, title
    items = "\n".join(
        f'<li class="niva-{level}"><a href="#{raw_id}">{html.escape(text)}</a></li>'
        for level, raw_id, text in entries
    )
    nav = (
        '<nav class="innehall" aria-label="Innehåll">\n<h2>Innehåll</h2>\n'
        f"<ul>\n{items}\n</ul>\n</nav>"
    )
    return head + nav + body, title


def _renumber_styler_ids(page: str) -> str:
    """Replace pandas Styler's random table uuids (T_1a2b3) by sequence numbers."""
    for number, uuid in enumerate(dict.fromkeys(_STYLER_TABLE_RE.findall(page)), start=1):
        page = re.sub(rf"T_{uuid}(?![0-9a-f])", f"T_tabell{number}", page)
    return page


def _check_offline(page: str, name: str) -> None:
    match = _EXTERNAL_RE.search(page)
    if match:
        raise ValueError(
            f"Sidan {name}.html hänvisar till en extern resurs och går inte att öppna utan "
            f"nätverk: {match.group(0)[:160]!r}. Bädda in resursen eller ta bort den."
        )


def export_html(
    executed: Path,
    html_path: Path,
    *,
    report_title: str = "",
    index_href: str = "index.html",
    source_dir: Path | None = None,
) -> str:
    """Export one executed notebook to a self-contained Swedish report page.

    Deterministic: the same notebook content gives the same bytes. ``source_dir`` resolves
    relative image paths in markdown (they are embedded). Returns the page title (first H1,
    else the notebook name). A page with anything that could run in a browser (script,
    on*= handler, javascript: URL) is refused (`safety.check_html`), as is an external resource.
    """
    import nbformat
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    name = Path(executed).stem
    nb = _clean_for_html(nbformat.read(executed, as_version=4))
    config = Config({"NbConvertBase": {"display_data_priority": _DISPLAY_PRIORITY}})
    with _templates_dir() as templates:
        exporter = HTMLExporter(
            config=config,
            template_name=TEMPLATE_NAME,
            extra_template_basedirs=[str(templates)],
            exclude_input=True,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            embed_images=True,
            language_code="sv",
        )
        resources = {
            "metadata": {"name": name, "path": str(source_dir or Path(executed).parent)},
            "uppfoljning": {"report_title": report_title, "index_href": index_href},
        }
        page, _ = exporter.from_notebook_node(nb, resources=resources)
    page = _renumber_styler_ids(page)
    page = page.replace(_MISSING_ALT, 'alt="Bild"')
    page, title = _add_toc(page)
    title = title or name
    page = re.sub(
        r"<title>.*?</title>",
        lambda _: f"<title>{html.escape(title)}</title>",
        page,
        count=1,
        flags=re.S,
    )
    _check_offline(page, name)
    safety.check_html(page, f"{name}.html")  # nothing from the data may run in the browser
    if not page.endswith("\n"):
        page += "\n"
    Path(html_path).write_bytes(page.encode("utf-8"))
    return title


# --------------------------------------------------------------------------- workbook


_NUMBER_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_INT_RE = re.compile(r"-?(?:0|[1-9]\d*)")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def _cell_value(text: str, first_column: bool) -> str | int | float | None:
    """CSV text to a typed cell: numbers become numbers unless that would change them."""
    if text == "":
        return None
    if first_column or not _NUMBER_RE.fullmatch(text):
        return text
    return int(text) if _INT_RE.fullmatch(text) else float(text)


def _sheet_names(table_ids: Sequence[str]) -> list[str]:
    names: list[str] = []
    for table_id in table_ids:
        base = _SHEET_FORBIDDEN.sub("_", table_id)[:31] or "tabell"
        candidate, number = base, 2
        while candidate.lower() in {n.lower() for n in names}:
            suffix = f"~{number}"
            candidate, number = base[: 31 - len(suffix)] + suffix, number + 1
        names.append(candidate)
    return names


def write_workbook(tables: dict[str, Path], target: Path, *, title: str = "") -> None:
    """One sheet per table (sorted by id), bold header, typed numbers; byte-deterministic.

    Every other cell is a string cell, never a formula (`safety.set_text_cell`).
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.xml.functions import tostring

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    ids = sorted(tables)
    for table_id, sheet_name in zip(ids, _sheet_names(ids), strict=True):
        sheet = workbook.create_sheet(sheet_name)
        with open(tables[table_id], encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        widths: dict[int, int] = {}
        for row_number, row in enumerate(rows, start=1):
            for col_number, text in enumerate(row, start=1):
                value = text if row_number == 1 else _cell_value(text, col_number == 1)
                cell = sheet.cell(row=row_number, column=col_number)
                if isinstance(value, str):
                    safety.set_text_cell(cell, value)  # never a formula (OWASP)
                else:
                    cell.value = value
                if row_number == 1:
                    cell.font = bold
                elif isinstance(value, int | float) and not isinstance(value, bool):
                    # Thousands grouping; Excel shows it with the reader's own separators.
                    cell.number_format = "#,##0" if float(value).is_integer() else "#,##0.00"
                widths[col_number] = max(widths.get(col_number, 0), len(text))
        for col_number, width in widths.items():
            sheet.column_dimensions[get_column_letter(col_number)].width = min(width + 2, 60)
        if rows:
            sheet.freeze_panes = "B2"
    if not workbook.worksheets:
        workbook.create_sheet("tabeller")
    props = workbook.properties
    props.creator = "uppfoljning"
    props.title = title or None
    props.created = _WORKBOOK_DATE
    buffer = io.BytesIO()
    workbook.save(buffer)  # stamps "modified" with the current time; replaced below
    props.modified = _WORKBOOK_DATE
    core = tostring(props.to_tree())
    out = io.BytesIO()
    with (
        zipfile.ZipFile(buffer) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest,
    ):
        for info in source.infolist():
            data = core if info.filename == "docProps/core.xml" else source.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0
            dest.writestr(entry, data)
    target.write_bytes(out.getvalue())


# --------------------------------------------------------------------------- collecting


def _collect_tables(report: Path) -> dict[str, Path]:
    tables: dict[str, Path] = {}
    for path in sorted((report / "tables").glob("*.csv")):
        with open(path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
        if not header or header[0] != "rad":
            raise ReportOutputError(
                f"Tabellen {path.name} följer inte formatet: första kolumnen ska heta 'rad' och "
                f"fälten skiljas med kommatecken (rubrikraden var {header!r})."
            )
        tables[path.stem] = path
    return tables


def _collect_headlines(report: Path) -> list[dict[str, Any]]:
    headlines = []
    for path in sorted((report / "headlines").glob("*.json")):
        try:
            item = json.loads(path.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ReportOutputError(f"Nyckeltalet {path.name} är inte giltig JSON: {exc}") from exc
        ok = isinstance(item, dict) and all(
            isinstance(item.get(k), str) for k in ("key", "label", "text", "section")
        )
        if not ok or type(item.get("order")) is not int:
            raise ReportOutputError(
                f"Nyckeltalet {path.name} ska ha key, label, text och section (text) samt "
                f"order (heltal); innehållet var {item!r}."
            )
        headlines.append(item)
    return headlines


def _write_index(
    report: Path,
    *,
    title: str,
    notebooks: Sequence[tuple[str, str]],
    headlines: Sequence[dict[str, Any]],
    tables: Sequence[str],
    xlsx: str,
    demo: bool = False,
) -> None:
    import jinja2

    by_section: dict[str, list[dict[str, Any]]] = {}
    for item in headlines:
        by_section.setdefault(item["section"], []).append(item)
    sections = [
        {"name": name, "entries": sorted(items, key=lambda i: (i["order"], i["key"]))}
        for name, items in sorted(
            by_section.items(),
            key=lambda kv: (min(i.get("_notebook", 0) for i in kv[1]), kv[0]),
        )
    ]
    with _templates_dir() as templates:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates / TEMPLATE_NAME),
            autoescape=True,
            keep_trailing_newline=True,
        )
        page = env.get_template("startsida.html.j2").render(
            title=title,
            css=_stylesheet(),
            sections=sections,
            notebooks=[{"href": f"{name}.html", "title": nb_title} for name, nb_title in notebooks],
            tables=[{"id": t, "href": f"tables/{t}.csv"} for t in tables],
            xlsx=xlsx,
            manifest="manifest.json",
            demo=demo,
        )
    (report / "index.html").write_bytes(page.encode("utf-8"))


# --------------------------------------------------------------------------- execution


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            return line.strip()[:120]
    return ""


_ADDRESS_RE = re.compile(r" at 0x[0-9a-f]+>")
_TIMING_KEYS = ("start_time", "end_time", "duration")


def normalise_executed(path: Path) -> None:
    """Make an executed notebook the same in every identical run.

    Papermill and nbclient stamp every cell with times, the injected-parameters cell gets a
    random id, object reprs carry memory addresses and widget views random model ids; the run
    times are kept in manifest.json instead, so a diff of two reports shows only real changes.
    """
    import nbformat

    nb = nbformat.read(path, as_version=4)
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
    nbformat.write(nb, path)


def _run_notebook(job: _Job) -> _Result:
    """Execute one notebook with papermill, then export it; failures are returned, not raised."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    result = _Result(name=job.name, ok=False, started=_now())
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            job.input_path,
            job.executed_path,
            parameters=job.parameters,
            kernel_name=job.kernel_name,
            cwd=job.cwd,
            progress_bar=False,
            log_output=False,
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
        result.finished = _now()
        with contextlib.suppress(OSError, ValueError):
            normalise_executed(Path(job.executed_path))
    try:
        result.title = export_html(
            Path(job.executed_path),
            Path(job.html_path),
            report_title=job.report_title,
            source_dir=Path(job.cwd),
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


def _worker_main(argv: Sequence[str]) -> int:
    """Entry point of a worker process: ``<job json> <result path>``."""
    _die_with_runner()
    job = _Job(**json.loads(argv[0]))
    result = _run_notebook(job)
    Path(argv[1]).write_text(json.dumps(asdict(result), ensure_ascii=False), encoding="utf-8")
    return 0


_WORKER_CODE = (
    "import sys\n"
    "from uppfoljning.run.runner import _worker_main\n"
    "sys.exit(_worker_main(sys.argv[1:]))"
)


def _start_worker(job: _Job) -> tuple[subprocess.Popen[bytes], Path]:
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


def _execute_all(
    jobs: Sequence[_Job], workers: int, progress: Callable[[str], None]
) -> dict[str, _Result]:
    """Run each job in its own process, at most ``workers`` at a time; report as they go."""
    results: dict[str, _Result] = {}
    pending = list(jobs)
    running: dict[str, tuple[subprocess.Popen[bytes], Path, _Job]] = {}
    try:
        while pending or running:
            while pending and len(running) < workers:
                job = pending.pop(0)
                progress(f"startar {job.name}")
                process, result_path = _start_worker(job)
                running[job.name] = (process, result_path, job)
            done = [name for name, (process, _, _) in running.items() if process.poll() is not None]
            if not done:
                time.sleep(0.05)
                continue
            for name in done:
                process, result_path, job = running.pop(name)
                try:
                    result = _Result(**json.loads(result_path.read_text(encoding="utf-8")))
                    result_path.unlink()
                except (OSError, ValueError, TypeError):
                    result = _Result(name, False)
                    result.failure = {
                        "stage": "körning",
                        "ename": "Processfel",
                        "evalue": f"arbetsprocessen avslutades med kod {process.returncode}",
                    }
                results[name] = result
                if result.ok:
                    progress(f"klar {name} ({formatting.format_number(result.duration, 1)} s)")
                else:
                    f = result.failure
                    progress(
                        f"FEL i {name} ({formatting.format_number(result.duration, 1)} s): "
                        f"{f.get('ename')}: {f.get('evalue')}"
                    )
    except BaseException:
        _stop([process for process, _, _ in running.values()])
        raise
    return results


def _keep_failed(
    out_dir: Path,
    period: str,
    staging: Path,
    results: dict[str, _Result],
    order: Sequence[str],
    previous_report: Path | None,
) -> NotebookFailed:
    """Move failed notebooks and their logs to <period>-misslyckad/ and build the exception."""
    failed_dir = out_dir / f"{period}{FAILED_SUFFIX}"
    _rmtree(failed_dir)
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


_OUTPUT_KINDS = {"tables": ".csv", "headlines": ".json"}
_OUTPUT_LABELS = {"tables": "Tabellen", "headlines": "Nyckeltalet"}


def _plain_name(value: object) -> bool:
    """A file name stem from a manifest that is safe to join to a report directory."""
    return (
        isinstance(value, str)
        and value not in {"", ".", ".."}
        and "/" not in value
        and "\\" not in value
        and "\0" not in value
    )


def _previous_entries(final: Path) -> list[dict[str, Any]]:
    """The notebook entries of the published report's manifest, in report order."""
    try:
        manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
        entries = manifest["notebooks"]
        valid = isinstance(entries, list) and all(
            isinstance(e, dict)
            and isinstance(e.get("name"), str)
            and _NAME_RE.fullmatch(e["name"]) is not None
            for e in entries
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        valid = False
    if not valid:
        raise ReportError(
            f"Den tidigare rapporten i {final} saknar en läsbar manifest.json, så det går inte att "
            "veta vilka notebooks den innehåller. Kör alla periodens notebooks i stället."
        )
    unique: dict[str, dict[str, Any]] = {}
    for entry in entries:
        unique.setdefault(entry["name"], entry)
    return list(unique.values())


_OLD_TIME_KEYS = ("started", "finished", "duration_seconds")


def _previous_times(final: Path) -> dict[str, Any]:
    """Run times per notebook from the published manifest (``tider.notebooks``)."""
    with contextlib.suppress(OSError, ValueError, KeyError, TypeError, AttributeError):
        manifest = json.loads((final / "manifest.json").read_text(encoding="utf-8"))
        times = manifest["tider"]["notebooks"]
        if isinstance(times, dict):
            return times
    return {}


def _owned(entry: dict[str, Any], kind: str) -> list[str] | None:
    """The table ids or headline keys a manifest entry says its notebook wrote (None: unknown)."""
    names = entry.get(kind)
    if not isinstance(names, list) or not all(_plain_name(n) for n in names):
        return None
    return names


def _start_from_previous(
    final: Path, staging: Path, rerun: Sequence[str], period: str
) -> tuple[list[dict[str, Any]], dict[tuple[str, str], str]]:
    """Copy the published report into ``staging`` without what the re-run notebooks own.

    Returns the previous manifest's notebook entries (in report order) and the owner of every
    table and headline of the notebooks that are kept, keyed by ("tables"|"headlines", name).
    """
    entries = _previous_entries(final)
    shutil.copytree(final, staging, symlinks=True)
    for derived in ("index.html", "manifest.json", f"uppfoljning_{period}.xlsx"):
        _rmtree(staging / derived)
    owners: dict[tuple[str, str], str] = {}
    for entry in entries:
        name = entry["name"]
        for kind, suffix in _OUTPUT_KINDS.items():
            for item in _owned(entry, kind) or []:
                if name in rerun:
                    _rmtree(staging / kind / f"{item}{suffix}")
                else:
                    owners[(kind, item)] = name
        if name in rerun:
            _rmtree(staging / f"{name}.html")
            _rmtree(staging / "executed" / f"{name}.ipynb")
    return entries, owners


def _merge_outputs(
    staging: Path, names: Sequence[str], owners: dict[tuple[str, str], str]
) -> dict[str, dict[str, list[str]]]:
    """Move each notebook's tables and headlines from utdata/<name>/ into the report.

    ``owners`` holds the tables and headlines of kept notebooks and is extended with the new
    ones; a name written by two notebooks is an error. Returns, per notebook, the table ids and
    headline keys (file names without suffix, sorted) it wrote.
    """
    produced: dict[str, dict[str, list[str]]] = {}
    for name in names:
        source = staging / "utdata" / name
        found: dict[str, list[str]] = {kind: [] for kind in _OUTPUT_KINDS}
        unexpected: list[str] = []
        kinds = list(_OUTPUT_KINDS)
        files = [
            path.relative_to(source)
            for path in source.rglob("*")
            if not path.is_dir() or path.is_symlink()
        ]
        files.sort(key=lambda r: (kinds.index(r.parts[0]) if r.parts[0] in kinds else 2, r))
        for relative in files:
            path = source / relative
            kind = relative.parts[0] if len(relative.parts) == 2 else ""
            if kind not in _OUTPUT_KINDS or path.suffix != _OUTPUT_KINDS[kind]:
                unexpected.append(relative.as_posix())
                continue
            owner = owners.get((kind, path.stem))
            if owner is not None:
                raise ReportOutputError(
                    f"{_OUTPUT_LABELS[kind]} {path.stem} skrivs av både {owner} och {name}. "
                    "Varje tabell och varje nyckeltal ska komma från en enda notebook."
                )
            owners[(kind, path.stem)] = name
            os.replace(path, staging / kind / path.name)
            found[kind].append(path.stem)
        if unexpected:
            raise ReportOutputError(
                f"Notebooken {name} skrev filer som inte hör till rapporten i output_dir: "
                f"{', '.join(unexpected[:10])}. Bara tables/<id>.csv och headlines/<nyckel>.json "
                "tas med."
            )
        produced[name] = found
    shutil.rmtree(staging / "utdata")
    return produced


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
) -> RunSummary:
    """Execute ``notebooks`` for ``period`` and publish them as ``out_dir/period``.

    With ``keep_others`` the other notebooks of the previous report of the period (if any) are
    kept, see the module docstring; otherwise the report holds exactly ``notebooks``.

    Raises NotebookFailed (after all notebooks have run) if any notebook fails or cannot be
    exported, ReportOutputError if a table or headline file breaks the contract, ReportLocked if
    the period is already being run, ReportError if ``keep_others`` meets a previous report
    without a readable manifest, ValueError/FileNotFoundError for bad arguments. In every error
    case the previous report of the period is left exactly as it was.
    """
    _check_period(period)
    names = list(notebooks)
    if not names:
        raise ValueError("Inga notebooks att köra.")
    if len(set(names)) != len(names):
        raise ValueError(f"Samma notebook anges flera gånger: {names}")
    for name in names:
        if not _NAME_RE.fullmatch(name) or name.lower() == "index":
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
    }
    clash = sorted(reserved & set(manifest_extra))
    if clash:
        raise ValueError(f"manifest_extra använder nycklar som runnern själv skriver: {clash}")
    workers = jobs if jobs is not None else min(len(names), os.cpu_count() or 1)
    if workers < 1:
        raise ValueError(f"jobs måste vara minst 1, inte {workers}.")
    workers = min(workers, len(names))
    kernel = kernel_name or _default_kernel()
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
        started = _now()
        try:
            previous: list[dict[str, Any]] = []
            owners: dict[tuple[str, str], str] = {}
            previous_times: dict[str, Any] = {}
            if keep_others and previous_report is not None:
                previous, owners = _start_from_previous(final, staging, names, period)
                previous_times = _previous_times(final)
            order = [e["name"] for e in previous]
            order += [n for n in names if n not in order]
            kept = {e["name"]: e for e in previous if e["name"] not in names}
            for sub in ("executed", "tables", "headlines", "logg"):
                (staging / sub).mkdir(parents=True, exist_ok=True)
            job_list = []
            for name in names:
                output_dir = staging / "utdata" / name
                for sub in _OUTPUT_KINDS:
                    (output_dir / sub).mkdir(parents=True)
                parameters = {
                    "period": period,
                    "params_file": str(params_file),
                    "data_dir": str(data_dir),
                    "output_dir": str(output_dir),
                }
                job_list.append(
                    _Job(
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
            progress(f"Kör {count} för {label} med kärnan {kernel}, {workers} åt gången.")
            if kept:
                progress(f"Behåller {', '.join(kept)} från den tidigare rapporten.")
            results = _execute_all(job_list, workers, progress)
            if not all(r.ok for r in results.values()):
                raise _keep_failed(out_dir, period, staging, results, names, previous_report)

            produced = _merge_outputs(staging, names, owners)
            tables = _collect_tables(staging)
            headlines = _collect_headlines(staging)
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
            write_workbook(tables, staging / xlsx, title=f"{title} – tabeller")
            _write_index(
                staging,
                title=title,
                notebooks=[(n, titles[n]) for n in order],
                headlines=headlines,
                tables=list(tables),
                xlsx=xlsx,
                demo=bool(manifest_extra.get("demodata")),
            )
            shutil.rmtree(staging / "logg")
            entries: list[dict[str, Any]] = []
            times: dict[str, Any] = {}
            for n in order:
                if n in kept:
                    entry = {k: v for k, v in kept[n].items() if k not in _OLD_TIME_KEYS}
                    entries.append({**entry, "from_previous_run": True})
                    times[n] = previous_times.get(n) or {
                        k: v for k, v in kept[n].items() if k in _OLD_TIME_KEYS
                    }
                    continue
                entries.append(
                    {
                        "name": n,
                        "title": results[n].title,
                        "source": _relative(notebooks_dir / f"{n}.ipynb", final),
                        "executed": f"executed/{n}.ipynb",
                        "html": f"{n}.html",
                        "tables": produced[n]["tables"],
                        "headlines": produced[n]["headlines"],
                        "from_previous_run": False,
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
                # The only run-specific field: two identical runs differ here and nowhere else.
                "tider": {"started": started, "finished": _now(), "notebooks": times},
            }
            (staging / "manifest.json").write_text(
                json.dumps(manifest, ensure_ascii=False, indent=2, default=str) + "\n",
                encoding="utf-8",
            )
            _swap_in(staging, final)
        finally:
            _rmtree(staging)
        _rmtree(out_dir / f"{period}{FAILED_SUFFIX}")

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
        kept=tuple(kept),
    )
