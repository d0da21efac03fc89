"""Errors that stop a report run; every message is meant for readers (Swedish)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "NotebookFailed",
    "NotebookFailure",
    "ReportError",
    "ReportLocked",
    "ReportOutputError",
]


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
