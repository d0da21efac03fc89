"""Charts of the HVB-placeringar report, in the suite's one style (plots.py).

Every function takes chart data from `placements.PlacementReport` (already aggregated and
suppressed: no person-level values) and returns a `matplotlib.figure.Figure`. Colours come from
the shared style only: `plots.PALETTE` for series, `plots.OVERSPEND`/`plots.UNDERSPEND` for
cost up/down and threshold breaches; grid and axis colours from `plots.apply_style()`.
"""

from __future__ import annotations

from collections.abc import Iterable

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from uppfoljning.present.formatting import MNKR, SWEDISH_MONTHS_SHORT, format_number
from uppfoljning.present.plots import (
    OVERSPEND,
    PALETTE,
    STYLE,
    UNDERSPEND,
    apply_style,
    mnkr_axis,
    panel_grid,
)

NEUTRAL = PALETTE[4]  # the palette's grey: last year, "all agreements"
SERIES = [c for c in PALETTE if c not in (NEUTRAL, OVERSPEND, UNDERSPEND)]
WIDTH = STYLE["figure.figsize"][0]


def series_colours(labels: Iterable[str]) -> dict[str, str]:
    """One palette colour per series (care form, target group, agreement), in order, cycling.

    Grey, red and green are kept for last year, overspend and underspend.
    """
    return {label: SERIES[i % len(SERIES)] for i, label in enumerate(dict.fromkeys(labels))}


def _zero_line(ax, *, vertical: bool = False) -> None:
    colour = mpl.rcParams["axes.edgecolor"]
    if vertical:
        ax.axvline(0, color=colour, linewidth=0.8)
    else:
        ax.axhline(0, color=colour, linewidth=0.8)


def _number_axis(decimals: int = 0) -> FuncFormatter:
    return FuncFormatter(lambda v, _pos: format_number(v, decimals))


def _year_ticks(ax, periods: list[str]) -> None:
    """Ticks at each January (and the first month) for long monthly series."""
    ticks = [i for i, p in enumerate(periods) if p.endswith("-01")] or [0]
    ax.set_xticks(ticks)
    ax.set_xticklabels(
        [f"{SWEDISH_MONTHS_SHORT[int(periods[i][5:7]) - 1]}\n{periods[i][:4]}" for i in ticks],
        fontsize=8,
    )


def care_days_by_month(data: pd.DataFrame, *, title: str = "") -> Figure:
    """Small multiples per care form: care days per month, this year against last year."""
    groups = list(dict.fromkeys(data["rad"]))
    years = sorted(data["ar"].unique()) if len(data) else []
    fig, axes = panel_grid(len(groups), 2.4, title=title)
    colours = series_colours(groups)  # one colour per care form, last year in grey
    for ax, group in zip(axes, groups, strict=False):
        part = data[data["rad"] == group]
        lines = {year: (NEUTRAL, "--") for year in years[-2:-1]}  # last year
        lines |= {year: (colours[group], "-") for year in years[-1:]}  # this year
        for year, (color, style) in lines.items():
            series = part[part["ar"] == year].sort_values("manad")
            ax.plot(
                series["manad"],
                series["varddygn"],
                linestyle=style,
                color=color,
                linewidth=2 if style == "-" else 1.4,
                label=str(year),
            )
        ax.set_xticks(range(1, 13))
        ax.set_xticklabels(SWEDISH_MONTHS_SHORT, fontsize=7)
        ax.set_xlim(0.7, 12.3)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(_number_axis())
        ax.set_title(group, fontsize=9)
    axes[0].legend(loc="lower left", fontsize=8)
    fig.tight_layout()
    return fig


def rolling_cost(data: pd.DataFrame, *, title: str = "") -> Figure:
    """Rolling 12-month cost (mnkr) and cost per care day (kr), one line per target group."""
    apply_style()
    fig = Figure(figsize=(WIDTH, 5.6))
    top, bottom = fig.subplots(2, 1, sharex=True)
    periods = sorted(data["period"].unique())
    colours = series_colours(data["rad"])
    for label, part in data.groupby("rad", sort=False):
        color = colours[label]
        part = part.set_index("period").reindex(periods)
        x = np.arange(len(periods))
        top.plot(x, part["kostnad"], color=color, linewidth=2, label=label)
        bottom.plot(x, part["dygnskostnad"], color=color, linewidth=2, label=label)
    top.yaxis.set_major_formatter(mnkr_axis(0))
    top.set_ylabel("mnkr, rullande 12 mån")
    top.set_ylim(bottom=0)
    top.legend(loc="lower left", fontsize=8)
    bottom.yaxis.set_major_formatter(_number_axis())
    bottom.set_ylabel("kr per vårddygn")
    _year_ticks(bottom, periods)
    if title:
        top.set_title(title)
    fig.tight_layout()
    return fig


def price_volume_bridge(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Bridge from last year's cost to this year's: volume, mix and price effects (mnkr)."""
    total = table[table["rad"] == "Totalt"].iloc[0]
    steps = [
        ("Föregående år", total["kostnad_foregaende_ar"], "level"),
        ("Volym", total["volymeffekt"], "step"),
        ("Mix", total["mixeffekt"], "step"),
        ("Pris", total["priseffekt"], "step"),
        ("I år", total["kostnad"], "level"),
    ]
    fig, ax = _figure()
    running = 0.0
    for i, (_label, value, kind) in enumerate(steps):
        if kind == "level":
            ax.bar(i, value, color=PALETTE[0])
            running = value
            top = value
        else:
            color = OVERSPEND if value > 0 else UNDERSPEND
            ax.bar(i, value, bottom=running, color=color)
            top = running + max(value, 0)
            running += value
        ax.annotate(
            format_number(value / MNKR, 1),
            (i, top),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=8,
        )
    ax.set_xticks(range(len(steps)))
    ax.set_xticklabels([s[0] for s in steps])
    ax.yaxis.set_major_formatter(mnkr_axis(0))
    ax.set_ylabel("mnkr")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def individuals_per_month(data: pd.DataFrame, *, title: str = "") -> Figure:
    """Distinct persons placed per month (small counts are already left out)."""
    fig, ax = _figure()
    periods = list(data["period"])
    ax.plot(range(len(periods)), data["individer"], color=PALETTE[0], linewidth=2)
    _year_ticks(ax, periods)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(_number_axis())
    ax.set_ylabel("individer")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def price_by_agreement(data: pd.DataFrame, *, title: str = "") -> Figure:
    """Cost per care day per month for each agreement category (index: period)."""
    fig, ax = _figure()
    periods = list(data.index)
    colours = series_colours(c for c in data.columns if c != "Samtliga") | {"Samtliga": NEUTRAL}
    for column in data.columns:
        style = "--" if column == "Samtliga" else "-"
        ax.plot(
            range(len(periods)),
            data[column],
            color=colours[column],
            linestyle=style,
            linewidth=1.6,
            label=column,
        )
    _year_ticks(ax, periods)
    ax.yaxis.set_major_formatter(_number_axis())
    ax.set_ylabel("kr per vårddygn")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8, loc="upper left")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def flows_per_month(table: pd.DataFrame, *, target: str = "barn_unga", title: str = "") -> Figure:
    """New (up) and ended (down) placements per month; suppressed months are left empty."""
    rows = table[table["_niva"] == "rad"] if "_niva" in table else table
    fig, ax = _figure()
    x = np.arange(len(rows))
    new = pd.to_numeric(rows[f"nya_{target}"], errors="coerce")
    ended = pd.to_numeric(rows[f"avslutade_{target}"], errors="coerce")
    colours = series_colours(["Nya", "Avslutade"])
    ax.bar(x, new, color=colours["Nya"], label="Nya")
    ax.bar(x, -ended, color=colours["Avslutade"], label="Avslutade")
    _zero_line(ax)
    ax.set_xticks(x)
    ax.set_xticklabels([r.split(" ")[0] for r in rows["rad"]])
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(abs(v), 0)))
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_ylabel("placeringar")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def reconciliation_bars(table: pd.DataFrame, *, title: str = "") -> Figure:
    """Difference ledger − register per month and target group (kr), threshold breaches red."""
    rows = table[table["_niva"] == "rad"]
    fig, ax = _figure(height=0.28 * len(rows) + 1.4)
    data = rows.iloc[::-1]
    colors = [OVERSPEND if f else PALETTE[0] for f in data["flaggad"]]
    ax.barh(data["rad"], data["differens"], color=colors)
    _zero_line(ax, vertical=True)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v / 1_000, 0)))
    ax.set_xlabel("tkr (huvudbok − register)")
    ax.grid(axis="x")
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _figure(height: float | None = None) -> tuple[Figure, object]:
    apply_style()
    fig = Figure(figsize=(WIDTH, height or STYLE["figure.figsize"][1]))
    ax = fig.add_subplot()
    ax.set_axisbelow(True)  # grid lines behind bars
    return fig, ax
