"""Charts of the R9 comparison: trends, ranking in the latest year, and the placement-cost gap.

Built on `matplotlib.figure.Figure` in the suite's style (:mod:`uppfoljning.present.plots`) so
each chart shows exactly once, when the notebook cell returns it. The functions take plain frames
with English column ids (``uppfoljning.peers.charts`` prepares them) and know nothing about Kolada;
every number on an axis or label is formatted by :mod:`uppfoljning.present.formatting`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from uppfoljning.present.formatting import format_mnkr, format_number
from uppfoljning.present.plots import PALETTE, STYLE, amount_axis, apply_style, mnkr_axis

OWN = PALETTE[0]
MEAN = PALETTE[1]
PEER = "#a7adb3"
PRICE = PALETTE[3]
VOLUME = PALETTE[2]


def number_axis(decimals: int = 0) -> FuncFormatter:
    """Axis ticks as plain Swedish numbers (kr/inv, placed per 1 000): `10 000`, `8,5`."""
    return FuncFormatter(lambda v, _pos: format_number(v, decimals))


def _figure(height: float | None = None) -> tuple[Figure, Axes]:
    apply_style()
    width, default_height = STYLE["figure.figsize"]
    fig = Figure(figsize=(width, height or default_height))
    return fig, fig.add_subplot()


def _year_ticks(ax: Axes, years: list[int]) -> None:
    # Years are labels, not numbers: never "2 023".
    ax.set_xticks(years)
    ax.set_xticklabels([str(y) for y in years])


def trend_lines(
    frame: pd.DataFrame,
    *,
    title: str = "",
    ylabel: str = "",
    decimals: int = 0,
    mean_label: str = "R9-snitt",
    peer_label: str = "Övriga kommuner i jämförelsegruppen",
) -> Figure:
    """The municipality (bold), every peer (thin grey) and the peer mean (dashed) per year.

    ``frame``: year, name, value, role (``own``, ``peer`` or ``mean``).
    """
    fig, ax = _figure()
    years = sorted(int(y) for y in frame["year"].unique())
    for _name, part in frame[frame["role"] == "peer"].groupby("name", sort=False):
        part = part.sort_values("year")
        ax.plot(part["year"], part["value"], color=PEER, linewidth=0.9, zorder=1)
    mean = frame[frame["role"] == "mean"].sort_values("year")
    ax.plot(mean["year"], mean["value"], color=MEAN, linewidth=2.0, linestyle="--", zorder=2)
    own = frame[frame["role"] == "own"].sort_values("year")
    ax.plot(own["year"], own["value"], color=OWN, linewidth=2.8, zorder=3)
    own_name = own["name"].iloc[0] if len(own) else ""
    for part, color in ((own, OWN), (mean, MEAN)):
        last = part.dropna(subset=["value"]).tail(1)
        if len(last):
            ax.annotate(
                format_number(float(last["value"].iloc[0]), decimals),
                (int(last["year"].iloc[0]), float(last["value"].iloc[0])),
                xytext=(5, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color=color,
                fontweight="bold",
            )
    handles = [
        Line2D([], [], color=OWN, linewidth=2.8, label=own_name),
        Line2D([], [], color=MEAN, linewidth=2.0, linestyle="--", label=mean_label),
        Line2D([], [], color=PEER, linewidth=0.9, label=peer_label),
    ]
    ax.legend(handles=handles, loc="upper left", fontsize=8)
    _year_ticks(ax, years)
    ax.set_xlim(years[0] - 0.3, years[-1] + 0.9)
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(number_axis(0))
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def ranked_bars(
    frame: pd.DataFrame,
    *,
    mean: float,
    title: str = "",
    xlabel: str = "",
    decimals: int = 0,
    mean_label: str = "R9-snitt",
) -> Figure:
    """Horizontal bars, lowest value (rank 1) at the top; the municipality in colour.

    ``frame``: name, value, role (``own`` or ``peer``); ``mean`` draws a dashed line.
    """
    data = frame.dropna(subset=["value"]).sort_values("value", ascending=True)
    data = data.reset_index(drop=True)
    fig, ax = _figure(height=0.32 * len(data) + 1.4)
    y = np.arange(len(data))[::-1]
    colors = [OWN if role == "own" else PEER for role in data["role"]]
    ax.barh(y, data["value"], color=colors, height=0.7)
    ax.set_yticks(y)
    ranks = data["value"].rank(method="min").astype(int)  # ties share a rank, as in r9.ranks
    ax.set_yticklabels([f"{r}. {name}" for r, name in zip(ranks, data["name"], strict=True)])
    for label, role in zip(ax.get_yticklabels(), data["role"], strict=True):
        if role == "own":
            label.set_fontweight("bold")
    for yy, value in zip(y, data["value"], strict=True):
        ax.annotate(
            format_number(float(value), decimals),
            (float(value), yy),
            xytext=(3, 0),
            textcoords="offset points",
            va="center",
            fontsize=8,
            bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none"},
        )
    if pd.notna(mean):
        ax.axvline(mean, color=MEAN, linestyle="--", linewidth=1.8)
        ax.annotate(
            f"{mean_label} {format_number(float(mean), decimals)}",
            (float(mean), len(data) - 0.4),
            xytext=(3, 0),
            textcoords="offset points",
            fontsize=8,
            color=MEAN,
            fontweight="bold",
        )
    ax.set_ylim(-0.6, len(data) + 0.2)
    ax.set_xlim(0, float(data["value"].max()) * 1.12 if len(data) else 1)
    ax.xaxis.set_major_formatter(number_axis(0))
    ax.grid(axis="x", color="#dddddd")
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def placement_scatter(
    frame: pd.DataFrame,
    *,
    iso_costs: Mapping[str, float] | None = None,
    title: str = "",
    xlabel: str = "Placerade barn och unga per 1 000 invånare 0–20 år",
    ylabel: str = "Kostnad per placerat barn, tkr",
) -> Figure:
    """Placed children per 1 000 (x) against cost per placed child (y), one point per peer.

    ``frame``: name, placed, cost_per_placed (kronor), role (``own``, ``peer`` or ``mean``).
    ``iso_costs`` (label → kr/inv) draws dotted curves of equal cost per inhabitant: x × y / 1 000
    is constant along each, so a point's position shows which factor drives its cost.
    """
    fig, ax = _figure(height=4.8)
    data = frame.dropna(subset=["placed", "cost_per_placed"])
    x_low, x_high = float(data["placed"].min()) * 0.85, float(data["placed"].max()) * 1.12
    y_low = float(data["cost_per_placed"].min()) * 0.85
    y_high = float(data["cost_per_placed"].max()) * 1.1
    xs = np.linspace(x_low, x_high, 100)
    for n, (label, cost) in enumerate((iso_costs or {}).items()):
        ys = 1000 * cost / xs
        ax.plot(xs, ys, color="#888888", linestyle=":", linewidth=1.0, zorder=1)
        # Label the curve near the bottom of the plot, where the points seldom are.
        target = y_low + (0.05 + 0.07 * n) * (y_high - y_low)
        i = int(np.argmin(np.abs(ys - target)))
        if y_low <= ys[i] <= y_high:
            ax.annotate(
                label,
                (xs[i], ys[i]),
                xytext=(4, 0),
                textcoords="offset points",
                ha="left",
                va="center",
                fontsize=7,
                color="#666666",
            )
    styles = {
        "peer": {"color": PEER, "s": 40, "marker": "o", "zorder": 2},
        "mean": {"color": MEAN, "s": 70, "marker": "D", "zorder": 3},
        "own": {"color": OWN, "s": 90, "marker": "o", "zorder": 4},
    }
    placed_labels = _label_offsets(data, (x_low, x_high), (y_low, y_high))
    for role, style in styles.items():
        part = data[data["role"] == role]
        ax.scatter(part["placed"], part["cost_per_placed"], **style)
        for index, row in part.iterrows():
            offset, align = placed_labels[index]
            ax.annotate(
                row["name"],
                (row["placed"], row["cost_per_placed"]),
                xytext=offset,
                textcoords="offset points",
                ha=align,
                fontsize=8,
                color=style["color"] if role != "peer" else "#555555",
                fontweight="bold" if role != "peer" else "normal",
            )
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.xaxis.set_major_formatter(number_axis(1))
    ax.yaxis.set_major_formatter(amount_axis("tkr", 0))
    ax.grid(axis="both", color="#dddddd")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _blocked(
    points: list[tuple[object, float, float]], me: object, box: tuple[float, float, float, float]
) -> bool:
    x0, x1, y0, y1 = box
    return any(x0 <= px <= x1 and y0 <= py <= y1 for i, px, py in points if i != me)


def _label_offsets(
    data: pd.DataFrame, xlim: tuple[float, float], ylim: tuple[float, float]
) -> dict[object, tuple[tuple[int, int], str]]:
    """Put each point's name right of it, or left/below when another point is in the way."""
    x_span, y_span = xlim[1] - xlim[0], ylim[1] - ylim[0]
    points = list(zip(data.index, data["placed"], data["cost_per_placed"], strict=True))
    out: dict[object, tuple[tuple[int, int], str]] = {}
    for (index, x, y), name in zip(points, data["name"], strict=True):
        # Rough text extent in data units (8 pt text on the default figure width).
        width = 0.0095 * x_span * len(str(name)) + 0.01 * x_span
        # Points a little lower count too: their own labels sit above them.
        low, high = y - 0.05 * y_span, y + 0.065 * y_span
        if not _blocked(points, index, (x, x + width, low, high)):
            out[index] = ((5, 4), "left")
        elif not _blocked(points, index, (x - width, x, low, high)):
            out[index] = ((-5, 4), "right")
        else:
            out[index] = ((5, -11), "left")
    return out


def decomposition_bars(
    frame: pd.DataFrame,
    *,
    title: str = "",
    ylabel: str = "mnkr",
    volume_label: str = "Antal placerade",
    price_label: str = "Kostnad per placerat barn",
    gap_label: str = "Skillnad mot snittet",
) -> Figure:
    """The gap per year (diamond) as the sum of a volume and a price effect (stacked bars).

    ``frame``: year, volume, price, gap (kronor; the axis shows mnkr). Positive parts stack up
    from zero and negative parts down, so opposite effects stay visible.
    """
    fig, ax = _figure()
    data = frame.sort_values("year")
    years = [int(y) for y in data["year"]]
    up = np.zeros(len(data))
    down = np.zeros(len(data))
    for column, color, label in (("volume", VOLUME, volume_label), ("price", PRICE, price_label)):
        values = data[column].fillna(0).to_numpy(dtype=float)
        bottom = np.where(values >= 0, up, down)
        ax.bar(years, values, bottom=bottom, color=color, width=0.6, label=label)
        up = up + np.where(values >= 0, values, 0)
        down = down + np.where(values < 0, values, 0)
    ax.scatter(years, data["gap"], color="#222222", marker="D", s=30, zorder=3, label=gap_label)
    for year, gap in zip(years, data["gap"], strict=True):
        if pd.notna(gap):
            ax.annotate(
                format_mnkr(float(gap)),
                (year, float(gap)),
                xytext=(0, -11 if gap < 0 else 6),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
    ax.axhline(0, color="#333333", linewidth=0.8)
    _year_ticks(ax, years)
    ax.yaxis.set_major_formatter(mnkr_axis(0))
    ax.set_ylabel(ylabel)
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=3)
    ax.set_title(title)
    fig.tight_layout()
    return fig
