"""What a notebook opens first: the period's parameters, data and output directory.

`open_period` works the same under papermill (the runner passes every argument) and in
JupyterLab (empty arguments mean: this project's params/, data/processed/, no export), so a
notebook runs top to bottom with its defaults.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from uppfoljning.data.config import (
    PeriodParams,
    ReportStructure,
    latest_period,
    load_period_params,
    load_structure,
    project_root,
)
from uppfoljning.data.ingest import is_demo
from uppfoljning.present.comments import parse_comments
from uppfoljning.present.formatting import period_label
from uppfoljning.present.plots import describe, save_svg
from uppfoljning.present.safety import (
    Markdown,  # sanitised: report text never carries raw HTML (notebooks use it)
)
from uppfoljning.present.tables import styled, table_view, write_csv

DEMO_BANNER = (
    "> **Demodata.** Rapporten bygger på genererade demodata, kalibrerade mot den publicerade "
    "delårsrapporten augusti 2024. Siffrorna är inte verkliga bokföringsuppgifter."
)


@dataclass
class ReportContext:
    """Parameters, data location and output of one notebook run."""

    params: PeriodParams
    structure: ReportStructure
    data_dir: Path
    output_dir: Path | None
    demo: bool
    published: list[str] = field(default_factory=list)

    @property
    def period(self) -> str:
        return self.params.period

    @property
    def raw_dir(self) -> Path:
        """The raw exports beside the processed data (the Kolada cache lives in raw/kolada/)."""
        return self.data_dir.parent / "raw"

    @property
    def period_label(self) -> str:
        return period_label(self.params.period)

    def publish(
        self,
        table_id: str,
        frame: pd.DataFrame,
        *,
        headers: dict[str, str] | None = None,
        unit: str = "mnkr",
        formats: dict | None = None,
        caption: str | None = None,
        deviation_columns: tuple[str, ...] = ("avvikelse",),
    ) -> Styler:
        """Export `tables/<table_id>.csv` (when running for a report) and return the display."""
        _check_id(table_id)
        # The page, the document and the workbook show the table the same way.
        display = {"headers": headers, "unit": unit, "formats": formats, "caption": caption}
        if self.output_dir is not None:
            write_csv(frame, self.output_dir / "tables" / f"{table_id}.csv")
            view = table_view(frame, table_id=table_id, **display)
            _write_json(self.output_dir / "views" / f"{table_id}.json", view)
        self.published.append(table_id)
        return styled(frame, table_id=table_id, deviation_columns=deviation_columns, **display)

    def headline(self, key: str, label: str, text: str, *, section: str, order: int = 0) -> None:
        """A headline figure for index.html (text already formatted in Swedish)."""
        if self.output_dir is None:
            return
        payload = {"key": key, "label": label, "text": text, "section": section, "order": order}
        _write_json(self.output_dir / "headlines" / f"{key}.json", payload)

    def figure(self, figure_id: str, fig: Figure, *, alt: str | None = None) -> Figure:
        """Export `figures/<id>.svg` (vector, for the committee document) and return the figure.

        ``alt`` says in words what the chart shows (default: `plots.describe`); it goes into
        the SVG's description and is the chart's alt text in the document and on the page.
        """
        _check_id(figure_id)
        alt = alt or describe(fig)
        fig._uppfoljning_alt = alt  # type: ignore[attr-defined]  # read by the notebook display
        if self.output_dir is not None:
            save_svg(fig, self.output_dir / "figures" / f"{figure_id}.svg", alt=alt)
        return fig

    def text(self, key: str, text: str) -> Markdown:
        """Export a generated text as `texts/<key>.md` (a draft or a summary for the document)."""
        _check_id(key)
        if self.output_dir is not None:
            target = self.output_dir / "texts" / f"{key}.md"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text.strip() + "\n", encoding="utf-8")
        return Markdown(text)

    def demo_notice(self) -> Markdown:
        """A visible banner when the data are demo data (empty otherwise)."""
        return Markdown(DEMO_BANNER if self.demo else "")

    @cached_property
    def comments(self) -> dict[str, str]:
        """The controllers' own comments for the period, by heading (`## Rubrik`)."""
        if self.params.comments_file is None:
            return {}
        return parse_comments(self.params.comments_file.read_text(encoding="utf-8"))

    def comment(self, heading: str) -> Markdown:
        """The controllers' comment under `heading`, or a note that there is none.

        The output is marked with its heading, so a re-run after a comment change can put the
        new text into the page without computing the notebook again (`rerender_comments`).
        """
        return Markdown(comment_text(self.comments, heading), metadata={COMMENT_KEY: heading})


def _check_id(name: str) -> None:
    if not re.fullmatch(r"[a-z0-9_]+", name):
        raise ValueError(f"id {name!r}: använd a-z, 0-9 och _")


def _write_json(target: Path, payload: dict) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")


COMMENT_KEY = "uppfoljning_kommentar"  # output metadata: the comment heading it shows


def comment_text(comments: dict[str, str], heading: str) -> str:
    """What a page shows under `heading`: the comment, or a note that there is none."""
    text = comments.get(heading.strip().lower())
    return text or f"*Ingen kommentar under rubriken ”{heading}” för perioden.*"


def rerender_comments(executed: Path, comments_file: Path | None) -> int:
    """Put the comments file's current text into an executed notebook's comment outputs.

    Returns the number of outputs rewritten. Only outputs made by `ReportContext.comment`
    carry the mark; everything the notebook computed stays as it was.
    """
    import nbformat

    comments = {}
    if comments_file is not None and comments_file.is_file():
        comments = parse_comments(comments_file.read_text(encoding="utf-8"))
    nb = nbformat.read(executed, as_version=4)
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            heading = output.get("metadata", {}).get("text/markdown", {}).get(COMMENT_KEY)
            if isinstance(heading, str):
                output["data"]["text/markdown"] = Markdown(comment_text(comments, heading)).data
                count += 1
    if count:
        nbformat.write(nb, executed)
    return count


def show(items: list) -> None:
    """Display a section's items in order (Markdown, tables, figures); nothing for an empty list."""
    from IPython.display import display

    for item in items:
        display(item)


def open_period(
    period: str = "",
    *,
    params_file: str | os.PathLike = "",
    data_dir: str | os.PathLike = "",
    output_dir: str | os.PathLike = "",
) -> ReportContext:
    """Open a reporting period; empty arguments fall back to this project's defaults."""
    root = None
    if not params_file or not data_dir:
        root = project_root()
    params_dir = root / "params" if root else Path(params_file).parent
    period = period or latest_period(params_dir)
    params_path = Path(params_file) if params_file else params_dir / f"{period}.yaml"
    params = load_period_params(params_path, period=period)
    structure = load_structure(params.structure_file)
    data = Path(data_dir) if data_dir else root / "data" / "processed"  # type: ignore[operator]
    return ReportContext(
        params=params,
        structure=structure,
        data_dir=data,
        output_dir=Path(output_dir) if output_dir else None,
        demo=is_demo(data),
    )
