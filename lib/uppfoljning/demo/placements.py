"""Deterministic demo placement register (2020–2024) that reproduces the published facts.

The register is what a controller exports from the case-management system: one row per
placement episode, pseudonymised person ids, tab-separated Windows-1252 with decimal commas.
It is built in three steps, each with its own random stream:

1. **Structure.** Per target group and care form a stock–flow simulation follows a path of
   active placements per month (`STREAMS`): placements end by their drawn length and new ones
   start when the stock falls below the path. Some children move on from jourhem to family
   homes, from SiS to HVB, from HVB to stödboende (same person, next episode starts on the day
   the previous one ends). HVB framework-agreement episodes of children that run over 1 April
   2020 are split there: the new framework agreements raised prices by about 15 %.
2. **Calibration to the published facts** (calibration/2024-08/hvb_placeringar_fakta.csv):
   individuals on HVB in January 2020 (91) and April 2021 (75), care days January–August 2024
   against 2023 (HVB +16 %, family homes +7 %), the share of consultancy family homes (25,8 %),
   the price step (15 %), the rolling annual cost for children (just under 150 mnkr in August
   2023, 200 mnkr in August 2024), and placements linked to gang crime (just over 19 %,
   23,5 mnkr). Care days are hit by moving end dates of episodes that ended in 2024, costs by
   two price factors, gang links by choosing which placements carry the mark.
3. **Export** of the rows, and the monthly costs that `demo.py` books on the ledger's
   placement accounts (569 and 559), so register and ledger reconcile.

Definitions (care days, chains, shares) come from `placements.py`, so the calibration measures
exactly what the report shows.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import pandas as pd

from uppfoljning.data.care_forms import CareForm, CareFormCatalogue, CareGroup
from uppfoljning.placements.report import (
    CHILDREN,
    Register,
    agreement_category,
    day_number,
    month_range,
    month_start,
    r12_window,
    shift_month,
    ytd_window,
)

__all__ = ["DEMO_CATALOGUE", "ledger_costs", "demo_register", "write_demo_placements"]

SEED = 20240902
FIRST_MONTH = "2020-01"
LAST_MONTH = "2024-08"
PERIOD = "2024-08"
FILE_NAME = "placeringar_2020-2024.txt"
COLUMNS = (
    "placering_id",
    "person_id",
    "malgrupp",
    "kon",
    "fodelsear",
    "vardform",
    "lagrum",
    "utforare",
    "avtal",
    "startdatum",
    "slutdatum",
    "dygnskostnad",
    "gangkoppling",
    "tillaggsavtal",
)


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


def _rng(stream: str) -> np.random.Generator:
    return np.random.default_rng([SEED, *stream.encode()])


def _by_year(table: dict[int, float], year: int) -> float:
    """The value for the latest year in `table` not after `year`."""
    keys = [y for y in sorted(table) if y <= year]
    return table[keys[-1]] if keys else table[min(table)]


def _path(stream: Stream, months: Sequence[str]) -> np.ndarray:
    """Active placements at each month's start, linear between the anchors."""
    anchor_x = [month_start(m) for m, _ in stream.path]
    anchor_y = [float(v) for _, v in stream.path]
    return np.interp([month_start(m) for m in months], anchor_x, anchor_y)


def _lengths(stream: Stream, rng: np.random.Generator, n: int) -> np.ndarray:
    raw = rng.lognormal(np.log(stream.median_days), stream.sigma, n)
    return np.clip(np.round(raw), 3, stream.max_days).astype(np.int64)


class _Builder:
    """Collects episodes while the streams are simulated."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.person_counter = 0
        self.placement_rng = _rng("ids")
        self.used_ids: set[str] = set()

    def new_id(self, prefix: str, length: int) -> str:
        alphabet = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ23456789"))
        while True:
            text = "".join(self.placement_rng.choice(alphabet, length))
            ident = f"{prefix}-{text[:4]}-{text[4:]}" if length > 6 else f"{prefix}-{text}"
            if ident not in self.used_ids:
                self.used_ids.add(ident)
                return ident

    def add(self, **row: object) -> dict:
        row.setdefault("placement", self.new_id("PL", 6))
        self.rows.append(row)
        return row


def _choose(rng: np.random.Generator, options: Sequence[tuple[str, float]]) -> str:
    names = [o for o, _ in options]
    weights = np.array([w for _, w in options], dtype=float)
    return str(names[int(rng.choice(len(names), p=weights / weights.sum()))])


def _age_limit(birth: int, stream: Stream) -> int:
    """Children's placements end by 1 January of the year the person turns 21."""
    limit = 21 if stream.target == CHILDREN else 80
    return day_number(f"{birth + limit}-01-01")


def _simulate(
    builder: _Builder, stream: Stream, ended_by_month: dict[str, dict[str, list]]
) -> None:
    """Stock–flow simulation of one stream from 2020-01 to 2024-08 (see module docstring)."""
    rng = _rng(f"structure-{stream.key}")
    months = month_range(FIRST_MONTH, shift_month(LAST_MONTH, 1))
    path = _path(stream, months)
    day0 = month_start(FIRST_MONTH)
    episodes: list[dict] = []

    def person_for(start_month: str) -> tuple[dict | None, int]:
        for feeder, prob in stream.feeders:
            pool = ended_by_month.get(feeder, {}).get(start_month, [])
            if pool and rng.random() < prob:
                return pool.pop(int(rng.integers(len(pool)))), 0
        return None, 0

    def make(start: int, length: int, predecessor: dict | None) -> dict:
        if predecessor is not None and _age_limit(predecessor["birth"], stream) - start < 30:
            predecessor = None  # too old to move on within the children's services
        if predecessor is not None:
            person, birth, sex = (predecessor["person"], predecessor["birth"], predecessor["sex"])
        else:
            builder.person_counter += 1
            person = builder.new_id("BU" if stream.target == CHILDREN else "VU", 8)
            year = int(str(np.datetime64(int(start), "D"))[:4])
            birth = year - int(rng.integers(stream.age[0], stream.age[1] + 1))
            sex = "M" if rng.random() < stream.boys else "K"
        length = int(max(min(length, _age_limit(birth, stream) - start), 3))
        row = builder.add(
            person=person,
            target=stream.target,
            form=stream.form,
            start=int(start),
            end=int(start + length),
            birth=birth,
            sex=sex,
            law=_choose(rng, stream.law),
            provider=str(stream.providers[int(rng.integers(len(stream.providers)))]),
            planned=bool(rng.random() < stream.planned_end),
            predecessor=predecessor["placement"] if predecessor is not None else "",
        )
        episodes.append(row)
        return row

    # initial stock on 1 January 2020: length-biased lengths, uniform elapsed time
    stock = int(round(path[0]))
    if stock:
        pool = _lengths(stream, rng, 40 * stock)
        chosen = rng.choice(len(pool), stock, replace=False, p=pool / pool.sum())
        for length in pool[chosen]:
            elapsed = int(rng.integers(0, max(int(length), 1)))
            make(day0 - elapsed, int(length), None)
    mean_months = stream.median_days * np.exp(stream.sigma**2 / 2) / 30.4
    for i, month in enumerate(months[:-1]):
        lo, hi = month_start(month), month_start(months[i + 1])
        active_next = sum(1 for e in episodes if e["start"] <= hi < e["end"])
        # a trickle of inflow even when the stock is shrinking
        extra = int(rng.poisson(0.15 * path[i] / max(mean_months, 1.0)))
        attempts = 0
        while (active_next < round(path[i + 1]) or extra > 0) and attempts < 500:
            attempts += 1
            extra -= 1
            predecessor, _ = person_for(month)
            start = predecessor["end"] if predecessor is not None else int(rng.integers(lo, hi))
            length = int(_lengths(stream, rng, 1)[0])
            row = make(start, length, predecessor)
            if row["start"] <= hi < row["end"]:
                active_next += 1
    by_month = ended_by_month.setdefault(stream.key, {})
    for row in episodes:
        month = str(np.datetime64(int(row["end"]), "D"))[:7]
        by_month.setdefault(month, []).append(row)


def _structure() -> pd.DataFrame:
    builder = _Builder()
    ended: dict[str, dict[str, list]] = {}
    for stream in STREAMS:
        _simulate(builder, stream, ended)
    frame = pd.DataFrame(builder.rows)
    frame = frame[frame["end"] > month_start(FIRST_MONTH)].reset_index(drop=True)
    frame.attrs["builder"] = builder
    return frame


def _agreements(frame: pd.DataFrame) -> pd.DataFrame:
    """Agreement and supplementary agreement by form, target group and start year."""
    rng = _rng("agreements")
    years = frame["start"].map(lambda d: int(str(np.datetime64(int(d), "D"))[:4]))
    agreement, supplement = [], []
    for form, target, year in zip(frame["form"], frame["target"], years, strict=True):
        u, v = rng.random(), rng.random()
        if form == "hvb":
            direct = u < _by_year(DIRECT_SHARE[target], year)
            agreement.append("Direktupphandling" if direct else "Ramavtal")
            supplement.append(
                not direct and target == CHILDREN and v < _by_year(SUPPLEMENT_SHARE, year)
            )
        elif form in ("hvb_skydd", "skyddat"):
            agreement.append("Direktupphandling")
            supplement.append(False)
        elif form in ("sis", "lvm"):
            agreement.append("SiS (statlig)")
            supplement.append(False)
        elif form in ("fh_egen", "fh_natverk", "jourhem"):
            agreement.append("Egen regi")
            supplement.append(False)
        elif form == "stodboende":
            agreement.append("Direktupphandling" if u < 0.2 else "Ramavtal")
            supplement.append(False)
        else:
            agreement.append("Ramavtal")
            supplement.append(False)
    return frame.assign(agreement=agreement, supplement=supplement)


def _split_at_price_step(frame: pd.DataFrame, builder: _Builder) -> pd.DataFrame:
    """New HVB framework agreements (children) from 1 April 2020: ongoing episodes get a new
    row with the new price from that day."""
    step = month_start(PRICE_STEP_MONTH)
    hit = (
        (frame["target"] == CHILDREN)
        & (frame["form"] == "hvb")
        & (frame["agreement"] == "Ramavtal")
        & (frame["start"] < step)
        & (frame["end"] > step)
    )
    continued = frame[hit].copy()
    continued["predecessor"] = continued["placement"]
    continued["placement"] = [builder.new_id("PL", 6) for _ in range(len(continued))]
    continued["start"] = step
    continued["repriced"] = True
    frame = frame.assign(repriced=False)
    frame.loc[hit, "end"] = step
    frame.loc[hit, "planned"] = False
    return pd.concat([frame, continued], ignore_index=True)


def _episodes(frame: pd.DataFrame, as_of: int) -> pd.DataFrame:
    """The typed episode frame `placements.Register` works on."""
    form = frame["form"].to_numpy()
    return pd.DataFrame(
        {
            "placement": frame["placement"].to_numpy(),
            "person": frame["person"].to_numpy(),
            "target": frame["target"].to_numpy(),
            "form": form,
            "group": [DEMO_CATALOGUE.forms[f].group for f in form],
            "start": frame["start"].to_numpy(np.int64),
            "end": frame["end"].to_numpy(np.int64),
            "price": frame["price"].to_numpy(float) if "price" in frame else 0.0,
            "gang": frame["gang"].to_numpy(bool) if "gang" in frame else False,
            "supplement": frame["supplement"].to_numpy(bool),
            "agreement": [
                agreement_category(a, s)
                for a, s in zip(frame["agreement"], frame["supplement"], strict=True)
            ],
        }
    )


def _register(frame: pd.DataFrame) -> Register:
    as_of = month_start(shift_month(PERIOD, 1))
    return Register.from_episodes(_episodes(frame, as_of), DEMO_CATALOGUE, as_of)


def _persons_in_month(frame: pd.DataFrame, month: str, group: str = "hvb") -> int:
    reg = _register(frame)
    days = reg.monthly_days([month])[:, 0]
    ep = reg.episodes
    mask = (days > 0) & (ep["target"] == CHILDREN).to_numpy() & (ep["group"] == group).to_numpy()
    return int(ep.loc[mask, "person"].nunique())


def _fix_individuals(frame: pd.DataFrame, builder: _Builder) -> pd.DataFrame:
    """Add or drop short HVB placements so the published counts of individuals hold."""
    rng = _rng("individuals")
    for month, target in HVB_INDIVIDUALS.items():
        count = _persons_in_month(frame, month)
        lo, hi = month_start(month), month_start(shift_month(month, 1))
        if count > target:
            starts = frame[
                (frame["form"] == "hvb")
                & (frame["target"] == CHILDREN)
                & (frame["start"] >= lo)
                & (frame["start"] < hi)
                & (frame["predecessor"] == "")
            ]
            # a placement may be dropped with its repriced continuation, not with a move
            moves = set(frame.loc[~frame["repriced"], "predecessor"])
            starts = starts[~starts["placement"].isin(moves)]
            drop = starts.sort_values("start").index[: count - target]
            gone = set(frame.loc[drop, "placement"])
            continued = frame.index[frame["predecessor"].isin(gone) & frame["repriced"]]
            frame = frame.drop(index=[*drop, *continued]).reset_index(drop=True)
        for _ in range(max(target - count, 0)):
            start = int(rng.integers(lo, hi - 5))
            year = int(month[:4])
            builder.person_counter += 1
            frame.loc[len(frame)] = {
                "placement": builder.new_id("PL", 6),
                "person": builder.new_id("BU", 8),
                "target": CHILDREN,
                "form": "hvb",
                "start": start,
                "end": start + int(rng.integers(6, 30)),
                "birth": year - int(rng.integers(13, 18)),
                "sex": "M" if rng.random() < 0.6 else "K",
                "law": "SoL",
                "provider": HVB_PROVIDERS[int(rng.integers(len(HVB_PROVIDERS)))],
                "planned": False,
                "predecessor": "",
                "agreement": "Direktupphandling",
                "supplement": False,
                "repriced": False,
            }
        if _persons_in_month(frame, month) != target:
            raise RuntimeError(f"demo: individer på HVB {month} blev inte {target}")
    return frame


def _ytd_days(frame: pd.DataFrame, forms: Sequence[str], back: int) -> float:
    reg = _register(frame)
    days = reg.days(*ytd_window(PERIOD, back))
    ep = reg.episodes
    mask = (ep["target"] == CHILDREN).to_numpy() & ep["form"].isin(list(forms)).to_numpy()
    return float(days[mask].sum())


def _shift_ends(frame: pd.DataFrame, forms: Sequence[str], delta: int, rng_name: str) -> None:
    """Move end dates of children's episodes that ended in 2024 by `delta` days in total."""
    if delta == 0:
        return
    rng = _rng(rng_name)
    lo, hi = ytd_window(PERIOD)
    successors = set(frame["predecessor"])
    candidates = frame[
        (frame["target"] == CHILDREN)
        & frame["form"].isin(list(forms))
        & (frame["end"] > lo + 20)
        & (frame["end"] < hi - 20)
        & ~frame["placement"].isin(successors)
        & (frame["end"] - frame["start"] > 60)
    ].index.to_numpy()
    if not len(candidates):
        raise RuntimeError(f"demo: inga placeringar att justera för {forms}")
    order = rng.permutation(candidates)
    remaining, sign = abs(delta), 1 if delta > 0 else -1
    while remaining > 0:
        moved = False
        for idx in order:
            if remaining <= 0:
                break
            end = int(frame.at[idx, "end"])
            room = (hi - end) if sign > 0 else (end - int(frame.at[idx, "start"]) - 30)
            step = min(remaining, 40, max(room, 0))
            if step <= 0:
                continue
            frame.at[idx, "end"] = end + sign * step
            remaining -= step
            moved = True
        if not moved:
            raise RuntimeError(f"demo: kan inte flytta {delta} vårddygn för {forms}")


def _fix_care_days(frame: pd.DataFrame) -> None:
    """HVB +16 %, family homes +7 %, consultancy share 25,8 % (January–August 2024)."""
    hvb = ["hvb", "hvb_skydd"]
    family = ["fh_egen", "fh_natverk", "fh_konsulent"]
    before = _ytd_days(frame, hvb, 1)
    now = _ytd_days(frame, hvb, 0)
    _shift_ends(frame, hvb, int(round(before * (1 + HVB_DAYS_CHANGE / 100) - now)), "days-hvb")
    before = _ytd_days(frame, family, 1)
    now = _ytd_days(frame, family, 0)
    target = before * (1 + FAMILY_HOME_DAYS_CHANGE / 100)
    _shift_ends(frame, ["fh_egen"], int(round(target - now)), "days-fh")
    consultancy = _ytd_days(frame, ["fh_konsulent"], 0)
    total = _ytd_days(frame, family, 0)
    move = int(round(total * CONSULTANCY_SHARE / 100 - consultancy))
    _shift_ends(frame, ["fh_konsulent"], move, "days-kons")
    _shift_ends(frame, ["fh_egen"], -move, "days-kons-egen")


def _prices(frame: pd.DataFrame) -> np.ndarray:
    """Price per care day from the price tables, set in the year the episode's price was set."""
    rng = _rng("prices")
    prices = np.zeros(len(frame))
    placement_index = {p: i for i, p in enumerate(frame["placement"])}
    years = frame["start"].map(lambda d: int(str(np.datetime64(int(d), "D"))[:4])).to_numpy()
    step = month_start(PRICE_STEP_MONTH)
    order = np.argsort(frame["start"].to_numpy(), kind="stable")
    for i in order:
        row = frame.iloc[i]
        noise = rng.lognormal(0.0, PRICE_NOISE.get(row["form"], 0.10))
        if row["repriced"]:
            prices[i] = prices[placement_index[row["predecessor"]]] * PRICE_STEP
            continue
        key = f"{row['target']}:{row['form']}"
        if row["form"] == "hvb":
            kind = "ramavtal" if row["agreement"] == "Ramavtal" else "direktupphandling"
            key = f"{key}:{kind}"
        base = _by_year(PRICES[key], int(years[i]))
        if key == "barn_unga:hvb:ramavtal" and row["start"] >= step and years[i] == 2020:
            base *= PRICE_STEP
        price = base * noise
        if row["supplement"]:
            price += _by_year(SUPPLEMENT_KR, int(years[i])) * rng.lognormal(0.0, 0.25)
        prices[i] = price
    return np.round(prices)


def _fix_price_step(frame: pd.DataFrame) -> None:
    """Scale the framework prices set from April 2020 so the step is exactly 15 %."""
    reg = _register(frame)
    months = [shift_month(PRICE_STEP_MONTH, -1), PRICE_STEP_MONTH]
    days = reg.monthly_days(months)
    ep = reg.episodes
    mask = (
        (ep["target"] == CHILDREN) & (ep["form"] == "hvb") & (ep["agreement"] == "ramavtal")
    ).to_numpy()
    price = ep["price"].to_numpy()
    before = (days[mask, 0] * price[mask]).sum() / days[mask, 0].sum()
    after = (days[mask, 1] * price[mask]).sum() / days[mask, 1].sum()
    factor = PRICE_STEP * before / after
    year_end = day_number("2021-01-01")
    scaled = (
        (frame["target"] == CHILDREN)
        & (frame["form"] == "hvb")
        & (frame["agreement"] == "Ramavtal")
        & ~frame["supplement"]
        & (frame["start"] >= month_start(PRICE_STEP_MONTH))
        & (frame["start"] < year_end)
    )
    frame.loc[scaled, "price"] = np.round(frame.loc[scaled, "price"] * factor)


def _fix_r12(frame: pd.DataFrame) -> None:
    """Two price factors (placements started 2022 to mid-2023, and later) hit both R12s."""
    reg = _register(frame)
    ep = reg.episodes
    children = (ep["target"] == CHILDREN).to_numpy()
    price = ep["price"].to_numpy()
    cut_a, cut_b = day_number("2022-01-01"), day_number("2023-07-01")
    start = ep["start"].to_numpy()
    group_a = children & (start >= cut_a) & (start < cut_b)
    group_b = children & (start >= cut_b)
    fixed = children & ~group_a & ~group_b
    rows, rhs = [], []
    for period, target in R12_TARGETS.items():
        cost = reg.days(*r12_window(period)) * price
        rows.append([cost[group_a].sum(), cost[group_b].sum()])
        rhs.append(target - cost[fixed].sum())
    factor_a, factor_b = np.linalg.solve(np.array(rows), np.array(rhs))
    if not (0.75 < factor_a < 1.3 and 0.75 < factor_b < 1.3):
        raise RuntimeError(f"demo: orimliga prisfaktorer {factor_a:.3f}, {factor_b:.3f}")
    lookup = dict(zip(ep["placement"], zip(group_a, group_b, strict=True), strict=True))
    factors = np.array(
        [
            factor_a if lookup[p][0] else factor_b if lookup[p][1] else 1.0
            for p in frame["placement"]
        ]
    )
    frame["price"] = np.round(frame["price"].to_numpy() * factors)


def _propensity(frame: pd.DataFrame) -> np.ndarray:
    weights = []
    for form, agreement, supplement in zip(
        frame["form"], frame["agreement"], frame["supplement"], strict=True
    ):
        key = form
        if form == "hvb":
            kind = "tillaggsavtal" if supplement else agreement.lower()
            key = f"hvb:{kind}"
        weights.append(GANG_PROPENSITY.get(key, 0.0))
    return np.array(weights)


def _mark_gang(frame: pd.DataFrame) -> None:
    """Mark placements (chains) linked to gang crime: share and cost as published."""
    rng = _rng("gang")
    reg = _register(frame)
    ep = reg.episodes
    chains = reg.chains
    row_of = pd.Series(range(len(frame)), index=frame["placement"])
    ep_rows = row_of.reindex(ep["placement"]).to_numpy()
    propensity = _propensity(frame)[ep_rows]
    birth = frame["birth"].to_numpy()[ep_rows]
    chain_weight = pd.Series(propensity, index=ep["chain"]).groupby(level=0).max()
    chain_birth = pd.Series(birth, index=ep["chain"]).groupby(level=0).min()
    chain_weight = chain_weight.where(chain_birth <= 2011, chain_weight * 0.02)
    chain_weight = chain_weight.where(chains["target"] == CHILDREN, 0.0)
    price = ep["price"].to_numpy()

    def window(back: int) -> tuple[pd.Series, pd.Series]:
        days = reg.days(*ytd_window(PERIOD, back))
        cost = pd.Series(days * price, index=ep["chain"]).groupby(level=0).sum()
        active = pd.Series(days, index=ep["chain"]).groupby(level=0).sum() > 0
        return cost, active & (chains["target"] == CHILDREN)

    cost_now, active_now = window(0)
    _, active_before = window(1)
    marked = pd.Series(False, index=chains.index)
    forced = chain_weight >= GANG_PROPENSITY["hvb_skydd"]
    marked |= forced
    candidates = chains.index[active_now & (chain_weight > 0)]
    wanted = int(round(GANG_SHARE / 100 * active_now.sum()))
    # weighted sampling without replacement (Gumbel top-k), then swaps to hit the cost
    keys = np.log(chain_weight[candidates].to_numpy()) + rng.gumbel(size=len(candidates))
    free = [c for c in candidates[np.argsort(-keys)] if not marked[c]]
    for chain in free[: max(wanted - int(marked[active_now].sum()), 0)]:
        marked[chain] = True
    selected = list(chains.index[marked & active_now & ~forced])
    pool = [c for c in candidates if not marked[c]]
    total = float(cost_now[marked & active_now].sum())
    for _ in range(20_000):
        gap = GANG_COST - total
        if abs(gap) < 15_000:
            break
        out_chain = selected[int(rng.integers(len(selected)))]
        costs_in = cost_now[pool].to_numpy()
        change = costs_in - cost_now[out_chain]
        best = int(np.argmin(np.abs(gap - change)))
        if abs(gap - change[best]) < abs(gap):
            in_chain = pool[best]
            marked[out_chain], marked[in_chain] = False, True
            selected.remove(out_chain)
            selected.append(in_chain)
            pool[best] = out_chain
            total += float(change[best])
    else:  # pragma: no cover - the search converges for the demo's sizes
        raise RuntimeError("demo: kostnaden för gängkopplade placeringar nås inte")
    # the same period last year: a slightly higher share
    wanted_before = int(round(GANG_SHARE_PREVIOUS / 100 * active_before.sum()))
    missing = wanted_before - int(marked[active_before].sum())
    only_before = chains.index[active_before & ~active_now & ~marked & (chain_weight > 0)]
    if missing > 0 and len(only_before):
        keys = np.log(chain_weight[only_before].to_numpy()) + rng.gumbel(size=len(only_before))
        for chain in only_before[np.argsort(-keys)][:missing]:
            marked[chain] = True
    # earlier years: by propensity (gang-related placements were fewer)
    earlier = chains.index[~active_before & ~active_now & (chain_weight > 0)]
    odds = chain_weight[earlier].to_numpy() * 0.08
    marked[earlier[rng.random(len(earlier)) < odds / (1 + odds)]] = True
    chain_marked = marked.reindex(ep["chain"]).to_numpy()
    gang = np.zeros(len(frame), dtype=bool)
    gang[ep_rows] = chain_marked
    frame["gang"] = gang


@lru_cache(maxsize=1)
def _calibrated() -> pd.DataFrame:
    frame = _structure()
    builder: _Builder = frame.attrs.pop("builder")
    frame = _agreements(frame)
    frame = _split_at_price_step(frame, builder)
    frame = _fix_individuals(frame, builder)
    _fix_care_days(frame)
    frame["price"] = _prices(frame)
    _fix_price_step(frame)
    _fix_r12(frame)
    _mark_gang(frame)
    return frame.sort_values(["start", "placement"], kind="stable").reset_index(drop=True)


def demo_register() -> pd.DataFrame:
    """The calibrated demo episodes (typed, as `placements.Register` reads them)."""
    frame = _calibrated()
    return _episodes(frame, month_start(shift_month(PERIOD, 1)))


def _sv_amount(value: float) -> str:
    whole, cents = divmod(int(round(value * 100)), 100)
    return f"{whole:,}".replace(",", " ") + f",{cents:02d}"


def _date(day: int) -> str:
    return str(np.datetime64(int(day), "D"))


def write_demo_placements(out_dir: Path) -> list[Path]:
    """placeringar_2020-2024.txt: tab-separated, Windows-1252, CRLF, decimal comma."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    frame = _calibrated()
    as_of = month_start(shift_month(PERIOD, 1))
    path = out_dir / FILE_NAME
    with path.open("w", encoding="cp1252", newline="") as fh:
        writer = csv.writer(fh, delimiter="\t", lineterminator="\r\n")
        writer.writerow(COLUMNS)
        for row in frame.itertuples(index=False):
            end = int(row.end)
            unknown_end = end >= as_of and not row.planned  # ongoing without a planned end
            end_text = "" if unknown_end else _date(end)
            writer.writerow(
                [
                    row.placement,
                    row.person,
                    row.target,
                    row.sex,
                    int(row.birth),
                    row.form.upper(),
                    row.law,
                    row.provider,
                    row.agreement,
                    _date(row.start),
                    end_text,
                    _sv_amount(row.price),
                    "Ja" if row.gang else "",
                    "Ja" if row.supplement else "",
                ]
            )
    return [path]


@lru_cache(maxsize=4)
def ledger_costs(year: int) -> dict[tuple[str, str, str], dict[int, int]]:
    """(row, verksamhet, konto) -> month -> öre: the register's monthly cost as booked.

    Invoices are booked within ±1 % of the register's amount for the month (timing and
    rounding), well inside the reconciliation threshold of params/hvb.yaml.
    """
    frame = _calibrated()
    last = min(f"{year}-12", PERIOD)
    months = month_range(f"{year}-01", last)
    reg = _register(frame)
    days = reg.monthly_days(months)
    ep = reg.episodes
    cost = days * ep["price"].to_numpy()[:, None]
    out: dict[tuple[str, str, str], dict[int, int]] = {}
    rng = _rng(f"booking-{year}")
    keys = [LEDGER_KEYS.get((t, f)) for t, f in zip(ep["target"], ep["form"], strict=True)]
    for key in sorted({k for k in keys if k is not None}):
        mask = np.array([k == key for k in keys])
        monthly = cost[mask].sum(axis=0)
        noise = rng.uniform(-BOOKING_NOISE, BOOKING_NOISE, len(months))
        out[key] = {
            int(m[5:7]): int(round(v * (1 + n) * 100))
            for m, v, n in zip(months, monthly, noise, strict=True)
        }
    return out
