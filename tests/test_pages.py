"""The HTML pages for people: the start page's stylesheet, tables on a 390 px screen, alt text.

Small pages built directly (`write_index`, `export_html` on a one-cell notebook); the
browser checks of the finished report live with the Playwright tests.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
from IPython.core.formatters import DisplayFormatter
from matplotlib.figure import Figure
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from uppfoljning.present import plots
from uppfoljning.present.html import _stylesheet, export_html, write_index
from uppfoljning.present.safety import check_html
from uppfoljning.present.tables import styled


class _Structure(HTMLParser):
    """Each <table>'s enclosing elements, each <img>'s alt, and the <style> text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, str]] = []
        self.table_parents: list[tuple[str, str]] = []
        self.alts: list[str | None] = []
        self.style = ""
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table":
            self.table_parents.append(self.stack[-1] if self.stack else ("", ""))
        if tag == "img":
            self.alts.append(attributes.get("alt"))
            return
        if tag in {"meta", "br", "hr", "input", "link"}:
            return
        self._in_style = tag == "style"
        self.stack.append((tag, attributes.get("class") or ""))

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.style += data


def _structure(page: str) -> _Structure:
    parser = _Structure()
    parser.feed(page)
    return parser


def _png_bundle(fig: Figure) -> tuple[dict, dict]:
    """What IPython publishes for a figure with the suite's formatter (as apply_style sets)."""
    formatter = DisplayFormatter()
    formatter.formatters["image/png"].for_type(Figure, plots.figure_display)
    return formatter.format(fig, include=["image/png"])


def _export(tmp_path: Path, outputs: list, name: str = "sida") -> str:
    cells = [new_markdown_cell("# Rubrik"), new_code_cell("x", outputs=outputs)]
    nbformat.write(new_notebook(cells=cells), tmp_path / f"{name}.ipynb")
    export_html(tmp_path / f"{name}.ipynb", tmp_path / f"{name}.html")
    return (tmp_path / f"{name}.html").read_text(encoding="utf-8")


def _index(tmp_path: Path, *, excel: bool) -> str:
    report = tmp_path / "rapport"
    (report / "excel").mkdir(parents=True)
    if excel:
        (report / "excel" / "a.csv").write_text("rad\n", encoding="utf-8")
    write_index(
        report,
        title="Uppföljning augusti 2024",
        notebooks=[("ekonomi", "Ekonomi")],
        headlines=[
            {"key": "k", "label": "Nettokostnad", "text": "1 800,2 mnkr", "section": "Ekonomi"}
            | {"order": 1}
        ],
        tables=["a", "b"],
        xlsx="uppfoljning_2024-08.xlsx",
    )
    return (report / "index.html").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- start page


def test_start_page_has_the_analysis_pages_font_stack(tmp_path: Path) -> None:
    """Autoescaping turned the stylesheet's quotes into &#34; and the browser used Times."""
    page = _index(tmp_path, excel=True)
    style = _structure(page).style
    assert style.strip() == _stylesheet().strip()
    assert '"Segoe UI"' in page and "&#34;" not in page.split("</style>")[0]
    assert re.search(r"font-family:\s*system-ui,[^;]*sans-serif;", style)
    check_html(page, "index.html")


def test_start_page_tables_scroll_and_excel_copies_are_linked(tmp_path: Path) -> None:
    page = _index(tmp_path, excel=True)
    parents = _structure(page).table_parents
    assert parents and all(parent == ("div", "tabell") for parent in parents)
    assert 'href="tables/a.csv"' in page and 'href="excel/a.csv"' in page
    assert 'href="excel/b.csv"' not in page  # no copy written: no dead link
    assert "svensk Excel" in page
    assert "svensk Excel" not in _index(tmp_path / "utan", excel=False)


def test_stylesheet_scrolls_tables_not_the_page() -> None:
    css = _stylesheet()
    rule = re.search(r"\.tabell\s*\{([^}]*)\}", css)
    assert rule and "overflow-x: auto" in rule.group(1)
    narrow = re.search(r"@media \(max-width: 40rem\) \{(.*?)\n\}", css, re.S)
    assert narrow and "position: sticky" in narrow.group(1)
    # Nothing may be wider than a 390 px screen: no fixed widths beyond 20rem outside tables.
    widths = [float(w) for w in re.findall(r"(?<![-\w])(?:min-)?width:\s*([\d.]+)rem", css)]
    assert widths and max(widths) <= 20


# --------------------------------------------------------------------------- analysis pages


def test_every_table_on_a_page_is_in_a_scroll_container(tmp_path: Path) -> None:
    frame = pd.DataFrame({"rad": ["A", "B"], "utfall": [1e6, 2e6]})
    table = {"text/html": styled(frame, table_id="t").to_html()}
    markdown = {"text/markdown": "| a | b |\n|---|---|\n| 1 | 2 |\n"}
    nested = {"text/html": "<table><tr><td><table><tr><td>x</td></tr></table></td></tr></table>"}
    outputs = [new_output("display_data", data=d) for d in (table, markdown, nested)]
    page = _export(tmp_path, outputs)
    structure = _structure(page)
    assert len(structure.table_parents) == 4
    outer = [p for p in structure.table_parents if p != ("td", "")]
    assert len(outer) == 3 and all(p == ("div", "tabell") for p in outer)
    assert page.count('<div class="tabell">') == 3
    check_html(page, "sida.html")


def test_chart_alt_text_from_figure_metadata(tmp_path: Path) -> None:
    plots.apply_style()
    given = Figure()
    given.add_subplot().plot([1, 2])
    given._uppfoljning_alt = 'Avvikelse per rad: "569" <störst> & 513'
    titled = Figure()
    titled.add_subplot().set_title("Utfall mot\nbudget", loc="left")
    titled_center = Figure()
    titled_center.add_subplot().set_title("Mittrubrik")
    bare = Figure()
    bare.add_subplot().bar([1, 2], [3, 4])
    bundles = [_png_bundle(f) for f in (given, titled, titled_center, bare)]
    # IPython keeps a formatter's (data, metadata) pair: the alt is the output's metadata.
    assert bundles[0][1] == {"image/png": {"alt": given._uppfoljning_alt}}
    assert bundles[1][1] == {"image/png": {"alt": "Utfall mot budget"}}
    assert bundles[2][1] == {"image/png": {"alt": "Mittrubrik"}}
    assert bundles[3][1] == {} and bundles[3][0]["image/png"].startswith(b"\x89PNG")
    outputs = [  # as the kernel sends them: PNG bytes in base64
        new_output(
            "display_data",
            data={"image/png": base64.b64encode(d["image/png"]).decode()},
            metadata=m,
        )
        for d, m in bundles
    ]
    page = _export(tmp_path, outputs)
    alts = _structure(page).alts
    assert alts == [given._uppfoljning_alt, "Utfall mot budget", "Mittrubrik", "Diagram"]
    assert "&lt;störst&gt; &amp; 513" in page and "No description" not in page
    check_html(page, "sida.html")


def test_untitled_lines_are_described() -> None:
    fig = Figure()
    fig.add_subplot().plot([1, 2], label="Utfall")
    fig.axes[0].legend()
    assert plots.alt_text(fig) == "Linjer: Utfall."


def test_described_bars_show_the_axis_unit_not_kronor() -> None:
    table = pd.DataFrame({"rad": ["569 - Barn och unga", "513 - LSS"], "avvikelse": [-33.3e6, 2e6]})
    text = plots.describe(plots.deviation_bars(table, unit="mnkr"))
    assert "569 - Barn och unga -33" in text and "33\u00a0300\u00a0000" not in text


def test_untitled_heatmap_is_described() -> None:
    matrix = pd.DataFrame(
        [[1e6, -2e6, 3e5], [0.0, 5e5, -1e6]],
        index=["569 - Barn och unga", "513 - LSS"],
        columns=["2024-01", "2024-02", "2024-03"],
    )
    text = plots.alt_text(plots.deviation_heatmap(matrix))
    assert text.startswith("Värmekarta med 2 rader och kolumnerna jan–mar; färgen visar mnkr")
    assert text.endswith("Rader: 569 - Barn och unga, 513 - LSS.")


def test_suptitle_is_the_fallback_before_axes_titles() -> None:
    fig, axes = plots.panel_grid(2, 2.0, title="Rullande tolv månader")
    axes[0].set_title("Barn och unga")
    assert plots.alt_text(fig) == "Rullande tolv månader"
    assert plots.figure_display(fig)[1] == {"alt": "Rullande tolv månader"}
