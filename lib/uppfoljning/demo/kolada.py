"""Demo Kolada cache: the files the client would write, with made-up but calibrated values.

Why: the suite must run and be tested without the network and without real peer data. The demo
reproduces the municipality's values and the R9 means that the real interim report 2024-08 cites
(``calibration/2024-08/r9.csv``) exactly. It answers like Kolada: Kolada's titles for each id
(:data:`KOLADA_TITLES`, as recorded by rKolada), and Kolada's group value for G96092 written
first, from which the members' values are fitted (see :class:`_Values`), so the report's own
R9 mean, computed from the members, is checked against a value it did not produce. A few
members lack a value in some years (:data:`MISSING`) and the group's ``count`` shows it. The
published figures cover N35001, N33022 and N33009 only, none of the placement figures, so the
correction of the placement ids does not touch them. Everything else (other years and KPIs,
population) is smooth invented trends. A ``DEMO`` marker file tells the report to say that the
peers' values are demo values.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from uppfoljning.peers import catalogue, kolada, kolada_cache, sources
from uppfoljning.peers.catalogue import R9Config

DEMO_FETCHED_AT = datetime(2024, 9, 2, 6, 0, tzinfo=UTC)
DEMO_YEARS = range(2015, 2024)
CALIBRATION_MUNICIPALITY = "0580"
DEMO_TEXT = (
    "Observera: demodata. Jämförelsekommunernas värden är påhittade; Linköpings värden och "
    "R9-snittet 2022 och 2023 för de tre målnyckeltalen är de som delårsrapporten 2024-08 anger.\n"
    "\n"
    "Skapad av uppfoljning.demo.kolada. Övriga år och nyckeltal och befolkningen är påhittade\n"
    "jämna trender; några kommuner saknar värde vissa år. Koladas gruppvärde (G96092) är satt\n"
    "först och kommunernas värden anpassade till det. Ersätt med riktiga data med\n"
    "'uppfoljning kolada refresh'.\n"
)
# Inhabitants 31/12 2023 (rounded, realistic scale) and share aged 0-20 (%), per member.
_POPULATION_2023 = {
    "0181": 101_900,
    "0380": 244_900,
    "0484": 107_400,
    "0580": 166_700,
    "0581": 145_000,
    "0680": 144_900,
    "1880": 158_300,
    "1980": 157_900,
    "2180": 103_500,
}
_SHARE_0_20 = {
    "0181": 27.6,
    "0380": 25.3,
    "0484": 25.1,
    "0580": 24.6,
    "0581": 24.4,
    "0680": 25.6,
    "1880": 25.2,
    "1980": 25.0,
    "2180": 23.6,
}
# Relative levels of the eight peers before normalisation; rotated per KPI.
_PEER_FACTORS = (1.18, 0.86, 1.27, 0.95, 1.05, 0.90, 1.12, 0.97)
# Plain KPIs: (R9 level 2023, yearly growth, decimals, the municipality's ratio to the mean).
_PLAIN = {"N35025": (3950.0, 0.035, 0, 0.94)}
_GENERIC = (1000.0, 0.03, 0, 1.0)
# Kolada's placement figures (children and young people 0-20 placed at some time during the
# year, per 1 000 inhabitants 0-20): in HVB or family homes (the total), in HVB, in family homes.
PLACED_TOTAL, PLACED_HVB, PLACED_FAMILY_HOMES = "N33818", "N33816", "N33817"
# Kolada's own titles, as recorded by rKolada (see params/jamforelsegrupper.yaml and
# tests/fixtures/kolada/kpi_r9.json): the demo answers like Kolada, whatever the catalogue says,
# so a catalogue that uses an id for the wrong thing is refused on demo data too.
KOLADA_TITLES = {
    "N01951": "Invånare totalt, antal",
    "N33900": "Invånare 0-20 år, andel (%) av bef.",
    "N35001": "Kostnad missbruksvård vuxna, kr/inv",
    "N33022": "Kostnad familje- och HVB barn och unga, kr/inv 0-20 år",
    "N33009": "Kostnad öppna insatser barn och unga, kr/inv",
    "N33002": "Kostnad HVB för barn och unga kr/inv 0-20 år",
    "N33004": "Kostnad familjehemsvård barn och unga, kr/inv 0-20 år",
    "N33021": "Kostnad öppna insatser barn och unga, kr/inv 0-20 år",
    "N35009": "Kostnad institutionsvård vuxna missbrukare, kr/inv",
    "N35011": "Kostnad öppna insatser vuxna missbrukare, kr/inv",
    "N35025": "Kostnad institutionsvård vuxna missbrukare, kr/vårddygn",
    "N33816": "Barn och unga 0-20 år som har varit placerade på HVB någon gång under året, "
    "antal/1000 inv",
    "N33817": "Barn och unga 0-20 år som har varit placerade på familjehem någon gång under "
    "året, antal/1000 inv",
    "N33818": "Barn och unga 0-20 år som har varit placerade på HVB eller familjehem någon gång "
    "under året, antal/1000 inv",
}
_DIVIDED_BY_GENDER = {"N01951", PLACED_TOTAL, PLACED_HVB, PLACED_FAMILY_HOMES}
# Values Kolada lacks (kpi, municipality, year): the group value is then over eight members
# and its `count` is 8, as in a real response; the report's notes and r9_kontroll show it.
MISSING = {
    ("N35025", "0181", 2015),
    ("N35025", "0181", 2023),
    ("N33021", "1980", 2017),
    (PLACED_FAMILY_HOMES, "2180", 2019),
}


def read_calibration() -> dict[tuple[str, int], tuple[float, float]]:
    """Published (own value, R9 mean) per (kpi, year) from ``calibration/2024-08/r9.csv``."""
    text = (
        resources.files("uppfoljning")
        .joinpath("demo", "calibration", "2024-08", "r9.csv")
        .read_text(encoding="utf-8")
    )
    out = {}
    for row in csv.DictReader(io.StringIO(text)):
        out[(row["kpi"], int(row["ar"]))] = (
            float(row["linkoping_kr_per_inv"]),
            float(row["r9_snitt_kr_per_inv"]),
        )
    return out


def _wave(i: int, year: int, k: int) -> float:
    # Small deterministic wobble so series are not ruler-straight.
    return 0.02 * math.sin(1.7 * i + 0.9 * (year - 2015) + 0.6 * k)


def _round(value: float, decimals: int) -> float:
    return float(round(value, decimals)) if decimals else float(round(value))


def _fit(
    fixed: float, raw: dict[str, float], target_total: float, decimals: int
) -> dict[str, float]:
    """Round peers to ``decimals`` so that fixed + sum(peers) == target_total exactly."""
    unit = 10**decimals
    remaining = round((target_total - fixed) * unit)
    scale = remaining / sum(raw.values())
    units = {c: round(v * scale) for c, v in raw.items()}
    diff = remaining - sum(units.values())
    order = sorted(raw, key=lambda c: (-raw[c], c))
    step = 1 if diff > 0 else -1
    for i in range(abs(diff)):
        units[order[i % len(order)]] += step
    return {c: u / unit for c, u in units.items()}


class _Values:
    """What the demo's Kolada publishes: each (kpi, municipality, year, gender), the group value.

    Kolada's group value comes first, as Kolada publishes it: :meth:`publish` takes a target
    group mean and fits the members' values (rounded as Kolada rounds them) so that the mean of
    the members that have a value is exactly that target. The group value is written from the
    target, never by averaging the members' values, so the report's own mean (computed from the
    members) is a real cross-check of it. Members listed in :data:`MISSING` have no value
    (status "Missing") and the group's ``count`` says so.
    """

    def __init__(self, members: list[str], group_id: str | None) -> None:
        self.members = members
        self.group_id = group_id
        # (kpi, municipality, year, gender) -> (value, status, count)
        self.values: dict[tuple[str, str, int, str], tuple[float | None, str, int]] = {}
        # (kpi, year, gender) -> the group value the members were fitted to
        self.targets: dict[tuple[str, int, str], float] = {}

    def set(
        self,
        kpi: str,
        code: str,
        year: int,
        value: float | None,
        gender: str = "T",
        status: str = "",
        count: int | None = None,
    ) -> None:
        if count is None:
            count = 0 if value is None else 1
        self.values[(kpi, code, year, gender)] = (value, status, count)

    def get(self, kpi: str, code: str, year: int, gender: str = "T") -> float:
        value = self.values[(kpi, code, year, gender)][0]
        return math.nan if value is None else value

    def members_of(self, kpi: str, year: int, gender: str = "T") -> dict[str, float]:
        """The members' values (those that have one)."""
        out = {}
        for code in self.members:
            value = self.values.get((kpi, code, year, gender), (None, "", 0))[0]
            if value is not None:
                out[code] = value
        return out

    def publish(
        self,
        kpi: str,
        year: int,
        target: float,
        raw: dict[str, float],
        decimals: int,
        *,
        gender: str = "T",
        fixed: dict[str, float] | None = None,
    ) -> float:
        """Write Kolada's group value (``target``, as the rounded members can carry it) and the
        members fitted to it; returns the group value.

        ``raw`` are the members' unscaled values, ``fixed`` members whose value is given (the
        published own value). Members in :data:`MISSING` get no value and are not counted.
        """
        fixed = dict(fixed or {})
        raw = dict(raw)
        for code in self.members:
            if (kpi, code, year) in MISSING:
                raw.pop(code, None)
                fixed.pop(code, None)
                self.set(kpi, code, year, None, gender=gender, status="Missing")
        n = len(raw) + len(fixed)
        unit = 10**decimals
        fixed_sum = sum(fixed.values())
        # The members' sum: fixed values plus the rest rounded to Kolada's precision.
        total = fixed_sum + round((target * n - fixed_sum) * unit) / unit
        for code, value in {**fixed, **_fit(fixed_sum, raw, total, decimals)}.items():
            self.set(kpi, code, year, value, gender=gender)
        return self.group_value(kpi, year, total / n, n, gender)

    def group_value(
        self, kpi: str, year: int, value: float, count: int, gender: str = "T"
    ) -> float:
        self.targets[(kpi, year, gender)] = value
        if self.group_id:
            self.set(kpi, self.group_id, year, value, gender=gender, count=count)
        return value


class _Generator:
    """Deterministic demo values for every KPI the report requests, calibrated and consistent.

    The calibrated KPIs reproduce ``r9.csv``; parts and explanatory KPIs are derived from them
    (see :meth:`_derive`); the rest are smooth invented trends. The values are written into a
    :class:`_Values`, which fits the members to Kolada's group value.
    """

    def __init__(self, config: R9Config, years: Iterable[int]) -> None:
        self.config = config
        self.years = sorted({int(y) for y in years})
        self.members = [m.code for m in config.group.members]
        if CALIBRATION_MUNICIPALITY not in self.members:
            raise ValueError(
                f"Demodata kräver att {CALIBRATION_MUNICIPALITY} ingår i jämförelsegruppen."
            )
        self.peers = [c for c in self.members if c != CALIBRATION_MUNICIPALITY]
        self.calibration = read_calibration()
        self.store = _Values(self.members, config.group.kolada_id)

    def _peer_factors(self, k: int, own_ratio: float) -> dict[str, float]:
        base = [_PEER_FACTORS[(i + k) % len(_PEER_FACTORS)] for i in range(len(self.peers))]
        # Normalised so the nine's raw mean equals the level: the peers carry 9 - own_ratio.
        norm = (len(self.members) - own_ratio) / sum(base)
        return {c: f * norm for c, f in zip(self.peers, base, strict=True)}

    def series(
        self,
        kpi: str,
        k: int,
        level: float,
        growth: float,
        decimals: int,
        own_ratio: float,
        anchor_year: int = 2023,
    ) -> None:
        """A plain KPI: group value level(year); members level × factor × wobble, fitted."""
        factors = self._peer_factors(k, own_ratio)
        factors[CALIBRATION_MUNICIPALITY] = own_ratio
        for year in self.years:
            mean = level * (1 + growth) ** (year - anchor_year)
            raw = {
                code: mean * factors[code] * (1 + _wave(i, year, k))
                for i, code in enumerate(self.members)
            }
            self.store.publish(kpi, year, mean, raw, decimals)

    def calibrated(self, kpi: str, k: int, growth: float) -> None:
        """A KPI of r9.csv: published own values and means (= Kolada's group value) exactly."""
        anchors = {y: v for (kid, y), v in self.calibration.items() if kid == kpi}
        first, last = min(anchors), max(anchors)
        for year in self.years:
            if year in anchors:
                own, mean = anchors[year]
            else:
                ref = first if year < first else last
                own_ref, mean_ref = anchors[ref]
                mean = mean_ref * (1 + growth) ** (year - ref)
                own = _round(mean * own_ref / mean_ref * (1 + _wave(3, year, k)), 0)
            factors = self._peer_factors(k, own / mean)
            raw = {
                c: mean * f * (1 + _wave(i, year, k)) for i, (c, f) in enumerate(factors.items())
            }
            self.store.publish(kpi, year, mean, raw, 0, fixed={CALIBRATION_MUNICIPALITY: own})

    def build(self) -> None:
        """Fill every KPI the report requests."""
        cfg = self.config
        for year in self.years:
            for code in self.members:
                self.store.set(
                    cfg.population_total_kpi,
                    code,
                    year,
                    float(round(_POPULATION_2023.get(code, 120_000) * 1.011 ** (year - 2023))),
                )
                self.store.set(
                    cfg.population_share_0_20_kpi,
                    code,
                    year,
                    _round(_SHARE_0_20.get(code, 25.0) + 0.03 * (2023 - year), 1),
                )
        known = {cfg.population_total_kpi, cfg.population_share_0_20_kpi}
        growth = {"N35001": 0.04, "N33022": 0.05, "N33009": 0.04}
        for k, kpi in enumerate(cfg.kpi_ids):
            if any(kid == kpi for kid, _ in self.calibration):
                self.calibrated(kpi, k, growth.get(kpi, 0.04))
                known.add(kpi)
        derived = self._derive(known)
        for k, kpi in enumerate(cfg.kpi_ids):
            if kpi not in known and kpi not in derived:
                level, g, decimals, own = _PLAIN.get(kpi, _GENERIC)
                self.series(kpi, k, level, g, decimals, own)

    def _gendered(self, kpi: str, year: int, group_total: float) -> None:
        """Girls (K) and boys (M) per 1 000 of each: 0.88 and 1.12 times the total, fitted."""
        total = self.store.members_of(kpi, year)
        for gender, factor in (("K", 0.88), ("M", 1.12)):
            raw = {c: v * factor for c, v in total.items()}
            self.store.publish(kpi, year, group_total * factor, raw, 1, gender=gender)

    def _derive(self, known: set[str]) -> set[str]:
        """Parts and explanatory KPIs consistent with the calibrated totals.

        Each part's group value is derived from the group values of the totals (e.g. HVB cost =
        0.44 × the group's cost for family homes and HVB), and its members are fitted to it.
        """
        wanted = set(self.config.kpi_ids)
        done: set[str] = set()
        share_kpi = self.config.population_share_0_20_kpi
        for year in self.years:
            index = {code: i for i, code in enumerate(self.members)}
            if "N33022" in known:
                total = self.store.members_of("N33022", year)
                group_total = self.store.targets[("N33022", year, "T")]
                if wanted & {"N33002", "N33004"}:
                    raw = {
                        c: v * (0.44 + 0.03 * math.sin(index[c] + 0.3 * (year - 2015)))
                        for c, v in total.items()
                    }
                    group_hvb = self.store.publish("N33002", year, group_total * 0.44, raw, 0)
                    hvb = self.store.members_of("N33002", year)
                    for code, value in total.items():  # family homes = total − HVB
                        self.store.set("N33004", code, year, value - hvb[code])
                    self.store.group_value("N33004", year, group_total - group_hvb, len(total))
                    done |= {"N33002", "N33004"}
                # Cost per placed child ~1.05 mnkr (2023 prices), dearer in the municipality.
                price = {
                    c: 1_050_000
                    * (1.06 if c == CALIBRATION_MUNICIPALITY else 0.93 + 0.03 * (index[c] % 5))
                    * 1.03 ** (year - 2023)
                    for c in total
                }
                group_price = sum(price.values()) / len(price)
                if PLACED_TOTAL in wanted:
                    raw = {c: 1000 * v / price[c] for c, v in total.items()}
                    group_placed = self.store.publish(
                        PLACED_TOTAL, year, 1000 * group_total / group_price, raw, 1
                    )
                    self._gendered(PLACED_TOTAL, year, group_placed)
                    done.add(PLACED_TOTAL)
                    placed = self.store.members_of(PLACED_TOTAL, year)
                    # Share in family homes; HVB and family homes overlap a little (a child
                    # placed in both during the year counts in both parts, once in the total).
                    family = {c: 0.66 + 0.02 * math.cos(index[c] + year) for c in placed}
                    parts = {
                        PLACED_FAMILY_HOMES: ({c: v * family[c] for c, v in placed.items()}, 0.66),
                        PLACED_HVB: (
                            {c: v * (1 - family[c]) * 1.05 for c, v in placed.items()},
                            0.34 * 1.05,
                        ),
                    }
                    for kpi, (raw, factor) in parts.items():
                        if kpi in wanted:
                            group = self.store.publish(kpi, year, group_placed * factor, raw, 1)
                            self._gendered(kpi, year, group)
                            done.add(kpi)
            if "N33021" in wanted and "N33009" in known:
                # Open interventions per inhabitant 0-20 = per inhabitant × 100 / share 0-20.
                open_total = self.store.members_of("N33009", year)
                shares = {c: self.store.get(share_kpi, c, year) for c in open_total}
                raw = {c: v * 100 / shares[c] for c, v in open_total.items()}
                group_share = sum(shares.values()) / len(shares)
                group_open = self.store.targets[("N33009", year, "T")]
                self.store.publish("N33021", year, group_open * 100 / group_share, raw, 0)
                done.add("N33021")
            if "N35001" in known:
                total = self.store.members_of("N35001", year)
                group_total = self.store.targets[("N35001", year, "T")]
                inst = {
                    c: v * (0.42 + 0.04 * math.sin(2 * index[c] + 0.5 * (year - 2015)))
                    for c, v in total.items()
                }
                for kpi, raw, factor in (
                    ("N35009", inst, 0.42),
                    ("N35011", {c: v * 0.48 for c, v in total.items()}, 0.48),
                ):
                    if kpi in wanted:
                        self.store.publish(kpi, year, group_total * factor, raw, 0)
                        done.add(kpi)
        return done


# --------------------------------------------------------------------------- responses


def _data_response(
    store: _Values, kpis: list[str], codes: list[str], years: list[int]
) -> dict[str, Any]:
    """Kolada's /data answer (v3 shape) for one request."""
    rows = []
    for kpi in kpis:
        for code in codes:
            for year in years:
                points = []
                for gender in ("T", "K", "M"):
                    if (kpi, code, year, gender) not in store.values:
                        continue
                    value, status, count = store.values[(kpi, code, year, gender)]
                    points.append(
                        {
                            "gender": gender,
                            "value": value,
                            "count": count,
                            "status": status,
                            "isdeleted": False,
                        }
                    )
                if points:
                    rows.append(
                        {"kpi": kpi, "municipality": code, "period": year, "values": points}
                    )
    return {"values": rows, "count": len(rows), "next_url": None, "previous_url": None}


def _kpi_response(config: R9Config, kpis: list[str]) -> dict[str, Any]:
    """Kolada's /kpi answer (v3 shape) with Kolada's titles; descriptions are demo text."""
    rows = []
    for kpi in kpis:
        population = kpi in {"N01951", "N33900"}
        rows.append(
            {
                "id": kpi,
                "title": KOLADA_TITLES.get(kpi) or config.label(kpi),
                "description": "Demometadata: titeln är Koladas, beskrivningen inte. Hämta "
                "Koladas beskrivning med 'uppfoljning kolada refresh'.",
                "is_divided_by_gender": kpi in _DIVIDED_BY_GENDER,
                "municipality_type": "A" if population else "K",
                "auspice": "X" if population else "T",
                "operating_area": "Befolkning" if population else "Individ- och familjeomsorg",
                "perspective": "Volymer" if population or kpi.startswith("N338") else "Resurser",
                "prel_publication_date": None,
                "publication_date": "2024-04-03",
                "publ_period": "2023",
                "has_ou_data": False,
            }
        )
    return {"values": rows, "count": len(rows), "next_url": None, "previous_url": None}


def _group_response(config: R9Config) -> dict[str, Any]:
    """Kolada's /municipality_groups answer: the configured group and its members."""
    group = config.group
    members = [{"member_id": m.code, "member_title": m.name} for m in group.members]
    rows = [{"id": group.kolada_id, "title": group.name, "members": members}]
    return {"values": rows, "count": 1, "next_url": None, "previous_url": None}


def _write(cache_dir: Path, path: str, response: dict[str, Any], fetched_at: datetime) -> None:
    url = kolada.request_url(path)
    body = json.dumps(response, ensure_ascii=False).encode("utf-8")
    kolada_cache.write_cache_entry(cache_dir, kolada.request_key(url), url, body, fetched_at)


def write_demo_kolada_cache(
    cache_dir: Path | str | None = None,
    config: R9Config | None = None,
    years: Iterable[int] = DEMO_YEARS,
    *,
    fetched_at: datetime = DEMO_FETCHED_AT,
    force: bool = False,
) -> Path:
    """Write a demo Kolada cache for the R9 report's requests and mark it ``DEMO``.

    ``cache_dir`` defaults to the project's ``data/raw/kolada/``, ``config`` to its
    ``params/jamforelsegrupper.yaml``. Refuses to overwrite a cache of real Kolada data unless
    ``force``. Returns the cache directory.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else sources.default_cache_dir()
    config = config or catalogue.load_config()
    if cache_dir.is_dir():
        existing = kolada_cache.cache_files(cache_dir)
        if existing and not kolada_cache.is_demo_cache(cache_dir) and not force:
            raise FileExistsError(
                f"{cache_dir} innehåller riktiga Kolada-data; demodata skrivs inte över dem."
            )
        for old in existing:
            old.unlink()
    request = sources.kolada_request(config, years)
    gen = _Generator(config, request["years"])
    gen.build()
    for path in kolada.kpi_paths(request["kpis"]):
        gen_kpis = path.removeprefix("kpi/").split(",")
        _write(cache_dir, path, _kpi_response(config, gen_kpis), fetched_at)
    for group_id in request["groups"]:
        _write(cache_dir, kolada.group_path(group_id), _group_response(config), fetched_at)
    for path in kolada.data_paths(request["kpis"], request["municipalities"], request["years"]):
        _, _, kpis, _, codes, _, years_text = path.split("/")
        response = _data_response(
            gen.store, kpis.split(","), codes.split(","), [int(y) for y in years_text.split(",")]
        )
        _write(cache_dir, path, response, fetched_at)
    (cache_dir / kolada_cache.DEMO_MARKER).write_text(DEMO_TEXT, encoding="utf-8")
    return cache_dir
