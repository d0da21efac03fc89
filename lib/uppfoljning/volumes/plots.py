"""Charts of the volumes report: monthly volumes, one line per year, and group trends.

The committee reads referrals as "this year's line against earlier years' lines", so months are
on the x axis and each year is a line (the current year yellow, last year turquoise, as in the
printed report). Figures are `matplotlib.figure.Figure` in the suite's style (`plots`), so a
notebook cell shows each exactly once; a function with nothing to draw returns None, which a
notebook cell displays as nothing.
"""

from __future__ import annotations

import textwrap

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from uppfoljning.present.formatting import SWEDISH_MONTHS_SHORT, format_number
from uppfoljning.present.plots import PALETTE, STYLE, apply_style, panel_grid

CURRENT, PREVIOUS, OLDER = PALETTE[1], PALETTE[2], (PALETTE[0], PALETTE[4], PALETTE[5])


def _count_axis() -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: format_number(v, 0))


def year_colours(years: list[int]) -> dict[int, str]:
    """Newest year yellow, the one before turquoise, older years blue/grey/purple."""
    ordered = sorted(years, reverse=True)
    colours = [CURRENT, PREVIOUS, *OLDER]
    return {y: colours[min(i, len(colours) - 1)] for i, y in enumerate(ordered)}


def _month_axis(ax, *, compact: bool = False) -> None:
    """Months on the x axis; small panels label every other month so the names fit."""
    ax.set_xticks(range(1, 13))
    labels = [m if not compact or i % 2 == 0 else "" for i, m in enumerate(SWEDISH_MONTHS_SHORT)]
    ax.set_xticklabels(labels, fontsize=8 if compact else None)
    ax.set_xlim(0.6, 12.4)


def _draw_years(ax, part: pd.DataFrame, *, markers: bool = True, compact: bool = False) -> None:
    years = sorted(part["ar"].unique())
    colours = year_colours(years)
    newest = years[-1] if years else None
    for year in years:
        s = part[part["ar"] == year].sort_values("manad")
        ax.plot(
            s["manad"],
            s["varde"],
            color=colours[year],
            linewidth=2.4 if year == newest else 1.6,
            marker="o" if markers and year == newest else None,
            markersize=3.5,
            label=str(year),
        )
    _month_axis(ax, compact=compact)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=5, integer=True))  # counts: no 2,5 ticks
    ax.yaxis.set_major_formatter(_count_axis())
    ax.set_ylim(bottom=0)


def year_lines(frame: pd.DataFrame, *, title: str = "", ylabel: str = "antal per månad") -> Figure:
    """One measure per month, one line per year (frame: rad, ar, manad, varde)."""
    apply_style()
    fig = Figure(figsize=STYLE["figure.figsize"])
    ax = fig.add_subplot()
    _draw_years(ax, frame)
    if not title and not frame.empty:
        title = f"{frame['rad'].iloc[0]} per månad"
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower left", ncols=len(frame["ar"].unique()) or 1)
    fig.tight_layout()
    return fig


def year_lines_grid(frame: pd.DataFrame, *, title: str = "") -> Figure | None:
    """Small multiples of `year_lines`, one panel per measure (`rad`); None if empty."""
    rows = list(dict.fromkeys(frame["rad"]))
    if not rows:
        return None
    fig, axes = panel_grid(len(rows), 3.0, title=title)
    for ax, rad in zip(axes, rows, strict=False):
        _draw_years(ax, frame[frame["rad"] == rad], compact=len(rows) > 1)
        ax.set_title(textwrap.fill(f"{rad} per månad", 45), fontsize=9)
        ax.legend(fontsize=7, loc="lower left")
    fig.tight_layout()
    return fig


def group_lines(frame: pd.DataFrame, *, title: str = "") -> Figure | None:
    """Panels per measure and group: this year's and last year's January..month curve.

    For ackumulerat measures the curve rises through the year (new cases are added), so the gap
    between the lines is the change against the same period last year. None if empty.
    """
    keys = list(dict.fromkeys(zip(frame["rad"], frame["grupp"], strict=True)))
    if not keys:
        return None
    fig, axes = panel_grid(len(keys), 2.6, title=title)
    for ax, (rad, group) in zip(axes, keys, strict=False):
        part = frame[(frame["rad"] == rad) & (frame["grupp"] == group)]
        _draw_years(ax, part, markers=False, compact=len(keys) > 1)
        ax.set_title(textwrap.fill(f"{rad}, {group}", 45), fontsize=9)
    axes[0].legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    return fig
