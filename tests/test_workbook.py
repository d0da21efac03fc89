"""The workbook a controller hands over, and the Excel copies of the tables.

The tables are published as a notebook publishes them (`write_csv` and `table_view` from one
frame), then read back with openpyxl: contents sheet and its links, Swedish headers, unit row,
numbers stored as kronor with number formats that show what the page shows, bold sums, frozen
header. The Excel copies are parsed with `;` and decimal comma.
"""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from uppfoljning.data.config import LEVEL
from uppfoljning.present.formatting import NBSP
from uppfoljning.present.tables import number_format, percent_format, table_view, write_csv
from uppfoljning.present.workbook import (
    TABLE_TITLES,
    table_title,
    write_excel_copies,
    write_workbook,
)


def _publish(out: Path, table_id: str, frame: pd.DataFrame, **kwargs) -> None:
    """What `ReportContext.publish` writes: tables/<id>.csv and views/<id>.json."""
    write_csv(frame, out / "tables" / f"{table_id}.csv")
    view = table_view(frame, table_id=table_id, **kwargs)
    (out / "views").mkdir(parents=True, exist_ok=True)
    (out / "views" / f"{table_id}.json").write_text(json.dumps(view), encoding="utf-8")


def _files(out: Path, kind: str, suffix: str) -> dict[str, Path]:
    return {p.stem: p for p in sorted((out / kind).glob(f"*{suffix}"))}


def _shown(value: float, code: str) -> str:
    """How Excel or LibreOffice in a Swedish locale shows `value` under our number formats.

    Parses the code independently of the writer: `#,##0` groups thousands (shown with a space),
    `.0…` gives the decimals (shown with a comma), each trailing `,` divides by 1 000, a quoted
    literal is appended.
    """
    match = re.fullmatch(r'#,##0(?:\.(0+))?(,*)(?:"([^"]*)")?', code)
    assert match, f"unexpected number format {code!r}"
    decimals = len(match.group(1) or "")
    scaled = Decimal(repr(float(value))) / Decimal(1000) ** len(match.group(2))
    rounded = scaled.quantize(Decimal(1).scaleb(-decimals), rounding="ROUND_HALF_UP")
    text = f"{abs(rounded):,.{decimals}f}".replace(",", NBSP).replace(".", ",")
    text = ("-" if rounded < 0 else "") + text
    return text + (match.group(3) or "").replace(" ", NBSP)


@pytest.fixture
def report(tmp_path: Path) -> Path:
    out = tmp_path / "rapport"
    frame = pd.DataFrame(
        {
            "rad": ["569 - Barn och unga", "=Egen rad", "varav kostnader", "Summa", "Totalt"],
            "utfall": [1_880_949_000.4, -912_400.0, 45_050_000.0, 2_000_000.0, 1_234_567.0],
            "andel": [25.84, 3.0, float("nan"), 100.0, 12.35],
            "antal": [1234, 7, 0, 1241, 3],
            LEVEL: ["rad", "rad", "varav", "summa", "total"],
        }
    )
    _publish(
        out,
        "driftsammandrag_period",
        frame,
        headers={
            "rad": "Verksamhet",
            "utfall": "Utfall jan–aug",
            "andel": "Andel",
            "antal": "Antal",
        },
        formats={"andel": percent_format(1), "antal": number_format(0)},
        caption="Källa: huvudboken.",
    )
    tkr = pd.DataFrame({"rad": ["A", "B"], "kostnad": [876_521.7, -1_500.0]})
    _publish(out, "tabell_tkr", tkr, unit="tkr", headers={"kostnad": "Kostnad"})
    # A count column shown per thousand, and one with a suppressed count: formatters the view
    # can only call "formatted" or "text".
    odd = pd.DataFrame(
        {
            "rad": ["x", "y"],
            "per_tusen": [876_521.7, 910_000.0],
            "antal": ["<5", "46"],
            "ar": ["2015", "2016"],
        }
    )
    _publish(
        out,
        "udda",
        odd,
        formats={"per_tusen": lambda v: f"{round(v / 1000):d}"},
    )
    years = pd.DataFrame({"rad": ["x"], "ar": [2015]})
    _publish(out, "ar", years, formats={"ar": "{:d}"})
    # A table of an older report: CSV only.
    (out / "tables" / "gammal.csv").write_text("rad,utfall\nA,1.5\n", encoding="utf-8")
    return out


def _workbook(report: Path) -> Path:
    target = report / "uppfoljning.xlsx"
    write_workbook(
        _files(report, "tables", ".csv"),
        target,
        title="Uppföljning augusti 2024 – tabeller",
        views=_files(report, "views", ".json"),
    )
    return target


def test_contents_sheet_links_every_table(report: Path) -> None:
    workbook = load_workbook(_workbook(report))
    assert workbook.sheetnames == [
        "Innehåll",
        "ar",
        "driftsammandrag_period",
        "gammal",
        "tabell_tkr",
        "udda",
    ]
    contents = workbook["Innehåll"]
    assert contents["A1"].value == "Uppföljning augusti 2024 – tabeller"
    assert [c.value for c in contents[3]] == ["Blad", "Tabell", "Enhet"]
    rows = {row[0].value: row for row in contents.iter_rows(min_row=4, max_row=8)}
    assert set(rows) == set(workbook.sheetnames[1:])
    for name, row in rows.items():
        assert row[0].hyperlink.location == f"'{name}'!A1"
    assert rows["driftsammandrag_period"][1].value == "Driftsammandrag för perioden"
    assert rows["udda"][1].value == "udda"  # neither a title nor a caption
    assert rows["driftsammandrag_period"][2].value == "mnkr, procent"
    assert rows["tabell_tkr"][2].value == "tkr"
    assert rows["gammal"][1].value == "gammal"  # no view: the id


def test_table_sheet_shows_what_the_page_shows(report: Path) -> None:
    view = json.loads((report / "views" / "driftsammandrag_period.json").read_text("utf-8"))
    sheet = load_workbook(_workbook(report))["driftsammandrag_period"]
    assert [c.value for c in sheet[1]] == ["Verksamhet", "Utfall jan–aug", "Andel", "Antal"]
    assert [c.value for c in sheet[2]] == ["Enhet", "mnkr", "%", None]
    assert sheet.freeze_panes == "B3"
    assert sheet.print_title_rows == "$1:$2" and sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.fitToWidth == 1 and sheet.sheet_properties.pageSetUpPr.fitToPage
    assert all(c.font.b for c in sheet[1])
    with open(report / "tables" / "driftsammandrag_period.csv", encoding="utf-8") as fh:
        csv_rows = list(csv.reader(fh))[1:]
    for row_number, (raw, shown) in enumerate(zip(csv_rows, view["rows"], strict=True), 3):
        cells = sheet[row_number]
        for col, (cell, text, display) in enumerate(zip(cells, raw, shown["cells"], strict=True)):
            if col == 0:
                continue
            if display == "":
                assert cell.value is None
                continue
            # Kronor (or the percent, or the count) at full precision, displayed as on the page.
            assert cell.data_type == "n" and cell.value == pytest.approx(float(text))
            assert _shown(cell.value, cell.number_format) == display, (row_number, col)
    assert sheet["B3"].value == 1_880_949_000.4 and sheet["B3"].number_format == "#,##0.0,,"
    levels = [shown["level"] for shown in view["rows"]]
    for row_number, level in enumerate(levels, start=3):
        assert bool(sheet.cell(row=row_number, column=1).font.b) == (level in {"summa", "total"})
    assert sheet["A5"].font.i and sheet["A5"].alignment.indent == 1  # varav
    assert sheet["A4"].value == "'=Egen rad" and sheet["A4"].data_type == "s"
    assert sheet["A4"].quotePrefix
    assert sheet.cell(row=len(levels) + 4, column=1).value == "Källa: huvudboken."
    widths = {k: d.width for k, d in sheet.column_dimensions.items()}
    assert widths["A"] >= len("569 - Barn och unga") and widths["B"] >= len("1 880,9")


def test_other_formats_and_fallbacks(report: Path) -> None:
    workbook = load_workbook(_workbook(report))
    tkr = workbook["tabell_tkr"]
    assert [c.value for c in tkr[2]] == ["Enhet", "tkr"]
    assert tkr["B3"].number_format == "#,##0," and _shown(tkr["B3"].value, "#,##0,") == "877"
    assert _shown(tkr["B4"].value, tkr["B4"].number_format) == "-2"  # -1,5 tkr, half up
    odd = workbook["udda"]
    # Shown per thousand by the notebook's own formatter: the format scales the same way.
    assert (
        odd["B3"].value == 876_521.7 and _shown(odd["B3"].value, odd["B3"].number_format) == "877"
    )
    assert (odd["C3"].value, odd["C3"].data_type) == ("<5", "s")
    assert (odd["C4"].value, odd["C4"].data_type) == (46, "n")
    assert (odd["D3"].value, odd["D3"].data_type) == ("2015", "s")  # text in the CSV: text
    years = workbook["ar"]
    assert (years["B3"].value, years["B3"].number_format) == (2015, "0")  # not 2 015
    old = workbook["gammal"]
    assert [[c.value for c in row] for row in old.iter_rows()] == [["rad", "utfall"], ["A", 1.5]]
    assert old.freeze_panes == "B2"


def test_stale_view_falls_back_to_the_csv(report: Path) -> None:
    """A view from another version of the table (other columns) is not used."""
    (report / "tables" / "tabell_tkr.csv").write_text("rad,ny\nA,2\n", encoding="utf-8")
    sheet = load_workbook(_workbook(report))["tabell_tkr"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [["rad", "ny"], ["A", 2]]


def test_workbook_is_byte_deterministic(report: Path, tmp_path: Path) -> None:
    first = _workbook(report).read_bytes()
    assert _workbook(report).read_bytes() == first


def test_excel_copies_parse_with_semicolon_and_decimal_comma(report: Path) -> None:
    tables = _files(report, "tables", ".csv")
    folder = report / "excel"
    folder.mkdir()
    (folder / "borttagen.csv").write_text("stale", encoding="utf-8")
    written = write_excel_copies(tables, folder)
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.csv" for t in tables)
    assert set(written) == set(tables)
    data = (folder / "driftsammandrag_period.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    with open(folder / "driftsammandrag_period.csv", encoding="utf-8-sig", newline="") as fh:
        copy = list(csv.reader(fh, delimiter=";"))
    with open(tables["driftsammandrag_period"], encoding="utf-8", newline="") as fh:
        original = list(csv.reader(fh))
    assert copy[0] == original[0]
    for mine, theirs in zip(copy[1:], original[1:], strict=True):
        assert mine[0] == ("'" + theirs[0] if theirs[0].startswith("=") else theirs[0])
        for a, b in zip(mine[1:], theirs[1:], strict=True):
            assert "." not in a
            assert (a == b == "") or Decimal(a.replace(",", ".")) == Decimal(b)
    assert copy[1][1] == "1880949000,4"


def test_excel_copy_protects_formulas_not_negative_numbers(tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(
            [
                ["rad", "text", "belopp"],
                ["-5", "=HYPERLINK(1)", "-12.5"],
                ["@SUM(A1)", "+1;2", "1e-06"],
            ]
        )
    write_excel_copies({"t": table}, tmp_path / "excel")
    with open(tmp_path / "excel" / "t.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[1] == ["'-5", "'=HYPERLINK(1)", "-12,5"]
    assert rows[2] == ["'@SUM(A1)", "'+1;2", "0,000001"]


def test_every_documented_table_has_a_swedish_title() -> None:
    """README's table lists and the contents sheet's titles name the same tables."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Tables", 1)[1].split("### Charts", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9_]+)` \|", section, re.M))
    assert len(documented) >= 30
    assert documented == set(TABLE_TITLES)
    assert table_title("fordjupning_egen_regi_konto", None) == (
        "Fördjupning per konto: rad egen regi"
    )


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is not installed")
def test_libreoffice_in_swedish_shows_what_the_page_shows(report: Path, tmp_path: Path) -> None:
    """LibreOffice Calc in sv-SE, saving cells as shown, prints every figure as the page does
    (the number formats are locale-neutral in the file; en-US would show 1,880.9)."""
    workbook = _workbook(report)
    out = tmp_path / "visat"
    # Filter options: `;`, `"`, UTF-8, from row 1, -, sv-SE, quoted text, detect numbers,
    # save as shown, formulas no, no BOM, every sheet.
    options = "59,34,76,1,,1053,false,true,true,false,false,-1"
    env = {**os.environ, "HOME": str(tmp_path / "lo"), "LANG": "sv_SE.UTF-8"}
    subprocess.run(
        ["soffice", "--headless", "--convert-to", f"csv:Text - txt - csv (StarCalc):{options}"]
        + ["--outdir", str(out), str(workbook)],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    for table_id in ("driftsammandrag_period", "tabell_tkr", "udda", "ar"):
        view = json.loads((report / "views" / f"{table_id}.json").read_text("utf-8"))
        shown = out / f"{workbook.stem}-{table_id}.csv"
        with open(shown, encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh, delimiter=";"))
        assert rows[0] == [c["label"] for c in view["columns"]]
        for expected, row in zip(view["rows"], rows[2:], strict=False):
            cells = [c.replace("\u202f", NBSP).replace(" ", NBSP) for c in row]
            page = [c.replace(" ", NBSP) for c in expected["cells"]]
            assert cells[1:] == page[1:], table_id
