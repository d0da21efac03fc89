"""Deterministic demo data: raw exports whose aggregates reproduce the August 2024 report.

The suite must be runnable and testable without the municipality's real ledger, so this module
writes files shaped like the real exports (ledger, budget, forecasts, investments) whose sums per
report row reproduce the published tables in `uppfoljning/calibration/2024-08/` after rounding
to 0,1 mnkr. How:

1. `solve_targets` picks exact row amounts (in units of 1 000 kr) with `calibrate.RoundedFit`
   so that every published row, deviation and sum rounds to what was printed.
2. Row amounts are split into costs and revenues (`DemoRowSpec.revenue_weight`), into January to
   August and September to December, over ansvar/verksamhet/konto keys (`ROW_SPECS`), over
   months (`MONTH_PROFILES`) and into booking lines, always in integer öre by largest remainder,
   so every total is exact. Noise comes from numpy generators with fixed seeds.

Codes follow `params/rapportstruktur_2024.yaml` without reading it: verksamhet sub-codes are five
digits starting with the SCB code; the committee's own units are ansvar 47xxx (LSS
Funktionsstöd) and 48xxx (Råd och stöd). Signs: costs positive, revenues negative, kronor.

Placements: `demo_placements` writes a placement register calibrated to the report's facts;
the ledger's placement accounts of 569 and 559 (2023–2024) carry that register's monthly cost
(`_book_placements`), and the rest of each row's cost moves to its other accounts, so every row
total stays what the calibration solved for while register and ledger reconcile.

To extend (another ledger year, more forecast months, volumes): add a quantity to
`solve_targets`, a spec to `ROW_SPECS` or a writer function; keep each random stream separate
(`_rng(name)`) so existing files stay byte-identical.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from openpyxl import Workbook
from openpyxl.xml.functions import tostring

from uppfoljning.demo import published_text
from uppfoljning.demo.calibrate import RoundedFit, to_steps
from uppfoljning.demo.placements import ledger_costs, write_demo_placements
from uppfoljning.present.formatting import SWEDISH_MONTHS

__all__ = [
    "DemoRowSpec",
    "DemoTargets",
    "KeyGroup",
    "ROW_SPECS",
    "load_published",
    "solve_targets",
    "write_demo_data",
]

SEED = 20240831
CALIBRATION = "2024-08"
YEAR = 2024
PREVIOUS_YEAR = 2023
LAST_MONTH = 8  # ledger 2024 runs January..August
UNIT_ORE = 1_000 * 100  # solver unit: 1 000 kr
STEP = 100  # 0,1 mnkr in solver units
SPREAD = 44  # max |exact - published| in solver units (0,044 mnkr)

ROWS = ("100", "130", "267", "513", "520", "559", "569", "571", "575", "585", "600", "922")
OWN_UNITS = ("47", "48")  # ansvar prefixes: LSS Funktionsstöd, Råd och stöd
ALL_ROWS = ROWS + OWN_UNITS
SUM_NET = "Summa nettokostnader"
OWN_TOTAL = "Resultat nämndens enheter"
TOTAL = "Summa nettokostnader inkl kommunal verks"
VARAV_COSTS = "varav kostnader"
VARAV_REVENUES = "varav intäkter"

PERIOD_TABLE = "driftsammandrag_period.csv"
FORECAST_TABLE = "driftsammandrag_prognos.csv"
# quantity -> (table, column); deviations are budget minus outcome/forecast
QUANTITIES: dict[str, tuple[str, str]] = {
    "utfall": (PERIOD_TABLE, "utfall_mnkr"),
    "budget_period": (PERIOD_TABLE, "budget_mnkr"),
    "utfall_fg": (PERIOD_TABLE, "utfall_fg_ar_mnkr"),
    "prognos": (FORECAST_TABLE, "prognos_mnkr"),
    "budget": (FORECAST_TABLE, "budget_mnkr"),
    "bokslut_fg": (FORECAST_TABLE, "bokslut_fg_ar_mnkr"),
}
DEVIATIONS: dict[str, tuple[str, str]] = {
    PERIOD_TABLE: ("budget_period", "utfall"),
    FORECAST_TABLE: ("budget", "prognos"),
}
# The report publishes only the own units' sum; this split (mnkr, summing to the published
# values) is demo choice. The period deviations per unit are checked against the report.
OWN_UNIT_SPLIT: dict[str, dict[str, str]] = {
    "utfall": {"47": "25.0", "48": "-1.1"},
    "budget_period": {"47": "6.0", "48": "4.3"},
    "utfall_fg": {"47": "18.0", "48": "4.6"},
    "prognos": {"47": "37.0", "48": "0.1"},
    "budget": {"47": "14.0", "48": "9.1"},
    "bokslut_fg": {"47": "36.0", "48": "10.4"},
}
OWN_UNIT_FORECAST_ANSVAR = {"47": "47000", "48": "48000"}
FORECAST_MONTHS = ("2024-03", "2024-08")
# March forecast = August forecast plus these cost shifts (tkr, summing to zero): 569 and 559
# worsened after March, 513 and 600 improved.
MARCH_SHIFT_TKR: dict[str, int] = {
    "569": -4_200,
    "513": 3_000,
    "559": -1_500,
    "600": 1_800,
    "571": -600,
    "922": 1_000,
    "47": 500,
}
ORIGINAL_BUDGET_CUT_TKR = 5_000  # KS added 5 mnkr to the frame after the original budget
ORIGINAL_BUDGET_KEY = ("41120", "56910", "4611")  # ... put on 569's HVB purchases
BUDGET_REVENUE_SHARE_JAN_AUG = 8 / 12


@dataclass(frozen=True)
class KeyGroup:
    """Ledger keys of one report row sharing verksamhet and konto mix across ansvar units.

    `konto` weights are relative to the other groups of the same row and side (costs or
    revenues); each ansvar gets a deterministic random size around the group mean.
    """

    ansvar: tuple[str, ...]
    verksamhet: str
    konto: Mapping[str, float]


@dataclass(frozen=True)
class DemoRowSpec:
    """How one report row's net amounts are spread over keys.

    `revenue_weight` is the row's share of the committee's revenues (so the total cost/revenue
    split matches the published "varav" rows); `revenue_share_jan_aug` is the share of a year's
    actual revenues booked January to August (fees early, state grants late).
    """

    row: str
    costs: tuple[KeyGroup, ...]
    revenues: tuple[KeyGroup, ...] = ()
    revenue_weight: float = 0.0
    revenue_share_jan_aug: float = 8 / 12


def _units(prefix: str, count: int) -> tuple[str, ...]:
    """Five-digit ansvar codes prefix01, prefix02, ..."""
    return tuple(f"{prefix}{i:02d}" for i in range(1, count + 1))


def _g(ansvar: str | tuple[str, ...], verksamhet: str, **konto: float) -> KeyGroup:
    codes = (ansvar,) if isinstance(ansvar, str) else ansvar
    return KeyGroup(codes, verksamhet, {k.removeprefix("k"): w for k, w in konto.items()})


ROW_SPECS: dict[str, DemoRowSpec] = {
    spec.row: spec
    for spec in (
        DemoRowSpec("100", (_g("40000", "10010", k5110=50, k5410=16, k6410=30, k6110=4),)),
        DemoRowSpec("130", (_g("40000", "13010", k6410=70, k5110=20, k5410=10),)),
        DemoRowSpec(
            "267",
            (_g("46210", "26710", k5110=60, k5410=19, k6110=8, k6410=13),),
            (_g("46210", "26710", k3110=1),),
            revenue_weight=2.6,
            revenue_share_jan_aug=0.92,
        ),
        DemoRowSpec(
            "513",
            (
                _g("43100", "51310", k5110=60, k5410=19, k6410=6, k6110=5),
                _g(("43110", "43111"), "51310", k4619=260, k4710=60, k6410=4),
                _g(("43120", "43121", "43122"), "51320", k4619=420, k6110=40, k6410=6),
                _g("43130", "51330", k4619=150, k6410=4),
                _g("43140", "51340", k4619=70),
            ),
            (
                _g(("43110", "43111"), "51310", k3510=170),
                _g(("43120", "43121", "43122"), "51320", k3110=12, k3610=13),
            ),
            revenue_weight=195,
        ),
        DemoRowSpec(
            "520",
            (
                _g("42100", "52010", k5110=22, k5410=7),
                _g(("42140", "42141"), "52010", k4619=70, k4614=25, k6110=12, k6410=3),
                _g("42140", "52020", k4619=30),
            ),
            (_g(("42140", "42141"), "52010", k3110=4, k3610=4),),
            revenue_weight=8,
        ),
        DemoRowSpec(
            "559",
            (
                _g(("42110", "42111"), "55910", k4611=30, k4613=12, k4614=18),
                _g(("42110", "42112"), "55920", k4619=20, k5110=22, k5410=7, k6410=4),
            ),
            (_g("42110", "55910", k3510=3, k3110=1),),
            revenue_weight=4,
        ),
        DemoRowSpec(
            "569",
            (
                _g("41120", "56910", k4611=150, k4614=8),
                _g("41120", "56940", k4613=20),
                _g("41130", "56920", k4612=40, k5611=30, k6410=5),
                _g(_units("411", 4), "56930", k5110=120, k5120=8, k5410=38, k6110=15, k6410=20),
                _g("41140", "56930", k4619=60, k5110=35, k5410=11),
            ),
            (
                _g("41120", "56910", k3510=12),
                _g("41110", "56930", k3510=4),
                _g("41140", "56930", k3410=2),
            ),
            revenue_weight=18,
        ),
        DemoRowSpec(
            "571",
            (
                _g(("42120", "42121"), "57110", k6110=30, k4614=20, k5110=18, k5410=6, k6410=4),
                _g("42120", "57120", k4619=14, k4611=6),
            ),
            (_g(("42120", "42121"), "57110", k3610=12, k3110=2),),
            revenue_weight=14,
        ),
        DemoRowSpec(
            "575",
            (_g("42130", "57510", k4710=95, k6410=5),),
            (_g("42130", "57510", k3510=1),),
            revenue_weight=0.5,
        ),
        DemoRowSpec(
            "585",
            (_g("44110", "58510", k5110=55, k5410=17, k6110=8, k6410=12, k4619=8),),
            (_g("44110", "58510", k3510=1, k3110=0.4),),
            revenue_weight=1.2,
        ),
        DemoRowSpec(
            "600",
            (
                _g("45110", "60010", k4611=25, k4612=8, k5611=6, k5110=18, k5410=6),
                _g("45120", "60020", k6110=14, k4710=10, k5110=8, k5410=3, k6410=4),
            ),
            (_g("45110", "60010", k3510=40), _g("45120", "60020", k3510=20, k3610=4)),
            revenue_weight=62,
            revenue_share_jan_aug=0.62,
        ),
        DemoRowSpec(
            "922",
            (
                _g("46110", "92210", k5110=45, k5410=14, k6110=10, k6410=16, k7810=4),
                _g("46120", "92210", k5110=12, k5410=4, k6410=6),
            ),
            (_g("46110", "92210", k3410=2, k3510=1.5),),
            revenue_weight=3,
        ),
        DemoRowSpec(
            "47",  # LSS Funktionsstöd (utförare): personal assistance, group homes, daily activity
            (
                _g("47000", "51320", k5110=6, k5410=2, k6410=2),
                _g(_units("471", 10), "51310", k5110=150, k5120=35, k5410=55, k6410=5),
                _g(
                    _units("472", 30),
                    "51320",
                    k5110=290,
                    k5120=50,
                    k5410=100,
                    k6110=40,
                    k6410=15,
                    k7810=5,
                ),
                _g(_units("473", 15), "51330", k5110=90, k5120=10, k5410=30, k6110=20, k6410=12),
                _g(_units("474", 5), "51340", k5110=30, k5120=6, k5410=10, k6110=3, k6410=2),
            ),
            (
                _g(_units("471", 10), "51310", k3410=130),
                _g(_units("472", 30), "51320", k3410=260, k3110=18, k3610=20),
                _g(_units("473", 15), "51330", k3410=80),
                _g(_units("474", 5), "51340", k3410=25),
            ),
            revenue_weight=500,
        ),
        DemoRowSpec(
            "48",  # Råd och stöd (utförare): socialpsykiatri, missbruk, öppenvård barn och unga
            (
                _g("48000", "52010", k5110=4, k5410=1.3, k6410=1.5),
                _g(_units("481", 8), "52010", k5110=40, k5120=8, k5410=15, k6110=8, k6410=2),
                _g(_units("482", 4), "52020", k5110=12, k5410=4, k6110=3, k6410=2),
                _g(_units("483", 4), "55920", k5110=14, k5410=4.5, k6110=2, k6410=2),
                _g(_units("484", 3), "55910", k5110=10, k5120=2, k5410=3.5, k6110=3),
                _g(_units("485", 6), "56930", k5110=22, k5410=7, k6110=3, k6410=2),
            ),
            (
                _g(_units("481", 8), "52010", k3410=60, k3110=5, k3610=6),
                _g(_units("482", 4), "52020", k3410=16),
                _g(_units("483", 4), "55920", k3410=20),
                _g(_units("484", 3), "55910", k3410=14),
                _g(_units("485", 6), "56930", k3410=30),
            ),
            revenue_weight=150,
        ),
    )
}

# Year-specific key weight factors (row, konto) -> factor: placements in 569 grew into 2024.
YEAR_WEIGHT_FACTORS: dict[int, dict[tuple[str, str], float]] = {
    2023: {("569", "4611"): 0.85, ("569", "4613"): 0.85},
}

_FLAT = (1.0,) * 12
MONTH_PROFILES: dict[str, tuple[float, ...]] = {
    "5110": (1.0, 1.0, 1.0, 1.0, 1.0, 1.06, 0.78, 0.95, 1.0, 1.0, 1.0, 1.06),
    "5120": (0.8, 0.8, 0.85, 0.85, 0.95, 1.4, 1.8, 1.5, 0.85, 0.8, 0.8, 0.9),
    "5410": (1.0, 1.0, 1.0, 1.0, 1.0, 1.1, 0.9, 1.0, 1.0, 1.0, 1.0, 1.06),
    "4611": (1.0, 0.95, 1.0, 1.0, 1.0, 1.0, 0.97, 1.0, 1.0, 1.0, 1.0, 1.12),
    "4619": (1.0, 0.95, 1.0, 1.0, 1.0, 1.0, 0.95, 1.0, 1.0, 1.0, 1.0, 1.15),
    "6410": (0.8, 0.95, 1.0, 1.0, 1.0, 1.0, 0.6, 0.8, 1.1, 1.1, 1.1, 1.5),
    "3110": (1.3, 1.3, 1.7, 1.2, 1.0, 0.9, 0.6, 0.6, 0.9, 0.8, 0.8, 0.9),
}
MONTH_NOISE = {"6110": 0.0, "7810": 0.0, "3410": 0.02, "3610": 0.01}
DEFAULT_MONTH_NOISE = 0.06
# (min, max) booking lines per key and month
LINES_PER_MONTH: dict[str, tuple[int, int]] = {
    "5110": (2, 5),
    "5120": (1, 5),
    "5410": (1, 3),
    "4611": (2, 5),
    "4612": (2, 5),
    "4613": (1, 3),
    "4614": (1, 4),
    "4619": (2, 5),
    "4710": (2, 5),
    "5611": (2, 5),
    "6410": (1, 5),
    "6110": (1, 2),
    "3110": (1, 4),
    "3510": (1, 2),
    "3610": (1, 2),
}
TEXTS: dict[str, tuple[str, ...]] = {
    "5110": ("Lön {m}", "Lön {m}", "Lön {m}", "Semesterlön {m}", "Lönekorrigering", "Retrolön"),
    "5120": ("Timlön {m}", "Timlön vikarier {m}"),
    "5410": ("PO-pålägg {m}", "Sociala avgifter {m}"),
    "4611": ("Faktura HVB", "Faktura HVB {m}", "Faktura HVB Gläntan", 'Faktura HVB "Solbacken"'),
    "4612": ("Faktura konsulentstött familjehem", "Familjehemsvård {m}"),
    "4613": ("Vårdavgift SiS", "Faktura SiS {m}"),
    "4614": ("Faktura stödboende", "Stödboende {m}"),
    "4619": ("Köp av verksamhet", "Faktura {m}", "Köpt plats"),
    "4710": ("Utbetalning bistånd", "Ekonomiskt bistånd {m}"),
    "5611": ("Arvode familjehem {m}", "Omkostnadsersättning familjehem"),
    "6110": ("Hyra {m}", "Lokalhyra {m}"),
    "6410": ("Konsulttjänst", "Tolktjänst", "Bemanningstjänst", "Övriga tjänster"),
    "7810": ("Avskrivning {m}",),
    "3110": ("Avgifter {m}", "Kundfakturor avgifter"),
    "3410": ("Intern försäljning {m}", "Försäljning av verksamhet"),
    "3510": ("Statsbidrag", "Statsbidrag {m}"),
    "3610": ("Hyresintäkt {m}", "Hyror {m}"),
}
ROW_TEXTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("513", "3510"): ("Assistansersättning FK {m}",),
    ("600", "3510"): ("Schablonersättning Migrationsverket", "Ersättning ensamkommande {m}"),
    ("267", "3110"): ("Tillståndsavgift", "Tillsynsavgift serveringstillstånd"),
    ("569", "3510"): ("Statsbidrag", "Ersättning Migrationsverket"),
}
MOTPART: dict[tuple[str, str], str] = {
    ("513", "3510"): "FK",
    ("600", "3510"): "MIGRATIONSVERKET",
    ("559", "4613"): "SIS",
    ("569", "4613"): "SIS",
}
PROJEKT: dict[tuple[str, str], tuple[str, float]] = {  # (row, konto) -> (projekt, probability)
    ("569", "4619"): ("1201", 0.3),
    ("600", "4611"): ("4510", 0.5),
    ("600", "5110"): ("4510", 0.2),
}

FORECAST_COMMENTS: dict[tuple[str, str], str] = {
    ("2024-03", "569"): "Höga placeringskostnader som väntas minska när åtgärderna får effekt.",
    ("2024-03", "513"): "Osäker prognos för personlig assistans och köpta boendeplatser.",
    ("2024-03", "600"): "Prognosen bygger på oförändrat mottagande.",
    ("2024-08", "569"): "Fortsatt många placeringar på HVB, delvis kopplade till gängkriminalitet.",
    ("2024-08", "513"): "Ökade kostnader för köpt bostad med särskild service.",
    ("2024-08", "559"): "Fler placeringar på HVB och enligt LVM än budgeterat.",
    ("2024-08", "571"): "Lägre kostnader för skyddat boende än beräknat.",
    ("2024-08", "600"): "Lägre kostnader för mottagandet och högre statlig ersättning.",
    ("2024-08", "922"): "Kostnader för verksamhetssystem och lokaler.",
    ("2024-08", "47"): "Underskott inom bostad med särskild service, åtgärdsplan pågår.",
    ("2024-08", "48"): "Överskott genom vakanser och ökad intern försäljning.",
}

INVESTMENT_PROJECTS = ("Drottninggatan 45", "Övriga investeringar")
INVESTMENT_SUM = "Summa investeringar"
# March investment forecasts (kr); August forecasts equal the frames as published.
INVESTMENT_MARCH_KR = {"Drottninggatan 45": 1_500_000, "Övriga investeringar": 2_800_000}

NOTE = """\
DEMODATA – inte verkliga siffror

Filerna i den här katalogen är genererade demodata för uppföljningsrapporterna till social- och
omsorgsnämnden. De har samma form som kommunens exporter (huvudbok, budget, prognoser och
investeringar) men innehåller inga verkliga bokföringsposter.

Beloppen är kalibrerade så att de, summerade per rad i driftsammandraget och avrundade till
0,1 mnkr, återger tabellerna i den publicerade delårsrapporten för augusti 2024. Fördelningen
på ansvar, verksamhet, konto, månad och verifikationsrad är påhittad.

Placeringsregistret (placeringar_2020-2024.txt) är påhittat: personer och placeringar har
slumpade pseudonymer. Det är kalibrerat mot rapportens uppgifter om vårddygn, andelar och
kostnader, och huvudbokens placeringskonton för 569 och 559 bär registrets kostnad per månad.

Skapade av uppfoljning.demo.write_demo_data (deterministiskt: samma filer varje körning).
"""


def _rng(stream: str) -> np.random.Generator:
    """Separate deterministic stream per purpose, so extending one file leaves others intact."""
    return np.random.default_rng([SEED, *stream.encode()])


def load_published(name: str) -> list[dict[str, str]]:
    """Rows of one calibration CSV (the published tables of the August 2024 report)."""
    text = published_text(name, CALIBRATION)
    return list(csv.DictReader(io.StringIO(text)))


def _published_steps(name: str) -> dict[str, dict[str, int]]:
    """Table keyed by verksamhet code (or row label for sum rows), values in 0,1 steps."""
    table: dict[str, dict[str, int]] = {}
    for rec in load_published(name):
        key = rec.get("verksamhet") or rec["rad"]
        table[key] = {
            col: to_steps(val)
            for col, val in rec.items()
            if col.endswith("_mnkr") and val not in ("", None)
        }
    return table


@dataclass
class DemoTargets:
    """Exact amounts (öre) per quantity and row, plus the revenue part where it is fixed."""

    net: dict[str, dict[str, int]]
    revenue: dict[str, dict[str, int]] = field(default_factory=dict)
    investments: dict[str, dict[str, int]] = field(default_factory=dict)


def _terms(quantity: str, rows: Iterable[str], coef: int = 1) -> dict[str, int]:
    return {f"{quantity}:{row}": coef for row in rows}


def solve_targets(seed: int = SEED) -> DemoTargets:
    """Row amounts reproducing every published figure after rounding (see module docstring)."""
    fit = RoundedFit(step=STEP, spread=SPREAD)
    for table, (budget_q, outcome_q) in DEVIATIONS.items():
        pub = _published_steps(table)
        for quantity, (q_table, col) in QUANTITIES.items():
            if q_table != table:
                continue
            for row in ROWS:
                fit.add(f"{quantity}:{row}", pub[row][col])
            for unit in OWN_UNITS:
                fit.add(f"{quantity}:{unit}", base=to_steps(OWN_UNIT_SPLIT[quantity][unit]) * STEP)
            for label, rows in ((SUM_NET, ROWS), (OWN_TOTAL, OWN_UNITS), (TOTAL, ALL_ROWS)):
                fit.rounds_to(_terms(quantity, rows), pub[label][col], f"{table} {label} {col}")
        groups = [(row, (row,)) for row in ROWS]
        groups += [(SUM_NET, ROWS), (OWN_TOTAL, OWN_UNITS), (TOTAL, ALL_ROWS)]
        for label, rows in groups:
            terms = _terms(budget_q, rows) | _terms(outcome_q, rows, -1)
            fit.rounds_to(terms, pub[label]["avvikelse_mnkr"], f"{table} {label} avvikelse")

    for rec in load_published("egen_regi_enheter.csv"):
        unit = rec["ansvar_prefix"]
        terms = {f"budget_period:{unit}": 1, f"utfall:{unit}": -1}
        fit.rounds_to(terms, to_steps(rec["avvikelse_period_mnkr"]), f"egen regi {unit}")

    # varav kostnader / intäkter over the whole total. The printed budget pair is a misprint
    # (calibration/README.md): budget varav = forecast varav + published deviation.
    pub = _published_steps(FORECAST_TABLE)
    costs, revenues = pub[VARAV_COSTS], pub[VARAV_REVENUES]
    budget_costs = costs["prognos_mnkr"] + costs["avvikelse_mnkr"]
    budget_revenues = revenues["prognos_mnkr"] + revenues["avvikelse_mnkr"]
    for quantity, cost_steps, revenue_steps in (
        ("prognos", costs["prognos_mnkr"], revenues["prognos_mnkr"]),
        ("budget", budget_costs, budget_revenues),
        ("bokslut_fg", costs["bokslut_fg_ar_mnkr"], revenues["bokslut_fg_ar_mnkr"]),
    ):
        fit.add(f"kostnader:{quantity}", cost_steps)
        terms = _terms(quantity, ALL_ROWS) | {f"kostnader:{quantity}": -1}
        fit.rounds_to(terms, revenue_steps, f"varav intäkter {quantity}")
    fit.rounds_to(
        {"kostnader:budget": 1, "kostnader:prognos": -1},
        costs["avvikelse_mnkr"],
        "varav kostnader avvikelse",
    )
    terms = _terms("budget", ALL_ROWS) | _terms("prognos", ALL_ROWS, -1)
    terms |= {"kostnader:budget": -1, "kostnader:prognos": 1}
    fit.rounds_to(terms, revenues["avvikelse_mnkr"], "varav intäkter avvikelse")

    # ekonomi_oversikt: net totals (redundant with the total row) and the March deviation,
    # which the March forecast (August + MARCH_SHIFT_TKR) must also reproduce.
    overview = {rec["rad"]: rec for rec in load_published("ekonomi_oversikt.csv")}
    net = overview["Verksamhetens nettokostnader"]
    fit.rounds_to(_terms("prognos", ALL_ROWS), to_steps(net["prognos_helar_mnkr"]), "översikt")
    fit.rounds_to(_terms("budget", ALL_ROWS), to_steps(net["budget_mnkr"]), "översikt budget")
    dev = _terms("budget", ALL_ROWS) | _terms("prognos", ALL_ROWS, -1)
    fit.rounds_to(dev, to_steps(net["avvikelse_mnkr"]), "översikt avvikelse")
    march = to_steps(net["avvikelse_prognos_delar_mars_mnkr"]) * STEP
    shift = sum(MARCH_SHIFT_TKR.values())
    fit.between(dev, march + shift - fit.half_window, march + shift + fit.half_window, "mars")

    amounts = fit.solve(seed=seed)
    targets = DemoTargets(
        net={q: {row: amounts[f"{q}:{row}"] * UNIT_ORE for row in ALL_ROWS} for q in QUANTITIES}
    )
    weights_rng = _rng("revenue-weights")
    for quantity in ("prognos", "budget", "bokslut_fg"):
        total_revenue = (
            sum(targets.net[quantity].values()) - amounts[f"kostnader:{quantity}"] * UNIT_ORE
        )
        weights = np.array([ROW_SPECS[row].revenue_weight for row in ALL_ROWS])
        weights = weights * weights_rng.lognormal(0.0, 0.03, len(weights))
        parts = _allocate(total_revenue, weights, UNIT_ORE)
        targets.revenue[quantity] = dict(zip(ALL_ROWS, (int(p) for p in parts), strict=True))
    targets.investments = _solve_investments(seed)
    return targets


def _solve_investments(seed: int) -> dict[str, dict[str, int]]:
    """January-August outcome per project (öre) and frames/forecasts from investeringar.csv."""
    pub = {rec["projekt"]: rec for rec in load_published("investeringar.csv")}
    fit = RoundedFit(step=100_000, spread=40_000)  # units of 1 kr, published in 0,1 mnkr
    for project in INVESTMENT_PROJECTS:
        steps = to_steps(pub[project]["redovisat_utgifter_jan_aug_mnkr"])
        # keep small projects' outcome positive: centre at 20 tkr when 0,0 was published
        fit.add(f"utgifter:{project}", base=max(steps * 100_000, 20_000), spread=10_000)
        fit.rounds_to({f"utgifter:{project}": 1}, steps, project)
    total = to_steps(pub[INVESTMENT_SUM]["redovisat_utgifter_jan_aug_mnkr"])
    fit.rounds_to([f"utgifter:{p}" for p in INVESTMENT_PROJECTS], total, INVESTMENT_SUM)
    amounts = fit.solve(seed=seed)
    result: dict[str, dict[str, int]] = {}
    for project in INVESTMENT_PROJECTS:
        rec = pub[project]
        result[project] = {
            "utgifter": amounts[f"utgifter:{project}"] * 100,
            "inkomster": to_steps(rec["redovisat_inkomster_jan_aug_mnkr"]) * 10_000_000,
            "ram": to_steps(rec["investeringsram_mnkr"]) * 10_000_000,
            "prognos_utgifter": to_steps(rec["prognos_utgifter_mnkr"]) * 10_000_000,
            "prognos_inkomster": to_steps(rec["prognos_inkomster_mnkr"]) * 10_000_000,
        }
    return result


def _allocate(total: int, weights: Sequence[float] | np.ndarray, grain: int = 1) -> np.ndarray:
    """Split integer `total` in proportion to `weights`, in multiples of `grain`, exactly.

    Largest remainder; any rest that is not a multiple of `grain` goes to the largest part.
    """
    w = np.asarray(weights, dtype=float)
    if w.sum() <= 0:
        raise ValueError("weights must have a positive sum")
    sign = -1 if total < 0 else 1
    grains, rest = divmod(abs(total), grain)
    exact = w / w.sum() * grains
    parts = np.floor(exact).astype(np.int64)
    missing = int(grains - parts.sum())
    if missing:
        order = np.argsort(-(exact - parts), kind="stable")
        parts[order[:missing]] += 1
    parts = parts * grain
    parts[int(np.argmax(w))] += rest
    return sign * parts


@dataclass(frozen=True)
class _Key:
    row: str
    ansvar: str
    verksamhet: str
    konto: str


def _expand_keys(rng: np.random.Generator) -> dict[str, dict[str, dict[_Key, float]]]:
    """row -> side ("cost"/"revenue") -> key -> base weight (ansvar sizes drawn once)."""
    sizes: dict[tuple[str, str], float] = {}
    result: dict[str, dict[str, dict[_Key, float]]] = {}
    for row, spec in ROW_SPECS.items():
        result[row] = {}
        for side, groups in (("cost", spec.costs), ("revenue", spec.revenues)):
            keys: dict[_Key, float] = defaultdict(float)
            for group in groups:
                for ansvar in group.ansvar:
                    size_key = (ansvar, group.verksamhet)
                    if size_key not in sizes:
                        sizes[size_key] = float(rng.lognormal(0.0, 0.3))
                for konto, weight in group.konto.items():
                    unit_sizes = np.array([sizes[(a, group.verksamhet)] for a in group.ansvar])
                    unit_sizes = unit_sizes / unit_sizes.sum()
                    for ansvar, size in zip(group.ansvar, unit_sizes, strict=True):
                        keys[_Key(row, ansvar, group.verksamhet, konto)] += weight * size
            result[row][side] = dict(keys)
    return result


KEYS = _expand_keys(_rng("structure"))


@dataclass(frozen=True)
class _Part:
    """Net amount of one row over some months, split in costs and revenues (öre)."""

    row: str
    months: tuple[int, ...]
    cost: int
    revenue: int


def _year_parts(
    row: str,
    net_jan_aug: int,
    net_year: int | None,
    revenue_year: int,
    revenue_share: float,
    grain: int = 1,
) -> list[_Part]:
    """Split a row's January-August (and, if given, full-year) net into cost/revenue parts."""
    revenue_jan_aug = int(round(revenue_year * revenue_share / grain)) * grain
    jan_aug = _Part(row, tuple(range(1, 9)), net_jan_aug - revenue_jan_aug, revenue_jan_aug)
    parts = [jan_aug]
    if net_year is not None:
        revenue_rest = revenue_year - revenue_jan_aug
        parts.append(
            _Part(row, tuple(range(9, 13)), net_year - net_jan_aug - revenue_rest, revenue_rest)
        )
    for part in parts:
        if part.cost <= 0 or part.revenue > 0:
            raise ValueError(f"implausible split for {row}: {part}")
    return parts


def _key_amounts(
    part: _Part, year: int, rng: np.random.Generator | None, grain: int
) -> dict[_Key, int]:
    """Distribute a part's costs and revenues over the row's keys."""
    result: dict[_Key, int] = {}
    factors = YEAR_WEIGHT_FACTORS.get(year, {})
    for side, total in (("cost", part.cost), ("revenue", part.revenue)):
        keys = KEYS[part.row][side]
        if not keys:
            if total:
                raise ValueError(f"row {part.row} has {side} {total} but no {side} keys")
            continue
        weights = np.array([w * factors.get((k.row, k.konto), 1.0) for k, w in keys.items()])
        if rng is not None:
            weights = weights * rng.lognormal(0.0, 0.04, len(weights))
        for key, amount in zip(keys, _allocate(total, weights, grain), strict=True):
            result[key] = result.get(key, 0) + int(amount)
    return result


def _month_amounts(
    key: _Key, total: int, months: Sequence[int], rng: np.random.Generator | None, grain: int
) -> np.ndarray:
    profile = np.array(MONTH_PROFILES.get(key.konto, _FLAT))[[m - 1 for m in months]]
    if rng is not None:
        noise = MONTH_NOISE.get(key.konto, DEFAULT_MONTH_NOISE)
        if noise:
            profile = profile * rng.lognormal(0.0, noise, len(profile))
    return _allocate(total, profile, grain)


def _seasonal_rows(
    parts: Iterable[_Part], year: int, rng: np.random.Generator | None, grain: int
) -> dict[tuple[_Key, int], int]:
    """(key, month) -> amount for all parts."""
    result: dict[tuple[_Key, int], int] = {}
    for part in parts:
        for key, amount in _key_amounts(part, year, rng, grain).items():
            for month, value in zip(
                part.months, _month_amounts(key, amount, part.months, rng, grain), strict=True
            ):
                result[(key, month)] = result.get((key, month), 0) + int(value)
    return result


def _ledger_parts(targets: DemoTargets, year: int) -> list[_Part]:
    parts: list[_Part] = []
    for row in ALL_ROWS:
        share = ROW_SPECS[row].revenue_share_jan_aug
        if year == PREVIOUS_YEAR:
            parts += _year_parts(
                row,
                targets.net["utfall_fg"][row],
                targets.net["bokslut_fg"][row],
                targets.revenue["bokslut_fg"][row],
                share,
            )
        else:
            parts += _year_parts(
                row, targets.net["utfall"][row], None, targets.revenue["prognos"][row], share
            )
    return parts


def _budget_parts(targets: DemoTargets) -> list[_Part]:
    parts: list[_Part] = []
    for row in ALL_ROWS:
        parts += _year_parts(
            row,
            targets.net["budget_period"][row],
            targets.net["budget"][row],
            targets.revenue["budget"][row],
            BUDGET_REVENUE_SHARE_JAN_AUG,
            grain=100,
        )
    return parts


def _format_sv(ore: int, thousands: str) -> str:
    """Swedish amount: thousands separator, decimal comma, two decimals."""
    kronor, rest = divmod(abs(ore), 100)
    sign = "-" if ore < 0 else ""
    return f"{sign}{kronor:,}".replace(",", thousands) + f",{rest:02d}"


def _ledger_lines(
    amounts: Mapping[tuple[_Key, int], int], year: int, rng: np.random.Generator
) -> list[tuple[str, str, str, str, int, str, str, str]]:
    """Booking lines (period, ansvar, verksamhet, konto, öre, motpart, projekt, text)."""
    lines: list[tuple[str, str, str, str, int, str, str, str]] = []
    ordered = sorted(
        amounts.items(),
        key=lambda kv: (
            kv[0][1],
            kv[0][0].ansvar,
            kv[0][0].row,
            kv[0][0].verksamhet,
            kv[0][0].konto,
        ),
    )
    for (key, month), amount in ordered:
        low, high = LINES_PER_MONTH.get(key.konto, (1, 1))
        count = int(rng.integers(low, high + 1))
        splits = _allocate(amount, rng.uniform(0.3, 1.0, count)) if count > 1 else [amount]
        texts = ROW_TEXTS.get((key.row, key.konto)) or TEXTS[key.konto]
        motpart = MOTPART.get((key.row, key.konto), "")
        projekt, p_projekt = PROJEKT.get((key.row, key.konto), ("", 0.0))
        for value in splits:
            text = texts[int(rng.integers(len(texts)))].format(m=SWEDISH_MONTHS[month - 1])
            proj = projekt if projekt and rng.random() < p_projekt else ""
            lines.append(
                (
                    f"{year}-{month:02d}",
                    key.ansvar,
                    key.verksamhet,
                    key.konto,
                    int(value),
                    motpart,
                    proj,
                    text,
                )
            )
    return lines


def _write_ledger(
    path: Path, lines: Sequence[tuple[str, str, str, str, int, str, str, str]], thousands: str
) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(
            ["period", "ansvar", "verksamhet", "konto", "belopp", "motpart", "projekt", "text"]
        )
        for period, ansvar, verksamhet, konto, ore, motpart, projekt, text in lines:
            writer.writerow(
                [
                    period,
                    ansvar,
                    verksamhet,
                    konto,
                    _format_sv(ore, thousands),
                    motpart,
                    projekt,
                    text,
                ]
            )


PLACEMENT_ROWS = ("569", "559")
# Arvoden to contact families and contact persons (open care under 569, not placements).
CONTACT_KEY = _Key("569", "41140", "56930", "5611")
CONTACT_PROFILE = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.95, 1.0, 1.0, 1.0, 1.05)
# Share of 569's costs January–August 2024 on 4611, 4612, 4613 and 5611 (placements and
# contact families); the register gives the placements, contact families fill up to this.
PLACEMENT_SHARE_569 = 0.41
CONTACT_LEVEL_2023 = 0.96  # contact-family cost per month in 2023 relative to 2024


def _contact_per_month(targets: DemoTargets) -> float:
    """Contact-family arvoden per month in 2024 (öre), from the share above."""
    part = next(p for p in _ledger_parts(targets, YEAR) if p.row == "569")
    placed = sum(
        amount
        for (row, _verksamhet, konto), months in ledger_costs(YEAR).items()
        if row == "569" and konto in ("4611", "4612", "4613", "5611")
        for month, amount in months.items()
        if month in part.months
    )
    total = PLACEMENT_SHARE_569 * part.cost - placed
    if total <= 0:
        raise ValueError("the placement register exceeds 569's placement share")
    return total / len(part.months)


def _book_placements(
    amounts: dict[tuple[_Key, int], int], parts: Sequence[_Part], targets: DemoTargets, year: int
) -> dict[tuple[_Key, int], int]:
    """Put the register's monthly cost on 569's and 559's placement accounts.

    Within each part (row and months) the cost total stays exactly what it was: the other
    cost keys of the row take the difference in proportion to their amounts.
    """
    booked = ledger_costs(year)
    level = _contact_per_month(targets) * (1.0 if year == YEAR else CONTACT_LEVEL_2023)
    out = dict(amounts)
    for part in parts:
        if part.row not in PLACEMENT_ROWS:
            continue
        cost_keys = list(KEYS[part.row]["cost"])
        new: dict[tuple[_Key, int], int] = {}
        for (row, verksamhet, konto), by_month in sorted(booked.items()):
            if row != part.row:
                continue
            keys = [k for k in cost_keys if (k.verksamhet, k.konto) == (verksamhet, konto)]
            weights = [KEYS[row]["cost"][k] for k in keys]
            for month in part.months:
                for key, value in zip(keys, _allocate(by_month[month], weights), strict=True):
                    new[(key, month)] = int(value)
        if part.row == "569":
            profile = [CONTACT_PROFILE[m - 1] for m in part.months]
            contact = _allocate(int(round(level * len(part.months))), profile)
            for month, value in zip(part.months, contact, strict=True):
                new[(CONTACT_KEY, month)] = int(value)
        booked_keys = {key for key, _ in new}
        others = [(k, m) for k in cost_keys if k not in booked_keys for m in part.months]
        residual = part.cost - sum(new.values())
        weights = [out.get(cell, 0) for cell in others]
        spread = _allocate(residual, weights)
        if residual <= 0 or (spread <= 0).any():
            raise ValueError(f"placement costs do not fit in row {part.row} ({part.months})")
        for key in booked_keys:
            for month in part.months:
                out.pop((key, month), None)
        out.update(new)
        out.update({cell: int(v) for cell, v in zip(others, spread, strict=True)})
    return out


def write_ledger(out_dir: Path, targets: DemoTargets, year: int) -> Path:
    """huvudbok_<year>.csv: UTF-8 with BOM, ';', decimal comma, space (2023) or NBSP (2024)."""
    parts = _ledger_parts(targets, year)
    amounts = _seasonal_rows(parts, year, _rng(f"ledger-{year}"), grain=1)
    amounts = _book_placements(amounts, parts, targets, year)
    lines = _ledger_lines(amounts, year, _rng(f"lines-{year}"))
    path = out_dir / f"huvudbok_{year}.csv"
    _write_ledger(path, lines, " " if year == PREVIOUS_YEAR else "\u00a0")
    return path


FIXED_TIMESTAMP = (2024, 9, 2, 8, 0, 0)


def _save_workbook(wb: Workbook, path: Path) -> None:
    """Save an openpyxl workbook byte-for-byte reproducibly (fixed properties and zip times)."""
    import datetime as dt

    stamp = dt.datetime(*FIXED_TIMESTAMP)
    buffer = io.BytesIO()
    wb.save(buffer)  # stamps properties.modified with the current time ...
    wb.properties.created = stamp
    wb.properties.modified = stamp  # ... so core.xml is rewritten below
    wb.properties.creator = "uppfoljning.demo"
    core = tostring(wb.properties.to_tree())
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = core if info.filename == "docProps/core.xml" else src.read(info.filename)
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, data)
    path.write_bytes(out.getvalue())


def write_budget(out_dir: Path, targets: DemoTargets) -> Path:
    """budget_2024.xlsx: revised monthly budget per key and the original annual budget.

    Periodised by the month profiles without noise (budgets are smooth); whole kronor.
    """
    amounts = _seasonal_rows(_budget_parts(targets), YEAR, None, grain=100)  # smooth
    path = out_dir / f"budget_{YEAR}.xlsx"
    write_budget_book(
        path, YEAR, amounts, (ORIGINAL_BUDGET_KEY, ORIGINAL_BUDGET_CUT_TKR * 1000 * 100)
    )
    return path


def write_budget_book(
    path: Path,
    year: int,
    amounts: dict[tuple[_Key, int], int],
    cut: tuple[tuple[str, str, str], int],
) -> None:
    """A budget workbook: revised monthly lines, then the original annual lines, which differ
    from the revised by `cut` (öre) on one key (a frame change decided during the year)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Budget"
    ws.append(["ar", "version", "ansvar", "verksamhet", "konto", "period", "belopp"])
    annual: dict[_Key, int] = defaultdict(int)
    for (key, month), amount in sorted(
        amounts.items(),
        key=lambda kv: (kv[0][0].ansvar, kv[0][0].verksamhet, kv[0][0].konto, kv[0][1]),
    ):
        annual[key] += amount
        period = f"{year}-{month:02d}"
        ws.append([year, "reviderad", key.ansvar, key.verksamhet, key.konto, period, amount // 100])
    cut_key, cut_ore = cut
    done = False
    for key, amount in annual.items():
        if (key.ansvar, key.verksamhet, key.konto) == cut_key:
            amount -= cut_ore
            done = True
        ws.append([year, "original", key.ansvar, key.verksamhet, key.konto, None, amount // 100])
    if not done:
        raise ValueError(f"original budget key {cut_key} not in the {year} budget")
    _save_workbook(wb, path)


def _forecast_split_own(row: str, cost: int, revenue: int) -> list[tuple[str, int, int]]:
    """An own unit's forecast per 3-digit verksamhet, by its keys' weights (tkr grain)."""
    out: list[tuple[str, int, int]] = []
    by_side: dict[str, dict[str, float]] = {}
    for side in ("cost", "revenue"):
        weights: dict[str, float] = defaultdict(float)
        for key, w in KEYS[row][side].items():
            weights[key.verksamhet[:3]] += w
        by_side[side] = dict(sorted(weights.items()))
    codes = list(by_side["cost"])
    costs = _allocate(cost, [by_side["cost"][c] for c in codes], UNIT_ORE)
    revenues = _allocate(revenue, [by_side["revenue"].get(c, 0.0) for c in codes], UNIT_ORE)
    for code, c, r in zip(codes, costs, revenues, strict=True):
        out.append((code, int(c), int(r)))
    return out


def write_forecast(out_dir: Path, targets: DemoTargets) -> Path:
    """prognos_2024.csv: cp1252, ';', decimal comma; konto 4000 = costs, 3000 = revenues."""
    path = out_dir / f"prognos_{YEAR}.csv"
    with path.open("w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(["prognosmanad", "verksamhet", "ansvar", "konto", "belopp", "kommentar"])
        for month in FORECAST_MONTHS:
            march = month != FORECAST_MONTHS[-1]
            for row in ALL_ROWS:
                revenue = targets.revenue["prognos"][row]
                cost = targets.net["prognos"][row] - revenue
                if march:
                    cost += MARCH_SHIFT_TKR.get(row, 0) * UNIT_ORE
                if row in OWN_UNITS:
                    ansvar = OWN_UNIT_FORECAST_ANSVAR[row]
                    lines = _forecast_split_own(row, cost, revenue)
                else:
                    ansvar, lines = "", [(row, cost, revenue)]
                comment = FORECAST_COMMENTS.get((month, row), "")
                for verksamhet, c, r in lines:
                    writer.writerow([month, verksamhet, ansvar, "4000", _format_sv(c, ""), comment])
                    comment = ""
                    if r:
                        writer.writerow([month, verksamhet, ansvar, "3000", _format_sv(r, ""), ""])
    return path


def write_investments(out_dir: Path, targets: DemoTargets) -> Path:
    """investeringar_2024.csv: ',' separated, decimal point, UTF-8 without BOM, monthly."""
    rng = _rng("investments")
    path = out_dir / f"investeringar_{YEAR}.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["ar", "projekt", "period", "utgifter", "inkomster"])
        for project in INVESTMENT_PROJECTS:
            amounts = targets.investments[project]
            weights = rng.uniform(0.0, 1.0, LAST_MONTH) ** 2  # lumpy: few larger invoices
            if amounts["utgifter"] < 10_000_000:  # small outcome: a couple of months only
                weights[weights < np.sort(weights)[-2]] = 0.0
            spend = _allocate(amounts["utgifter"], weights)
            income = _allocate(amounts["inkomster"], np.ones(LAST_MONTH))
            for month in range(1, LAST_MONTH + 1):
                writer.writerow(
                    [
                        YEAR,
                        project,
                        f"{YEAR}-{month:02d}",
                        f"{spend[month - 1] / 100:.2f}",
                        f"{income[month - 1] / 100:.2f}",
                    ]
                )
    return path


def write_investment_budget(out_dir: Path, targets: DemoTargets) -> Path:
    """investeringsbudget_2024.xlsx: frame and forecasts per project and forecast month."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Investeringsbudget"
    ws.append(["ar", "projekt", "ram", "prognos_utgifter", "prognos_inkomster", "prognosmanad"])
    for month in FORECAST_MONTHS:
        for project in INVESTMENT_PROJECTS:
            amounts = targets.investments[project]
            spend = amounts["prognos_utgifter"] // 100
            if month != FORECAST_MONTHS[-1]:
                spend = INVESTMENT_MARCH_KR[project]
            ws.append(
                [
                    YEAR,
                    project,
                    amounts["ram"] // 100,
                    spend,
                    amounts["prognos_inkomster"] // 100,
                    month,
                ]
            )
    path = out_dir / f"investeringsbudget_{YEAR}.xlsx"
    _save_workbook(wb, path)
    return path


def write_note(out_dir: Path) -> Path:
    path = out_dir / "DEMODATA.txt"
    path.write_text(NOTE, encoding="utf-8")
    return path


def write_demo_data(out_dir: Path) -> list[Path]:
    """Write all demo exports into `out_dir` (created if missing); returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    targets = solve_targets()
    register = write_demo_placements(out_dir)
    return [
        write_ledger(out_dir, targets, PREVIOUS_YEAR),
        write_ledger(out_dir, targets, YEAR),
        write_budget(out_dir, targets),
        write_forecast(out_dir, targets),
        write_investments(out_dir, targets),
        write_investment_budget(out_dir, targets),
        write_note(out_dir),
        *register,
    ]
