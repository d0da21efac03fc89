"""Publishing tables: a CSV per table (full precision) and a Swedish display version.

The CSV is the contract (`tables/<table_id>.csv`: UTF-8, comma, decimal point, first column
`rad`, kronor or counts), the display is for people (mnkr with decimal comma, sum rows bold,
"varav" rows indented, overspend in red). Both come from the same frame so they cannot differ.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from pandas.io.formats.style import Styler

from uppfoljning.data.config import LEVEL
from uppfoljning.present.formatting import format_amount, format_number, format_percent
from uppfoljning.present.safety import escape_html, escaped

NEGATIVE_RED = "color: #b3261e"


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write the exported columns only (no index, no `_`-columns), atomically."""
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    if not cols or cols[0] != "rad":
        raise ValueError(f"{path.name}: första kolumnen ska vara 'rad', är {cols[:1]}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    out = frame[cols].copy()
    for c in cols:
        if not pd.api.types.is_numeric_dtype(out[c]):
            # A bare CR inside a text is not quoted by the CSV writer and would split the row.
            out[c] = out[c].map(
                lambda v: v.replace("\r\n", "\n").replace("\r", "\n") if isinstance(v, str) else v
            )
        if pd.api.types.is_float_dtype(out[c]):
            # Sums of öre amounts carry binary noise (20883999.999999996); six decimals keep
            # full precision for kronor and percentages alike.
            out[c] = out[c].round(6)
    out.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n")
    os.replace(tmp, path)


def styled(
    frame: pd.DataFrame,
    *,
    table_id: str,
    headers: Mapping[str, str] | None = None,
    unit: str = "mnkr",
    formats: Mapping[str, Callable[[object], str]] | None = None,
    deviation_columns: tuple[str, ...] = ("avvikelse",),
    caption: str | None = None,
) -> Styler:
    """A Styler showing the frame in Swedish format; a stable uuid keeps the HTML byte-identical.

    Cells, headers and caption are HTML-escaped (`uppfoljning.present.safety`): labels and code
    names come from the data and are shown as text. Later `.format(...)` calls on the result should
    only format numbers, or wrap their formatter in `safety.escaped`.
    """
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    levels = frame[LEVEL] if LEVEL in frame else pd.Series("rad", index=frame.index)
    view = frame[cols].reset_index(drop=True)
    levels = levels.reset_index(drop=True)
    formats = {
        c: (lambda v, f=f: _cell_text(v, f, unit)) if isinstance(f, ColumnFormat) else f
        for c, f in _column_formats(view, cols, unit, formats).items()
    }
    # Every cell is HTML text: raw values escaped by Styler, formatted ones after formatting.
    style = view.style.format(na_rep="", escape="html").hide(axis="index")
    formatted = [c for c in cols if c in formats]
    if formatted:
        own = {c: escaped(formats[c]) for c in formatted}
        style = style.format(own, subset=formatted, na_rep="")
    style = style.set_uuid(table_id.replace("_", "-"))
    # Row labels are a controller's own names: the first column wraps within a readable width,
    # the figures never break (in JupyterLab as in the exported HTML).
    label_css = "white-space: normal; min-width: 12em; max-width: 28em"
    style = style.set_table_styles(
        [
            {"selector": "td.col0", "props": label_css},
            {"selector": "td:not(.col0)", "props": "white-space: nowrap"},
        ],
        overwrite=False,
    )

    def row_style(row: pd.Series) -> list[str]:
        level = levels.iloc[row.name]
        css = {
            "summa": "font-weight: 600; border-top: 1px solid #888",
            "total": "font-weight: 700; border-top: 2px solid #333",
            "varav": "font-style: italic",
        }.get(level, "")
        return [css] * len(row)

    style = style.apply(row_style, axis=1)
    style = style.map(
        lambda v: "padding-left: 1.5em" if isinstance(v, str) and v.startswith("varav") else "",
        subset=["rad"],
    )
    present = [c for c in deviation_columns if c in view]
    if present:
        style = style.map(
            lambda v: NEGATIVE_RED if isinstance(v, int | float) and v <= -50_000 else "",
            subset=present,
        )
    if headers:
        labels = [escape_html(headers.get(c, c)) for c in cols]
        style = style.relabel_index(labels, axis="columns")
    else:
        style = style.format_index(escape="html", axis="columns")
    if caption:
        style = style.set_caption(escape_html(caption))
    return style


@dataclass(frozen=True)
class ColumnFormat:
    """A column's display: the kind tells the workbook which number format to use."""

    kind: str  # "percent" | "number"
    decimals: int

    def __call__(self, value: object) -> str:
        if self.kind == "percent":
            return format_percent(value, self.decimals)  # type: ignore[arg-type]
        return format_number(value, self.decimals)  # type: ignore[arg-type]


def percent_format(decimals: int = 1) -> ColumnFormat:
    return ColumnFormat("percent", decimals)


def number_format(decimals: int = 0) -> ColumnFormat:
    return ColumnFormat("number", decimals)


def _column_formats(
    frame: pd.DataFrame, cols: list[str], unit: str, formats: Mapping[str, object] | None
) -> dict[str, object]:
    """Every shown column's formatter: the given ones, amounts in `unit` for other numbers."""
    out = dict(formats or {})
    decimals = 0 if unit in ("kr", "tkr") else 1  # tkr tables are whole thousands
    for c in cols[1:]:
        if c not in out and pd.api.types.is_numeric_dtype(frame[c]):
            out[c] = ColumnFormat("amount", decimals)
    return out


def _cell_text(value: object, formatter: object, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(formatter, ColumnFormat) and formatter.kind == "amount":
        return format_amount(value, unit, formatter.decimals)  # type: ignore[arg-type]
    if isinstance(formatter, str):
        return formatter.format(value)
    if callable(formatter):
        return str(formatter(value))
    return str(value)


def table_view(
    frame: pd.DataFrame,
    *,
    table_id: str,
    headers: Mapping[str, str] | None = None,
    unit: str = "mnkr",
    formats: Mapping[str, object] | None = None,
    caption: str | None = None,
) -> dict:
    """The table as people see it, as plain data: Swedish labels, unit, formatted cells, levels.

    Written beside the CSV (`views/<id>.json`) for the committee document and the workbook, so
    both show exactly what the analysis page shows. Text is not escaped here: each writer
    escapes for its own format.
    """
    cols = [c for c in frame.columns if not str(c).startswith("_")]
    view = frame.reset_index(drop=True)
    levels = view[LEVEL] if LEVEL in view else pd.Series("rad", index=view.index)
    shown = _column_formats(view, cols, unit, formats)
    columns = []
    for c in cols:
        fmt = shown.get(c)
        kind, decimals = "text", None
        if isinstance(fmt, ColumnFormat):
            kind, decimals = fmt.kind, fmt.decimals
        elif fmt == "{:d}":
            kind, decimals = "number", 0
        elif c in shown and pd.api.types.is_numeric_dtype(view[c]):
            kind = "formatted"
        columns.append(
            {"name": c, "label": (headers or {}).get(c, c), "kind": kind, "decimals": decimals}
        )
    rows = [
        {
            "level": str(levels.iloc[i]),
            "cells": [_cell_text(view[c].iloc[i], shown.get(c), unit) for c in cols],
        }
        for i in range(len(view))
    ]
    return {
        "id": table_id,
        "caption": caption or "",
        "unit": unit,
        "columns": columns,
        "rows": rows,
    }
