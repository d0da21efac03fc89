"""The JupyterLab explorer of a driftsammandrag row: widgets, its chart and its xlsx export.

A controller picks a row, a month range and up to three dimensions in the order they want
them; the table (outcome beside periodised budget and last year), the chart and the largest
lines follow every change. The figures come from `economy.drilldown` (DuckDB over the ledger's
Parquet file), so a change costs a few filtered scans, not a pass of pandas over all lines.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from uppfoljning.economy import drilldown
from uppfoljning.economy.report import EconomyReport
from uppfoljning.present import plots
from uppfoljning.present.formatting import format_amount, format_percent
from uppfoljning.present.safety import escape_html, set_text_cell

LEVELS = 3  # dimension dropdowns: "per", "sedan per", "sedan per"
SHOWN_PARTS = 40  # table rows shown; the export holds all of them
CHART_PARTS = 12
HEADERS = {
    "utfall": "Utfall",
    "budget": "Budget",
    "avvikelse": "Avvikelse",
    "utfall_foregaende_ar": "Utfall föregående år",
    "andel": "Andel, %",
}
LINE_HEADERS = {
    "period": "Månad",
    "ansvar": "Ansvar",
    "verksamhet": "Verksamhet",
    "konto": "Konto",
    "motpart": "Motpart",
    "belopp": "Belopp",
    "text": "Text",
    "fil": "Fil",
    "rad_i_filen": "Rad i filen",
}
STYLE = """<style>
.uf-explorer-scroll { overflow-x: auto; max-width: 100%; }
.uf-explorer-scroll table { border-collapse: collapse; font-size: 12px; }
.uf-explorer-scroll th, .uf-explorer-scroll td { padding: 2px 8px; border-bottom: 1px solid #ddd; }
.uf-explorer-scroll td.num { text-align: right; white-space: nowrap; }
.uf-explorer-scroll td.neg { color: #b3261e; }
</style>"""


@dataclass
class View:
    """What the explorer shows for one selection: the breakdown and the largest lines."""

    row_id: str
    row_label: str
    start: str
    end: str
    dims: list[str]
    parts: pd.DataFrame
    lines: pd.DataFrame

    @property
    def title(self) -> str:
        per = ", ".join(drilldown.DIMENSION_LABELS[d].lower() for d in self.dims)
        return f"{self.row_label}, {self.start}–{self.end}, per {per}"


def compute_view(
    eko: EconomyReport, row_id: str, start: str, end: str, dims: list[str], n_lines: int = 10
) -> View:
    """The breakdown and largest lines of one selection (what the widgets and export show)."""
    labels = eko.period_table()["rad"]
    label = str(labels.get(row_id, row_id))
    parts = drilldown.breakdown(eko, row_id, by=dims, start=start, end=end)
    lines = drilldown.largest_lines(eko, row_id, n=n_lines, start=start, end=end)
    return View(row_id, label, start, end, dims, parts, lines)


def _part_label(eko: EconomyReport, dim: str, code: object) -> str:
    if dim == "period":
        return str(code)
    if dim == "motpart":
        return str(code) or "(ingen motpart)"
    return eko.code_names.label(dim, str(code)) if code else "(kod saknas)"


def _html_table(columns: list[str], rows: list[list[tuple[str, bool]]]) -> str:
    """A table of escaped data text; (text, numeric) cells, negative numbers in red."""
    head = "".join(f"<th>{escape_html(c)}</th>" for c in columns)
    body = []
    for row in rows:
        cells = []
        for text, numeric in row:
            cls = ("num neg" if text.startswith("-") else "num") if numeric else ""
            cells.append(f'<td class="{cls}">{escape_html(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'{STYLE}<div class="uf-explorer-scroll"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div>"
    )


def parts_html(eko: EconomyReport, view: View, limit: int = SHOWN_PARTS) -> str:
    """The breakdown as an HTML table in the report's unit (code names are escaped data)."""
    decimals = 0 if eko.unit == "tkr" else 1
    quantities = [q for q in HEADERS if q in view.parts]
    columns = [drilldown.DIMENSION_LABELS[d] for d in view.dims]
    columns += [f"{HEADERS[q]}, {eko.unit}" if q != "andel" else HEADERS[q] for q in quantities]
    rows = []
    for _, part in view.parts.head(limit).iterrows():
        cells = [(_part_label(eko, d, part[d]), False) for d in view.dims]
        for q in quantities:
            value = part[q]
            if pd.isna(value):
                cells.append(("", True))
            elif q == "andel":
                cells.append((format_percent(value), True))
            else:
                cells.append((format_amount(value, eko.unit, decimals), True))
        rows.append(cells)
    total = view.parts[[q for q in quantities if q != "andel"]].sum(min_count=1)
    summary = [("Summa", False)] + [("", False)] * (len(view.dims) - 1)
    for q in quantities:
        value = total.get(q, np.nan)
        text = "" if pd.isna(value) else format_amount(value, eko.unit, decimals)
        summary.append((text, True))
    rows.append(summary)
    note = ""
    if len(view.parts) > limit:
        note = f"<p>Visar de {limit} första av {len(view.parts)} delarna; exporten har alla.</p>"
    if "motpart" in view.dims:
        note += "<p>Budgeten är inte fördelad per motpart.</p>"
    return f"<h4>{escape_html(view.title)}</h4>" + _html_table(columns, rows) + note


def lines_html(eko: EconomyReport, view: View) -> str:
    if view.lines.empty:
        return ""
    columns = [LINE_HEADERS[c] for c in view.lines.columns]
    rows = [
        [
            (format_amount(v, "kr", 0) if c == "belopp" else str(v), c == "belopp")
            for c, v in line.items()
        ]
        for _, line in view.lines.iterrows()
    ]
    return f"<h4>Största enskilda rader ({len(view.lines)} st)</h4>" + _html_table(columns, rows)


COLORS = {
    "utfall": plots.PALETTE[0],
    "budget": plots.PALETTE[4],
    "utfall_foregaende_ar": plots.PALETTE[1],
}
SERIES = {"utfall": "Utfall", "budget": "Budget", "utfall_foregaende_ar": "Föregående år"}


def _grouped(draw, positions: np.ndarray, data: pd.DataFrame, quantities: list[str]) -> None:
    """One bar per quantity side by side at each position (`draw` is bar or barh; for barh the
    first quantity goes on top, so the offsets run downwards)."""
    width = 0.8 / len(quantities)
    step = -width if draw.__name__ == "barh" else width
    for i, q in enumerate(quantities):
        offset = (i - (len(quantities) - 1) / 2) * step
        draw(positions + offset, data[q], width, color=COLORS[q], label=SERIES[q])


def chart(eko: EconomyReport, view: View) -> Figure:
    """Outcome, budget and last year per part of the first dimension: months in order as
    grouped columns, other dimensions as horizontal bars with the largest parts at the top.

    Margins come from the label sizes instead of tight_layout, which draws the figure once
    more (a third of an update's time).
    """
    plots.apply_style()
    first = view.dims[0]
    quantities = [q for q in SERIES if q in view.parts]
    data = view.parts.groupby(first, sort=False)[quantities].sum(min_count=1)
    if "motpart" in view.dims:  # no budget per motpart
        quantities = [q for q in quantities if q != "budget"]
    width = plots.STYLE["figure.figsize"][0]
    if first == "period":
        data = data.sort_index()
        fig = Figure(figsize=(width, 3.6))
        ax = fig.add_subplot()
        _grouped(ax.bar, np.arange(len(data)), data, quantities)
        many = len(data) > 8
        ax.set_xticks(
            np.arange(len(data)),
            list(data.index),
            rotation=45 if many else 0,
            ha="right" if many else "center",
        )
        ax.yaxis.set_major_formatter(plots.amount_axis(eko.unit, 0))
        ax.set_ylabel(eko.unit)
        ax.axhline(0, color="#333333", linewidth=0.6)
        left, bottom = 70, 75 if many else 45
    else:
        data = data.head(CHART_PARTS).iloc[::-1]
        labels = [plots.wrap_label(_part_label(eko, first, c), 36) for c in data.index]
        fig = Figure(figsize=(width, 0.42 * len(data) + 1.4))
        ax = fig.add_subplot()
        _grouped(ax.barh, np.arange(len(data)), data, quantities)
        ax.set_yticks(np.arange(len(data)), labels)
        ax.xaxis.set_major_formatter(plots.amount_axis(eko.unit, 0))
        ax.grid(axis="x", color="#dddddd")
        ax.grid(axis="y", visible=False)
        ax.set_xlabel(eko.unit)
        ax.axvline(0, color="#333333", linewidth=0.6)
        longest = max((len(line) for label in labels for line in label.split("\n")), default=4)
        left, bottom = 18 + 7.8 * longest, 45  # DejaVu Sans 10 pt: under 7,8 px a character
    # The heading above the table names row, months and dimensions; the legend sits above the
    # axes so that it never hides a bar.
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=len(quantities), fontsize=8)
    height, width_px = fig.get_figheight() * fig.dpi, fig.get_figwidth() * fig.dpi
    fig.subplots_adjust(
        left=left / width_px, right=0.97, bottom=bottom / height, top=1 - 32 / height
    )
    return fig


def chart_png(fig: Figure) -> bytes:
    """PNG bytes in one draw: the margins are set, so no `bbox_inches="tight"` pass (which
    `plots.figure_png` needs for charts laid out by matplotlib, and which doubles the time)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def export_name(view: View) -> str:
    row = re.sub(r"[^0-9A-Za-z_-]+", "_", view.row_id)
    dims = "_".join(view.dims)
    return f"utforskaren_{row}_{view.start}_{view.end}_{dims}.xlsx"


def export_xlsx(eko: EconomyReport, view: View, target: Path) -> Path:
    """The view as a workbook: the breakdown (kronor, full precision) and the largest lines.

    Every text cell goes through `set_text_cell`, so a code name or line text starting with
    `=` stays text.
    """
    from openpyxl import Workbook

    wb = Workbook()
    sheets = [("Fördelning", view.parts), ("Största rader", view.lines)]
    for i, (title, frame) in enumerate(sheets):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = title
        set_text_cell(ws.cell(1, 1), f"{view.title} (kronor)")
        headers = {**{d: drilldown.DIMENSION_LABELS[d] for d in drilldown.DIMENSIONS}, **HEADERS}
        headers |= {
            f"{d}_namn": f"{drilldown.DIMENSION_LABELS[d]}, namn" for d in drilldown.DIMENSIONS
        }
        headers |= LINE_HEADERS if frame is view.lines else {}
        for c, column in enumerate(frame.columns, start=1):
            set_text_cell(ws.cell(3, c), headers.get(column, column))
        for r, values in enumerate(frame.itertuples(index=False), start=4):
            for c, value in enumerate(values, start=1):
                cell = ws.cell(r, c)
                if isinstance(value, str):
                    set_text_cell(cell, value)
                elif value is not None and not pd.isna(value):
                    cell.value = float(value) if isinstance(value, float | np.floating) else value
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return target


class Explorer:
    """The widgets; display it in a notebook cell (`uf.drilldown.explorer(eko)`)."""

    def __init__(self, eko: EconomyReport, *, export_dir: Path | None = None) -> None:
        import ipywidgets as widgets

        self.eko = eko
        self.export_dir = Path(export_dir) if export_dir else default_export_dir(eko)
        table = eko.period_table()
        self.labels = {i: str(label) for i, label in table["rad"].items()}
        self._lines_key: tuple | None = None
        self._lines = pd.DataFrame()
        options = [
            (str(r["rad"]), i)
            for i, r in table.iterrows()
            if r["_niva"] in {"rad", "summa", "total"}
        ]
        periods = drilldown.available_periods(eko)
        year = eko.params.period[:4]
        start = f"{year}-01" if f"{year}-01" in periods else periods[0]
        end = eko.params.period if eko.params.period in periods else periods[-1]
        layout = widgets.Layout(width="auto")
        self.row = widgets.Dropdown(
            options=options, value=eko.largest_deviation_rows(1)[0], description="Rad"
        )
        self.start = widgets.Dropdown(
            options=periods, value=start, description="Från", layout=layout
        )
        self.end = widgets.Dropdown(options=periods, value=end, description="Till", layout=layout)
        choices = [("–", "")] + [(drilldown.DIMENSION_LABELS[d], d) for d in drilldown.DIMENSIONS]
        self.levels = [
            widgets.Dropdown(
                options=choices if i else choices[1:],
                value="konto" if i == 0 else "",
                description="Per" if i == 0 else "sedan",
                layout=layout,
            )
            for i in range(LEVELS)
        ]
        self.lines = widgets.BoundedIntText(
            value=10,
            min=0,
            max=200,
            description="Största rader",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="170px"),
        )
        self.export_button = widgets.Button(
            description="Exportera till Excel", icon="download", layout=widgets.Layout(width="auto")
        )
        self.export_path = widgets.HTML()
        self.message = widgets.HTML()
        self.table = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.largest = widgets.HTML()
        for w, cls in [
            (self.table, "uf-explorer-table"),
            (self.image, "uf-explorer-chart"),
            (self.largest, "uf-explorer-lines"),
            (self.export_path, "uf-explorer-export"),
            (self.message, "uf-explorer-message"),
        ]:
            w.add_class(cls)
        for w in (self.row, self.start, self.end, self.lines, *self.levels):
            w.observe(self.refresh, names="value")
        self.export_button.on_click(lambda _: self.export())
        self.widget = widgets.VBox(
            [
                widgets.HBox(
                    [self.row, self.start, self.end], layout=widgets.Layout(flex_flow="row wrap")
                ),
                widgets.HBox(
                    [*self.levels, self.lines], layout=widgets.Layout(flex_flow="row wrap")
                ),
                widgets.HBox([self.export_button, self.export_path]),
                self.message,
                self.table,
                self.image,
                self.largest,
            ]
        )
        self.widget.add_class("uf-explorer")
        self.view: View | None = None
        self.refresh(lines=False)  # the lines come when the widgets are shown

    @property
    def dims(self) -> list[str]:
        """The chosen dimensions in level order, each once."""
        return list(dict.fromkeys(w.value for w in self.levels if w.value))

    def refresh(self, *_: object, lines: bool = True) -> None:
        """Recompute the view and redraw table and chart, then the largest lines (called on
        every change). Each widget's new value reaches the browser as it is set, so table and
        chart show before the lines' scan of the ledger has finished."""
        if self.start.value > self.end.value:
            self.message.value = "<b>Från-månaden ligger efter till-månaden.</b>"
            return
        self.message.value = ""
        self.export_path.value = ""
        row, start, end = self.row.value, self.start.value, self.end.value
        parts = drilldown.breakdown(self.eko, row, by=self.dims, start=start, end=end)
        current = self._lines if self._lines_key == self._key() else self._lines.iloc[:0]
        self.view = View(row, self.labels[row], start, end, self.dims, parts, current)
        self.table.value = parts_html(self.eko, self.view)
        self.image.value = chart_png(chart(self.eko, self.view))
        if lines:
            self.refresh_lines()

    def _key(self) -> tuple:
        return (self.row.value, self.start.value, self.end.value, self.lines.value)

    def refresh_lines(self) -> None:
        """The largest lines of the selection (they do not depend on the dimensions, so a
        change of dimension reuses them)."""
        if self.view is None or self.start.value > self.end.value:
            return
        if self._lines_key != self._key():
            row, start, end, n = self._key()
            self._lines = drilldown.largest_lines(self.eko, row, n=n, start=start, end=end)
            self._lines_key = self._key()
        self.view.lines = self._lines
        self.largest.value = lines_html(self.eko, self.view)

    def export(self) -> Path:
        """Write the current view to an xlsx file in `export_dir` and show its path."""
        self.refresh_lines()
        assert self.view is not None
        path = export_xlsx(self.eko, self.view, self.export_dir / export_name(self.view))
        self.export_path.value = f"Sparad: <code>{escape_html(str(path))}</code>"
        return path

    def _ipython_display_(self) -> None:
        """Show the widgets (table and chart are ready), then fetch the largest lines."""
        from IPython.display import display

        display(self.widget)
        self.refresh_lines()


def default_export_dir(eko: EconomyReport) -> Path:
    """`reports/utforskaren/` of the project (data/processed → project), outside any period."""
    return Path(eko.data_dir).resolve().parent.parent / "reports" / "utforskaren"
