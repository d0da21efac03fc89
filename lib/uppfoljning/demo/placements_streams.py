"""The demo placement register's assumptions: the published facts it is calibrated to, the
care-form catalogue, the ledger keys, the stock–flow streams, and the prices.

`demo.placements` builds the register from these (see its docstring for the three steps).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from uppfoljning.data.care_forms import CareForm, CareFormCatalogue, CareGroup
from uppfoljning.placements.register import CHILDREN

SEED = 20240902
FIRST_MONTH = "2020-01"
LAST_MONTH = "2024-08"
PERIOD = "2024-08"


def _published_facts() -> dict[str, float]:
    """The facts of the published reports (calibration/2024-08/hvb_placeringar_fakta.csv)."""
    path = files("uppfoljning") / "demo" / "calibration" / "2024-08" / "hvb_placeringar_fakta.csv"
    with path.open(encoding="utf-8") as fh:
        return {row["fakta"]: float(row["varde"]) for row in csv.DictReader(fh)}


# The published facts the register is calibrated to. Where the text qualifies a figure
# ("drygt 19", "strax under 150") the target is a point inside what the words allow.
_FACTS = _published_facts()
HVB_INDIVIDUALS = {
    "2020-01": int(_FACTS["Antal individer placerade på HVB barn och unga januari 2020"]),
    "2021-04": int(_FACTS["Antal individer placerade på HVB barn och unga april 2021"]),
}
HVB_DAYS_CHANGE = _FACTS[
    "Antal vårddygn HVB barn och unga jämfört med samma period föregående år"
]  # % January–August 2024 against 2023
FAMILY_HOME_DAYS_CHANGE = _FACTS[
    "Antal vårddygn familjehem barn och unga jämfört med samma period föregående år"
]
CONSULTANCY_SHARE = _FACTS["Andel konsulentstödda familjehem (av vårddygn i familjehem)"]
PRICE_STEP_MONTH = "2020-04"
PRICE_STEP = 1 + _FACTS["Genomsnittlig prisökning HVB ramavtal barn och unga från april 2020"] / 100
R12_TARGETS = {
    # "strax under 150": 2,5 mnkr under
    "2023-08": (_FACTS["Rullande årskostnad dygnsplaceringar barn och unga ett år tidigare"] - 2.5)
    * 1e6,
    "2024-08": _FACTS["Rullande årskostnad dygnsplaceringar barn och unga"] * 1e6,
}
# "drygt 19": half a percentage point over
GANG_SHARE = (
    _FACTS["Andel dygnsplaceringar inom Barn och unga kopplade till gängkriminalitet"] + 0.5
)
GANG_COST = _FACTS["Kostnad dygnsplaceringar kopplade till gängkriminalitet"] * 1e6
GANG_SHARE_PREVIOUS = 21.0  # not published; the report says the share "har sjunkit något"

# Care forms as in params/vardformer.yaml (a test keeps the two in step).
DEMO_CATALOGUE = CareFormCatalogue(
    Path("vardformer.yaml"),
    {
        g.id: g
        for g in (
            CareGroup("hvb", "HVB"),
            CareGroup("sis", "SiS särskilda ungdomshem"),
            CareGroup("lvm_hem", "LVM-hem"),
            CareGroup("familjehem_egen_regi", "Familjehem egen regi", family_home=True),
            CareGroup(
                "familjehem_konsulentstott",
                "Familjehem konsulentstött",
                family_home=True,
                consultancy=True,
            ),
            CareGroup("jourhem", "Jourhem"),
            CareGroup("stodboende", "Stödboende"),
            CareGroup("skyddat_boende", "Skyddat boende"),
        )
    },
    {
        f.code: f
        for f in (
            CareForm("hvb", "Hem för vård eller boende (HVB)", "hvb", "4611"),
            CareForm("hvb_skydd", "HVB skyddsplacering (särskilt avtal)", "hvb", "4611"),
            CareForm("sis", "Särskilt ungdomshem (SiS)", "sis", "4613"),
            CareForm("lvm", "LVM-hem (SiS)", "lvm_hem", "4613"),
            CareForm("fh_egen", "Familjehem egen regi (arvoderat)", "familjehem_egen_regi", "5611"),
            CareForm("fh_natverk", "Nätverkshem (arvoderat)", "familjehem_egen_regi", "5611"),
            CareForm(
                "fh_konsulent", "Konsulentstött familjehem", "familjehem_konsulentstott", "4612"
            ),
            CareForm("jourhem", "Jourhem", "jourhem", "5611"),
            CareForm("stodboende", "Stödboende", "stodboende", "4614"),
            CareForm("skyddat", "Skyddat boende", "skyddat_boende", "4611", "571"),
        )
    },
)

# Where the register's cost is booked in the demo ledger: (row, verksamhet, konto).
LEDGER_KEYS: dict[tuple[str, str], tuple[str, str, str]] = {
    ("barn_unga", "hvb"): ("569", "56910", "4611"),
    ("barn_unga", "hvb_skydd"): ("569", "56910", "4611"),
    ("barn_unga", "stodboende"): ("569", "56910", "4614"),
    ("barn_unga", "sis"): ("569", "56940", "4613"),
    ("barn_unga", "fh_konsulent"): ("569", "56920", "4612"),
    ("barn_unga", "fh_egen"): ("569", "56920", "5611"),
    ("barn_unga", "fh_natverk"): ("569", "56920", "5611"),
    ("barn_unga", "jourhem"): ("569", "56920", "5611"),
    ("vuxna", "hvb"): ("559", "55910", "4611"),
    ("vuxna", "lvm"): ("559", "55910", "4613"),
    ("vuxna", "stodboende"): ("559", "55910", "4614"),
}
BOOKING_NOISE = 0.01  # invoices booked ±1 % off the register's month (timing, rounding)


@dataclass(frozen=True)
class Stream:
    """One target group and care form: a path of active placements and how they look."""

    target: str
    form: str
    path: tuple[tuple[str, float], ...]  # (month, active placements at the month's start)
    median_days: float
    sigma: float
    max_days: int = 2_500
    planned_end: float = 0.0  # share of ongoing placements with a known planned end
    feeders: tuple[tuple[str, float], ...] = ()  # (stream key, probability of a move)
    providers: tuple[str, ...] = ()
    law: tuple[tuple[str, float], ...] = (("SoL", 1.0),)
    age: tuple[int, int] = (13, 17)
    boys: float = 0.5

    @property
    def key(self) -> str:
        return f"{self.target}:{self.form}"


HVB_PROVIDERS = (
    "Ekbacken HVB AB",
    "Björkängens behandlingshem",
    "Norrsken omsorg AB",
    "Stensjö ungdomshem",
    "Vägvisaren HVB",
    "Älvdalens behandlingshem",
    "Tallkrogen omsorg AB",
    "Gläntan HVB",
)
STREAMS: tuple[Stream, ...] = (
    Stream(
        CHILDREN,
        "jourhem",
        (("2020-01", 7), ("2022-12", 7), ("2023-12", 8), ("2024-08", 9)),
        70,
        0.6,
        400,
        0.4,
        providers=("Jourhem egen regi",),
        law=(("SoL", 0.7), ("LVU", 0.3)),
        age=(0, 15),
    ),
    Stream(
        CHILDREN,
        "sis",
        (("2020-01", 6), ("2021-06", 5), ("2023-06", 5), ("2023-12", 7), ("2024-08", 8)),
        130,
        0.5,
        400,
        0.6,
        providers=("SiS ungdomshem Granåsen", "SiS ungdomshem Sjövik"),
        law=(("LVU", 1.0),),
        age=(14, 17),
        boys=0.7,
    ),
    Stream(
        CHILDREN,
        "hvb",
        (
            ("2020-01", 79),
            ("2020-12", 72),
            ("2021-04", 67),
            ("2021-12", 56),
            ("2022-06", 46),
            ("2022-12", 40),
            ("2023-06", 35),
            ("2023-09", 36),
            ("2023-12", 39),
            ("2024-04", 42),
            ("2024-08", 43),
        ),
        190,
        0.8,
        1_500,
        0.2,
        feeders=(("barn_unga:sis", 0.3),),
        providers=HVB_PROVIDERS,
        law=(("SoL", 0.7), ("LVU", 0.3)),
        age=(12, 17),
        boys=0.6,
    ),
    Stream(
        CHILDREN,
        "hvb_skydd",
        (("2020-01", 0), ("2022-06", 0.5), ("2023-01", 1), ("2023-12", 2), ("2024-08", 3)),
        90,
        0.6,
        365,
        0.3,
        providers=("Skyddsboendet Nordpolen AB", "Trygga hem Öst AB"),
        law=(("LVU", 0.6), ("SoL", 0.4)),
        age=(14, 17),
        boys=0.9,
    ),
    Stream(
        CHILDREN,
        "stodboende",
        (("2020-01", 9), ("2022-12", 9), ("2024-08", 10)),
        270,
        0.6,
        1_000,
        0.2,
        feeders=(("barn_unga:hvb", 0.2),),
        providers=("Stödboendet Tornet", "Ungbo Östergötland AB"),
        age=(16, 19),
    ),
    Stream(
        CHILDREN,
        "fh_egen",
        (("2020-01", 100), ("2021-06", 102), ("2022-06", 100), ("2023-06", 108), ("2024-08", 122)),
        700,
        0.9,
        6_000,
        0.0,
        feeders=(("barn_unga:jourhem", 0.35),),
        providers=("Familjehem egen regi",),
        law=(("SoL", 0.6), ("LVU", 0.4)),
        age=(0, 16),
    ),
    Stream(
        CHILDREN,
        "fh_natverk",
        (("2020-01", 10), ("2024-08", 12)),
        800,
        0.9,
        6_000,
        0.0,
        providers=("Nätverkshem egen regi",),
        age=(0, 16),
    ),
    Stream(
        CHILDREN,
        "fh_konsulent",
        (
            ("2020-01", 48),
            ("2021-06", 54),
            ("2022-06", 56),
            ("2023-01", 50),
            ("2023-12", 45),
            ("2024-08", 45),
        ),
        600,
        0.9,
        6_000,
        0.0,
        feeders=(("barn_unga:jourhem", 0.25),),
        providers=("Familjehemsbyrån Öst AB", "Familjevård Mitt AB", "Konsulentstödet Väst AB"),
        law=(("SoL", 0.6), ("LVU", 0.4)),
        age=(0, 16),
    ),
    Stream(
        "vuxna",
        "lvm",
        (
            ("2020-01", 5),
            ("2021-06", 4),
            ("2022-06", 3),
            ("2023-06", 3),
            ("2023-11", 6),
            ("2024-03", 7),
            ("2024-06", 4),
            ("2024-08", 3),
        ),
        120,
        0.35,
        183,
        0.8,
        providers=("SiS LVM-hem Hällbacken", "SiS LVM-hem Forsa"),
        law=(("LVM", 1.0),),
        age=(20, 64),
        boys=0.7,
    ),
    Stream(
        "vuxna",
        "hvb",
        (
            ("2020-01", 30),
            ("2021-06", 26),
            ("2022-06", 21),
            ("2023-06", 17),
            ("2023-10", 20),
            ("2024-02", 22),
            ("2024-08", 18),
        ),
        110,
        0.7,
        900,
        0.2,
        feeders=(("vuxna:lvm", 0.4),),
        providers=("Behandlingshemmet Ängsbacka", "Åsgårdens HVB", "Kvarnholmens behandlingshem"),
        age=(20, 64),
        boys=0.7,
    ),
    Stream(
        "vuxna",
        "stodboende",
        (("2020-01", 40), ("2022-06", 34), ("2023-06", 30), ("2024-08", 31)),
        240,
        0.7,
        1_500,
        0.1,
        feeders=(("vuxna:hvb", 0.25),),
        providers=("Stödboendet Ankaret", "Bostad först Öst AB"),
        age=(20, 64),
        boys=0.65,
    ),
    Stream(
        "vuxna",
        "skyddat",
        (("2020-01", 3), ("2024-08", 4)),
        60,
        0.6,
        365,
        0.2,
        providers=("Skyddat boende Fristaden",),
        age=(20, 60),
        boys=0.1,
    ),
)

# Prices per care day (kr) by the year the episode's price was set: (base, noise sigma).
# HVB framework agreements for children: 3 900 before April 2020, +15 % from then.
PRICES: dict[str, dict[int, float]] = {
    "barn_unga:hvb:ramavtal": {
        2015: 3_900,
        2020: 3_900,
        2021: 4_560,
        2022: 4_650,
        2023: 4_850,
        2024: 5_300,
    },
    "barn_unga:hvb:direktupphandling": {
        2015: 5_400,
        2020: 5_800,
        2021: 6_100,
        2022: 6_600,
        2023: 7_600,
        2024: 9_000,
    },
    "barn_unga:hvb_skydd": {2015: 10_000, 2022: 10_500, 2023: 11_500, 2024: 13_500},
    "barn_unga:sis": {2015: 6_000, 2020: 4_300, 2021: 6_500, 2022: 6_700, 2023: 7_000, 2024: 7_700},
    "barn_unga:jourhem": {2015: 1_200, 2020: 1_300, 2022: 1_400, 2023: 1_450, 2024: 1_550},
    "barn_unga:stodboende": {2015: 1_400, 2020: 1_500, 2022: 1_600, 2023: 1_700, 2024: 1_800},
    "barn_unga:fh_egen": {2015: 380, 2020: 400, 2021: 410, 2022: 420, 2023: 440, 2024: 460},
    "barn_unga:fh_natverk": {2015: 330, 2020: 340, 2022: 360, 2024: 390},
    "barn_unga:fh_konsulent": {
        2015: 1_900,
        2020: 2_000,
        2021: 2_050,
        2022: 2_100,
        2023: 2_200,
        2024: 2_350,
    },
    "vuxna:hvb:ramavtal": {2015: 2_200, 2020: 2_300, 2022: 2_500, 2023: 2_700, 2024: 2_850},
    "vuxna:hvb:direktupphandling": {
        2015: 3_300,
        2020: 3_500,
        2022: 3_800,
        2023: 4_000,
        2024: 4_300,
    },
    "vuxna:lvm": {2015: 5_400, 2020: 4_000, 2021: 5_600, 2022: 5_800, 2023: 6_000, 2024: 6_400},
    "vuxna:stodboende": {2015: 1_000, 2020: 1_050, 2022: 1_150, 2023: 1_200, 2024: 1_250},
    "vuxna:skyddat": {2015: 1_700, 2020: 1_800, 2022: 2_000, 2024: 2_200},
}
PRICE_NOISE = {"fh_egen": 0.05, "fh_natverk": 0.05, "sis": 0.03, "lvm": 0.03}
DIRECT_SHARE = {  # share of new HVB placements bought by direct purchase, by start year
    "barn_unga": {2015: 0.15, 2022: 0.18, 2023: 0.25, 2024: 0.33},
    "vuxna": {2015: 0.25},
}
SUPPLEMENT_SHARE = {2015: 0.03, 2021: 0.05, 2022: 0.08, 2023: 0.18, 2024: 0.35}
SUPPLEMENT_KR = {2015: 1_400, 2023: 2_000, 2024: 2_400}
GANG_PROPENSITY = {  # relative odds of a gang-crime mark, children
    "hvb_skydd": 40.0,
    "sis": 4.0,
    "hvb:direktupphandling": 3.0,
    "hvb:tillaggsavtal": 2.5,
    "hvb:ramavtal": 1.5,
    "jourhem": 1.0,
    "stodboende": 1.0,
    "fh_konsulent": 0.35,
    "fh_egen": 0.25,
    "fh_natverk": 0.25,
}
