"""Before any notebook runs: can this period be computed right from these params and data?

A report on a month without ledger lines would show the budget as a surplus, with every table
check passing. So `uppfoljning run` (and `uppfoljning check`) first verify, for the notebooks
of the period: every parameter file they read, every dataset they need is non-empty, the
ledger has lines for every month January–period, the budget version exists for the year, and
a forecast exists where the report type needs one. All problems are collected and reported
together; nothing runs and nothing is published while any remain.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from uppfoljning.data.config import (
    UNCLASSIFIED_ID,
    ParamsError,
    PeriodParams,
    load_code_map,
    load_code_names,
    load_structure,
)
from uppfoljning.present.formatting import format_amount, period_label

# Datasets without which a notebook's page would be empty or wrong.
REQUIRED_DATASETS: dict[str, tuple[str, ...]] = {
    "ekonomi": ("huvudbok", "budget"),
    "volymer": ("volymer",),
    "hvb_placeringar": ("placeringar", "huvudbok"),
    "r9_jamforelser": (),
}
# Report types whose economy report shows the controllers' forecast for the year.
FORECAST_NEEDED = {"delarsrapport": "period", "manadsuppfoljning": "year"}
MAX_CODES_SHOWN = 20
REPORT_TYPE_LABELS = {"delarsrapport": "delårsrapport", "manadsuppfoljning": "månadsuppföljning"}


@dataclass
class Preflight:
    """What the check found: errors stop the run, notes are shown."""

    period: str
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # what each structure row takes (check)

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self) -> str:
        lines = [f"Kontroll av {self.period}: " + ("inga fel" if self.ok else "")]
        if self.errors:
            lines[0] += f"{len(self.errors)} fel, rapporten byggs inte"
            lines += [f"  - {e}" for e in self.errors]
        lines += [f"  · {n}" for n in self.notes]
        return "\n".join(lines)


class PreflightError(ValueError):
    """The period cannot be computed right; the message lists every problem (Swedish)."""

    def __init__(self, result: Preflight):
        self.result = result
        super().__init__(result.text())


Locate = Callable[[str], Path]


def _column(locate: Locate, dataset: str, columns: Sequence[str]) -> dict[str, list] | None:
    """Some columns of a processed dataset; None when it was never ingested."""
    path = locate(dataset)
    if not path.is_file():
        return None
    return pq.read_table(path, columns=list(columns)).to_pydict()


def _rows(locate: Locate, dataset: str) -> int | None:
    path = locate(dataset)
    return pq.ParquetFile(path).metadata.num_rows if path.is_file() else None


def _params_checks(params: PeriodParams) -> list[tuple[str, Callable[[], object]]]:
    """The params files the period's notebooks read, each with its loader."""
    params_dir = params.path.parent
    checks: list[tuple[str, Callable[[], object]]] = [
        ("rapportstruktur", lambda: load_structure(params.structure_file)),
    ]
    if params.code_map_file:
        checks.append(("kodomlaggning", lambda: load_code_map(params.code_map_file)))
    if params.code_names_file:
        checks.append(("kodnamn", lambda: load_code_names(params.code_names_file)))
    if params.action_plan_file:
        from uppfoljning.economy.actionplan import load_action_plan_config

        checks.append(("atgardsplan", lambda: load_action_plan_config(params.action_plan_file)))
    if "hvb_placeringar" in params.notebooks:
        from uppfoljning.data.care_forms import load_care_forms
        from uppfoljning.placements import load_settings

        checks.append(("vardformer", lambda: load_care_forms(params_dir)))
        checks.append(("hvb", lambda: load_settings(params_dir)))
    if "volymer" in params.notebooks:
        from uppfoljning.volumes.catalogue import load_catalogue

        checks.append(("volymmatt", lambda: load_catalogue(params_dir / "volymmatt.yaml")))
    if "r9_jamforelser" in params.notebooks:
        from uppfoljning.peers import catalogue

        checks.append(
            ("jamforelsegrupper", lambda: catalogue.load_config(params_dir / catalogue.CONFIG_FILE))
        )
    if params.document_file:
        from uppfoljning.document.structure import load_document_structure

        checks.append(("dokument", lambda: load_document_structure(params.document_file)))
    return checks


def check_period(
    params: PeriodParams,
    processed: Path,
    notebooks: Sequence[str] | None = None,
    *,
    locate: Locate | None = None,
    notebooks_dir: Path | None = None,
) -> Preflight:
    """Everything that must hold before `notebooks` (default: the period's) can run.

    `notebooks_dir` holds the notebooks; the headings they pass to `ctx.comment` are the ones
    of the comments file that are shown (None: the headings are not checked).

    `locate(dataset)` gives the Parquet file to check (default: processed/<dataset>.parquet;
    a staged ingest passes its new files, checked before they replace the old ones).
    """
    processed = Path(processed)
    if locate is None:
        locate = lambda dataset: processed / f"{dataset}.parquet"  # noqa: E731
    notebooks = list(notebooks or params.notebooks)
    result = Preflight(params.period)
    _check_comment_headings(params, notebooks_dir, result)
    _check_document_texts(params, result)
    for name, load in _params_checks(params):
        try:
            load()
        except ParamsError as exc:
            result.errors.extend(f"{exc.path.name}: {p}" for p in exc.problems)
        except (FileNotFoundError, LookupError, ValueError) as exc:
            result.errors.append(f"{name}: {exc}")

    needed = sorted({d for n in notebooks for d in REQUIRED_DATASETS.get(n, ())})
    empty = []
    for dataset in needed:
        rows = _rows(locate, dataset)
        if not rows:
            users = [n for n in notebooks if dataset in REQUIRED_DATASETS.get(n, ())]
            state = "har aldrig lästs in" if rows is None else "är tom (inga rader)"
            empty.append(dataset)
            result.errors.append(
                f"{dataset} {state} ({processed}); den behövs av {', '.join(users)}. Lägg "
                f"{dataset}-filerna i data/raw/ och kör igen"
            )
    if any(n in notebooks for n in ("ekonomi", "hvb_placeringar")) and "huvudbok" not in empty:
        _check_ledger_months(params, locate, result)
    if "ekonomi" in notebooks:
        if "budget" not in empty:
            _check_budget(params, locate, result)
        _check_forecast(params, locate, result)
    if "ekonomi" in notebooks and "huvudbok" not in empty:
        _check_structure(params, locate, result)
    if "r9_jamforelser" in notebooks:
        _check_kolada(params, processed, result)
    return result


_COMMENT_CALL = re.compile(r"""\.comment\(\s*["']([^"']+)["']""")


def comment_headings(notebooks_dir: Path, notebooks: Sequence[str]) -> list[str]:
    """The headings of the comments file that the notebooks (or the library) show."""
    sources = [Path(notebooks_dir) / f"{name}.ipynb" for name in notebooks]
    sources += sorted(Path(__file__).resolve().parents[1].rglob("*.py"))
    found: dict[str, str] = {}
    for path in sources:
        if path.is_file():
            text = path.read_text(encoding="utf-8").replace('\\"', '"')
            for heading in _COMMENT_CALL.findall(text):
                found.setdefault(heading.lower(), heading)
    return sorted(found.values())


def _check_document_texts(params: PeriodParams, result: Preflight) -> None:
    """A chapter whose text is not written stops the run before any notebook (one line each)."""
    if params.document_file is None:
        return
    from uppfoljning.document import missing_texts

    # The document structure's own problems come from the params checks.
    with contextlib.suppress(ParamsError):
        result.errors.extend(f"dokument: {p}" for p in missing_texts(params))


def _check_comment_headings(
    params: PeriodParams, notebooks_dir: Path | None, result: Preflight
) -> None:
    """Text under a heading no report shows would silently disappear: refuse it."""
    if params.comments_file is None or notebooks_dir is None:
        return
    from uppfoljning.document import document_headings

    try:
        chapters = document_headings(params)
    except ParamsError:
        chapters = []  # reported by the params checks
    shown = comment_headings(notebooks_dir, params.notebooks)
    valid = list(
        dict.fromkeys(
            [*chapters, *(h for h in shown if h.lower() not in {c.lower() for c in chapters})]
        )
    )
    known = {h.lower() for h in valid}
    name = params.comments_file.name
    lines = params.comments_file.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if line.startswith("## ") and line[3:].strip().lower() not in known:
            result.errors.append(
                f"{name}, rad {number}: rubriken ”{line[3:].strip()}” visas inte i någon "
                f"rapport eller något kapitel, så texten under den skulle försvinna. Rubriker "
                f"som visas: "
                f"{', '.join(valid)}"
            )


def _ledger_codes(locate: Locate, year: int) -> pd.DataFrame:
    """The year's ledger per code combination: ansvar, verksamhet, konto, rader, belopp."""
    import pyarrow.compute as pc

    table = pq.read_table(
        locate("huvudbok"), columns=["period", "ansvar", "verksamhet", "konto", "belopp"]
    )
    table = table.filter(pc.starts_with(table.column("period"), f"{year}-"))
    grouped = table.group_by(["ansvar", "verksamhet", "konto"]).aggregate(
        [("belopp", "sum"), ("belopp", "count")]
    )
    frame = grouped.to_pandas()
    return frame.rename(columns={"belopp_sum": "belopp", "belopp_count": "rader"})


def _check_structure(params: PeriodParams, locate: Locate, result: Preflight) -> None:
    """Which ledger lines each row of the report structure takes, before any notebook runs.

    A row whose prefixes match lines that all go to another row (e.g. `513` listed before
    `51320`) would be silently empty: an error. Rows of equal precedence that share lines, and
    prefixes that match nothing in the year, are shown as notes; so is every row's take.
    """
    from uppfoljning.economy.ledger import classify, matches

    try:
        structure = load_structure(params.structure_file)
    except ParamsError:
        return  # reported with the params files
    codes = _ledger_codes(locate, params.year)
    if codes.empty:
        return
    taken = classify(codes, structure).to_numpy()
    name = params.structure_file.name
    leaves = structure.leaf_rows
    masks = {row.id: matches(codes, row.filter) for row in leaves}
    for position, row in enumerate(leaves):
        mask = masks[row.id]
        own = taken == row.id
        lines = int(codes.loc[own, "rader"].sum())
        amount = float(codes.loc[own, "belopp"].sum())
        label = row.label if row.label.startswith(row.id) else f"{row.id} {row.label}"
        result.details.append(
            f"{label}: {lines} rader, {format_amount(amount, params.unit)} "
            f"{params.unit} ({int(own.sum())} kodkombinationer)"
        )
        for dim, prefixes in row.filter.include.items():
            for prefix in prefixes:
                if not codes[dim].astype(str).str.startswith(prefix).any():
                    result.notes.append(
                        f"{name}, rad {row.id}: prefixet {dim} {prefix} matchar inga rader i "
                        f"huvudboken {params.year}"
                    )
        if mask.any() and not own.any():
            thieves = sorted(set(taken[mask]) - {row.id})
            result.errors.append(
                f"{name}, rad {row.id} ({row.label}): raden blir tom; alla "
                f"{int(codes.loc[mask, 'rader'].sum())} rader som dess filter matchar tas av "
                f"{', '.join(thieves)} som prövas före (lägre forrang eller tidigare i listan). "
                "Skriv den längre koden före den kortare, eller ge raden lägre forrang"
            )
            continue
        for other in leaves[position + 1 :]:
            shared = mask & masks[other.id]
            if other.precedence == row.precedence and shared.any():
                result.notes.append(
                    f"{name}: raderna {row.id} och {other.id} matchar båda "
                    f"{int(codes.loc[shared, 'rader'].sum())} huvudboksrader; {row.id} tar dem "
                    "(står först)"
                )
    stray = taken == UNCLASSIFIED_ID
    if stray.any():
        result.notes.append(
            f"{int(codes.loc[stray, 'rader'].sum())} huvudboksrader "
            f"({format_amount(float(codes.loc[stray, 'belopp'].sum()), params.unit)} "
            f"{params.unit}) matchar ingen rad i {name} och visas som Ej klassificerat"
        )
        per_code = (
            codes[stray].groupby(["verksamhet", "konto"])[["rader", "belopp"]].sum().reset_index()
        )
        per_code = per_code.reindex(per_code["belopp"].abs().sort_values(ascending=False).index)
        for item in per_code.head(MAX_CODES_SHOWN).itertuples():
            result.details.append(
                f"Ej klassificerat: verksamhet {item.verksamhet}, konto {item.konto}: "
                f"{item.rader} rader, {format_amount(item.belopp, params.unit)} {params.unit}"
            )
        if len(per_code) > MAX_CODES_SHOWN:
            result.details.append(
                f"Ej klassificerat: ytterligare {len(per_code) - MAX_CODES_SHOWN} kodpar"
            )


def _check_ledger_months(params: PeriodParams, locate: Locate, result: Preflight) -> None:
    periods = set(_column(locate, "huvudbok", ["period"])["period"])
    wanted = [f"{params.year}-{m:02d}" for m in range(1, params.month + 1)]
    missing = [p for p in wanted if p not in periods]
    if missing:
        latest = max((p for p in periods if p.startswith(f"{params.year}-")), default=None)
        have = f"senaste månaden med rader är {latest}" if latest else "inga rader för året"
        result.errors.append(
            f"huvudbok: inga rader för {', '.join(period_label(p) for p in missing)} "
            f"({have}); rapporten för {period_label(params.period)} skulle visa budgeten som "
            "överskott. Lägg till huvudboken för de månaderna, eller välj en tidigare period"
        )
    if not any(p.startswith(f"{params.year - 1}-") for p in periods):
        result.notes.append(
            f"huvudbok: inga rader för {params.year - 1}; jämförelsen med föregående år blir tom"
        )


def _check_budget(params: PeriodParams, locate: Locate, result: Preflight) -> None:
    data = _column(locate, "budget", ["ar", "version"])
    versions = sorted(
        {v for a, v in zip(data["ar"], data["version"], strict=True) if a == params.year}
    )
    if params.budget_version not in versions:
        found = ", ".join(versions) if versions else "ingen budget alls för året"
        result.errors.append(
            f"budget: version {params.budget_version!r} för {params.year} saknas (finns: "
            f"{found}); ändra budgetversion i {params.path.name} eller lägg till budgeten"
        )
    else:
        result.notes.append(f"budget {params.year}: versioner {', '.join(versions)}")


def _check_forecast(params: PeriodParams, locate: Locate, result: Preflight) -> None:
    data = _column(locate, "prognos", ["prognosmanad"])
    months = sorted(set(data["prognosmanad"])) if data else []
    in_year = [m for m in months if m.startswith(f"{params.year}-") and m <= params.period]
    need = FORECAST_NEEDED.get(params.report_type)
    kind = REPORT_TYPE_LABELS.get(params.report_type, params.report_type)
    if need == "period" and params.period not in months:
        result.errors.append(
            f"prognos: ingen prognos gjord {period_label(params.period)} (finns: "
            f"{', '.join(in_year) or 'inga för året'}); en {kind} visar "
            "periodens helårsprognos"
        )
    elif need == "year" and not in_year:
        result.errors.append(
            f"prognos: ingen prognos för {params.year} gjord senast {params.period}; en "
            f"{kind} visar helårsprognosen"
        )
    elif not in_year:
        result.notes.append(
            f"prognos: inga prognoser för {params.year}; prognoskolumnerna visas inte"
        )
    if params.previous_forecast and params.previous_forecast not in months:
        result.errors.append(
            f"{params.path.name}: foregaende_prognos {params.previous_forecast} finns inte i "
            f"prognos (finns: {', '.join(months) or 'inga'})"
        )


def _check_kolada(params: PeriodParams, processed: Path, result: Preflight) -> None:
    from uppfoljning.peers import catalogue, kolada, sources

    try:
        config = catalogue.load_config(params.path.parent / catalogue.CONFIG_FILE)
        years = catalogue.report_years(config, params.period)
        sources.load_kolada(config, years, processed.parent / "raw" / "kolada")
    except ParamsError:
        return  # already reported with the params files
    except kolada.KoladaError as exc:
        result.errors.append(
            f"Kolada: {exc}; kör `uppfoljning kolada refresh` (nätverk) eller ta bort "
            "r9_jamforelser ur rapporter"
        )
