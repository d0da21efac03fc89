"""Drill-down from a driftsammandrag row to verksamhet, konto, ansvar, month and single lines.

Uses the same classification as the tables (precedence included), so the parts always add up
to the row's figure in the report.

Example (JupyterLab)::

    eko = uf.EconomyReport.open(ctx)
    uf.drilldown.breakdown(eko, "569", by="konto")            # row → accounts, Jan–month
    uf.drilldown.breakdown(eko, "569", by=["verksamhet", "period"])
    uf.drilldown.largest_lines(eko, "569", n=10)              # the biggest booking lines
"""

from __future__ import annotations

import duckdb
import pandas as pd

from uppfoljning.data.config import parse_period
from uppfoljning.economy.ledger import CODES, _leaves_under, classify
from uppfoljning.economy.report import EconomyReport

DIMENSIONS = ("verksamhet", "konto", "ansvar", "period")


def _row_lines(eko: EconomyReport, row_id: str, periods: list[str]) -> pd.DataFrame:
    monthly = eko.ledger.monthly
    monthly = monthly[monthly["period"].isin(periods)].copy()
    monthly["rad_id"] = classify(monthly, eko.structure)
    try:
        leaves = _leaves_under(eko.structure, row_id)
    except KeyError:
        known = ", ".join(r.id for r in eko.structure.rows)
        raise KeyError(f"Okänd rad {row_id!r}; rader: {known}") from None
    return monthly[monthly["rad_id"].isin(leaves)]


def _periods(eko: EconomyReport, periods: list[str] | None) -> list[str]:
    if periods:
        return periods
    year, month = parse_period(eko.params.period)
    return [f"{year}-{m:02d}" for m in range(1, month + 1)]


def breakdown(
    eko: EconomyReport,
    row_id: str,
    by: str | list[str] = "verksamhet",
    *,
    periods: list[str] | None = None,
    budget: bool = True,
) -> pd.DataFrame:
    """A row's outcome (and periodised budget) split by one or more dimensions.

    Sorted by absolute outcome; columns: the dimensions, their names (params/kodnamn.yaml, when
    the period file names one), utfall, [budget, avvikelse], andel (% of the row's costs for a
    cost, of its revenues for a revenue).
    """
    dims = [by] if isinstance(by, str) else list(by)
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        raise ValueError(f"Okänd dimension {unknown}; välj bland {', '.join(DIMENSIONS)}")
    chosen = _periods(eko, periods)
    lines = _row_lines(eko, row_id, chosen)
    out = lines.groupby(dims, as_index=False)["belopp"].sum().rename(columns={"belopp": "utfall"})
    if budget and "period" not in dims and periods is None:
        year, month = parse_period(eko.params.period)
        b = eko.ledger.budget_lines(year, eko.params.budget_version, through_month=month)
        b["rad_id"] = classify(b, eko.structure)
        b = b[b["rad_id"].isin(_leaves_under(eko.structure, row_id))]
        b = b.groupby(dims, as_index=False)["belopp"].sum().rename(columns={"belopp": "budget"})
        out = out.merge(b, on=dims, how="outer").fillna({"utfall": 0.0, "budget": 0.0})
        out["avvikelse"] = out["budget"] - out["utfall"]
    for pos, dim in enumerate([d for d in dims if d != "period"]):
        names = [eko.code_names.name(dim, str(c)) for c in out[dim]]
        if any(names):
            out.insert(len(dims) + pos, f"{dim}_namn", names)
    # A share of the net can be thousands of percent when costs and revenues nearly cancel, so
    # a cost part is a share of the costs and a revenue part a share of the revenues.
    costs = out.loc[out["utfall"] > 0, "utfall"].sum()
    revenues = out.loc[out["utfall"] < 0, "utfall"].sum()
    gross = out["utfall"].where(out["utfall"] <= 0, costs).where(out["utfall"] > 0, revenues)
    out["andel"] = (100 * out["utfall"] / gross).where(gross != 0)
    order = out["utfall"].abs().sort_values(ascending=False).index
    return out.loc[order].reset_index(drop=True)


def largest_lines(
    eko: EconomyReport, row_id: str, *, n: int = 20, periods: list[str] | None = None
) -> pd.DataFrame:
    """The `n` booking lines with the largest absolute amounts in a row, with file and line."""
    chosen = _periods(eko, periods)
    combos = _row_lines(eko, row_id, chosen)[[*CODES]].drop_duplicates()
    path = eko.data_dir / "huvudbok.parquet"
    with duckdb.connect() as con:
        con.register("combos", combos)
        con.register("chosen", pd.DataFrame({"period": chosen}))
        sql = f"""
            SELECT h.period, h.ansvar, h.verksamhet, h.konto, h.belopp, h.text,
                   CAST(h._fil AS VARCHAR) AS fil, h._rad AS rad_i_filen
            FROM read_parquet('{path.as_posix()}') h
            JOIN combos USING ({", ".join(CODES)})
            JOIN chosen USING (period)
            ORDER BY abs(h.belopp) DESC, h.period, fil, rad_i_filen
            LIMIT {int(n)}
        """
        return con.execute(sql).df()


def breakdown_table(
    eko: EconomyReport, row_id: str, by: str = "konto", top: int = 10
) -> pd.DataFrame:
    """A publishable breakdown (first column `rad`): the `top` largest parts plus the rest."""
    parts = breakdown(eko, row_id, by=by).drop(columns=f"{by}_namn", errors="ignore")
    parts = parts.rename(columns={by: "rad"})
    parts["rad"] = [eko.code_names.label(by, str(code)) for code in parts["rad"]]
    head, tail = parts.iloc[:top], parts.iloc[top:]
    if len(tail):
        rest = tail.drop(columns="rad").sum(numeric_only=True).to_dict()
        rest["rad"] = f"Övriga ({len(tail)} st)"
        head = pd.concat([head, pd.DataFrame([rest])], ignore_index=True)
    head["_niva"] = "rad"
    return head[["rad", "utfall", "budget", "avvikelse", "andel", "_niva"]]


def show(eko: EconomyReport, ctx, *, rows: int = 3, by: str = "konto") -> None:
    """Interactive explorer in JupyterLab; static tables for the largest deviations in reports.

    A report run (ctx.output_dir set) or a kernel without ipywidgets gets the static tables.
    """
    from IPython.display import display

    from uppfoljning.present.safety import Markdown
    from uppfoljning.present.tables import percent_format

    if ctx.output_dir is None:
        try:
            display(explorer(eko))
            return
        except ImportError:
            pass
    labels = eko.period_table()["rad"]
    for row_id in eko.largest_deviation_rows(rows):
        display(Markdown(f"### {labels[row_id]} per {by}"))
        frame = breakdown_table(eko, row_id, by=by)
        display(
            ctx.publish(
                f"fordjupning_{row_id}_{by}",
                frame,
                headers={
                    "rad": by.capitalize(),
                    "utfall": "Redovisat",
                    "budget": "Budget",
                    "avvikelse": "Avvikelse",
                    "andel": "Andel av kostnader resp. intäkter",
                },
                unit=eko.unit,
                formats={"andel": percent_format(1)},
            )
        )


def explorer(eko: EconomyReport):
    """An ipywidgets explorer: pick a row and dimensions, see the breakdown and largest lines."""
    import ipywidgets as widgets
    from IPython.display import display

    from uppfoljning.present.formatting import format_amount, format_percent

    money = {c: (lambda v: format_amount(v, eko.unit)) for c in ("utfall", "budget", "avvikelse")}
    table = eko.period_table()
    options = [
        (r["rad"], i) for i, r in table.iterrows() if r["_niva"] in {"rad", "summa", "total"}
    ]
    row = widgets.Dropdown(
        options=options, value=eko.largest_deviation_rows(1)[0], description="Rad"
    )
    dim = widgets.SelectMultiple(options=DIMENSIONS, value=("konto",), description="Per")
    lines = widgets.IntSlider(value=10, min=0, max=50, description="Största rader")
    out = widgets.Output()

    def refresh(*_):
        out.clear_output()
        with out:
            frame = breakdown(eko, row.value, by=list(dim.value) or ["verksamhet"])
            formats = {c: f for c, f in money.items() if c in frame} | {"andel": format_percent}
            # Code names are data: escape="html" shows them as text (numbers are unaffected).
            display(frame.style.format(formats, na_rep="", escape="html").hide(axis="index"))
            if lines.value:
                display(largest_lines(eko, row.value, n=lines.value))

    for w in (row, dim, lines):
        w.observe(refresh, names="value")
    refresh()
    return widgets.VBox([widgets.HBox([row, dim, lines]), out])
