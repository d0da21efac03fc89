"""The one matplotlib style and the report's charts.

Charts are built on `matplotlib.figure.Figure` (not pyplot), so a notebook shows each figure
exactly once — when the cell returns it — and nothing leaks between cells. Axis numbers use the
same Swedish formatting as the tables. Row labels are a controller's own names and can be long:
they are wrapped (`wrap_label`) and a chart with one bar or heatmap row per label grows with
the number of label lines, so no label is cut or overlaps its neighbour.
"""

from __future__ import annotations

import io
import textwrap
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from uppfoljning.present.formatting import (
    SWEDISH_MONTHS_SHORT,
    UNIT_DIVISORS,
    format_amount,
    format_number,
)

PALETTE = ["#1f5f8b", "#e3a21a", "#2a9d8f", "#b3261e", "#6c757d", "#7b4f9d", "#8ab17d"]
OVERSPEND = "#b3261e"
UNDERSPEND = "#2a9d8f"

STYLE = {
    "figure.figsize": (8.0, 4.2),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "font.size": 10,
    "axes.titlesize": 12,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#dddddd",
    "grid.linewidth": 0.8,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "legend.frameon": False,
    "svg.hashsalt": "uppfoljning",  # stable ids if anyone saves SVG
    "axes.formatter.use_locale": False,
}


def apply_style() -> None:
    """Set the suite's style globally (also for a controller's own plots in JupyterLab).

    Also teaches IPython to show our pyplot-free figures as PNG when a cell returns one.
    """
    mpl.rcParams.update(STYLE)
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython comes with Jupyter
        return
    shell = get_ipython()
    if shell is not None:
        shell.display_formatter.formatters["image/png"].for_type(Figure, figure_display)


def figure_png(fig: Figure) -> bytes:
    """PNG bytes without a software/version stamp, so the same chart gives the same bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def alt_text(fig: Figure) -> str:
    """The chart's alt text: what `ReportContext.figure` gave it, else its title, else what
    `describe` can say from the drawing (or "" when it can say nothing)."""
    given = getattr(fig, "_uppfoljning_alt", None)
    if isinstance(given, str) and given.strip():
        return given.strip()
    suptitle = fig._suptitle.get_text() if fig._suptitle is not None else ""
    titles = [suptitle] + [
        ax.get_title(loc) for ax in fig.axes if ax.get_visible() for loc in ("left", "center")
    ]
    title = next((" ".join(t.split()) for t in titles if t and t.strip()), "")
    if title:
        return title
    heatmap = _describe_heatmap(fig)
    if heatmap:
        return heatmap
    described = describe(fig)
    return described if ("Linjer" in described or "staplar" in described) else ""


def _describe_heatmap(fig: Figure) -> str:
    """A heatmap (seaborn draws a QuadMesh) in words: its rows, columns and what colour shows."""
    from matplotlib.collections import QuadMesh

    axes = [ax for ax in fig.axes if any(isinstance(c, QuadMesh) for c in ax.collections)]
    if not axes:
        return ""
    ax = axes[0]
    rows = [" ".join(t.get_text().split()) for t in ax.get_yticklabels() if t.get_text()]
    columns = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    scale = next((" ".join(a.get_ylabel().split()) for a in fig.axes if a is not ax), "")
    text = f"Värmekarta med {len(rows)} rader"
    if columns:
        text += f" och kolumnerna {columns[0]}–{columns[-1]}"
    if scale:
        text += f"; färgen visar {scale}"
    if rows:
        text += f". Rader: {', '.join(rows[:6])}{' …' if len(rows) > 6 else ''}"
    return text + "."


def figure_display(fig: Figure) -> bytes | tuple[bytes, dict[str, str]]:
    """IPython's PNG for a figure, with its alt text as output metadata when it has one.

    IPython keeps a formatter's (data, metadata) pair as the output's metadata["image/png"];
    the report template writes it as the image's `alt` (nbconvert would say "No description
    has been provided for this image").
    """
    png = figure_png(fig)
    alt = alt_text(fig)
    return (png, {"alt": alt}) if alt else png


def describe(fig: Figure) -> str:
    """A chart's alt text from what it draws: title, axes and the largest bars or the series."""
    parts = []
    title = fig._suptitle.get_text() if fig._suptitle is not None else ""
    axes = [ax for ax in fig.axes if ax.get_visible()]
    titles = [ax.get_title(loc) for ax in axes for loc in ("center", "left", "right")]
    texts = [t.get_text() for t in fig.texts]
    title = title or next((t for t in [*titles, *texts] if t), "")
    if title:
        parts.append(f"Diagram: {title}.")
    for ax in axes[:1]:
        bars = [p for p in ax.patches if getattr(p, "get_width", None)]
        labels = [t.get_text().replace("\n", " ") for t in ax.get_yticklabels()]
        if bars and len(labels) == len(bars) and ax.get_xlabel():
            values = sorted(
                zip(labels, (b.get_width() for b in bars), strict=True),
                key=lambda item: -abs(item[1]),
            )
            # As the axis shows them (kronor drawn, mnkr on the ticks), not raw kronor.
            ticks = ax.xaxis.get_major_formatter()
            shown = ticks if isinstance(ticks, FuncFormatter) else lambda v: format_number(v, 1)
            largest = "; ".join(f"{lab} {shown(v)}" for lab, v in values[:3])
            parts.append(f"Liggande staplar, {ax.get_xlabel()}. Störst: {largest}.")
        legend = ax.get_legend() or (fig.legends[0] if fig.legends else None)
        series = (
            [t.get_text() for t in legend.get_texts()]
            if legend is not None
            else [ln.get_label() for ln in ax.get_lines() if not ln.get_label().startswith("_")]
        )
        if series:
            parts.append(f"Linjer: {', '.join(series)}.")
    if len(axes) > 1:
        parts.append(f"{len(axes)} delfigurer.")
    return " ".join(parts) or "Diagram."


def save_svg(fig: Figure, target: Path, *, alt: str) -> None:
    """The chart as SVG (vector, text as paths) with ``alt`` as its title and description.

    No date and a fixed id salt, so the same chart gives the same bytes in every run.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with mpl.rc_context({"svg.hashsalt": "uppfoljning", "svg.fonttype": "path"}):
        fig.savefig(
            target,
            format="svg",
            bbox_inches="tight",
            metadata={"Date": None, "Creator": None, "Title": alt, "Description": alt},
        )


LABEL_WIDTH = 42  # characters per line of a wrapped row label (about a third of a chart)


def wrap_label(label: object, width: int = LABEL_WIDTH) -> str:
    """A long row label on several lines at word boundaries (words are never split)."""
    return textwrap.fill(str(label), width=width, break_long_words=False) or str(label)


def _label_lines(labels: list[str]) -> int:
    """Total text lines of wrapped labels, for sizing a chart with one row per label."""
    return sum(label.count("\n") + 1 for label in labels)


def mnkr_axis(decimals: int = 0) -> FuncFormatter:
    return amount_axis("mnkr", decimals)


def amount_axis(unit: str = "mnkr", decimals: int = 0) -> FuncFormatter:
    """Axis ticks in kronor shown in `unit` with Swedish formatting."""
    return FuncFormatter(lambda v, _pos: format_amount(v, unit, decimals))


def panel_grid(count: int, panel_height: float, *, title: str = "") -> tuple[Figure, list]:
    """Small multiples in two columns (one for a single panel), unused panels hidden, the
    title left-aligned above them. Returns the figure and all axes, in reading order."""
    apply_style()
    ncols = 2 if count > 1 else 1
    nrows = max((count + ncols - 1) // ncols, 1)
    height = panel_height * nrows + (0.4 if title else 0)
    fig = Figure(figsize=(STYLE["figure.figsize"][0], height))
    axes = list(fig.subplots(nrows, ncols, squeeze=False).ravel())
    for ax in axes[count:]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title, x=0.01, ha="left", fontweight="bold")
    return fig, axes


def _figure(height: float | None = None) -> tuple[Figure, object]:
    apply_style()
    fig = Figure(figsize=(STYLE["figure.figsize"][0], height or STYLE["figure.figsize"][1]))
    ax = fig.add_subplot()
    return fig, ax


def deviation_bars(
    table: pd.DataFrame, *, column: str = "avvikelse", title: str = "", unit: str = "mnkr"
) -> Figure:
    """Horizontal bars of deviation per row (red = overspend), largest at the top."""
    data = table[[c for c in ("rad", column) if c in table]].dropna()
    data = data.iloc[::-1]
    labels = [wrap_label(r) for r in data["rad"]]
    extra = _label_lines(labels) - len(labels)  # second and later lines of wrapped labels
    fig, ax = _figure(height=0.35 * len(data) + 0.2 * extra + 1.2)
    colors = [OVERSPEND if v < 0 else UNDERSPEND for v in data[column]]
    ax.barh(range(len(data)), data[column], color=colors)
    ax.set_yticks(range(len(data)), labels)
    ax.set_ylim(-0.6, len(data) - 0.4)
    ax.axvline(0, color="#333333", linewidth=0.8)
    ax.margins(x=0.12)  # room for the value labels
    ax.xaxis.set_major_formatter(amount_axis(unit, 0))
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.grid(axis="x", color="#dddddd")
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(f"{unit} (negativt = underskott)")
    for y, v in enumerate(data[column]):
        ax.annotate(
            format_amount(v, unit, 1 if unit == "mnkr" else 0),
            (v, y),
            xytext=(4 if v >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if v >= 0 else "right",
            va="center",
            fontsize=8,
        )
    ax.set_title(title)
    fig.tight_layout()
    return fig


def _month_ticks(ax, periods: list[str]) -> None:
    """Every month ticked, every other one labelled, so small panels stay readable."""
    ax.set_xticks(range(len(periods)))
    ax.set_xticklabels(
        [SWEDISH_MONTHS_SHORT[int(p[5:7]) - 1] if i % 2 == 0 else "" for i, p in enumerate(periods)]
    )


def cumulative_vs_budget(frame: pd.DataFrame, *, title: str = "", unit: str = "mnkr") -> Figure:
    """Small multiples: cumulative outcome (line) against periodised budget (dashed) per row."""
    rows = list(dict.fromkeys(frame["rad"]))
    fig, axes = panel_grid(len(rows), 2.8, title=title)
    for ax, rad in zip(axes, rows, strict=False):
        part = frame[frame["rad"] == rad].sort_values("period")
        periods = list(part["period"])
        x = range(len(periods))
        ax.plot(x, part["budget_ack"], linestyle="--", color=PALETTE[4], label="Budget")
        ax.plot(x, part["utfall_ack"], color=PALETTE[0], linewidth=2, label="Utfall")
        _month_ticks(ax, periods)
        ax.yaxis.set_major_formatter(amount_axis(unit, 0))
        ax.set_ylabel(f"{unit}, ackumulerat", fontsize=8)
        ax.set_title(wrap_label(rad, 48), fontsize=9)
    axes[0].legend(loc="upper left")
    fig.tight_layout()
    return fig


def rolling_lines(
    frame: pd.DataFrame, *, value: str = "r12", title: str = "", unit: str = "mnkr"
) -> Figure:
    """One line per row of a rolling 12-month series."""
    fig, ax = _figure()
    periods = sorted(frame["period"].unique())
    for rad, part in frame.groupby("rad", sort=False):
        part = part.set_index("period").reindex(periods)
        ax.plot(range(len(periods)), part[value], label=wrap_label(rad, 28), linewidth=1.8)
    # A label every few months keeps two or more years readable.
    step = max(1, (len(periods) + 11) // 12)
    ticks = [i for i in range(len(periods)) if (len(periods) - 1 - i) % step == 0]
    ax.set_xticks(ticks)
    ax.set_xticklabels(
        [f"{SWEDISH_MONTHS_SHORT[int(periods[i][5:7]) - 1]}\n{periods[i][:4]}" for i in ticks],
        fontsize=8,
    )
    ax.yaxis.set_major_formatter(amount_axis(unit, 0))
    ax.set_ylabel(f"{unit}, rullande 12 månader")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.set_title(title)
    fig.tight_layout()
    return fig


def deviation_heatmap(matrix: pd.DataFrame, *, unit: str = "mnkr", title: str = "") -> Figure:
    """Rows × months of budget − outcome: red where a month overspent, green where it saved."""
    import seaborn as sns

    apply_style()
    labels = [wrap_label(r) for r in matrix.index]
    extra = _label_lines(labels) - len(labels)
    fig = Figure(figsize=(8.0, 0.38 * len(matrix) + 0.2 * extra + 1.6))
    ax = fig.add_subplot()
    scale = UNIT_DIVISORS[unit]
    values = matrix / scale
    limit = float(np.nanmax(np.abs(values.to_numpy()))) if values.size else 1.0
    cmap = LinearSegmentedColormap.from_list("avvikelse", [OVERSPEND, "#ffffff", UNDERSPEND])
    annotations = values.map(
        lambda v: format_number(v, 1) if unit == "mnkr" else format_number(v, 0)
    )
    sns.heatmap(
        values,
        ax=ax,
        cmap=cmap,
        vmin=-limit,
        vmax=limit,
        center=0,
        annot=annotations.to_numpy(),
        fmt="",
        annot_kws={"fontsize": 7},
        yticklabels=labels,
        linewidths=0.5,
        linecolor="#ffffff",
        cbar_kws={"label": f"{unit} (negativt = underskott)", "format": amount_axis("kr", 0)},
    )
    ax.set_xticklabels([SWEDISH_MONTHS_SHORT[int(p[5:7]) - 1] for p in matrix.columns], rotation=0)
    ax.tick_params(axis="y", rotation=0)
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.grid(False)
    ax.set_title(title)
    fig.tight_layout()
    return fig
