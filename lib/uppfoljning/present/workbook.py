"""The period's workbook and the Excel copies of the tables.

The workbook (`uppfoljning_PERIOD.xlsx`) is what a controller hands over: a contents sheet
("Innehåll") linking every table, and per table the page's Swedish column headers, a unit row,
numbers stored as numbers (the CSV's kronor at full precision) with number formats that show
them as the page does (mnkr, tkr, percent, counts), sum rows bold and a frozen header. The
layout comes from the table's view (`views/<id>.json`, what `ReportContext.publish` writes); a
table without one (an older report's, a kept notebook's) gets a plain sheet of the CSV.

`write_excel_copies` writes `excel/<id>.csv`: the same tables as `tables/` for Swedish Excel
(`;`, decimal comma, UTF-8 with BOM), since Excel in a Swedish locale reads `tables/`' comma-
separated decimal-point files as one column of text.

No text cell is a formula in either (`safety.set_text_cell`, `safety.excel_text`), and equal
tables give equal bytes: the zip entries and the document properties carry fixed dates.
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from uppfoljning.present import safety
from uppfoljning.present.formatting import NBSP, UNIT_DIVISORS, format_number

__all__ = [
    "CONTENTS_SHEET",
    "EXCEL_DIR",
    "TABLE_TITLES",
    "load_view",
    "table_title",
    "write_excel_copies",
    "write_workbook",
]

CONTENTS_SHEET = "Innehåll"
EXCEL_DIR = "excel"  # the report's folder of Excel copies, beside tables/

# Zip entries and workbook properties get fixed dates so that equal tables give equal bytes.
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_WORKBOOK_DATE = datetime(2000, 1, 1)

_NUMBER_RE = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_INT_RE = re.compile(r"-?(?:0|[1-9]\d*)")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# A display cell as `present.formatting` writes it: `-1 880,9`, `25,8 %`.
_SHOWN_NUMBER_RE = re.compile(r"-?(?:\d{1,3}(?:\u00a0\d{3})*|\d+)(?:,(\d+))?(\u00a0%)?")
# Tried in this order when a formatted cell's scale is not given by its kind.
_SCALES = (1, 1_000, 1_000_000)
_NUMERIC_KINDS = frozenset({"amount", "percent", "number", "formatted"})
_MAX_WIDTH = 60
_HEADER_WIDTH = 22  # longer headers wrap rather than widen a column of short numbers
_UNIT_LABELS = {"percent": "%"}

# The contents sheet's title of each table the suite publishes (README "Tables"), used when
# the view carries no title of its own; a table not listed shows its caption or its id.
TABLE_TITLES = {
    "ekonomi_oversikt": "Ekonomisk översikt: nettokostnad och investeringar",
    "driftsammandrag_period": "Driftsammandrag för perioden",
    "driftsammandrag_prognos": "Driftsammandrag för helåret",
    "prognosforandring": "Prognosen mot föregående prognos",
    "prognosjamforelse": "Prognosen mot beräknade prognoser",
    "prognostraffsakerhet": "Prognosträffsäkerhet",
    "budgetversioner": "Årets budgetversioner",
    "budget_och_plan": "Budget och plan",
    "investeringar": "Investeringar per projekt",
    "atgardsplan": "Åtgärdsplan per område",
    "atgardsplan_atgarder": "Åtgärdsplanens åtgärder",
    "ej_klassificerat": "Ej klassificerat per kod",
    "forandring_sedan_forra": "Förändring sedan förra rapporten",
    "volymer": "Volymer",
    "personal": "Personal",
    "namndindikatorer": "Nämndindikatorer",
    "namndmal_bedomning": "Nämndmålen: bedömning",
    "hvb_nyckeltal": "HVB-placeringar: nyckeltal",
    "hvb_varddygn": "Vårddygn och individer",
    "hvb_varddygn_manad": "Vårddygn per månad",
    "hvb_dygnskostnad": "Kostnad och dygnskostnad",
    "hvb_pris_volym": "Kostnadsförändring: volym, mix och pris",
    "hvb_r12": "Rullande tolv månader",
    "hvb_avtal": "Placeringar per avtalsform",
    "hvb_individer": "Placerade individer per månad",
    "hvb_in_ut": "Nya och avslutade placeringar per månad",
    "hvb_langd": "Placeringarnas längd",
    "hvb_prognos": "Prognos för placeringarna",
    "hvb_prognos_jamforelse": "Placeringsprognosen mot huvudbokens prognos",
    "hvb_avstamning": "Registret mot huvudboken per månad",
    "r9_jamforelse": "R9-jämförelse: värden per kommun",
    "r9_mal": "R9-jämförelse: mål och skillnad mot snittet",
    "r9_gap": "R9-jämförelse: skillnad mot snittet i kronor",
    "r9_rang": "R9-jämförelse: rang",
    "r9_placeringar": "Placerade barn och kostnad per placerat barn",
    "r9_nedbrytning": "Kostnad för placerade barn: volym- och priseffekt",
    "r9_kon": "R9-jämförelse per kön",
    "r9_kontroll": "R9-snittet mot Koladas gruppvärde",
}
_DRILLDOWN_RE = re.compile(r"fordjupning_(.+)_konto")


def table_title(table_id: str, view: Mapping[str, Any] | None) -> str:
    """The table's title in the contents sheet: the view's own, the suite's, caption, or id."""
    own = str((view or {}).get("title") or "")
    if own:
        return own
    if table_id in TABLE_TITLES:
        return TABLE_TITLES[table_id]
    drilldown = _DRILLDOWN_RE.fullmatch(table_id)
    if drilldown:
        return f"Fördjupning per konto: rad {drilldown.group(1).replace('_', ' ')}"
    return str((view or {}).get("caption") or "") or table_id


def _cell_value(text: str, first_column: bool) -> str | int | float | None:
    """CSV text to a typed cell: numbers become numbers unless that would change them."""
    if text == "":
        return None
    if first_column or not _NUMBER_RE.fullmatch(text):
        return text
    return int(text) if _INT_RE.fullmatch(text) else float(text)


def _sheet_names(table_ids: Sequence[str], reserved: Sequence[str] = ()) -> list[str]:
    taken = {n.lower() for n in reserved}
    names: list[str] = []
    for table_id in table_ids:
        base = _SHEET_FORBIDDEN.sub("_", table_id)[:31] or "tabell"
        candidate, number = base, 2
        while candidate.lower() in taken:
            suffix = f"~{number}"
            candidate, number = base[: 31 - len(suffix)] + suffix, number + 1
        taken.add(candidate.lower())
        names.append(candidate)
    return names


def _read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def load_view(path: Path | None, header: Sequence[str], rows: int) -> dict[str, Any] | None:
    """The table's view when it describes this CSV (same columns, same number of rows).

    A missing, unreadable or stale view gives None, and the table a plain sheet: the CSV is
    the contract, the view only how it is shown.
    """
    if path is None or not path.is_file():
        return None
    try:
        view = json.loads(path.read_text(encoding="utf-8"))
        names = [c["name"] for c in view["columns"]]
        cells = [r["cells"] for r in view["rows"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        return None
    if names != list(header) or len(cells) != rows or any(len(c) != len(names) for c in cells):
        return None
    return view


# --------------------------------------------------------------------------- number formats


@dataclass(frozen=True)
class _Shown:
    """How a number is shown: decimals, scale (1, 1 000 = tkr, 1 000 000 = mnkr), percent."""

    decimals: int
    scale: int = 1
    percent: bool = False
    grouping: bool = True  # False for a year: 2015, not 2 015

    @property
    def number_format(self) -> str:
        """An Excel number format code: `,` and `.` are the file's neutral separators, shown
        with the reader's own (space and comma in Swedish); each trailing `,` divides by 1 000.
        """
        code = ("#,##0" if self.grouping else "0") + (
            "." + "0" * self.decimals if self.decimals else ""
        )
        code += "," * {1: 0, 1_000: 1, 1_000_000: 2}[self.scale]
        return code + ('" %"' if self.percent else "")

    def text(self, value: float) -> str:
        shown = format_number(value / self.scale, self.decimals)
        if not self.grouping:
            shown = shown.replace(NBSP, "")
        return f"{shown}{NBSP}%" if self.percent and shown else shown


def _shown(value: float, text: str, kind: str, unit: str) -> _Shown | None:
    """The format under which `value` displays as `text` (the page's cell), or None.

    The view says how a column is shown; the cell's own text is checked against it, so a
    formatter the view cannot describe (a count per thousand, a key figure whose unit varies
    by row) still gets the format that shows what the page shows, or stays text.
    """
    match = _SHOWN_NUMBER_RE.fullmatch(text)
    if match is None:
        return None
    decimals = len(match.group(1) or "")
    percent = match.group(2) is not None
    first = int(UNIT_DIVISORS.get(unit, 1)) if kind == "amount" else 1
    # Ungrouped (a year) only where the view says the column is a number: in a text column
    # "2015" or "1280" is more likely a label or a code, and stays text.
    for grouping in (True, False) if kind in _NUMERIC_KINDS else (True,):
        for scale in dict.fromkeys((first, *_SCALES)):
            candidate = _Shown(decimals, scale, percent, grouping)
            if candidate.text(value) == text:
                return candidate
    return None


# --------------------------------------------------------------------------- sheets


def _plain_sheet(sheet: Any, rows: list[list[str]]) -> None:
    """Today's sheet of a table without a view: CSV header bold, typed numbers, frozen header."""
    from openpyxl.styles import Font

    bold = Font(bold=True)
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
    _set_widths(sheet, widths)
    if rows:
        sheet.freeze_panes = "B2"


def _set_widths(sheet: Any, widths: Mapping[int, int]) -> None:
    from openpyxl.utils import get_column_letter

    for col_number, width in widths.items():
        letter = get_column_letter(col_number)
        sheet.column_dimensions[letter].width = min(width + 2, _MAX_WIDTH)


def _unit_text(column: Mapping[str, Any], unit: str) -> str:
    kind = column.get("kind")
    if kind == "amount":
        return unit
    return _UNIT_LABELS.get(str(kind), "")


def _view_sheet(sheet: Any, rows: list[list[str]], view: Mapping[str, Any]) -> None:
    """Headers from the view, a unit row, numbers with the page's display, levels styled.

    Row 1 holds the Swedish headers, row 2 the unit of each column, the table starts in row 3;
    both and the row labels stay in view when scrolling. A caption (a source) follows the table.
    """
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    columns = view["columns"]
    unit = str(view.get("unit") or "")
    numeric = [c.get("kind") in _NUMERIC_KINDS for c in columns]
    header_fill = PatternFill("solid", fgColor="E7EDF3")
    thin, strong = Side(style="thin", color="888888"), Side(style="medium", color="333333")
    widths: dict[int, int] = {}

    def fit(col: int, text: str, cap: int = _MAX_WIDTH) -> None:
        widths[col] = max(widths.get(col, 0), min(len(text), cap))

    for col, column in enumerate(columns, start=1):
        label = str(column.get("label") or column["name"])
        cell = sheet.cell(row=1, column=col)
        safety.set_text_cell(cell, label)
        cell.font = Font(bold=True)
        cell.fill = header_fill
        cell.alignment = Alignment(
            wrap_text=True, vertical="bottom", horizontal="right" if numeric[col - 1] else "left"
        )
        fit(col, label, _HEADER_WIDTH if col > 1 else _MAX_WIDTH)
        unit_cell = sheet.cell(row=2, column=col)
        safety.set_text_cell(unit_cell, "Enhet" if col == 1 else _unit_text(column, unit))
        unit_cell.font = Font(italic=True, color="5B6168")
        unit_cell.alignment = Alignment(horizontal="right" if numeric[col - 1] else "left")
        unit_cell.border = Border(bottom=thin)

    for index, (raw, shown) in enumerate(zip(rows[1:], view["rows"], strict=True)):
        row_number = index + 3
        level = str(shown.get("level") or "rad")
        for col, (text, display) in enumerate(zip(raw, shown["cells"], strict=True), start=1):
            cell = sheet.cell(row=row_number, column=col)
            display = str(display)
            fit(col, display)
            if display == "":
                pass  # shown empty on the page (missing, or suppressed): empty here too
            elif col > 1 and _NUMBER_RE.fullmatch(text):
                # A count column that also holds "<5" is text in the view: its numbers are
                # still numbers when they show as the page shows them (a year, 2015, does not).
                value = float(text)
                how = _shown(value, display, str(columns[col - 1].get("kind")), unit)
                if how is None:
                    safety.set_text_cell(cell, display)
                    if numeric[col - 1]:
                        cell.alignment = Alignment(horizontal="right")
                else:
                    cell.value = int(text) if _INT_RE.fullmatch(text) else value
                    cell.number_format = how.number_format
            else:
                safety.set_text_cell(cell, display)  # never a formula (OWASP)
                if numeric[col - 1]:
                    cell.alignment = Alignment(horizontal="right")  # "<5" among counts
            if level in ("summa", "total"):
                cell.font = Font(bold=True)
                cell.border = Border(top=strong if level == "total" else thin)
            elif level == "varav":
                cell.font = Font(italic=True)
                if col == 1:
                    cell.alignment = Alignment(indent=1)
    caption = str(view.get("caption") or "")
    if caption:
        note = sheet.cell(row=len(rows) + 3, column=1)
        safety.set_text_cell(note, caption)
        note.font = Font(italic=True, color="5B6168")
    _set_widths(sheet, {c: max(w, 6) for c, w in widths.items()})
    sheet.freeze_panes = "B3"
    # Printed: landscape, one page wide, headers and units repeated on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = "1:2"


def _contents_sheet(
    sheet: Any, title: str, entries: Sequence[tuple[str, str, str]], has_views: bool
) -> None:
    """Sheet name (a link to the sheet), the table's title and its unit, one row per table."""
    from openpyxl.styles import Font
    from openpyxl.worksheet.hyperlink import Hyperlink

    safety.set_text_cell(sheet.cell(row=1, column=1), title or "Tabeller")
    sheet.cell(row=1, column=1).font = Font(bold=True, size=14)
    headers = ("Blad", "Tabell", "Enhet")
    for col, text in enumerate(headers, start=1):
        cell = sheet.cell(row=3, column=col)
        safety.set_text_cell(cell, text)
        cell.font = Font(bold=True)
    widths = {col: len(text) for col, text in enumerate(headers, start=1)}
    for row_number, (sheet_name, table_title, unit) in enumerate(entries, start=4):
        link = sheet.cell(row=row_number, column=1)
        safety.set_text_cell(link, sheet_name)
        quoted = sheet_name.replace("'", "''")
        link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!A1")
        link.font = Font(color="1D4F7A", underline="single")
        safety.set_text_cell(sheet.cell(row=row_number, column=2), table_title)
        safety.set_text_cell(sheet.cell(row=row_number, column=3), unit)
        for col, text in enumerate((sheet_name, table_title, unit), start=1):
            widths[col] = max(widths[col], len(text))
    if entries and has_views:
        note = sheet.cell(row=len(entries) + 5, column=1)
        safety.set_text_cell(
            note,
            "Beloppen är lagrade i kronor med full precision och visas i tabellens enhet; "
            "samma tabeller finns som CSV-filer i mappen tables/ (och excel/ för svensk Excel).",
        )
        note.font = Font(italic=True, color="5B6168")
    _set_widths(sheet, widths)
    sheet.freeze_panes = "A4"


def _contents_unit(view: Mapping[str, Any] | None) -> str:
    if view is None:
        return ""
    kinds = {c.get("kind") for c in view["columns"]}
    parts = [str(view.get("unit") or "")] if "amount" in kinds else []
    if "percent" in kinds:
        parts.append("procent")
    return ", ".join(p for p in parts if p)


def write_workbook(
    tables: dict[str, Path],
    target: Path,
    *,
    title: str = "",
    views: Mapping[str, Path] | None = None,
) -> None:
    """A contents sheet, then one sheet per table (sorted by id); byte-deterministic.

    ``views`` maps table ids to their `views/<id>.json`; a table with a matching view gets the
    page's headers and number formats, one without a plain sheet of the CSV. Every text cell is
    a string cell, never a formula (`safety.set_text_cell`).
    """
    from openpyxl import Workbook
    from openpyxl.xml.functions import tostring

    workbook = Workbook()
    workbook.remove(workbook.active)
    ids = sorted(tables)
    names = _sheet_names(ids, reserved=(CONTENTS_SHEET,))
    contents = workbook.create_sheet(CONTENTS_SHEET) if ids else None
    entries: list[tuple[str, str, str]] = []
    found_views = False
    for table_id, sheet_name in zip(ids, names, strict=True):
        sheet = workbook.create_sheet(sheet_name)
        rows = _read_csv(tables[table_id])
        view = None
        if rows:
            view = load_view((views or {}).get(table_id), rows[0], len(rows) - 1)
        if view is None:
            _plain_sheet(sheet, rows)
        else:
            _view_sheet(sheet, rows, view)
            found_views = True
        entries.append((sheet_name, table_title(table_id, view), _contents_unit(view)))
    if contents is not None:
        _contents_sheet(contents, title, entries, found_views)
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


# --------------------------------------------------------------------------- Excel copies


def _excel_cell(text: str, first_column: bool) -> str:
    """A CSV cell for Swedish Excel: numbers with decimal comma, texts never a formula."""
    if not first_column and _NUMBER_RE.fullmatch(text):
        # Fixed notation: Excel reads neither `1e-06` nor a decimal point in a Swedish locale.
        plain = format(Decimal(text), "f")
        return plain.replace(".", ",")
    return safety.excel_text(text)


def write_excel_copies(tables: Mapping[str, Path], directory: Path) -> dict[str, Path]:
    """`directory/<id>.csv` per table: `;`, decimal comma, UTF-8 with BOM, CRLF.

    The folder is derived from `tables/` and rebuilt whole every run, so a table that is no
    longer in the report leaves no copy behind. Values and column names are the CSV's; a text
    that Excel would read as a formula gets a leading `'`, as in the workbook.
    """
    if directory.exists() or directory.is_symlink():
        if directory.is_dir() and not directory.is_symlink():
            shutil.rmtree(directory)
        else:
            directory.unlink()
    directory.mkdir(parents=True)
    written: dict[str, Path] = {}
    for table_id in sorted(tables):
        rows = _read_csv(tables[table_id])
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        for number, row in enumerate(rows):
            if number == 0:
                writer.writerow([safety.excel_text(t) for t in row])
            else:
                writer.writerow([_excel_cell(t, i == 0) for i, t in enumerate(row)])
        target = directory / f"{table_id}.csv"
        target.write_bytes(out.getvalue().encode("utf-8-sig"))
        written[table_id] = target
    return written
