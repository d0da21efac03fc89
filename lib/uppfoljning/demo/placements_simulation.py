"""Step 1 of the demo register: the structure. A stock–flow simulation per stream, moves
between forms, agreements, and the split of framework episodes at the April 2020 price step;
each step draws from its own named random stream, so a change in one leaves the others alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from uppfoljning.demo.placements_streams import (
    DEMO_CATALOGUE,
    DIRECT_SHARE,
    FIRST_MONTH,
    LAST_MONTH,
    PERIOD,
    PRICE_STEP_MONTH,
    SEED,
    STREAMS,
    SUPPLEMENT_SHARE,
    Stream,
)
from uppfoljning.placements.dates import day_number, month_range, month_start, shift_month
from uppfoljning.placements.register import CHILDREN, Register, agreement_category


def random_stream(stream: str) -> np.random.Generator:
    return np.random.default_rng([SEED, *stream.encode()])


def by_year(table: dict[int, float], year: int) -> float:
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


class Builder:
    """Collects episodes while the streams are simulated."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        self.person_counter = 0
        self.placement_rng = random_stream("ids")
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


def _simulate(builder: Builder, stream: Stream, ended_by_month: dict[str, dict[str, list]]) -> None:
    """Stock–flow simulation of one stream from 2020-01 to 2024-08 (see module docstring)."""
    rng = random_stream(f"structure-{stream.key}")
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


def simulate_structure() -> pd.DataFrame:
    builder = Builder()
    ended: dict[str, dict[str, list]] = {}
    for stream in STREAMS:
        _simulate(builder, stream, ended)
    frame = pd.DataFrame(builder.rows)
    frame = frame[frame["end"] > month_start(FIRST_MONTH)].reset_index(drop=True)
    frame.attrs["builder"] = builder
    return frame


def assign_agreements(frame: pd.DataFrame) -> pd.DataFrame:
    """Agreement and supplementary agreement by form, target group and start year."""
    rng = random_stream("agreements")
    years = frame["start"].map(lambda d: int(str(np.datetime64(int(d), "D"))[:4]))
    agreement, supplement = [], []
    for form, target, year in zip(frame["form"], frame["target"], years, strict=True):
        u, v = rng.random(), rng.random()
        if form == "hvb":
            direct = u < by_year(DIRECT_SHARE[target], year)
            agreement.append("Direktupphandling" if direct else "Ramavtal")
            supplement.append(
                not direct and target == CHILDREN and v < by_year(SUPPLEMENT_SHARE, year)
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


def split_at_price_step(frame: pd.DataFrame, builder: Builder) -> pd.DataFrame:
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


def episodes_of(frame: pd.DataFrame, as_of: int) -> pd.DataFrame:
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


def register_of(frame: pd.DataFrame) -> Register:
    as_of = month_start(shift_month(PERIOD, 1))
    return Register.from_episodes(episodes_of(frame, as_of), DEMO_CATALOGUE, as_of)
