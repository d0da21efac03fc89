"""The period's workbook: every table of the report as a sheet of one xlsx file.

Numbers become typed cells (where that does not change them), every other cell is text and
never a formula, and equal tables give equal bytes: the zip entries and the document
properties carry fixed dates.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from uppfoljning.present import safety

__all__ = ["write_workbook"]

# Zip entries and workbook properties get fixed dates so that equal tables give equal bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_WORKBOOK_DATE = datetime(2000, 1, 1)

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
