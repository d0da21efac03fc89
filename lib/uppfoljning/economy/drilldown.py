"""Drill-down from a driftsammandrag row to verksamhet, konto, ansvar, motpart, month and lines.

Queries run in DuckDB over the ledger's Parquet file (`economy.ledger_sql`), so any month range
and any dimension costs one filtered scan, also on a ledger of millions of lines. Lines are
classified by the same rules as the tables (code map and precedence included), so the parts
always add up to the row's figure in the report; the budget is the tables' periodised budget.

Example (JupyterLab)::

    eko = uf.EconomyReport.open(ctx)
    uf.drilldown.breakdown(eko, "569", by="konto")            # row → accounts, Jan–month
    uf.drilldown.breakdown(eko, "569", by=["verksamhet", "period"], start="2024-03")
    uf.drilldown.largest_lines(eko, "569", n=10)              # the biggest booking lines
    uf.drilldown.explorer(eko)                                # the widgets
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from uppfoljning.data.config import parse_period
from uppfoljning.economy.ledger import CODES, _leaves_under, classify
from uppfoljning.economy.ledger_sql import connect, lines_sql, literal, period_filter
from uppfoljning.economy.report import EconomyReport

DIMENSIONS = ("verksamhet", "konto", "ansvar", "motpart", "period")
DIMENSION_LABELS = {
    "verksamhet": "Verksamhet",
    "konto": "Konto",
    "ansvar": "Ansvar",
    "motpart": "Motpart",
    "period": "Månad",
}
QUANTITIES = ["utfall", "budget", "avvikelse", "utfall_foregaende_ar"]


def months(start: str, end: str) -> list[str]:
    """Every month from `start` to `end` (ÅÅÅÅ-MM), both included; empty when start > end."""
    (y0, m0), (y1, m1) = parse_period(start), parse_period(end)
    first, last = y0 * 12 + m0 - 1, y1 * 12 + m1 - 1
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(first, last + 1)]


def shift_year(period: str, years: int) -> str:
    return f"{int(period[:4]) + years}{period[4:]}"


def _ledger_path(eko: EconomyReport) -> Path:
    path = Path(eko.data_dir) / "huvudbok.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} saknas: kör `uppfoljning ingest` först")
    return path


def available_periods(eko: EconomyReport) -> list[str]:
    """The ledger's months, read from the Parquet file (one column, no aggregation)."""
    path = _ledger_path(eko)
    with connect() as con:
        sql = f"SELECT DISTINCT period FROM read_parquet({literal(path.as_posix())}) ORDER BY 1"
        return [r[0] for r in con.execute(sql).fetchall()]


def _leaves(eko: EconomyReport, row_id: str) -> list[str]:
    try:
        return sorted(_leaves_under(eko.structure, row_id))
    except KeyError:
        known = ", ".join(r.id for r in eko.structure.rows)
        raise KeyError(f"Okänd rad {row_id!r}; rader: {known}") from None


def _chosen(eko: EconomyReport, periods, start, end) -> list[str]:
    if periods:
        return sorted(periods)
    year, month = parse_period(eko.params.period)
    return months(start or f"{year}-01", end or eko.params.period)


def _dims(by: str | list[str]) -> list[str]:
    dims = [by] if isinstance(by, str) else list(dict.fromkeys(by))
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown or not dims:
        raise ValueError(f"Okänd dimension {unknown}; välj bland {', '.join(DIMENSIONS)}")
    return dims


def _outcome(eko, leaves, dims, chosen, *, shift: int = 0, name: str = "utfall") -> pd.DataFrame:
    """Sum of the row's lines per dimension; with `shift`, the same months `shift` years back
    (their period moved forward again so that a month dimension lines up)."""
    wanted = [shift_year(p, -shift) for p in chosen]
    year = f"CAST(substr(period, 1, 4) AS INTEGER) + {int(shift)}"
    period = f"CAST({year} AS VARCHAR) || substr(period, 5)"
    select = ", ".join(f"{period} AS period" if d == "period" else d for d in dims)
    rows = ", ".join(literal(r) for r in leaves)
    sql = f"""
        SELECT {select}, sum(belopp) AS {name}
        FROM ({lines_sql(_ledger_path(eko), eko.structure, eko.ledger.code_map)})
        WHERE rad_id IN ({rows}) AND {period_filter(wanted)}
        GROUP BY ALL
    """
    with connect() as con:
        return con.execute(sql).df()


def budget_lines(eko: EconomyReport, chosen: list[str]) -> pd.DataFrame:
    """The periodised budget per month and code (annual lines count a twelfth a month), in the
    report's budget version; a year without that version has no budget."""
    b = eko.ledger.budget
    parts = []
    for year in sorted({int(p[:4]) for p in chosen}):
        mine = [p for p in chosen if p.startswith(f"{year}-")]
        lines = b[(b["ar"] == year) & (b["version"] == eko.params.budget_version)]
        parts.append(lines[lines["period"].isin(mine)])
        annual = lines[lines["period"].fillna("") == ""]
        for p in mine:
            parts.append(annual.assign(period=p, belopp=annual["belopp"] / 12))
    out = pd.concat(parts, ignore_index=True) if parts else b.iloc[:0]
    out = out[["period", *CODES, "belopp"]].copy()
    for dim in CODES:
        out[dim] = out[dim].fillna("").astype(str)
    return out


def _budget(eko, leaves, dims, chosen) -> pd.DataFrame:
    lines = budget_lines(eko, chosen)
    lines = lines[classify(lines, eko.structure).isin(leaves)]
    return lines.groupby(dims, as_index=False)["belopp"].sum().rename(columns={"belopp": "budget"})


def _order(out: pd.DataFrame, dims: list[str]) -> pd.DataFrame:
    """Nested order: within each level the largest parts first (by absolute outcome), months
    in calendar order."""
    keys: list[str] = []
    for i, dim in enumerate(dims):
        if dim == "period":
            keys.append(dim)
            continue
        size = out.groupby(dims[: i + 1])["utfall"].transform("sum").abs()
        out[f"_k{i}"] = -size
        keys += [f"_k{i}", dim]
    out = out.sort_values(keys, kind="stable").reset_index(drop=True)
    return out.drop(columns=[c for c in out if c.startswith("_k")])


def breakdown(
    eko: EconomyReport,
    row_id: str,
    by: str | list[str] = "verksamhet",
    *,
    periods: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
    budget: bool = True,
) -> pd.DataFrame:
    """A row's outcome beside periodised budget and last year's outcome for the same months,
    split by one or more dimensions (in the order given).

    Months: `start`..`end` (default January–the report month) or an explicit `periods` list.
    Columns: the dimensions, their names (params/kodnamn.yaml, when the period file names
    one), utfall, [budget, avvikelse], utfall_foregaende_ar, andel (% of the row's costs for a
    cost, of its revenues for a revenue). There is no budget per motpart (NaN).
    """
    dims = _dims(by)
    chosen = _chosen(eko, periods, start, end)
    leaves = _leaves(eko, row_id)
    out = _outcome(eko, leaves, dims, chosen)
    if budget:
        if "motpart" in dims:
            out["budget"] = np.nan
        else:
            out = out.merge(_budget(eko, leaves, dims, chosen), on=dims, how="outer")
    previous = _outcome(eko, leaves, dims, chosen, shift=1, name="utfall_foregaende_ar")
    out = out.merge(previous, on=dims, how="outer")
    out["utfall"] = out["utfall"].fillna(0.0)
    if budget:
        if "motpart" not in dims:
            out["budget"] = out["budget"].fillna(0.0)
        out["avvikelse"] = out["budget"] - out["utfall"]
    out["utfall_foregaende_ar"] = out["utfall_foregaende_ar"].fillna(0.0)
    out = out[[*dims, *[q for q in QUANTITIES if q in out]]]
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
    return _order(out, dims)


def largest_lines(
    eko: EconomyReport,
    row_id: str,
    *,
    n: int = 20,
    periods: list[str] | None = None,
    start: str | None = None,
    end: str | None = None,
) -> pd.DataFrame:
    """The `n` booking lines with the largest absolute amounts in a row, with text, file and
    line (codes after the code map, as in the tables)."""
    chosen = _chosen(eko, periods, start, end)
    rows = ", ".join(literal(r) for r in _leaves(eko, row_id))
    sql = f"""
        SELECT period, ansvar, verksamhet, konto, motpart, belopp, text, fil, rad_i_filen
        FROM ({lines_sql(_ledger_path(eko), eko.structure, eko.ledger.code_map)})
        WHERE rad_id IN ({rows}) AND {period_filter(chosen)}
        ORDER BY abs(belopp) DESC, period, fil, rad_i_filen
        LIMIT {max(int(n), 0)}
    """
    with connect() as con:
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


def explorer(eko: EconomyReport, *, export_dir: Path | None = None):
    """The ipywidgets explorer (`economy.explorer.Explorer`): row, month range, dimensions in
    order, table beside budget and last year, chart, largest lines and xlsx export."""
    from uppfoljning.economy.explorer import Explorer

    return Explorer(eko, export_dir=export_dir)
