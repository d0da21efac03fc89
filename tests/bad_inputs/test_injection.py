"""Injection: text from the data is shown as text, never run; workbook text is never a formula.

A `<script>` or `<img onerror>` in a ledger text, a row label, a code name or a comment must
reach the page escaped (visible as text, no live tag); a cell starting with =, +, -, @, tab or
CR must be a string in the workbook, not a formula. Most cases are unit-level (styled(),
Markdown, export_html on a small notebook, write_workbook on a CSV); one case runs the economy
notebook on spoiled inputs.
"""

from __future__ import annotations

import csv
import re
import shutil
import zipfile
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from IPython.core.formatters import DisplayFormatter
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from openpyxl import load_workbook

from uppfoljning.data.config import load_code_names, load_structure
from uppfoljning.economy.drilldown import largest_lines
from uppfoljning.economy.report import EconomyReport
from uppfoljning.present.html import export_html
from uppfoljning.present.report import Markdown, open_period
from uppfoljning.present.safety import UnsafeHtmlError, check_html
from uppfoljning.present.tables import styled
from uppfoljning.present.workbook import write_workbook
from uppfoljning.run.cli import main

from .files import economy_only

ROOT = Path(__file__).resolve().parents[2]
PERIOD = "2024-08"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
ESCAPED = {
    SCRIPT: "&lt;script&gt;alert(1)&lt;/script&gt;",
    IMG: "&lt;img src=x onerror=alert(1)&gt;",
}
PAYLOADS = [pytest.param(SCRIPT, id="script"), pytest.param(IMG, id="img_onerror")]


class _Live(HTMLParser):
    """What in a page could run: script elements, on*= attributes, javascript: URLs."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.found.append("<script>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}=")
            if value and re.sub(r"\s", "", value).lower().startswith("javascript:"):
                self.found.append(f"{tag} {name}={value}")


def live(page: str) -> list[str]:
    parser = _Live()
    parser.feed(page)
    return parser.found


def bundle(obj: object) -> dict[str, str]:
    """The mime bundle IPython's display() would publish for `obj` (what nbconvert renders)."""
    data, _ = DisplayFormatter().format(obj)
    return data


def exported(tmp_path: Path, *bundles: dict[str, str], name: str = "sida") -> str:
    """Export a notebook whose only code cell displays `bundles`; return the page."""
    outputs = [new_output("display_data", data=b) for b in bundles]
    cells = [new_markdown_cell("# Rubrik"), new_code_cell("x", outputs=outputs)]
    nbformat.write(new_notebook(cells=cells), tmp_path / f"{name}.ipynb")
    export_html(tmp_path / f"{name}.ipynb", tmp_path / f"{name}.html")
    return (tmp_path / f"{name}.html").read_text(encoding="utf-8")


def _params_copy(tmp_path: Path) -> Path:
    target = tmp_path / "params"
    shutil.copytree(ROOT / "params", target)
    return target


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path.name}: {old!r} saknas"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _comment_with(params: Path, text: str) -> None:
    _replace(
        params / "kommentarer" / f"{PERIOD}.md",
        "## Analys och kommentar\n",
        f"## Analys och kommentar\n\n{text}\n\n",
    )


def _code_names_with(params: Path, payload: str) -> None:
    """Every account's name in kodnamn.yaml gets `payload` in front."""
    path = params / "kodnamn.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["konto"] = {code: f"{payload} {name}" for code, name in data["konto"].items()}
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _set_ledger_text(raw: Path, prefix: str, texts: tuple[str, ...]) -> None:
    """Set the `text` of every 2024 ledger line of verksamhet `prefix*`, taking `texts` in turn
    (encoding and CRLF kept)."""
    path = raw / "huvudbok_2024.csv"
    data = path.read_bytes()
    bom = data.startswith(b"\xef\xbb\xbf")
    encoding = "utf-8-sig" if bom else "utf-8"
    newline = "\r\n" if b"\r\n" in data else "\n"
    lines = data.decode(encoding).rstrip("\r\n").split(newline)
    header = lines[0].split(";")
    col_verksamhet, col_text = header.index("verksamhet"), header.index("text")
    changed = 0
    for number, line in enumerate(lines[1:], start=1):
        cells = line.split(";")
        if len(cells) == len(header) and cells[col_verksamhet].startswith(prefix):
            cells[col_text] = texts[changed % len(texts)]
            lines[number] = ";".join(cells)
            changed += 1
    assert changed, "no ledger line changed"
    path.write_bytes((newline.join(lines) + newline).encode(encoding))


# --------------------------------------------------------------------------- one report run

# Distinct payloads per source, so each can be found in the page.
RUN_LABEL = "<script>alert(101)</script>"
RUN_CODE_NAME = "<img src=x onerror=alert(102)>"
RUN_COMMENT = "<script>alert(103)</script> **fet** [klicka](javascript:alert(104))"
RUN_FORMULA_LABEL = '=HYPERLINK("http://x","y")'


@pytest.fixture(scope="module")
def spoiled_run(tmp_path_factory, demo_data) -> Path:
    """The economy notebook run on inputs with HTML and formulas in every free-text field."""
    tmp = tmp_path_factory.mktemp("injektion")
    shutil.copytree(demo_data / "raw", tmp / "data" / "raw")
    params = _params_copy(tmp)
    economy_only(params, PERIOD)
    structure = params / "rapportstruktur_2024.yaml"
    _replace(
        structure, "rad: 100 - Nämnd och styrelseverksamhet", f'rad: "100 - Nämnd {RUN_LABEL}"'
    )
    _replace(structure, "rad: 130 - Övrig politisk verksamhet", "rad: '" + RUN_FORMULA_LABEL + "'")
    _code_names_with(params, RUN_CODE_NAME)
    _comment_with(params, RUN_COMMENT)
    _set_ledger_text(tmp / "data" / "raw", "569", (SCRIPT, IMG))
    out = tmp / "reports"
    code = main(
        [
            "run",
            PERIOD,
            "--only",
            "ekonomi",
            "--data",
            str(tmp / "data"),
            "--out",
            str(out),
            "--params",
            str(params / f"{PERIOD}.yaml"),
        ]
    )
    assert code == 0, "a report with HTML in its texts is published, escaped"
    return tmp


def test_report_run_shows_every_text_as_text(spoiled_run: Path) -> None:
    report = spoiled_run / "reports" / PERIOD
    page = (report / "ekonomi.html").read_text(encoding="utf-8")
    assert live(page) == []
    assert "&lt;script&gt;alert(101)&lt;/script&gt;" in page  # row label, in the tables
    assert "&lt;img src=x onerror=alert(102)&gt;" in page  # code name, in the drill-down
    assert "&lt;script&gt;alert(103)&lt;/script&gt; <strong>fet</strong>" in page  # comment
    assert '<a href="#">klicka</a>' in page and "javascript:" not in page
    assert live((report / "index.html").read_text(encoding="utf-8")) == []

    with zipfile.ZipFile(report / f"uppfoljning_{PERIOD}.xlsx") as xlsx:
        sheets = [n for n in xlsx.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not [n for n in sheets if b"<f>" in xlsx.read(n)]
    sheet = load_workbook(report / f"uppfoljning_{PERIOD}.xlsx")["driftsammandrag_period"]
    labels = {c.value: c for c in sheet["A"]}
    cell = labels["'" + RUN_FORMULA_LABEL]
    assert cell.data_type == "s" and cell.quotePrefix
    # The CSV is the contract and keeps the exact text; only the workbook gets the prefix.
    with open(report / "tables" / "driftsammandrag_period.csv", encoding="utf-8") as fh:
        assert RUN_FORMULA_LABEL in [row["rad"] for row in csv.DictReader(fh)]
    # The copy for Swedish Excel protects it as the workbook does.
    copy = report / "excel" / "driftsammandrag_period.csv"
    with open(copy, encoding="utf-8-sig", newline="") as fh:
        labels = [row["rad"] for row in csv.DictReader(fh, delimiter=";")]
    assert "'" + RUN_FORMULA_LABEL in labels and RUN_FORMULA_LABEL not in labels


# --------------------------------------------------------------------------- sources → page


def _table_cell(payload: str, tmp_path: Path, request) -> object:
    frame = pd.DataFrame({"rad": [payload, "Summa"], "utfall": [1e6, 2e6]})
    return styled(frame, table_id="t")


def _header_and_caption(payload: str, tmp_path: Path, request) -> object:
    frame = pd.DataFrame({"rad": ["Rad"], "utfall": [1e6]})
    return styled(frame, table_id="t", headers={"utfall": payload}, caption=payload)


def _formatted_cell(payload: str, tmp_path: Path, request) -> object:
    """A formatter that passes unknown values through (as `SEX_LABELS.get(v, v)` does)."""
    frame = pd.DataFrame({"rad": ["Rad"], "kon": [payload]})
    return styled(frame, table_id="t", formats={"kon": lambda v: {"K": "Kvinnor"}.get(v, v)})


def _row_label(payload: str, tmp_path: Path, request) -> object:
    """A label from params/rapportstruktur_*.yaml, in a table and in a Markdown heading."""
    params = _params_copy(tmp_path)
    path = params / "rapportstruktur_2024.yaml"
    _replace(path, "rad: 569 - Barn och ungdomsvård", f'rad: "569 - {payload}"')
    label = next(r.label for r in load_structure(path).rows if r.id == "569")
    frame = pd.DataFrame({"rad": [label], "utfall": [1e6]})
    return [styled(frame, table_id="t"), Markdown(f"### {label} per konto")]


def _code_name(payload: str, tmp_path: Path, request) -> object:
    """A name from params/kodnamn.yaml, as the drill-down shows it."""
    params = _params_copy(tmp_path)
    _code_names_with(params, payload)
    names = load_code_names(params / "kodnamn.yaml")
    frame = pd.DataFrame({"rad": [names.label("konto", "4611")], "utfall": [1e6]})
    return styled(frame, table_id="fordjupning")


def _comment(payload: str, tmp_path: Path, request) -> object:
    """A controller's comment (params/kommentarer/<period>.md) under its heading."""
    params = _params_copy(tmp_path)
    _comment_with(params, f"Text med {payload} mitt i.")
    ctx = open_period(PERIOD, params_file=params / f"{PERIOD}.yaml", data_dir=tmp_path)
    return ctx.comment("Analys och kommentar")


def _ledger_text(payload: str, tmp_path: Path, request) -> object:
    """The largest ledger lines of a row, as the drill-down explorer displays them."""
    tmp = request.getfixturevalue("spoiled_run")
    ctx = open_period(
        PERIOD, params_file=tmp / "params" / f"{PERIOD}.yaml", data_dir=tmp / "data" / "processed"
    )
    lines = largest_lines(EconomyReport.open(ctx), "569", n=20)
    lines = lines[lines["text"] == payload]
    assert len(lines), "the spoiled ledger texts reach the drill-down"
    return lines


SOURCES: dict[str, Callable[..., object]] = {
    "tabellcell": _table_cell,
    "kolumnrubrik_och_tabelltext": _header_and_caption,
    "formaterad_cell": _formatted_cell,
    "radetikett": _row_label,
    "kodnamn": _code_name,
    "kommentar": _comment,
    "huvudbokstext": _ledger_text,
}


@pytest.mark.parametrize("payload", PAYLOADS)
@pytest.mark.parametrize("source", list(SOURCES))
def test_text_from_data_reaches_the_page_as_text(source, payload, tmp_path, request) -> None:
    shown = SOURCES[source](payload, tmp_path, request)
    items = shown if isinstance(shown, list) else [shown]
    page = exported(tmp_path, *(bundle(item) for item in items))
    assert live(page) == []
    assert ESCAPED[payload] in page


# --------------------------------------------------------------------------- Markdown


@pytest.mark.parametrize(
    ("markdown", "present", "absent"),
    [
        pytest.param(
            "**fet**, *kursiv*, R&D",
            ["<strong>fet</strong>", "<em>kursiv</em>", "R&amp;D"],
            [],
            id="formatering_kvar",
        ),
        pytest.param("- en\n- två\n\n> citat", ["<li>en</li>", "<blockquote>"], [], id="listor"),
        pytest.param(
            "[a](https://example.org) [b](mailto:x@example.org) [c](#rubrik)",
            ['href="https://example.org"', 'href="mailto:x@example.org"', 'href="#rubrik"'],
            [],
            id="tillatna_lankar",
        ),
        pytest.param(
            "[a](javascript:alert(1))", ['<a href="#">a</a>'], ["javascript"], id="javascript_lank"
        ),
        pytest.param(
            "[a](JaVa&#x53;cript&#58;alert(1))",
            ['<a href="#">a</a>'],
            [],
            id="javascript_med_entiteter",
        ),
        pytest.param(
            "[a][r]\n\n[r]: javascript:alert(1)",
            ['<a href="#">a</a>'],
            [],
            id="javascript_referens",
        ),
        pytest.param(
            "[a](data:text/html;base64,PHNjcmlwdD4=)",
            ['<a href="#">a</a>'],
            ["data:text"],
            id="data_lank",
        ),
        pytest.param(
            '<a href="javascript:alert(1)">a</a>',
            ["&lt;a href="],
            ["<a href", "javascript:"],
            id="html_lank",
        ),
        pytest.param(
            "<!-- dold --><svg onload=alert(1)>",
            ["&lt;svg onload=alert(1)&gt;"],
            ["<svg"],
            id="svg_onload",
        ),
    ],
)
def test_markdown_keeps_formatting_but_no_html_or_script_links(
    markdown: str, present: list[str], absent: list[str], tmp_path: Path
) -> None:
    page = exported(tmp_path, bundle(Markdown(markdown)))
    body = page[page.index('data-mime-type="text/markdown"') :]
    assert live(page) == []
    for fragment in present:
        assert fragment in body
    for fragment in absent:
        assert fragment not in body


def test_markdown_text_is_never_fetched_or_read_as_a_file(tmp_path: Path) -> None:
    """IPython's own Markdown downloads a string starting with "http" and reads a file path."""
    secret = tmp_path / "hemlig.txt"
    secret.write_text("hemligt", encoding="utf-8")
    assert Markdown("https://example.org/sida").data == "https://example.org/sida"
    assert Markdown(str(secret)).data == str(secret)


# --------------------------------------------------------------------------- last defence


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(SCRIPT, id="script"),
        pytest.param(IMG, id="img_onerror"),
        pytest.param('<a href=" jav&#x61;script:alert(1)">a</a>', id="javascript_href"),
        pytest.param('<iframe src="sida.html"></iframe>', id="iframe"),
        pytest.param('<a href="data:text/html,x">a</a>', id="data_href"),
    ],
)
def test_export_refuses_a_page_with_live_content(html: str, tmp_path: Path) -> None:
    """A regression that lets unescaped HTML through stops the export, in Swedish."""
    with pytest.raises(UnsafeHtmlError, match="kunna köras i läsarens webbläsare"):
        exported(tmp_path, {"text/html": f"<p>{html}</p>", "text/plain": "x"})
    assert not (tmp_path / "sida.html").exists()


def test_last_defence_accepts_what_reports_legitimately_contain() -> None:
    page = (
        '<html><head><meta charset="utf-8"><style>td {color: red}</style></head><body>'
        '<a href="#rubrik">i</a> <a href="https://example.org">u</a> '
        '<a href="tables/x.csv">t</a> <img alt="Bild" src="data:image/png;base64,iVBO"/>'
        "<p>onerror=alert(1) &lt;script&gt; javascript: som text</p></body></html>"
    )
    check_html(page, "sida.html")


# --------------------------------------------------------------------------- workbook

FORMULAS = [
    pytest.param('=HYPERLINK("http://x","y")', id="hyperlink"),
    pytest.param("=cmd|' /C calc'!A0", id="dde"),
    pytest.param("+1+1", id="plus"),
    pytest.param("-1+1", id="minus_not_a_number"),
    pytest.param("@SUM(A1)", id="at"),
    pytest.param("\t=1+1", id="tab"),
    pytest.param("\r=1+1", id="cr"),
]


@pytest.mark.parametrize("text", FORMULAS)
def test_workbook_text_is_never_a_formula(text: str, tmp_path: Path) -> None:
    table = tmp_path / "t.csv"
    with open(table, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n", quoting=csv.QUOTE_ALL).writerows(
            [["rad", "kommentar", text], [text, text, "-12.5"], ["Summa", "", "-3"]]
        )
    target = tmp_path / "t.xlsx"
    write_workbook({"t": table}, target)

    with zipfile.ZipFile(target) as xlsx:
        xml = xlsx.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "<f>" not in xml and "<f " not in xml
    sheet = load_workbook(target)["t"]
    for ref in ("C1", "A2", "B2"):  # header, first column, a text cell
        cell = sheet[ref]
        assert cell.data_type == "s" and cell.quotePrefix, ref
        assert cell.value.startswith("'") and cell.value[1:].strip() == text.strip(), ref
    # Genuine negative numbers stay numbers.
    assert sheet["C2"].value == -12.5 and sheet["C2"].data_type == "n"
    assert sheet["C3"].value == -3 and sheet["C3"].data_type == "n"
    assert sheet["A3"].value == "Summa" and not sheet["A3"].quotePrefix


def test_workbook_error_lookalike_is_text(tmp_path: Path) -> None:
    """openpyxl would write "#N/A" as an error value; it is a text like any other."""
    table = tmp_path / "t.csv"
    table.write_text("rad,status\n#N/A,#DIV/0!\n", encoding="utf-8")
    write_workbook({"t": table}, tmp_path / "t.xlsx")
    sheet = load_workbook(tmp_path / "t.xlsx")["t"]
    assert [(c.value, c.data_type) for c in sheet[2]] == [("#N/A", "s"), ("#DIV/0!", "s")]
