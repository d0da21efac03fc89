"""A year-end report from ledger and budget only, as a municipality without forecast exports has.

The raw files are Windows-1252 with semicolons, decimal commas and no-break-space thousands
separators, the report structure is a controller's own with long labels, and one activity code
is deliberately missing from it. Every expected figure is computed from the lines written here.
"""

from __future__ import annotations

import contextlib
import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

import uppfoljning as uf
from uppfoljning.economy.ledger import LEVEL
from uppfoljning.present.formatting import format_number, period_range_label
from uppfoljning.run.cli import main

from conftest import ROOT

YEAR = 2020
PERIOD = f"{YEAR}-12"
STRAY = "710"  # in no row of either structure
NBSP = "\u00a0"

# verksamhet, ansvar, konto, monthly amount in 2020 (kronor, öre included), text
LINES = [
    ("100", "11000", "5110", 40_000.50, "Arvoden nämndledamöter"),
    ("130", "11000", "6410", 12_500.25, "Konsulttjänst för översyn av reglementet"),
    ("51310", "21000", "5110", 310_000.75, "Löner gruppbostäder, särskild service"),
    ("51310", "21000", "3110", -20_000.00, "Avgifter för måltider och förbrukning"),
    ("56910", "31000", "4611", 180_000.40, "Köp av HVB-vård för barn och unga, Åby"),
    ("56920", "31000", "5611", 90_000.10, "Arvoden familjehem och kontaktfamiljer"),
    ("559", "31000", "4613", 60_000.00, "Köp av vård, LVM-hem i Östergötland"),
    ("575", "32000", "4710", 50_000.00, "Ekonomiskt bistånd, försörjningsstöd"),
    ("600", "33000", "3510", -45_000.00, "Statsbidrag för mottagande av nyanlända"),
    ("600", "33000", "5110", 30_000.00, "Löner etableringsinsatser, språkstöd"),
    ("51310", "47100", "5110", 120_000.00, "Löner egen regi, ersättare vid frånvaro"),
    (STRAY, "31000", "5110", 170_000.00, "Lönekostnad arbetsmarknadsenhet, höstens insatser"),
]
LAST_YEAR_FACTOR = 0.96  # the 2019 lines: the same codes at 96 %
BUDGET_FACTOR = 1.01  # the 2020 budget: twelve months of each classified line plus 1 %

LONG_LABELS = {
    "politik": "Nämnd- och styrelseverksamhet samt övrig politisk verksamhet inom nämndens område",
    "lss": "Insatser enligt lagen om stöd och service till vissa funktionshindrade (LSS) och "
    "socialförsäkringsbalken (SFB)",
    "ifo": "Individ- och familjeomsorg: barn och unga, missbruksvård för vuxna och ekonomiskt "
    "bistånd",
    "ifo_hvb": "varav köp av hem för vård eller boende (HVB) för barn och unga",
    "flykting": "Flyktingmottagande och etableringsinsatser för nyanlända kommuninvånare",
    "summa_netto": "Summa nettokostnader för nämndens verksamheter",
    "egen_regi": "Resultat för nämndens egna enheter i kommunal regi (ansvar 47, egen regi)",
    "totalt": "Summa nettokostnader inklusive nämndens egna enheter i kommunal regi",
}

STRUCTURE = f"""\
# En ekonoms egen radindelning med långa radnamn (verksamhet {STRAY} saknas med avsikt).
namn: Driftsammandrag med egna radnamn
oklassificerat_i: summa_netto
rader:
  - {{id: politik, rad: "{LONG_LABELS["politik"]}", filter: {{verksamhet: ["100", "130"]}}}}
  - {{id: lss, rad: "{LONG_LABELS["lss"]}", filter: {{verksamhet: ["513"]}}}}
  - id: ifo
    rad: "{LONG_LABELS["ifo"]}"
    filter: {{verksamhet: ["559", "569", "575"]}}
    varav:
      - {{id: ifo_hvb, rad: "{LONG_LABELS["ifo_hvb"]}", filter: {{verksamhet: ["56910"]}}}}
  - {{id: flykting, rad: "{LONG_LABELS["flykting"]}", filter: {{verksamhet: ["600"]}}}}
  - id: summa_netto
    rad: "{LONG_LABELS["summa_netto"]}"
    summa: [politik, lss, ifo, flykting]
  - id: egen_regi
    rad: "{LONG_LABELS["egen_regi"]}"
    egen_regi: true
    forrang: 1
    filter: {{ansvar: ["47"]}}
  - id: totalt
    rad: "{LONG_LABELS["totalt"]}"
    summa: [summa_netto, egen_regi]
    total: true
    varav:
      - {{id: kostnader, rad: varav kostnader, filter: {{konto: ["4", "5", "6", "7"]}}}}
      - {{id: intakter, rad: varav intäkter, filter: {{konto: ["3"]}}}}
"""

PERIOD_FILE = f"""\
period: {PERIOD}
rapporttyp: arsbokslut
rubrik: Verksamhetsberättelse {YEAR}
kommun: {{kod: "0999", namn: Provkommun}}
namnd: Socialnämnden
rapportstruktur: struktur_egna_rader.yaml
budgetversion: budget
enhet: tkr
kodnamn: kodnamn.yaml
rapporter: [ekonomi]
"""

CODE_NAMES = f"""\
verksamhet:
  "{STRAY}": Arbetsmarknadsåtgärder för personer långt från arbetsmarknaden
konto:
  "5110": Löner månadsavlönade
  "4611": Köp av HVB-vård
"""


def _amount(value: float) -> str:
    """`1234567.8` → `1 234 567,80`: decimal comma, no-break-space thousands."""
    return f"{value:,.2f}".replace(",", NBSP).replace(".", ",")


def _ledger_rows() -> list[tuple[str, str, str, str, float, str]]:
    rows = []
    for year, factor in ((YEAR - 1, LAST_YEAR_FACTOR), (YEAR, 1.0)):
        for month in range(1, 13):
            for verksamhet, ansvar, konto, amount, text in LINES:
                value = round(amount * factor, 2)
                rows.append((f"{year}-{month:02d}", ansvar, verksamhet, konto, value, text))
    return rows


def _budget_rows() -> list[tuple[str, str, str, float]]:
    return [
        (verksamhet, ansvar, konto, round(12 * amount * BUDGET_FACTOR, 2))
        for verksamhet, ansvar, konto, amount, _ in LINES
        if verksamhet != STRAY
    ]


def _write_cp1252(path: Path, header: str, lines: list[str]) -> None:
    path.write_bytes(("\r\n".join([header, *lines]) + "\r\n").encode("cp1252"))


def write_project(tmp: Path) -> tuple[Path, Path]:
    """Raw files and a params directory for the year-end report; returns (params file, data)."""
    raw = tmp / "data" / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    _write_cp1252(
        raw / "huvudbok_2019-2020.csv",
        "period;ansvar;verksamhet;konto;belopp;text",
        [f"{p};{a};{v};{k};{_amount(b)};{t}" for p, a, v, k, b, t in _ledger_rows()],
    )
    _write_cp1252(
        raw / "budget_2020.csv",
        "ar;version;verksamhet;ansvar;konto;belopp",
        [f"{YEAR};budget;{v};{a};{k};{_amount(b)}" for v, a, k, b in _budget_rows()],
    )
    params = tmp / "params"
    params.mkdir(exist_ok=True)
    (params / "struktur_egna_rader.yaml").write_text(STRUCTURE, encoding="utf-8")
    (params / "kodnamn.yaml").write_text(CODE_NAMES, encoding="utf-8")
    period_file = params / f"{PERIOD}.yaml"
    period_file.write_text(PERIOD_FILE, encoding="utf-8")
    return period_file, tmp / "data"


def _outcome(year: int, codes: tuple[str, ...] | None = None, ansvar_not: str = "47") -> float:
    """The ledger lines of `year` written above, optionally only some activity prefixes."""
    total = 0.0
    for period, ansvar, verksamhet, _, value, _ in _ledger_rows():
        if not period.startswith(f"{year}-"):
            continue
        if codes is not None and (
            ansvar.startswith(ansvar_not) or not verksamhet.startswith(codes)
        ):
            continue
        total += value
    return total


def _read(path: Path) -> dict[str, dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return {row["rad"]: row for row in csv.DictReader(fh)}


@pytest.fixture(scope="module")
def year_end(tmp_path_factory) -> tuple[Path, str]:
    """A municipality's own project made by `uppfoljning init`, then `uppfoljning run 2020-12`
    from inside it, as a controller would: no source tree, no --params or --data."""
    project = tmp_path_factory.mktemp("year_end") / "provkommun"
    assert main(["init", str(project)]) == 0
    assert not (project / "notebooks").exists()  # the notebooks come with the package
    write_project(project)
    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stdout(stdout):
        mp.delenv("UPPFOLJNING_HOME", raising=False)
        mp.chdir(project)
        code = main(["run", PERIOD])
    assert code == 0, stdout.getvalue()
    return project / "reports" / PERIOD, stdout.getvalue()


def test_the_year_end_table_compares_outcome_with_budget(year_end):
    report, _ = year_end
    table = _read(report / "tables" / "driftsammandrag_period.csv")
    labels = [LONG_LABELS[k] for k in ("politik", "lss", "ifo", "ifo_hvb", "flykting", "totalt")]
    assert set(labels) <= set(table)
    total = table[LONG_LABELS["totalt"]]
    assert float(total["utfall"]) == pytest.approx(_outcome(YEAR), abs=0.01)
    assert float(total["budget"]) == pytest.approx(sum(b for *_, b in _budget_rows()), abs=0.01)
    assert float(total["utfall_foregaende_ar"]) == pytest.approx(_outcome(YEAR - 1), abs=0.01)
    ifo = float(table[LONG_LABELS["ifo"]]["utfall"])
    assert ifo == pytest.approx(_outcome(YEAR, ("559", "569", "575")), abs=0.01)
    for rad, row in table.items():
        deviation = float(row["budget"]) - float(row["utfall"])
        assert float(row["avvikelse"]) == pytest.approx(deviation, abs=0.01), rad

    overview = pd.read_csv(report / "tables" / "ekonomi_oversikt.csv")
    assert list(overview.columns) == ["rad", "prognos", "budget", "avvikelse"]
    assert list(overview["rad"]) == ["Verksamhetens nettokostnader"]  # no investment data
    assert overview["prognos"].iloc[0] == pytest.approx(_outcome(YEAR), abs=0.01)
    tables = {p.stem for p in (report / "tables").glob("*.csv")}
    absent = {"driftsammandrag_prognos", "prognosforandring", "prognostraffsakerhet"}
    absent |= {"investeringar", "atgardsplan", "atgardsplan_atgarder", "budgetversioner"}
    assert not tables & absent


def test_the_unclassified_code_is_shown_and_drillable(year_end):
    report, _ = year_end
    table = _read(report / "tables" / "driftsammandrag_period.csv")
    stray = table["Ej klassificerat"]
    expected = _outcome(YEAR, (STRAY,))
    assert float(stray["utfall"]) == pytest.approx(expected, abs=0.01)
    assert float(stray["budget"]) == 0.0
    per_code = _read(report / "tables" / "ej_klassificerat.csv")
    name = f"{STRAY} Arbetsmarknadsåtgärder för personer långt från arbetsmarknaden"
    assert float(per_code[name]["utfall"]) == pytest.approx(expected, abs=0.01)
    # The largest deviation of the year, so the static drill-down shows it per account.
    accounts = _read(report / "tables" / "fordjupning_ej_klassificerat_konto.csv")
    assert float(accounts["5110 Löner månadsavlönade"]["utfall"]) == pytest.approx(expected)


def test_the_console_summarises_unclassified_amounts(year_end):
    _, console = year_end
    expected = format_number(_outcome(YEAR, (STRAY,)), 0)
    lines = [line for line in console.splitlines() if STRAY in line]
    assert lines, console
    assert f"utfall {period_range_label(PERIOD)} {expected} kr" in lines[0]
    assert "Ej klassificerat: 1 verksamhetskod matchar ingen rad" in console


def test_the_page_says_what_is_left_out_and_reads_well(year_end):
    report, _ = year_end
    html = (report / "ekonomi.html").read_text(encoding="utf-8")
    assert (
        f"Inga prognoser finns för {YEAR}; prognoskolumner och prognosträffsäkerhet visas inte."
        in html
    )
    assert f"Inga investeringar finns för {YEAR}" in html
    assert "Prognosträffsäkerhet</h2>" not in html and "Helårsprognos</h2>" not in html
    assert LONG_LABELS["lss"] in html and "Ã" not in html  # Windows-1252 read as such
    assert "white-space: normal" in html  # the label column wraps


def test_long_labels_wrap_and_do_not_overlap_in_charts():
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    labels = [LONG_LABELS[k] for k in ("politik", "lss", "ifo", "flykting", "egen_regi")]
    frame = pd.DataFrame({"rad": labels, "avvikelse": [-2e6, 1e6, -5e5, 3e5, 1e5]})
    short = uf.plots.deviation_bars(frame.assign(rad=list("abcde")), unit="tkr")
    fig = uf.plots.deviation_bars(frame, unit="tkr")
    assert fig.get_figheight() > short.get_figheight()  # the figure grows with label lines
    FigureCanvasAgg(fig).draw()
    ax = fig.axes[0]
    ticks = [t for t in ax.get_yticklabels() if t.get_text()]
    assert all(max(map(len, t.get_text().split("\n"))) <= uf.plots.LABEL_WIDTH for t in ticks)
    boxes = sorted((t.get_window_extent() for t in ticks), key=lambda b: b.y0)
    assert all(low.y1 <= high.y0 for low, high in zip(boxes, boxes[1:], strict=False))
    assert min(b.x0 for b in boxes) >= 0  # nothing cut at the left edge

    matrix = pd.DataFrame([[1e5, -2e5]] * 5, index=labels, columns=[f"{YEAR}-01", f"{YEAR}-02"])
    heat = uf.plots.deviation_heatmap(matrix, unit="tkr")
    FigureCanvasAgg(heat).draw()
    rows = [t for t in heat.axes[0].get_yticklabels() if t.get_text()]
    assert len(rows) == len(labels)
    boxes = sorted((t.get_window_extent() for t in rows), key=lambda b: b.y0)
    assert all(low.y1 <= high.y0 for low, high in zip(boxes, boxes[1:], strict=False))


def test_the_shipped_2020_structure_drills_into_unclassified_lines(tmp_path):
    """Point 2 of issue 10: the 2020 rows and an unclassified code, all the way to the lines."""
    period_file, data = write_project(tmp_path)
    shutil.copy(ROOT / "params" / "rapportstruktur_2020.yaml", period_file.parent)
    text = period_file.read_text(encoding="utf-8")
    period_file.write_text(
        text.replace("struktur_egna_rader.yaml", "rapportstruktur_2020.yaml"), encoding="utf-8"
    )
    from uppfoljning.data.ingest import ingest

    ingest(data / "raw", data / "processed")
    ctx = uf.open_period(PERIOD, params_file=period_file, data_dir=data / "processed")
    eko = uf.EconomyReport.open(ctx)
    with pytest.warns(UserWarning, match="Ej klassificerat"):
        row = eko.period_table().loc["ej_klassificerat"]
    parts = uf.drilldown.breakdown(eko, "ej_klassificerat", by=["verksamhet", "konto"])
    assert set(parts["verksamhet"]) == {STRAY}
    assert parts["utfall"].sum() == pytest.approx(row["utfall"])
    lines = uf.drilldown.largest_lines(eko, "ej_klassificerat", n=3)
    assert set(lines["text"]) == {LINES[-1][4]}  # the Windows-1252 text, read as written
    assert eko.unclassified_lines()[1].startswith(f"  verksamhet {STRAY} Arbetsmarknadsåtgärder")
    assert eko.unclassified_table().loc["summa", "utfall"] == pytest.approx(row["utfall"])
    assert "ej_klassificerat" in eko.largest_deviation_rows(3)
    assert row[LEVEL] == "rad"
    box = uf.drilldown.explorer(eko, export_dir=tmp_path)
    assert box.row.value == "ej_klassificerat"  # preselected: largest deviation


def _open(tmp: Path, period: str = PERIOD, investments: list[str] | None = None):
    """The library's view of the test project (after ingest), for one period."""
    from uppfoljning.data.ingest import ingest

    period_file, data = write_project(tmp)
    if investments is not None:
        _write_cp1252(
            data / "raw" / "investeringar.csv", "ar;projekt;period;utgifter;inkomster", investments
        )
    if period != PERIOD:
        text = period_file.read_text(encoding="utf-8").replace(PERIOD, period)
        text = text.replace("rapporttyp: arsbokslut", "rapporttyp: manadsuppfoljning")
        period_file = period_file.with_name(f"{period}.yaml")
        period_file.write_text(text, encoding="utf-8")
    ingest(data / "raw", data / "processed")
    ctx = uf.open_period(period, params_file=period_file, data_dir=data / "processed")
    return ctx, uf.EconomyReport.open(ctx)


@pytest.mark.filterwarnings("ignore::uppfoljning.economy.ledger.ClassificationWarning")
def test_investments_without_a_budget_show_outcome_but_no_frame(tmp_path):
    rows = [
        f"{YEAR};Ombyggnad av gruppbostad Åsen;{YEAR}-{m:02d};{_amount(25_000.5)};0" for m in (3, 9)
    ]
    _, eko = _open(tmp_path, investments=rows)
    table = eko.investments_table()
    project = table.loc["projekt_0"]
    assert project["rad"] == "Ombyggnad av gruppbostad Åsen"
    assert project["utgifter"] == pytest.approx(2 * 25_000.5)
    assert project["prognos_netto"] == pytest.approx(2 * 25_000.5)  # the year's outcome
    assert pd.isna(project["ram"]) and pd.isna(table.loc["summa", "avvikelse"])
    overview = eko.overview_table()
    assert overview.loc["investeringar", "prognos"] == pytest.approx(2 * 25_000.5)
    assert any(
        n.startswith(f"Ingen investeringsbudget finns för {YEAR}") for n in eko.missing_data_notes()
    )


@pytest.mark.filterwarnings("ignore::uppfoljning.economy.ledger.ClassificationWarning")
def test_a_month_without_forecast_computes_what_needs_no_forecast(tmp_path):
    """The library still answers (the pre-run check refuses such a monthly report)."""
    _, eko = _open(tmp_path, period=f"{YEAR}-06")
    assert eko.forecast_month is None and eko.overview_table() is None
    assert eko.forecast_table() is None and eko.forecast_change_table() is None
    comparison = eko.forecast_comparison_table()
    assert "prognos" not in comparison and "prognos_sasong" in comparison
    assert eko.missing_data_notes()[0].startswith(f"Ingen helårsprognos finns för {YEAR}")
    text = eko.commentary()
    assert text.startswith("Resultatet per 30 juni 2020") and "Helårsprognosen" not in text
