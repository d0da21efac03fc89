"""The placement register: episodes, care days, and placements as chains of episodes.

Every register figure of the report is defined here once:

- **Care days** (vårddygn): an episode with start date S and end date E gives the days
  S, S+1, …, E−1: the start day counts, the end day does not, as placement invoices are
  billed. An ongoing episode (empty end date, or an end date after the report period, which
  is then its planned end) counts up to and including the last day of the report period.
  Days are assigned to the calendar month in which they fall, so an episode from
  2023-12-30 to 2024-01-02 gives two days in December 2023 and one in January 2024.
- **Cost** = care days × the episode's price per care day (dygnskostnad); cost per care day =
  cost / care days of the cells summed.
- **Placement** (for new/ended placements, lengths and the share linked to gang crime): a
  chain of episodes of the same person, target group and care-form group without a gap: each
  episode starts on or before the end date of the previous one. Since the end day is not a
  care day, an episode ending 2024-03-10 and the next starting 2024-03-10 are contiguous; a
  next start on 2024-03-11 leaves 10 March without care and starts a new placement. A chain's
  length (end − start) is then its care days. Registers open a new row when a price or
  agreement changes; chaining keeps such splits from counting as new placements.
- **Individuals**: distinct (pseudonymised) persons with at least one care day in the window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from uppfoljning.data.care_forms import CareFormCatalogue
from uppfoljning.placements.dates import month_start, overlap_days, shift_month

TARGET_GROUPS: dict[str, str] = {"barn_unga": "Barn och unga", "vuxna": "Vuxna"}
CHILDREN, ADULTS = "barn_unga", "vuxna"
ONGOING = np.int64(2**40)  # "no end date" as a day number far in the future
TRUE_FLAGS = frozenset({"ja", "j", "1", "x", "sant", "true", "yes"})
FALSE_FLAGS = frozenset({"", "nej", "n", "0", "falskt", "false", "no"})

AGREEMENT_LABELS = {
    "ramavtal": "Ramavtal utan tilläggsavtal",
    "tillaggsavtal": "Ramavtal med tilläggsavtal",
    "direktupphandling": "Direktupphandling",
    "ovrigt": "Övriga avtal",
}


def parse_flag(value: object) -> bool:
    """`Ja`/`x`/`1` → True; empty/`Nej`/`0` → False (ingest refuses anything else)."""
    return str(value or "").strip().lower() in TRUE_FLAGS


def agreement_category(agreement: str, supplement: bool) -> str:
    """ramavtal / tillaggsavtal (framework + supplementary agreement) / direktupphandling."""
    text = str(agreement).strip().lower()
    if text.startswith("ramavtal"):
        return "tillaggsavtal" if supplement else "ramavtal"
    if text.startswith("direkt"):
        return "direktupphandling"
    return "ovrigt"


@dataclass
class Register:
    """The placement episodes known at the end of a report period, with their chains.

    `episodes` columns: placement, person, target, form, group, start, end (day numbers; end
    is ONGOING when unknown), price, gang, supplement, agreement, chain. `as_of` is the first
    day after the report period: days from then on are not counted as past care days.
    """

    episodes: pd.DataFrame
    catalogue: CareFormCatalogue
    as_of: int

    @classmethod
    def from_frame(
        cls, frame: pd.DataFrame, catalogue: CareFormCatalogue, period: str | None = None
    ) -> Register:
        """From the processed table (strings as ingest wrote them, or the demo's frame)."""
        forms = frame["vardform"].astype(str).str.strip().str.lower()
        unknown = sorted(set(forms) - set(catalogue.forms))
        if unknown:
            raise ValueError(f"okända vårdformer i registret: {', '.join(unknown)}")
        start = pd.to_datetime(frame["startdatum"]).to_numpy().astype("datetime64[D]")
        end_text = frame["slutdatum"].fillna("").astype(str).str.strip()
        end = pd.to_datetime(end_text.where(end_text != "", None)).to_numpy()
        end_days = np.where(
            pd.isna(end), ONGOING, end.astype("datetime64[D]").astype(np.int64)
        ).astype(np.int64)
        supplement = frame.get("tillaggsavtal", pd.Series("", index=frame.index)).map(parse_flag)
        agreement = frame["avtal"].fillna("").astype(str).str.strip().str.lower()
        episodes = pd.DataFrame(
            {
                "placement": frame["placering_id"].astype(str).to_numpy(),
                "person": frame["person_id"].astype(str).to_numpy(),
                "target": frame["malgrupp"].astype(str).str.strip().str.lower().to_numpy(),
                "form": forms.to_numpy(),
                "group": forms.map(lambda c: catalogue.forms[c].group).to_numpy(),
                "start": start.astype(np.int64),
                "end": end_days,
                "price": frame["dygnskostnad"].astype(float).to_numpy(),
                "gang": frame.get("gangkoppling", pd.Series("", index=frame.index))
                .map(parse_flag)
                .to_numpy(),
                "supplement": supplement.to_numpy(),
                "agreement": [
                    agreement_category(a, s) for a, s in zip(agreement, supplement, strict=True)
                ],
            }
        )
        if period is None:
            last = int(np.max(np.where(episodes["end"] < ONGOING, episodes["end"], 0)))
            as_of = max(last, int(episodes["start"].max()) + 1)
        else:
            as_of = month_start(shift_month(period, 1))
        return cls.from_episodes(episodes, catalogue, as_of)

    @classmethod
    def from_episodes(
        cls, episodes: pd.DataFrame, catalogue: CareFormCatalogue, as_of: int
    ) -> Register:
        """From typed episodes (see class docstring); drops what starts after `as_of`."""
        episodes = episodes[episodes["start"] < as_of].reset_index(drop=True)
        return cls(_with_chains(episodes), catalogue, int(as_of))

    @classmethod
    def load(
        cls, data_dir: Path | str, catalogue: CareFormCatalogue, period: str | None = None
    ) -> Register:
        path = Path(data_dir) / "placeringar.parquet"
        if not path.exists():
            raise FileNotFoundError(
                f"{path} saknas: lägg placeringsregistret (placeringar*.csv|xlsx) i data/raw "
                "och kör `uppfoljning ingest`"
            )
        return cls.from_frame(pq.read_table(path).to_pandas(), catalogue, period)

    # -- care days ----------------------------------------------------------------------------
    @cached_property
    def _end_counted(self) -> np.ndarray:
        return np.minimum(self.episodes["end"].to_numpy(), self.as_of)

    def days(self, lo: int, hi: int) -> np.ndarray:
        """Care days of every episode in [lo, hi), never after `as_of`."""
        start = self.episodes["start"].to_numpy()
        return overlap_days(start, self._end_counted, np.array([lo]), np.array([hi]))[:, 0]

    def monthly_days(self, months: Sequence[str]) -> np.ndarray:
        """Episodes × months matrix of care days."""
        lo = np.array([month_start(m) for m in months])
        hi = np.array([month_start(shift_month(m, 1)) for m in months])
        return overlap_days(self.episodes["start"].to_numpy(), self._end_counted, lo, hi)

    @cached_property
    def first_month(self) -> str:
        """First month the register covers completely (its earliest end date's month).

        An export "active from 1 January 2020" holds no episode that ended before then, so
        months before its first end date miss episodes and are not reported.
        """
        ends = self.episodes["end"]
        ended = ends[ends < ONGOING]
        first = int(ended.min()) if len(ended) else int(self.episodes["start"].min())
        return str(np.datetime64(first, "D"))[:7]

    @cached_property
    def chains(self) -> pd.DataFrame:
        """One row per placement (chain): target, group, person, start, end, gang, first price."""
        ep = self.episodes
        grouped = ep.groupby("chain", sort=True)
        return pd.DataFrame(
            {
                "target": grouped["target"].first(),
                "group": grouped["group"].first(),
                "person": grouped["person"].first(),
                "start": grouped["start"].min(),
                "end": grouped["end"].max(),
                "gang": grouped["gang"].any(),
                "price": grouped["price"].first(),
            }
        )

    def chain_days(self, lo: int, hi: int) -> pd.Series:
        return pd.Series(self.days(lo, hi), index=self.episodes["chain"]).groupby(level=0).sum()


def _with_chains(episodes: pd.DataFrame) -> pd.DataFrame:
    """Number chains: same person, target and group, next start on or before an end (no gap).

    With end days not counted, start == previous end is contiguous; start == end + 1 would
    leave the end day without care, so it opens a new chain (see the module docstring).
    """
    keys = ["person", "target", "group"]
    ep = episodes.sort_values([*keys, "start", "end"], kind="stable").reset_index(drop=True)
    same_key = (ep[keys] == ep[keys].shift()).all(axis=1).to_numpy()
    running_end = ep.groupby(keys, sort=False)["end"].cummax().to_numpy()
    previous_end = np.concatenate([[np.int64(-(2**40))], running_end[:-1]])
    starts_new = ~same_key | (ep["start"].to_numpy() > previous_end)
    ep["chain"] = np.cumsum(starts_new) - 1
    return ep
