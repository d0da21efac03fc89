"""Drill-down from a driftsammandrag row to verksamhet, konto, ansvar, motpart, month and lines.

Queries run in DuckDB over the ledger's Parquet file, so any month range and any dimension
costs one filtered scan, also on a ledger of millions of lines. The ledger's distinct code
combinations (a few thousand) are classified once with the tables' own `apply_code_map` and
`classify`, and the queries join the lines to the chosen row's combinations: the parts always
add up to the row's figure in the report. The budget is the tables' periodised budget.

Example (JupyterLab)::

    eko = uf.EconomyReport.open(ctx)
    uf.drilldown.breakdown(eko, "569", by="konto")            # row → accounts, Jan–month
    uf.drilldown.breakdown(eko, "569", by=["verksamhet", "period"], start="2024-03")
    uf.drilldown.largest_lines(eko, "569", n=10)              # the biggest booking lines
    uf.drilldown.explorer(eko)                                # the widgets
"""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from uppfoljning.data.config import parse_period
from uppfoljning.economy.ledger import CODES, _leaves_under, apply_code_map, classify
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
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
# Per session: the classified monthly sums, code combinations, budget and per-row motpart
# sums, keyed by what they were computed from, so that an explorer's changes reuse them.
_CACHE: dict[tuple, object] = {}
_CONNECTION: duckdb.DuckDBPyConnection | None = None


def months(start: str, end: str) -> list[str]:
    """Every month from `start` to `end` (ÅÅÅÅ-MM), both included; empty when start > end."""
    (y0, m0), (y1, m1) = parse_period(start), parse_period(end)
    first, last = y0 * 12 + m0 - 1, y1 * 12 + m1 - 1
    return [f"{i // 12}-{i % 12 + 1:02d}" for i in range(first, last + 1)]


def shift_year(period: str, years: int) -> str:
    return f"{int(period[:4]) + years}{period[4:]}"


def _literal(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def _period_filter(periods: list[str]) -> str:
    """`period IN (...)` of validated ÅÅÅÅ-MM strings, with a BETWEEN for Parquet pruning."""
    bad = [p for p in periods if not PERIOD_RE.match(str(p))]
    if bad:
        raise ValueError(f"Ogiltig månad {bad[0]!r}; ange ÅÅÅÅ-MM")
    if not periods:
        return "FALSE"
    listed = ", ".join(_literal(p) for p in periods)
    first, last = _literal(min(periods)), _literal(max(periods))
    return f"h.period BETWEEN {first} AND {last} AND h.period IN ({listed})"


def _connect() -> duckdb.DuckDBPyConnection:
    """A cursor on the module's in-memory connection (opening one costs more than a query),
    without the terminal progress bar, which garbles a notebook."""
    global _CONNECTION
    if _CONNECTION is None:
        _CONNECTION = duckdb.connect()
        _CONNECTION.execute("SET enable_progress_bar = false")
    return _CONNECTION.cursor()


def _ledger_path(eko: EconomyReport) -> Path:
    path = Path(eko.data_dir) / "huvudbok.parquet"
    if not path.exists():
        raise FileNotFoundError(f"{path} saknas: kör `uppfoljning ingest` först")
    return path


def _scan_sql(eko: EconomyReport) -> str:
    return f"read_parquet({_literal(_ledger_path(eko).as_posix())})"


def available_periods(eko: EconomyReport) -> list[str]:
    """The ledger's months (from the tables' monthly aggregate)."""
    return list(eko.ledger.periods)


def _raw_candidates(code: str, pairs: dict[str, str]) -> list[str]:
    """Every code that the code map could have rewritten to `code` (itself included)."""
    return [code] + [old + code[len(new) :] for old, new in pairs.items() if code.startswith(new)]


def code_combinations(eko: EconomyReport) -> pd.DataFrame:
    """Every booked code combination as booked (raw), after the code map (`m_…`) and its row
    id, classified exactly as the tables.

    Built from the tables' monthly aggregate without reading the ledger again: the raw codes
    behind a mapped one are the code itself and the old prefixes of the map put back, kept
    when `apply_code_map` gives the mapped code again (a candidate never booked simply joins
    no line).
    """
    monthly = _classified_monthly(eko)
    key = ("combos", id(eko.ledger), repr(eko.structure))
    cached = _CACHE.get(key)
    if cached is not None and cached[0] is monthly:
        return cached[1]
    mapped = monthly[[*CODES, "rad_id"]].drop_duplicates(CODES).reset_index(drop=True)
    code_map = eko.ledger.code_map
    prefixes = code_map.prefixes if code_map is not None and not code_map.is_empty else {}
    rows = []
    for combo in mapped.itertuples(index=False):
        options = [_raw_candidates(getattr(combo, d), prefixes.get(d, {})) for d in CODES]
        for raw in itertools.product(*options):
            rows.append((*raw, *(getattr(combo, d) for d in CODES), combo.rad_id))
    out = pd.DataFrame(rows, columns=[*CODES, *(f"m_{d}" for d in CODES), "rad_id"])
    if prefixes:  # keep the candidates that the map really sends to their mapped codes
        check = apply_code_map(out[CODES].assign(_i=range(len(out)), belopp=0.0), code_map)
        check = check.sort_values("_i").reset_index(drop=True)
        same = np.logical_and.reduce(
            [check[d].to_numpy() == out[f"m_{d}"].to_numpy() for d in CODES]
        )
        out = out[same].reset_index(drop=True)
    _CACHE[key] = (monthly, out)
    return out


def _query(eko: EconomyReport, leaves: list[str], sql: str) -> pd.DataFrame:
    """Run `sql` with `sel`: the raw code combinations of the chosen rows (mapped codes m_…)."""
    combos = code_combinations(eko)
    with _connect() as con:
        con.register("sel", combos[combos["rad_id"].isin(leaves)])
        return con.execute(sql).df()


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


def _classified_monthly(eko: EconomyReport) -> pd.DataFrame:
    """The ledger's monthly sums per code combination (the tables' own aggregate, already in
    memory once the tables are computed) with their row id."""
    monthly = eko.ledger.monthly
    key = ("monthly", id(eko.ledger), repr(eko.structure))
    cached = _CACHE.get(key)
    if cached is None or cached[0] is not monthly:
        cached = (monthly, monthly.assign(rad_id=classify(monthly, eko.structure).to_numpy()))
        _CACHE[key] = cached
    return cached[1]


def _row_sums(eko: EconomyReport, leaves: list[str], motpart: bool) -> pd.DataFrame:
    """The row's outcome per month and code combination (mapped codes) [and motpart].

    Without motpart this is the tables' monthly aggregate, so no scan at all; motpart is not
    in it, so that dimension costs one scan of the ledger per row (cached).
    """
    if not motpart:
        monthly = _classified_monthly(eko)
        return monthly[monthly["rad_id"].isin(leaves)]
    path = _ledger_path(eko)
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size, repr(eko.structure), tuple(leaves))
    if key not in _CACHE:
        sql = f"""
            SELECT h.period, {", ".join(f"sel.m_{d} AS {d}" for d in CODES)},
                   coalesce(CAST(h.motpart AS VARCHAR), '') AS motpart, sum(h.belopp) AS belopp
            FROM {_scan_sql(eko)} h JOIN sel USING ({", ".join(CODES)})
            GROUP BY ALL
        """
        if len(_CACHE) > 32:
            _CACHE.clear()
        _CACHE[key] = _query(eko, leaves, sql)
    return _CACHE[key]


def _outcome(eko, leaves, dims, chosen, *, shift: int = 0, name: str = "utfall") -> pd.DataFrame:
    """Sum of the row's lines per dimension; with `shift`, the same months `shift` years back
    (their period moved forward again so that a month dimension lines up)."""
    _period_filter(chosen)  # validates the months
    sums = _row_sums(eko, leaves, "motpart" in dims)
    wanted = {shift_year(p, -shift): p for p in chosen}
    lines = sums[sums["period"].isin(wanted)]
    if shift:
        lines = lines.assign(period=lines["period"].map(wanted))
    return lines.groupby(dims, as_index=False)["belopp"].sum().rename(columns={"belopp": name})


def _classified_budget(eko: EconomyReport) -> pd.DataFrame:
    """The budget lines with their row id, classified once per structure (as the tables)."""
    key = ("budget", str(eko.data_dir), repr(eko.structure), repr(eko.ledger.code_map))
    if key not in _CACHE:
        b = eko.ledger.budget.copy()
        for dim in CODES:
            b[dim] = b[dim].fillna("").astype(str)
        b["period"] = b["period"].fillna("")
        b["rad_id"] = classify(b, eko.structure).to_numpy()
        _CACHE[key] = b
    return _CACHE[key]


def budget_lines(eko: EconomyReport, chosen: list[str], leaves: list[str] | None = None):
    """The periodised budget per month and code (annual lines count a twelfth a month) in the
    report's budget version, of the rows `leaves` (all rows if None); a year without that
    version has no budget."""
    b = _classified_budget(eko)
    if leaves is not None:
        b = b[b["rad_id"].isin(leaves)]
    parts = [b.iloc[:0]]
    for year in sorted({int(p[:4]) for p in chosen}):
        mine = [p for p in chosen if p.startswith(f"{year}-")]
        lines = b[(b["ar"] == year) & (b["version"] == eko.params.budget_version)]
        parts.append(lines[lines["period"].isin(mine)])
        annual = lines[lines["period"] == ""]
        parts += [annual.assign(period=p, belopp=annual["belopp"] / 12) for p in mine]
    return pd.concat(parts, ignore_index=True)[["period", *CODES, "belopp", "rad_id"]]


def _budget(eko, leaves, dims, chosen) -> pd.DataFrame:
    lines = budget_lines(eko, chosen, leaves)
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
    code_names = eko.code_names
    for pos, dim in enumerate([d for d in dims if d != "period"]):
        names = [code_names.name(dim, str(c)) for c in out[dim]]
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
    sql = f"""
        SELECT h.period, sel.m_ansvar AS ansvar, sel.m_verksamhet AS verksamhet,
               sel.m_konto AS konto, coalesce(CAST(h.motpart AS VARCHAR), '') AS motpart,
               h.belopp, coalesce(CAST(h.text AS VARCHAR), '') AS text,
               CAST(h._fil AS VARCHAR) AS fil, h._rad AS rad_i_filen
        FROM {_scan_sql(eko)} h JOIN sel USING ({", ".join(CODES)})
        WHERE {_period_filter(chosen)}
        ORDER BY abs(h.belopp) DESC, h.period, fil, rad_i_filen
        LIMIT {max(int(n), 0)}
    """
    return _query(eko, _leaves(eko, row_id), sql)


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
