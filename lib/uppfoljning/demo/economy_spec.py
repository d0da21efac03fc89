"""What the demo ledger looks like: calibration constants, the report rows' keys, month
profiles, booking-line texts, forecast comments and investment projects.

Pure data, no randomness: `demo.economy_targets` solves the row amounts and `demo.bookings`
spreads them over these keys, months and lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

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
