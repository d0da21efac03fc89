"""24-hour placements from the placement register: care days, prices, forecast, reconciliation.

The reference report explains the overspend in 569 Barn och ungdomsvård by more care days and a
higher cost per care day; this module makes that analysis from the register every period, for
children (`barn_unga`) and adults (`vuxna`). Every figure is defined here once:

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

Key figures (`hvb_nyckeltal`; "year to date" = 1 January to the end of the report month, "last
year" = the same months a year earlier; children = target group barn_unga):

- `varddygn_hvb_forandring`, `varddygn_familjehem_forandring`: % change in children's care days
  year to date against last year, in group hvb, and in the groups marked `familjehem` in
  vardformer.yaml (family homes in own management + consultancy family homes; not jourhem).
- `andel_konsulentstodda_familjehem`: consultancy family homes' care days / all family-home care
  days, children, year to date (target in hvb.yaml); `andel_familjehem_egen_regi` = 100 − that.
- `andel_gangkopplade_placeringar`: children's placements (chains) with at least one care day
  year to date that are marked in `gangkoppling`, / all such placements; `kostnad_gangkopplade`:
  their care-day cost year to date.
- `r12_kostnad_dygnsplaceringar_barn` (`_foregaende_ar`): children's cost in all care forms in
  the twelve months ending with the report month (with the same month a year earlier).
- `dygnskostnad_<avtal>_hvb`, `andel_varddygn_<avtal>_hvb`: children's HVB year to date by
  agreement: ramavtal (framework agreement without a supplement), tillaggsavtal (framework
  agreement with a supplementary agreement), direktupphandling (direct purchase).
- `individer_*`: distinct persons with a care day in the window; `nya_*`/`avslutade_*`:
  placements starting / ending (end date) in the window; `median_langd_*`: median length in care
  days of placements ended year to date.
- `prognos_placeringar_*`: the commitment-based full-year forecast (`forecast_table`).

Counts of fewer than `sekretess_under` (default 5) individuals or placements are shown as "<5"
and every figure derived from such a cell (care days, cost, prices, shares, lengths, forecast
parts) is left empty. Complementary suppression keeps a hidden cell from being recovered by
subtraction: a hidden month hides its whole monthly series, a form's months are never hidden
alone, and `complementary_suppression` hides further cells until no hidden cell follows from
the published sums, subtotals in other tables (the reconciliation's register cost, the register
forecast in hvb_prognos_jamforelse) included; hidden forms are merged in the price–volume
table. No person-level value ever leaves this module. Catalogues live in params/:
`vardformer.yaml` (care forms) and `hvb.yaml` (reconciliation accounts, thresholds, forecast
settings).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

# The care-form catalogue is a params file read by ingest too: it lives in the data layer.
from uppfoljning.data.care_forms import (
    CareFormCatalogue,
    _load_yaml_mapping,
    _params_dir,
    load_care_forms,
)
from uppfoljning.data.config import (
    LEVEL,
    ParamsError,
    ReportStructure,
    parse_period,
)
from uppfoljning.economy import Ledger, classify
from uppfoljning.present.formatting import (
    SWEDISH_MONTHS_SHORT,
    format_cell,
    format_kronor,
    format_mnkr,
    format_number,
    format_percent,
    format_with_unit,
    period_label,
    period_range_label,
)

if TYPE_CHECKING:
    from uppfoljning.present.report import ReportContext


SETTINGS_FILE = "hvb.yaml"
PRIVACY_FLOOR = 5  # counts under this are never shown, whatever hvb.yaml says
TARGET_GROUPS: dict[str, str] = {"barn_unga": "Barn och unga", "vuxna": "Vuxna"}
CHILDREN, ADULTS = "barn_unga", "vuxna"
ONGOING = np.int64(2**40)  # "no end date" as a day number far in the future
TRUE_FLAGS = frozenset({"ja", "j", "1", "x", "sant", "true", "yes"})
FALSE_FLAGS = frozenset({"", "nej", "n", "0", "falskt", "false", "no"})
SUPPRESSED = "<5"
NOT_SHOWN = "redovisas inte"
MERGED_LABEL = "Övriga vårdformer (sammanslagna av sekretesskäl)"
SECTION = "HVB-placeringar"
PLACEMENT_RULE = (
    "episoder för samma person i samma målgrupp och vårdformsgrupp utan uppehåll räknas som en "
    "placering: nästa episod börjar senast samma dag som den förra slutade. Eftersom slutdagen "
    "inte är ett vårddygn hänger en episod som slutar den 10 mars ihop med en som börjar den 10 "
    "mars; börjar nästa den 11 mars är den 10 mars utan vård och det blir en ny placering. Byte "
    "av pris, avtal eller vårdform inom gruppen bryter inte placeringen. Dess längd är dygnen "
    "från första start till sista slutdatum."
)
"""The chain rule in Swedish, shown where placements are counted and under "Om rapporten"."""

AGREEMENT_LABELS = {
    "ramavtal": "Ramavtal utan tilläggsavtal",
    "tillaggsavtal": "Ramavtal med tilläggsavtal",
    "direktupphandling": "Direktupphandling",
    "ovrigt": "Övriga avtal",
}


# --------------------------------------------------------------------------- catalogues


@dataclass(frozen=True)
class LedgerMapping:
    """Where one target group's placements are booked: report row, activity and accounts."""

    target: str
    row: str
    activities: tuple[str, ...]
    accounts: tuple[str, ...]


@dataclass(frozen=True)
class PlacementSettings:
    """`params/hvb.yaml`: reconciliation accounts and thresholds, forecast and privacy rules."""

    path: Path
    ledger: dict[str, LedgerMapping]
    threshold_percent: float = 3.0
    threshold_kr: float = 100_000.0
    consultancy_target: float = 25.0
    inflow_months: int = 6
    history_months: int = 36
    min_completed: int = 10
    fallback_length: dict[str, int] = field(default_factory=dict)
    suppress_below: int = 5  # never below PRIVACY_FLOOR


def load_settings(params_dir: Path | str | None = None) -> PlacementSettings:
    """Read and validate `hvb.yaml`."""
    path = _params_dir(params_dir) / SETTINGS_FILE
    data = _load_yaml_mapping(path)
    problems: list[str] = []
    rec = data.get("avstamning") or {}
    mappings: dict[str, LedgerMapping] = {}
    for target, spec in (rec.get("malgrupper") or {}).items():
        if target not in TARGET_GROUPS:
            problems.append(f"avstamning.malgrupper: okänd målgrupp {target!r}")
            continue
        if not isinstance(spec, dict) or not {"rad", "verksamhet", "konto"} <= set(spec):
            problems.append(f"avstamning.malgrupper.{target}: rad, verksamhet och konto krävs")
            continue
        codes = [str(c) for c in (*spec["verksamhet"], *spec["konto"], spec["rad"])]
        if not all(c.isdigit() for c in codes):
            problems.append(f"avstamning.malgrupper.{target}: koder ska vara siffror (citera dem)")
        mappings[target] = LedgerMapping(
            target,
            str(spec["rad"]),
            tuple(str(v) for v in spec["verksamhet"]),
            tuple(str(k) for k in spec["konto"]),
        )
    forecast = data.get("prognos") or {}
    try:
        settings = PlacementSettings(
            path=path,
            ledger=mappings,
            threshold_percent=float(rec.get("troskel_procent", 3.0)),
            threshold_kr=float(rec.get("troskel_kr", 100_000)),
            consultancy_target=float(data.get("mal_andel_konsulentstodda", 25)),
            inflow_months=int(forecast.get("inflode_manader", 6)),
            history_months=int(forecast.get("historik_manader", 36)),
            min_completed=int(forecast.get("minsta_antal_avslutade", 10)),
            fallback_length={
                str(k): int(v) for k, v in (forecast.get("standardlangd_dagar") or {}).items()
            },
            suppress_below=int(data.get("sekretess_under", PRIVACY_FLOOR)),
        )
    except (TypeError, ValueError) as exc:
        problems.append(f"ogiltigt värde: {exc}")
        settings = None
    if settings is not None and settings.suppress_below < PRIVACY_FLOOR:
        # The floor protects the children in the register; a lower value would publish them.
        problems.append(
            f"sekretess_under: {settings.suppress_below} är lägre än golvet {PRIVACY_FLOOR}; "
            f"antal under {PRIVACY_FLOOR} visas aldrig"
        )
    if problems or settings is None:
        raise ParamsError(path, problems)
    return settings


# --------------------------------------------------------------------------- dates


def day_number(text: str) -> int:
    """`"2024-08-31"` → days since 1970-01-01."""
    return int(np.datetime64(text, "D").astype(np.int64))


def month_start(period: str) -> int:
    return day_number(f"{period}-01")


def shift_month(period: str, months: int) -> str:
    year, month = parse_period(period)
    index = year * 12 + month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included."""
    out, current = [], first
    while current <= last:
        out.append(current)
        current = shift_month(current, 1)
    return out


def ytd_window(period: str, years_back: int = 0) -> tuple[int, int]:
    """[1 January, first day after the period month) of the period's year minus `years_back`."""
    year, month = parse_period(period)
    end = shift_month(f"{year - years_back}-{month:02d}", 1)
    return day_number(f"{year - years_back}-01-01"), month_start(end)


def r12_window(period: str) -> tuple[int, int]:
    """The twelve months ending with the period month."""
    return month_start(shift_month(period, -11)), month_start(shift_month(period, 1))


def _month_label(period: str) -> str:
    return f"{SWEDISH_MONTHS_SHORT[int(period[5:7]) - 1]} {period[:4]}"


def overlap_days(start: np.ndarray, end: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Care days of each episode (rows) in each window [lo, hi) (columns): start in, end out."""
    first = np.maximum(start[:, None], lo[None, :])
    last = np.minimum(end[:, None], hi[None, :])
    return np.clip(last - first, 0, None)


# --------------------------------------------------------------------------- the register


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


# --------------------------------------------------------------------------- computations


def aggregate(
    register: Register, lo: int, hi: int, by: Sequence[str] = ("target", "group")
) -> pd.DataFrame:
    """Care days, cost, individuals and placements per cell in [lo, hi)."""
    days = register.days(lo, hi)
    ep = register.episodes.assign(_days=days, _cost=days * register.episodes["price"])
    ep = ep[ep["_days"] > 0]
    grouped = ep.groupby(list(by), sort=False)
    out = pd.DataFrame(
        {
            "varddygn": grouped["_days"].sum().astype(float),
            "kostnad": grouped["_cost"].sum(),
            "individer": grouped["person"].nunique(),
            "placeringar": grouped["chain"].nunique(),
        }
    )
    return out


def price_volume_mix(previous: pd.DataFrame, current: pd.DataFrame) -> pd.DataFrame:
    """Change in cost split into total-volume, mix and price effects with midpoint weights.

    Per care form i with days d, cost c and price p = c/d, and total days D with shares
    s = d/D (0 = previous period, 1 = current, bar = mean of the two):

        volume_i = p̄_i · s̄_i · ΔD,   mix_i = p̄_i · D̄ · Δs_i,   price_i = d̄_i · Δp_i

    Since Δd_i = s̄_i ΔD + D̄ Δs_i and Δc_i = p̄_i Δd_i + d̄_i Δp_i exactly (Bennet), the
    three effects add up to the change in cost for every row and in total, with no residual
    and no dependence on which period is taken as base. A form missing in one period takes
    the other period's price (no price effect; its whole cost is volume and mix).
    """
    index = list(dict.fromkeys([*previous.index, *current.index]))
    prev = previous.reindex(index).fillna(0.0)
    curr = current.reindex(index).fillna(0.0)
    d0, d1 = prev["varddygn"].to_numpy(float), curr["varddygn"].to_numpy(float)
    c0, c1 = prev["kostnad"].to_numpy(float), curr["kostnad"].to_numpy(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p0 = np.where(d0 > 0, c0 / np.where(d0 > 0, d0, 1), np.nan)
        p1 = np.where(d1 > 0, c1 / np.where(d1 > 0, d1, 1), np.nan)
    p0 = np.where(np.isnan(p0), p1, p0)
    p1 = np.where(np.isnan(p1), p0, p1)
    p0, p1 = np.nan_to_num(p0), np.nan_to_num(p1)
    total0, total1 = d0.sum(), d1.sum()
    s0 = d0 / total0 if total0 else np.zeros_like(d0)
    s1 = d1 / total1 if total1 else np.zeros_like(d1)
    p_mid, s_mid = (p0 + p1) / 2, (s0 + s1) / 2
    change = c1 - c0
    volume = p_mid * s_mid * (total1 - total0)
    quantity = p_mid * (d1 - d0)  # = volume + mix
    # mix = p̄·D̄·Δs and price = d̄·Δp, written as the algebraically identical differences so
    # that the three effects also add up to the change in floating point, to the last öre
    mix = quantity - volume
    price = change - quantity
    return pd.DataFrame(
        {
            "varddygn_foregaende_ar": d0,
            "varddygn": d1,
            "kostnad_foregaende_ar": c0,
            "kostnad": c1,
            "volymeffekt": volume,
            "mixeffekt": mix,
            "priseffekt": price,
            "total_forandring": change,
        },
        index=index,
    )


def _recoverable(hidden: set[Hashable], equations: Sequence[Mapping[Hashable, float]]) -> set:
    """The hidden cells that the equations determine once every published cell is known.

    A hidden cell is determined when its unit vector lies in the row space of the equations
    restricted to the hidden cells, i.e. when every null-space vector is zero in its column.
    """
    order = sorted(hidden, key=repr)
    column = {cell: i for i, cell in enumerate(order)}
    rows = [
        [eq.get(cell, 0.0) for cell in order] for eq in equations if any(c in column for c in eq)
    ]
    if not rows:
        return set()
    matrix = np.array(rows, dtype=float)
    _, singular, vh = np.linalg.svd(matrix)
    rank = int((singular > 1e-9 * max(float(singular.max(initial=0.0)), 1.0)).sum())
    null = vh[rank:]
    return {cell for cell in order if np.all(np.abs(null[:, column[cell]]) < 1e-9)}


def complementary_suppression(
    values: Mapping[Hashable, float],
    hidden: Iterable[Hashable],
    equations: Sequence[Mapping[Hashable, float]],
    fixed: Iterable[Hashable] = (),
    last_resort: Iterable[Hashable] = (),
) -> set[Hashable]:
    """The cells to hide so that no hidden cell can be computed from the published ones.

    `equations` are the linear relations a reader knows between published figures, each as
    {cell: coefficient} summing to zero: a total and its parts ({total: 1, part: -1, …}), a
    row total and its columns, the same figure in two tables. Starting from the primary
    suppressions `hidden`, while one of them is determined by the equations (one hidden part
    of a published total, or a combination such as "total − subtotal"), more cells of the
    equations with hidden cells are hidden: those leaving the fewest primary cells
    determined, the smallest value first (the usual rule "also hide the next smallest cell").
    A complementary cell may itself be determined: it is no secret. Two cells of a two-cell
    equation (a figure and its complement to a published one) are hidden together. `fixed`
    cells are published elsewhere and are never chosen; `last_resort` cells (sum rows) only
    when nothing else is left.
    """
    sensitive = set(hidden)
    out, fixed, reluctant = set(hidden), set(fixed), set(last_resort)
    tied: dict[Hashable, set[Hashable]] = {}
    for eq in equations:
        if len(eq) == 2:
            joined = set(eq).union(*(tied.get(c, set()) for c in eq))
            for cell in joined:
                tied[cell] = joined

    def exposed(cells: set[Hashable]) -> set[Hashable]:
        return _recoverable(cells, equations) & sensitive

    while exposed(out):
        options = {
            frozenset(tied.get(cell, {cell}) - out)
            for eq in equations
            if eq.keys() & out
            for cell in eq
            if cell not in out
        }
        options = {o for o in options if o and not o & fixed}
        options = {o for o in options if not o & reluctant} or options
        if not options:  # only cells published elsewhere left: nothing more to hide here
            break
        out |= min(
            options,
            key=lambda o: (
                len(exposed(out | o)),
                sum(abs(float(values.get(c, 0.0))) for c in o),
                sorted(map(repr, o)),
            ),
        )
    return out


def _pct_change(current: float, previous: float) -> float:
    return (current / previous - 1) * 100 if previous else math.nan


def _share(part: float, whole: float) -> float:
    return part / whole * 100 if whole else math.nan


def _residual_days(lengths: np.ndarray, elapsed: int, horizon: int) -> float | None:
    """E[min(L − a, H) | L > a] from completed lengths L; None when fewer than 1 exceed a."""
    longer = lengths[lengths > elapsed]
    if not len(longer):
        return None
    return float(np.minimum(longer - elapsed, horizon).mean())


# --------------------------------------------------------------------------- the report


@dataclass
class PlacementReport:
    """Every table and key figure of the HVB-placeringar notebook for one period."""

    period: str
    register: Register
    settings: PlacementSettings
    structure: ReportStructure | None = None
    data_dir: Path | None = None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, ctx: ReportContext) -> PlacementReport:
        """Catalogues from the period file's params/ directory, data from ctx.data_dir."""
        params_dir = ctx.params.path.parent
        catalogue = load_care_forms(params_dir)
        register = Register.load(ctx.data_dir, catalogue, ctx.period)
        return cls(ctx.period, register, load_settings(params_dir), ctx.structure, ctx.data_dir)

    @classmethod
    def from_data(
        cls, data_dir: Path | str, period: str, params_dir: Path | str | None = None
    ) -> PlacementReport:
        """Without a ReportContext (tests, interactive use)."""
        from uppfoljning.data.config import load_structure

        params = _params_dir(params_dir)
        catalogue = load_care_forms(params)
        register = Register.load(data_dir, catalogue, period)
        structure_file = params / "rapportstruktur_2024.yaml"
        structure = load_structure(structure_file) if structure_file.exists() else None
        return cls(period, register, load_settings(params), structure, Path(data_dir))

    # -- helpers ------------------------------------------------------------------------------
    @property
    def year(self) -> int:
        return parse_period(self.period)[0]

    @property
    def month(self) -> int:
        return parse_period(self.period)[1]

    @property
    def catalogue(self) -> CareFormCatalogue:
        return self.register.catalogue

    @property
    def span(self) -> str:
        return period_range_label(self.period)

    @property
    def span_previous(self) -> str:
        return period_range_label(f"{self.year - 1}-{self.month:02d}")

    @property
    def threshold(self) -> int:
        return self.settings.suppress_below

    def _small(self, count: float) -> bool:
        return 0 < count < self.threshold

    def _count(self, count: float, *, hide: bool = False) -> float | str:
        """A count for export: the number, "<5" when it is small, empty (NaN) when `hide`."""
        if self._small(count):
            return SUPPRESSED
        return math.nan if hide else float(count)

    def _targets(self) -> list[str]:
        present = set(self.register.episodes["target"])
        return [t for t in TARGET_GROUPS if t in present]

    def _groups(self, cells: Iterable[str]) -> list[str]:
        present = set(cells)
        return [g for g in self.catalogue.groups if g in present]

    def _present_groups(self, target: str) -> list[str]:
        """Groups with care days this year or last year, in catalogue order."""
        now, before = self._ytd
        return self._groups([g for t, g in [*now.index, *before.index] if t == target])

    def _row_label(self, target: str, group: str) -> str:
        return f"{self.catalogue.group_label(group)}, {TARGET_GROUPS[target].lower()}"

    @cached_property
    def _ytd(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        now = aggregate(self.register, *ytd_window(self.period))
        before = aggregate(self.register, *ytd_window(self.period, 1))
        return now, before

    @cached_property
    def _ytd_hidden(self) -> tuple[frozenset, frozenset]:
        """The year-to-date cells not shown, this year (0) and last year (1); see `_protect_ytd`."""
        return self._protect_ytd(0), self._protect_ytd(1)

    def _protect_ytd(self, back: int) -> frozenset:
        """Primary and complementary suppression of the year-to-date care days and cost.

        Cells: ("rad", target, group), ("summa", target), ("total",) as in hvb_varddygn and
        hvb_dygnskostnad, ("familjehem",) (the children's family-home care days, a key figure)
        and, this year, ("avstamning", target): the register cost of the forms booked on the
        target group's row, the sum of the reconciliation's months. A cell built on fewer than
        `threshold` individuals is hidden, and then as many more as it takes for no hidden
        cell to follow from the published sums.
        """
        cells = self._ytd[back]
        days = self._ytd_days[back]
        ep = self.register.episodes
        values: dict[Hashable, float] = {}
        hidden: set[Hashable] = set()
        fixed: set[Hashable] = set()
        sums: set[Hashable] = set()
        equations: list[dict[Hashable, float]] = []
        total: dict[Hashable, float] = {("total",): 1.0}
        persons_total = 0
        for target in self._targets():
            groups = self._groups(g for t, g in cells.index if t == target)
            summa = ("summa", target)
            persons = self._ytd_persons(target, back=back)
            persons_total += persons
            values[summa] = self._cells_total(back, [target], None, "varddygn")
            (hidden if self._small(persons) else sums).add(summa)
            parts: dict[Hashable, float] = {summa: 1.0}
            on_row: dict[Hashable, float] = {("avstamning", target): 1.0}
            for group in groups:
                key = ("rad", target, group)
                values[key] = float(cells.loc[(target, group), "varddygn"])
                if self._small(cells.loc[(target, group), "individer"]):
                    hidden.add(key)
                parts[key] = -1.0
                mask = (
                    (days > 0)
                    & (ep["target"] == target).to_numpy()
                    & (ep["group"] == group).to_numpy()
                )
                elsewhere = {self.catalogue.forms[f].activity is not None for f in ep["form"][mask]}
                if elsewhere == {False}:
                    on_row[key] = -1.0
                elif elsewhere == {True, False}:  # part of the group is booked elsewhere
                    on_row[("del", target, group)] = -1.0
                    hidden.add(("del", target, group))
            equations.append(parts)
            total[summa] = -1.0
            if back == 0 and target in self.settings.ledger:
                equations.append(on_row)
                fixed.add(("avstamning", target))
            if target == CHILDREN:
                fh = [g for g in self.catalogue.family_home_groups if g in groups]
                if fh:
                    values[("familjehem",)] = self._ytd_sum(CHILDREN, fh, "varddygn", back)
                    if self._small(self._ytd_persons(CHILDREN, fh, back)):
                        hidden.add(("familjehem",))
                    equations.append(
                        {("familjehem",): 1.0} | {("rad", CHILDREN, g): -1.0 for g in fh}
                    )
        values[("total",)] = sum(values[k] for k in total if k != ("total",))
        (hidden if self._small(persons_total) else sums).add(("total",))
        equations.append(total)
        return frozenset(complementary_suppression(values, hidden, equations, fixed, sums))

    def _hidden(self, back: int, *cell: str) -> bool:
        return cell in self._ytd_hidden[back]

    @cached_property
    def _ytd_days(self) -> tuple[np.ndarray, np.ndarray]:
        return (
            self.register.days(*ytd_window(self.period)),
            self.register.days(*ytd_window(self.period, 1)),
        )

    def _cells_total(
        self, back: int, targets: Sequence[str], groups: Sequence[str] | None, column: str
    ) -> float:
        """Sum of one column of the year-to-date cells (back=1: last year) for the selection."""
        cells = self._ytd[back]
        keep = [i for i in cells.index if i[0] in targets and (groups is None or i[1] in groups)]
        return float(cells.loc[keep, column].sum()) if keep else 0.0

    def _ytd_sum(self, target: str, groups: Iterable[str], column: str, back: int = 0) -> float:
        cells = self._ytd[back]
        wanted = [(target, g) for g in groups if (target, g) in cells.index]
        return float(cells.loc[wanted, column].sum()) if wanted else 0.0

    def _ytd_persons(self, target: str, groups: Iterable[str] | None = None, back: int = 0) -> int:
        days = self.register.days(*ytd_window(self.period, back))
        ep = self.register.episodes
        mask = (days > 0) & (ep["target"] == target).to_numpy(copy=True)
        if groups is not None:
            mask &= ep["group"].isin(list(groups)).to_numpy()
        return int(ep.loc[mask, "person"].nunique())

    # -- care days and cost per care day ----------------------------------------------------
    def care_days_table(self) -> pd.DataFrame:
        """`hvb_varddygn`: care days per form, year to date against the same period last year."""
        records = []
        for target in self._targets():
            groups = self._present_groups(target)
            for group in groups:
                records.append(self._days_record(target, [group], "rad"))
            records.append(self._days_record(target, groups, "summa"))
        records.append(self._days_record(None, None, "total"))
        return pd.DataFrame.from_records(records).drop(columns="_dolt")

    def _days_record(self, target: str | None, groups: list[str] | None, level: str) -> dict:
        targets = [target] if target else self._targets()
        persons = sum(self._ytd_persons(t, groups) for t in targets)
        persons_before = sum(self._ytd_persons(t, groups, 1) for t in targets)
        d1 = self._cells_total(0, targets, groups, "varddygn")
        d0 = self._cells_total(1, targets, groups, "varddygn")
        if level == "rad":
            label = self._row_label(target, groups[0])  # type: ignore[arg-type,index]
            cell: tuple[str, ...] = ("rad", target, groups[0])  # type: ignore[assignment,index]
        elif level == "summa":
            label = f"Summa {TARGET_GROUPS[target].lower()}"  # type: ignore[index]
            cell = ("summa", target)  # type: ignore[assignment]
        else:
            label = "Totalt"
            cell = ("total",)
        hide_now, hide_before = self._hidden(0, *cell), self._hidden(1, *cell)
        hidden = hide_now or hide_before
        return {
            "rad": label,
            "varddygn_foregaende_ar": math.nan if hide_before else d0,
            "varddygn": math.nan if hide_now else d1,
            "forandring": math.nan if hidden else d1 - d0,
            "forandring_procent": math.nan if hidden else _pct_change(d1, d0),
            "individer_foregaende_ar": self._count(persons_before, hide=hide_before),
            "individer": self._count(persons, hide=hide_now),
            LEVEL: level,
            "_dolt": (hide_now, hide_before),
        }

    def cost_table(self) -> pd.DataFrame:
        """`hvb_dygnskostnad`: cost and cost per care day per form, this year and last."""
        records = []
        for target in self._targets():
            groups = self._present_groups(target)
            for group in groups:
                records.append(self._cost_record(target, [group], "rad"))
            records.append(self._cost_record(target, groups, "summa"))
        records.append(self._cost_record(None, None, "total"))
        return pd.DataFrame.from_records(records)

    def _cost_record(self, target: str | None, groups: list[str] | None, level: str) -> dict:
        base = self._days_record(target, groups, level)
        targets = [target] if target else self._targets()
        hide_now, hide_before = base["_dolt"]
        c1 = self._cells_total(0, targets, groups, "kostnad")
        c0 = self._cells_total(1, targets, groups, "kostnad")
        d1 = self._cells_total(0, targets, groups, "varddygn")
        d0 = self._cells_total(1, targets, groups, "varddygn")
        p1 = c1 / d1 if d1 and not hide_now else math.nan
        p0 = c0 / d0 if d0 and not hide_before else math.nan
        return {
            "rad": base["rad"],
            "kostnad_foregaende_ar": math.nan if hide_before else c0,
            "kostnad": math.nan if hide_now else c1,
            "dygnskostnad_foregaende_ar": p0,
            "dygnskostnad": p1,
            "forandring_procent": _pct_change(p1, p0) if p0 == p0 and p1 == p1 else math.nan,
            LEVEL: level,
        }

    def monthly_care_days(self, target: str = CHILDREN, *, year: int | None = None) -> pd.DataFrame:
        """Care days per month and form group for a year (months up to the period only).

        A group's months are all hidden when one of them rests on fewer than `threshold`
        individuals or its year-to-date figure is hidden, and when that leaves a single group
        hidden, the smallest other group is hidden too, so that no month follows from a year
        total or from the months of the other groups.
        """
        year = year or self.year
        last = min(f"{year}-12", self.period)
        months = month_range(f"{year}-01", last)
        if not months:
            return pd.DataFrame()
        days = self.register.monthly_days(months)
        ep = self.register.episodes
        mask = (ep["target"] == target).to_numpy(copy=True)
        frame = pd.DataFrame(days[mask], columns=months)
        frame["group"] = ep.loc[mask, "group"].to_numpy()
        frame["person"] = ep.loc[mask, "person"].to_numpy()
        sums = frame.groupby("group")[months].sum()
        persons = frame[months].gt(0).groupby([frame["group"], frame["person"]]).any()
        counts = persons.groupby(level=0).sum()
        hide = ((counts > 0) & (counts < self.threshold)).any(axis=1)
        back = self.year - year
        if back in (0, 1):
            hide |= pd.Series(
                [self._hidden(back, "rad", target, g) for g in hide.index], hide.index
            )
        present = sums.index[sums.sum(axis=1) > 0]
        if hide[present].sum() == 1 and len(present) > 1:
            others = sums.loc[present].sum(axis=1)[~hide[present]]
            hide[others.idxmin()] = True
        sums = sums.astype(float)
        sums.loc[hide[hide].index] = math.nan
        return sums.reindex(self._groups(sums.index))

    def monthly_table(self) -> pd.DataFrame:
        """`hvb_varddygn_manad`: care days per month of the year, per form (jan … month).

        `summa` is the year-to-date figure of hvb_varddygn, shown unless that is hidden.
        """
        months = [SWEDISH_MONTHS_SHORT[m - 1] for m in range(1, self.month + 1)]
        cells = self._ytd[0]
        records = []
        for target in self._targets():
            current = self.monthly_care_days(target)
            for group in current.index:
                values = current.loc[group].to_numpy()
                if (target, group) not in cells.index:  # no care day this year
                    total = 0.0
                elif self._hidden(0, "rad", target, group):
                    total = math.nan
                else:
                    total = float(cells.loc[(target, group), "varddygn"])
                records.append(
                    {"rad": self._row_label(target, group)}
                    | dict(zip(months, values, strict=True))
                    | {"summa": total, LEVEL: "rad"}
                )
        return pd.DataFrame.from_records(records, columns=["rad", *months, "summa", LEVEL])

    # -- price, volume and mix --------------------------------------------------------------
    def price_volume_table(self, target: str = CHILDREN) -> pd.DataFrame:
        """`hvb_pris_volym`: the change in cost year to date split into volume, mix and price.

        Groups hidden in hvb_varddygn (this year or last) are decomposed together as one row,
        MERGED_LABEL: Totalt minus the shown rows then gives only their sum, which the sum rows
        of hvb_varddygn and hvb_dygnskostnad give anyway.
        """
        now, before = self._ytd
        columns = ["varddygn", "kostnad"]

        def cells(frame: pd.DataFrame) -> pd.DataFrame:
            if target not in frame.index.get_level_values(0):
                return pd.DataFrame(columns=columns, dtype=float)
            return frame.xs(target, level="target")[columns]

        cur, prev = cells(now), cells(before)
        order = self._groups([*cur.index, *prev.index])
        merged = [
            g
            for g in order
            if self._hidden(0, "rad", target, g) or self._hidden(1, "rad", target, g)
        ]
        if len(merged) == 1 and len(order) > 1:  # never one group alone under the merged label
            sizes = cur["varddygn"].reindex(order).fillna(0) + prev["varddygn"].reindex(
                order
            ).fillna(0)
            merged.append(sizes.drop(merged).idxmin())
        label = {g: MERGED_LABEL if g in merged else self.catalogue.group_label(g) for g in order}
        rows_order = list(dict.fromkeys(label[g] for g in order if g not in merged))
        rows_order += [MERGED_LABEL] if merged else []
        cur = cur.groupby(cur.index.map(label)).sum()
        prev = prev.groupby(prev.index.map(label)).sum()
        table = price_volume_mix(
            prev.reindex(rows_order).dropna(how="all"), cur.reindex(rows_order)
        )
        table = table.reindex(rows_order)
        total = table.sum(numeric_only=True)
        whole_hidden = any(self._hidden(b, "summa", target) for b in (0, 1))
        rows = []
        for name in rows_order:
            rec = table.loc[name].to_dict()
            rows.append({"rad": name} | rec | {LEVEL: "rad"})
        rows.append({"rad": "Totalt"} | total.to_dict() | {LEVEL: "total"})
        frame = pd.DataFrame.from_records(rows, columns=["rad", *table.columns, LEVEL])
        if whole_hidden:
            frame[list(table.columns)] = math.nan
        return frame

    # -- rolling twelve months --------------------------------------------------------------
    def rolling(self, target: str, first: str | None = None) -> pd.DataFrame:
        """R12 cost, care days and cost per care day per month (missing months count zero)."""
        start = max(shift_month(self.register.first_month, 11), first or "0000-01")
        if start > self.period:
            return pd.DataFrame(columns=["period", "kostnad", "varddygn", "dygnskostnad"])
        months = month_range(shift_month(start, -11), self.period)
        days = self.register.monthly_days(months)
        ep = self.register.episodes
        mask = (ep["target"] == target).to_numpy(copy=True)
        monthly_days = days[mask].sum(axis=0).astype(float)
        monthly_cost = (days[mask] * ep.loc[mask, "price"].to_numpy()[:, None]).sum(axis=0)
        r12_days = pd.Series(monthly_days, index=months).rolling(12).sum()
        r12_cost = pd.Series(monthly_cost, index=months).rolling(12).sum()
        # persons with a care day in each twelve-month window: a window under the threshold
        # is not shown
        placed = pd.DataFrame(days[mask] > 0).groupby(ep.loc[mask, "person"].to_numpy()).any()
        seen = np.cumsum(placed.to_numpy(int), axis=1)
        before = np.pad(seen, ((0, 0), (12, 0)))[:, : len(months)]
        small = pd.Series(((seen - before) > 0).sum(axis=0), index=months).map(self._small)
        out = pd.DataFrame(
            {
                "period": months,
                "kostnad": r12_cost.where(~small).to_numpy(),
                "varddygn": r12_days.where(~small).to_numpy(),
            }
        )
        out["dygnskostnad"] = out["kostnad"] / out["varddygn"].where(out["varddygn"] > 0)
        return out[out["period"] >= start].reset_index(drop=True)

    def r12_cost(self, target: str, period: str | None = None) -> float:
        """Cost in the twelve months ending with `period` (empty under the threshold)."""
        lo, hi = r12_window(period or self.period)
        days = self.register.days(lo, hi)
        ep = self.register.episodes
        mask = (ep["target"] == target).to_numpy() & (days > 0)
        if self._small(ep.loc[mask, "person"].nunique()):
            return math.nan
        return float((days * ep["price"].to_numpy())[mask].sum())

    def rolling_table(self) -> pd.DataFrame:
        """`hvb_r12`: the last 24 months' rolling 12-month cost, care days and cost per day."""
        first = shift_month(self.period, -23)
        frame = pd.DataFrame({"period": month_range(first, self.period)})
        for target in TARGET_GROUPS:
            part = self.rolling(target, first).set_index("period")
            for col in ("kostnad", "varddygn", "dygnskostnad"):
                frame[f"{col}_{target}"] = frame["period"].map(part[col]) if len(part) else np.nan
        frame.insert(0, "rad", frame.pop("period").map(_month_label))
        return frame

    # -- agreements ---------------------------------------------------------------------------
    def agreement_table(self, group: str = "hvb") -> pd.DataFrame:
        """`hvb_avtal`: framework agreement, supplementary agreements and direct purchases.

        A category built on fewer than `threshold` individuals is hidden, and with it as many
        other categories as it takes for none to follow from the sum row (whose figures are
        those of hvb_varddygn and hvb_dygnskostnad, hidden with them).
        """
        records = []
        lo, hi = ytd_window(self.period)
        lo0, hi0 = ytd_window(self.period, 1)
        for target in self._targets():
            ep = self.register.episodes
            mask = ((ep["target"] == target) & (ep["group"] == group)).to_numpy()
            if not mask.any():
                continue
            days = self.register.days(lo, hi)
            days0 = self.register.days(lo0, hi0)
            part = ep[mask].assign(_d=days[mask], _d0=days0[mask])
            part = part.assign(_c=part["_d"] * part["price"], _c0=part["_d0"] * part["price"])
            active = part[part["_d"] > 0]
            total_days = float(active["_d"].sum())
            total_chains = active["chain"].nunique()
            cats = [c for c in AGREEMENT_LABELS if c in set(part["agreement"])]
            label = f"{self.catalogue.group_label(group)} {TARGET_GROUPS[target].lower()}"
            summa_hidden = self._hidden(0, "rad", target, group)
            values: dict[Hashable, float] = {}
            primary: set[Hashable] = {"summa"} if summa_hidden else set()
            for cat in cats:
                sub = active[active["agreement"] == cat]
                values[cat] = float(sub["_d"].sum())
                if self._small(sub["person"].nunique()):
                    primary.add(cat)
            equation = {"summa": 1.0} | dict.fromkeys(cats, -1.0)
            hidden = complementary_suppression(
                values, primary, [equation], set() if summa_hidden else {"summa"}
            )
            for cat in cats:
                sub = part[part["agreement"] == cat]
                rec = self._agreement_record(
                    sub,
                    f"{AGREEMENT_LABELS[cat]}, {label}",
                    "rad",
                    total_days,
                    total_chains,
                    cat in hidden,
                )
                records.append(rec | {"_malgrupp": target, "_avtal": cat})
            rec = self._agreement_record(
                part, f"Summa {label}", "summa", total_days, total_chains, summa_hidden
            )
            records.append(rec | {"_malgrupp": target, "_avtal": ""})
        return pd.DataFrame.from_records(records)

    def _agreement_record(
        self,
        part: pd.DataFrame,
        label: str,
        level: str,
        total_days: float,
        total_chains: int,
        hide: bool,
    ) -> dict:
        active = part[part["_d"] > 0]
        active0 = part[part["_d0"] > 0]
        persons, persons0 = active["person"].nunique(), active0["person"].nunique()
        chains = active["chain"].nunique()
        days, days0 = float(active["_d"].sum()), float(active0["_d0"].sum())
        cost, cost0 = float(active["_c"].sum()), float(active0["_c0"].sum())
        hide0 = self._small(persons0)
        return {
            "rad": label,
            "placeringar": SUPPRESSED if self._small(persons) else self._count(chains, hide=hide),
            "andel_placeringar": math.nan if hide else _share(chains, total_chains),
            "varddygn": math.nan if hide else days,
            "andel_varddygn": math.nan if hide else _share(days, total_days),
            "kostnad": math.nan if hide else cost,
            "dygnskostnad": math.nan if hide or not days else cost / days,
            "dygnskostnad_foregaende_ar": math.nan if hide0 or not days0 else cost0 / days0,
            LEVEL: level,
        }

    def price_index(self, group: str = "hvb", target: str = CHILDREN) -> pd.DataFrame:
        """Cost per care day per month and agreement category since the register starts."""
        months = month_range(self.register.first_month, self.period)
        days = self.register.monthly_days(months)
        ep = self.register.episodes
        mask = ((ep["target"] == target) & (ep["group"] == group)).to_numpy()
        frame = pd.DataFrame(days[mask], columns=months)
        cost = frame.mul(ep.loc[mask, "price"].to_numpy(), axis=0)
        cats = ep.loc[mask, "agreement"].to_numpy()
        persons = ep.loc[mask, "person"].to_numpy()
        out = {}
        for cat in [c for c in AGREEMENT_LABELS if c in set(cats)]:
            sel = cats == cat
            d = frame[sel].sum()
            n = frame[sel].gt(0).groupby(persons[sel]).any().sum()
            price = cost[sel].sum() / d.where(d > 0)
            out[AGREEMENT_LABELS[cat]] = price.where(n >= self.threshold)
        all_days = frame.sum()
        everyone = frame.gt(0).groupby(persons).any().sum()
        out["Samtliga"] = (cost.sum() / all_days.where(all_days > 0)).where(
            everyone >= self.threshold
        )
        return pd.DataFrame(out)

    # -- individuals, flows, lengths --------------------------------------------------------
    def individuals(
        self, target: str, groups: Iterable[str] | None = None, months: Sequence[str] = ()
    ) -> pd.Series:
        """Distinct persons with a care day in each month (unsuppressed; callers suppress)."""
        months = list(months) or month_range(self.register.first_month, self.period)
        days = self.register.monthly_days(months)
        ep = self.register.episodes
        mask = (ep["target"] == target).to_numpy(copy=True)
        if groups is not None:
            mask &= ep["group"].isin(list(groups)).to_numpy()
        active = pd.DataFrame(days[mask] > 0, columns=months)
        return active.groupby(ep.loc[mask, "person"].to_numpy()).any().sum()

    def individuals_table(self) -> pd.DataFrame:
        """`hvb_individer`: distinct persons placed per month, January last year to the period."""
        months = month_range(f"{self.year - 1}-01", self.period)
        columns = {
            "individer_barn_unga": (CHILDREN, None),
            "individer_hvb_barn_unga": (CHILDREN, ["hvb"]),
            "individer_vuxna": (ADULTS, None),
            "individer_hvb_vuxna": (ADULTS, ["hvb"]),
        }
        frame = pd.DataFrame({"rad": [_month_label(m) for m in months]})
        for name, (target, groups) in columns.items():
            series = self.individuals(target, groups, months)
            frame[name] = [self._count(v) for v in series.to_numpy()]
        return frame

    def flows(self, target: str, months: Sequence[str]) -> pd.DataFrame:
        """New and ended placements (chains) per month; a chain ends in its end date's month."""
        chains = self.register.chains
        chains = chains[chains["target"] == target]
        starts = pd.Series(
            [str(np.datetime64(int(d), "D"))[:7] for d in chains["start"]], dtype=str
        )
        ended = chains["end"] < self.register.as_of
        ends = pd.Series(
            [str(np.datetime64(int(d), "D"))[:7] for d in chains.loc[ended, "end"]], dtype=str
        )
        return pd.DataFrame(
            {
                "nya": starts.value_counts().reindex(months, fill_value=0),
                "avslutade": ends.value_counts().reindex(months, fill_value=0),
            }
        )

    def flows_table(self) -> pd.DataFrame:
        """`hvb_in_ut`: new and ended placements per month this year, with period sums.

        A month under `threshold` ("<5") leaves every other month of its column empty.
        """
        months = month_range(f"{self.year}-01", self.period)
        months0 = month_range(f"{self.year - 1}-01", f"{self.year - 1}-{self.month:02d}")
        records: list[dict] = []
        now = {t: self.flows(t, months) for t in TARGET_GROUPS}
        before = {t: self.flows(t, months0) for t in TARGET_GROUPS}
        # a month under the threshold hides every month of its column: the period sum minus
        # the other months would give it
        hide = {
            (target, kind): bool(now[target][kind].map(self._small).any())
            for target in TARGET_GROUPS
            for kind in ("nya", "avslutade")
        }
        for month in months:
            rec: dict[str, Any] = {"rad": _month_label(month)}
            for target in TARGET_GROUPS:
                for kind in ("nya", "avslutade"):
                    rec[f"{kind}_{target}"] = self._count(
                        now[target].loc[month, kind], hide=hide[target, kind]
                    )
            records.append(rec | {LEVEL: "rad"})
        for label, data, level in (
            (f"Summa {self.span}", now, "summa"),
            (f"Summa {self.span_previous}", before, "summa"),
        ):
            rec = {"rad": label}
            for target in TARGET_GROUPS:
                rec[f"nya_{target}"] = self._count(data[target]["nya"].sum())
                rec[f"avslutade_{target}"] = self._count(data[target]["avslutade"].sum())
            records.append(rec | {LEVEL: level})
        return pd.DataFrame.from_records(records)

    def lengths_table(self) -> pd.DataFrame:
        """`hvb_langd`: lengths of placements ended this year and of those still ongoing.

        A count under `threshold` is shown as "<5" and its lengths are hidden; so that it does
        not follow from the sum row, as many other counts as it takes are left empty too.
        """
        chains = self.register.chains
        lo, hi = ytd_window(self.period)
        as_of = self.register.as_of
        records = []
        for target in self._targets():
            part = chains[chains["target"] == target]
            target_records = [
                self._length_record(
                    part[part["group"] == group],
                    lo,
                    hi,
                    as_of,
                    self._row_label(target, group),
                    "rad",
                )
                for group in self._groups(part["group"])
            ]
            summa = self._length_record(
                part, lo, hi, as_of, f"Summa {TARGET_GROUPS[target].lower()}", "summa"
            )
            for column in ("avslutade", "pagaende"):
                counts = [r.pop(f"_{column}") for r in [*target_records, summa]]
                values = dict(enumerate(counts))
                primary = {i for i, n in values.items() if self._small(n)}
                total = len(counts) - 1
                equation = {total: 1.0} | dict.fromkeys(range(total), -1.0)
                hidden = complementary_suppression(values, primary, [equation], (), {total})
                for i, rec in enumerate([*target_records, summa]):
                    rec[column] = self._count(counts[i], hide=i in hidden)
            records += [*target_records, summa]
        return pd.DataFrame.from_records(records)

    def _length_record(
        self, chains: pd.DataFrame, lo: int, hi: int, as_of: int, label: str, level: str
    ) -> dict:
        ended = chains[(chains["end"] >= lo) & (chains["end"] < min(hi, as_of))]
        ongoing = chains[(chains["start"] < as_of) & (chains["end"] > as_of)]
        lengths = (ended["end"] - ended["start"]).to_numpy(float)
        elapsed = (as_of - ongoing["start"]).to_numpy(float)
        hide_ended = len(ended) < self.threshold
        hide_ongoing = len(ongoing) < self.threshold
        return {
            "rad": label,
            "avslutade": math.nan,
            "median_langd_avslutade": math.nan if hide_ended else float(np.median(lengths)),
            "medel_langd_avslutade": math.nan if hide_ended else float(lengths.mean()),
            "andel_over_ett_ar": math.nan
            if hide_ended
            else _share((lengths > 365).sum(), len(lengths)),
            "pagaende": math.nan,
            "median_tid_pagaende": math.nan if hide_ongoing else float(np.median(elapsed)),
            LEVEL: level,
            "_avslutade": float(len(ended)),
            "_pagaende": float(len(ongoing)),
        }

    # -- gang crime ---------------------------------------------------------------------------
    def gang_figures(self, back: int = 0, target: str = CHILDREN) -> dict[str, float]:
        """Share of placements (chains) active in the window that are linked to gang crime,
        their number and their care-day cost in the window."""
        lo, hi = ytd_window(self.period, back)
        chain_days = self.register.chain_days(lo, hi)
        chains = self.register.chains
        active = chains[(chain_days.reindex(chains.index, fill_value=0) > 0).to_numpy()]
        active = active[active["target"] == target]
        linked = active[active["gang"]]
        days = self.register.days(lo, hi)
        ep = self.register.episodes
        in_linked = ep["chain"].isin(linked.index).to_numpy()
        cost = float((days * ep["price"].to_numpy())[in_linked].sum())
        persons = ep.loc[in_linked & (days > 0), "person"].nunique()
        small = self._small(persons)
        return {
            "placeringar": float(len(active)),
            "gangkopplade": float(len(linked)),
            "andel": math.nan if small else _share(len(linked), len(active)),
            "kostnad": math.nan if small else cost,
            "individer": float(persons),
        }

    # -- key figures ------------------------------------------------------------------------
    @cached_property
    def facts(self) -> dict[str, tuple[str, float | str, str]]:
        """key -> (Swedish label, value, unit); see the module docstring for definitions."""
        cat = self.catalogue
        fh, kons = cat.family_home_groups, cat.consultancy_groups
        span, span0 = self.span, self.span_previous
        out: dict[str, tuple[str, float | str, str]] = {}

        def put(key: str, label: str, value: float | str, unit: str) -> None:
            out[key] = (label, value, unit)

        def shown(value: float, back: int, *cells: tuple[str, ...]) -> float:
            """The value, or NaN when one of the cells it is built from is hidden."""
            return math.nan if any(self._hidden(back, *c) for c in cells) else value

        hvb = ("rad", CHILDREN, "hvb")
        hvb1 = shown(self._ytd_sum(CHILDREN, ["hvb"], "varddygn"), 0, hvb)
        hvb0 = shown(self._ytd_sum(CHILDREN, ["hvb"], "varddygn", 1), 1, hvb)
        fh1 = shown(self._ytd_sum(CHILDREN, fh, "varddygn"), 0, ("familjehem",))
        fh0 = shown(self._ytd_sum(CHILDREN, fh, "varddygn", 1), 1, ("familjehem",))
        kons1 = shown(
            self._ytd_sum(CHILDREN, kons, "varddygn"), 0, *[("rad", CHILDREN, g) for g in kons]
        )
        put("varddygn_hvb", f"Vårddygn HVB barn och unga {span}", hvb1, "dygn")
        put("varddygn_hvb_foregaende_ar", f"Vårddygn HVB barn och unga {span0}", hvb0, "dygn")
        put(
            "varddygn_hvb_forandring",
            "Förändring vårddygn HVB barn och unga mot samma period föregående år",
            _pct_change(hvb1, hvb0),
            "procent",
        )
        put("varddygn_familjehem", f"Vårddygn familjehem barn och unga {span}", fh1, "dygn")
        put(
            "varddygn_familjehem_foregaende_ar",
            f"Vårddygn familjehem barn och unga {span0}",
            fh0,
            "dygn",
        )
        put(
            "varddygn_familjehem_forandring",
            "Förändring vårddygn familjehem barn och unga mot samma period föregående år",
            _pct_change(fh1, fh0),
            "procent",
        )
        put(
            "andel_konsulentstodda_familjehem",
            f"Andel konsulentstödda familjehem av vårddygnen i familjehem {span}",
            _share(kons1, fh1),
            "procent",
        )
        put(
            "mal_andel_konsulentstodda_familjehem",
            "Mål för andelen konsulentstödda familjehem",
            self.settings.consultancy_target,
            "procent",
        )
        put(
            "andel_familjehem_egen_regi",
            f"Andel familjehem i egen regi av vårddygnen i familjehem {span}",
            _share(fh1 - kons1, fh1),
            "procent",
        )
        hvb_cost1 = shown(self._ytd_sum(CHILDREN, ["hvb"], "kostnad"), 0, hvb)
        hvb_cost0 = shown(self._ytd_sum(CHILDREN, ["hvb"], "kostnad", 1), 1, hvb)
        put(
            "dygnskostnad_hvb",
            f"Kostnad per vårddygn HVB barn och unga {span}",
            hvb_cost1 / hvb1 if hvb1 else math.nan,
            "kr",
        )
        put(
            "dygnskostnad_hvb_foregaende_ar",
            f"Kostnad per vårddygn HVB barn och unga {span0}",
            hvb_cost0 / hvb0 if hvb0 else math.nan,
            "kr",
        )
        groups = list(cat.groups)
        for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
            label = TARGET_GROUPS[target].lower()
            summa = ("summa", target)
            c1 = shown(self._ytd_sum(target, groups, "kostnad"), 0, summa)
            c0 = shown(self._ytd_sum(target, groups, "kostnad", 1), 1, summa)
            d1 = shown(self._ytd_sum(target, groups, "varddygn"), 0, summa)
            put(
                f"kostnad_dygnsplaceringar_{suffix}",
                f"Kostnad dygnsplaceringar {label} {span}",
                c1,
                "kr",
            )
            put(
                f"kostnad_dygnsplaceringar_{suffix}_foregaende_ar",
                f"Kostnad dygnsplaceringar {label} {span0}",
                c0,
                "kr",
            )
            put(
                f"dygnskostnad_dygnsplaceringar_{suffix}",
                f"Kostnad per vårddygn dygnsplaceringar {label} {span}",
                c1 / d1 if d1 else math.nan,
                "kr",
            )
        gang, gang0 = self.gang_figures(), self.gang_figures(1)
        put(
            "andel_gangkopplade_placeringar",
            f"Andel placeringar barn och unga kopplade till gängkriminalitet {span}",
            gang["andel"],
            "procent",
        )
        put(
            "andel_gangkopplade_placeringar_foregaende_ar",
            f"Andel placeringar barn och unga kopplade till gängkriminalitet {span0}",
            gang0["andel"],
            "procent",
        )
        put(
            "antal_gangkopplade_placeringar",
            f"Placeringar kopplade till gängkriminalitet {span}",
            self._count(gang["gangkopplade"]),
            "antal",
        )
        put(
            "kostnad_gangkopplade",
            f"Kostnad placeringar kopplade till gängkriminalitet {span}",
            gang["kostnad"],
            "kr",
        )
        label_now, label_then = (
            period_label(self.period),
            period_label(shift_month(self.period, -12)),
        )
        for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
            name = TARGET_GROUPS[target].lower()
            put(
                f"r12_kostnad_dygnsplaceringar_{suffix}",
                f"Rullande årskostnad dygnsplaceringar {name} {label_now}",
                self.r12_cost(target),
                "kr",
            )
            put(
                f"r12_kostnad_dygnsplaceringar_{suffix}_foregaende_ar",
                f"Rullande årskostnad dygnsplaceringar {name} {label_then}",
                self.r12_cost(target, shift_month(self.period, -12)),
                "kr",
            )
        roll = self.rolling(CHILDREN, self.period)
        if len(roll):
            put(
                "r12_varddygn_barn",
                f"Vårddygn barn och unga, rullande 12 månader {label_now}",
                float(roll["varddygn"].iloc[-1]),
                "dygn",
            )
            put(
                "r12_dygnskostnad_barn",
                f"Kostnad per vårddygn barn och unga, rullande 12 månader {label_now}",
                float(roll["dygnskostnad"].iloc[-1]),
                "kr",
            )
        agreements = self.agreement_table("hvb")
        children = agreements[agreements.get("_malgrupp", pd.Series(dtype=str)) == CHILDREN]
        for cat_id, cat_label in AGREEMENT_LABELS.items():
            if cat_id == "ovrigt":
                continue
            row = children[children["_avtal"] == cat_id]
            share = float(row["andel_varddygn"].iloc[0]) if len(row) else 0.0
            price = float(row["dygnskostnad"].iloc[0]) if len(row) else math.nan
            put(
                f"andel_varddygn_{cat_id}_hvb",
                f"Andel vårddygn HVB barn och unga: {cat_label.lower()} {span}",
                share,
                "procent",
            )
            put(
                f"dygnskostnad_{cat_id}_hvb",
                f"Kostnad per vårddygn HVB barn och unga: {cat_label.lower()} {span}",
                price,
                "kr",
            )
        for target, suffix in ((CHILDREN, "barn_unga"), (ADULTS, "vuxna")):
            name = TARGET_GROUPS[target].lower()
            put(
                f"individer_{suffix}",
                f"Individer i dygnsvård {name} {span}",
                self._count(self._ytd_persons(target)),
                "antal",
            )
        put(
            "individer_hvb_barn",
            f"Individer placerade på HVB barn och unga {span}",
            self._count(self._ytd_persons(CHILDREN, ["hvb"])),
            "antal",
        )
        month_count = self.individuals(CHILDREN, ["hvb"], [self.period]).iloc[0]
        put(
            "individer_hvb_barn_manad",
            f"Individer placerade på HVB barn och unga {period_label(self.period)}",
            self._count(month_count),
            "antal",
        )
        months = month_range(f"{self.year}-01", self.period)
        for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
            flows = self.flows(target, months).sum()
            name = TARGET_GROUPS[target].lower()
            put(
                f"nya_placeringar_{suffix}",
                f"Nya placeringar {name} {span}",
                self._count(flows["nya"]),
                "antal",
            )
            put(
                f"avslutade_placeringar_{suffix}",
                f"Avslutade placeringar {name} {span}",
                self._count(flows["avslutade"]),
                "antal",
            )
        lengths = self.lengths_table()
        for key, rad in (
            ("median_langd_avslutade_barn", "Summa barn och unga"),
            ("median_langd_avslutade_hvb_barn", self._row_label(CHILDREN, "hvb")),
        ):
            row = lengths[lengths["rad"] == rad]
            value = float(row["median_langd_avslutade"].iloc[0]) if len(row) else math.nan
            what = rad[len("Summa ") :] if rad.startswith("Summa ") else rad
            put(key, f"Medianlängd placeringar avslutade {span}, {what}", value, "dygn")
        forecast = self.forecast_table()
        for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
            row = forecast[forecast["rad"] == f"Summa {TARGET_GROUPS[target].lower()}"]
            value = float(row["prognos_helar"].iloc[0]) if len(row) else math.nan
            put(
                f"prognos_placeringar_{suffix}",
                f"Åtagandebaserad helårsprognos placeringar "
                f"{TARGET_GROUPS[target].lower()} {self.year}",
                value,
                "kr",
            )
        if self.data_dir is not None and (Path(self.data_dir) / "huvudbok.parquet").exists():
            rec = self.reconciliation_table()
            for target, suffix in ((CHILDREN, "barn"), (ADULTS, "vuxna")):
                row = rec[(rec["_malgrupp"] == target) & (rec[LEVEL] == "summa")]
                if len(row):
                    put(
                        f"avstamning_differens_{suffix}",
                        f"Differens huvudbok mot register {TARGET_GROUPS[target].lower()} {span}",
                        float(row["differens"].iloc[0]),
                        "kr",
                    )
        return out

    def key_figures(self) -> pd.DataFrame:
        """`hvb_nyckeltal`: rad (Swedish label), nyckel, varde, enhet."""
        return pd.DataFrame(
            [
                {"rad": label, "nyckel": key, "varde": value, "enhet": unit}
                for key, (label, value, unit) in self.facts.items()
            ]
        )

    def fact(self, key: str) -> float | str:
        return self.facts[key][1]

    # -- framework price step (history) ---------------------------------------------------
    def price_step(self, month: str, group: str = "hvb", target: str = CHILDREN) -> float:
        """% change in cost per care day under framework agreements from `month − 1` to `month`.

        The register holds a new episode from the day a new framework price applies, so the
        month-on-month change of the care-day weighted price shows the price step (2020-04:
        the new HVB framework agreements for children, about +15 %).
        """
        prices = self.price_index(group, target)
        series = prices.get(AGREEMENT_LABELS["ramavtal"])
        if series is None:
            return math.nan
        return _pct_change(float(series[month]), float(series[shift_month(month, -1)]))

    # -- forecast -----------------------------------------------------------------------------
    @cached_property
    def _forecast_cells(self) -> pd.DataFrame:
        """Per target group, care-form group and booking (on the target's row or elsewhere):
        cost so far, the rest of the year of active placements, expected new placements."""
        reg, cfg = self.register, self.settings
        as_of = reg.as_of
        year_end = day_number(f"{self.year + 1}-01-01")
        horizon = max(year_end - as_of, 0)
        lo, _ = ytd_window(self.period)
        ep = reg.episodes.assign(
            _days=reg.days(lo, as_of),
            _elsewhere=reg.episodes["form"].map(
                lambda c: self.catalogue.forms[c].activity is not None
            ),
        )
        chains = reg.chains
        history_lo = month_start(shift_month(self.period, 1 - cfg.history_months))
        completed = chains[(chains["end"] < as_of) & (chains["end"] >= history_lo)]
        inflow_lo = month_start(shift_month(self.period, 1 - cfg.inflow_months))
        mids = [
            month_start(m) + 15 for m in month_range(shift_month(self.period, 1), f"{self.year}-12")
        ]
        records = []
        for (target, group, elsewhere), part in ep.groupby(
            ["target", "group", "_elsewhere"], sort=False
        ):
            done = completed[(completed["target"] == target) & (completed["group"] == group)]
            lengths = (done["end"] - done["start"]).to_numpy()
            enough = len(lengths) >= cfg.min_completed
            fallback = cfg.fallback_length.get(group, 180)
            committed = 0.0
            active = part[(part["start"] < as_of) & (part["end"] > as_of)]
            ongoing = active["chain"].nunique()
            for row in active.itertuples():
                if row.end < ONGOING:
                    days = float(max(min(int(row.end), year_end) - as_of, 0))
                else:
                    elapsed = as_of - int(chains.at[row.chain, "start"])
                    expected = _residual_days(lengths, elapsed, horizon) if enough else None
                    if expected is None and elapsed < fallback:  # too little history
                        expected = min(fallback - elapsed, horizon)
                    elif expected is None:  # longer than usual: assume the whole year
                        expected = horizon
                    days = expected
                committed += days * float(row.price)
            new = chains.loc[part["chain"].unique()]
            new = new[(new["start"] >= inflow_lo) & (new["start"] < as_of)]
            rate = len(new) / cfg.inflow_months
            price = float(new["price"].mean()) if len(new) else 0.0
            stays = [
                float(np.minimum(lengths, year_end - mid).mean())
                if enough
                else float(min(fallback, year_end - mid))
                for mid in mids
            ]
            records.append(
                {
                    "target": target,
                    "group": group,
                    "elsewhere": bool(elsewhere),
                    "kostnad_hittills": float((part["_days"] * part["price"]).sum()),
                    "aktiva_placeringar": committed,
                    "nya_placeringar": rate * price * sum(stays),
                    "individer": part.loc[part["_days"] > 0, "person"].nunique(),
                    "_pagaende": ongoing,
                    "_nya": len(new),
                }
            )
        cells = pd.DataFrame.from_records(records)
        cells["prognos_helar"] = cells[
            ["kostnad_hittills", "aktiva_placeringar", "nya_placeringar"]
        ].sum(axis=1)
        return cells

    @cached_property
    def _forecast_hidden(self) -> frozenset:
        """Primary and complementary suppression of hvb_prognos and the register forecast in
        hvb_prognos_jamforelse.

        Cells: (target, group, column) and (target, "summa", column) for the four forecast
        columns, ("jamforelse", target) for the register forecast of the forms booked on the
        target's row and ("ovrigt", target) for what the controllers' forecast leaves for other
        costs (their forecast, which is published, minus it). Primary: the cost so far as in
        hvb_dygnskostnad; the ongoing placements' rest of the year when fewer than `threshold`
        placements are ongoing; the expected new placements when fewer than `threshold` started
        in the inflow window; the full-year forecast when any of its parts is hidden.
        """
        cells = self._forecast_cells
        parts = ["kostnad_hittills", "aktiva_placeringar", "nya_placeringar"]
        columns = [*parts, "prognos_helar"]
        values: dict[Hashable, float] = {}
        hidden: set[Hashable] = set()
        fixed: set[Hashable] = set()
        equations: list[dict[Hashable, float]] = []
        for target in self._targets():
            mine = cells[cells["target"] == target]
            part = mine.groupby("group")[[*columns, "_pagaende", "_nya"]].sum()
            groups = self._groups(part.index)
            rows: list[tuple[str, pd.Series, bool]] = [
                (g, part.loc[g], self._hidden(0, "rad", target, g)) for g in groups
            ]
            rows.append(("summa", part.sum(), self._hidden(0, "summa", target)))
            for name, row, cost_hidden in rows:
                key = {c: (target, name, c) for c in columns}
                values |= {key[c]: float(row[c]) for c in columns}
                (hidden if cost_hidden else fixed).add(key["kostnad_hittills"])
                if self._small(row["_pagaende"]):
                    hidden.add(key["aktiva_placeringar"])
                if self._small(row["_nya"]):
                    hidden.add(key["nya_placeringar"])
                if any(key[c] in hidden for c in parts):
                    hidden.add(key["prognos_helar"])
                equations.append({key["prognos_helar"]: 1.0} | {key[c]: -1.0 for c in parts})
            for c in columns:
                equations.append(
                    {(target, "summa", c): 1.0} | {(target, g, c): -1.0 for g in groups}
                )
            if target in self.settings.ledger:
                on_row: dict[Hashable, float] = {("jamforelse", target): 1.0}
                for group in groups:
                    booked = set(mine.loc[mine["group"] == group, "elsewhere"])
                    if booked == {False}:
                        on_row[(target, group, "prognos_helar")] = -1.0
                    elif booked == {True, False}:  # part of the group is booked elsewhere
                        on_row[(target, group, "del")] = -1.0
                        hidden.add((target, group, "del"))
                values[("jamforelse", target)] = float(
                    mine.loc[~mine["elsewhere"], "prognos_helar"].sum()
                )
                equations += [on_row, {("ovrigt", target): 1.0, ("jamforelse", target): 1.0}]
        return frozenset(complementary_suppression(values, hidden, equations, fixed))

    def forecast_table(self) -> pd.DataFrame:
        """`hvb_prognos`: commitment-based full-year forecast per form from the register."""
        cells = self._forecast_cells
        hidden = self._forecast_hidden
        columns = ["kostnad_hittills", "aktiva_placeringar", "nya_placeringar", "prognos_helar"]
        records = []
        for target in self._targets():
            part = cells[cells["target"] == target].groupby("group")[columns].sum()
            for group in self._groups(part.index):
                row = part.loc[group]
                values = {
                    c: math.nan if (target, group, c) in hidden else float(row[c]) for c in columns
                }
                records.append({"rad": self._row_label(target, group)} | values | {LEVEL: "rad"})
            records.append(
                {"rad": f"Summa {TARGET_GROUPS[target].lower()}"}
                | {
                    c: math.nan if (target, "summa", c) in hidden else float(part[c].sum())
                    for c in columns
                }
                | {LEVEL: "summa"}
            )
        return pd.DataFrame.from_records(records, columns=["rad", *columns, LEVEL])

    @cached_property
    def _ledger(self) -> Ledger:
        if self.data_dir is None:
            raise LookupError("ingen datakatalog: huvudboken kan inte läsas")
        return Ledger(Path(self.data_dir))

    def _register_cost_by_month(self, target: str, months: Sequence[str]) -> np.ndarray:
        """Register cost per month for the forms booked on the target group's activity."""
        ep = self.register.episodes
        elsewhere = ep["form"].map(lambda c: self.catalogue.forms[c].activity is not None)
        mask = ((ep["target"] == target) & ~elsewhere).to_numpy()
        days = self.register.monthly_days(months)
        return (days[mask] * ep.loc[mask, "price"].to_numpy()[:, None]).sum(axis=0)

    def _ledger_by_month(self, target: str, months: Sequence[str]) -> np.ndarray:
        mapping = self.settings.ledger[target]
        lines = self._ledger.monthly
        mask = (
            lines["verksamhet"].astype(str).str.startswith(mapping.activities)
            & lines["konto"].astype(str).str.startswith(mapping.accounts)
            & lines["period"].isin(list(months))
        )
        sums = lines[mask].groupby("period")["belopp"].sum()
        booked = sums.reindex(list(months), fill_value=0.0).to_numpy(float)
        missing = [m not in set(self._ledger.periods) for m in months]
        return np.where(missing, np.nan, booked)  # months the ledger does not have yet

    def reconciliation_table(self) -> pd.DataFrame:
        """`hvb_avstamning`: register cost against the ledger's placement accounts per month."""
        months = month_range(f"{self.year}-01", self.period)
        cfg = self.settings
        records = []
        for target, mapping in cfg.ledger.items():
            register = self._register_cost_by_month(target, months)
            ledger = self._ledger_by_month(target, months)
            name = f"{TARGET_GROUPS[target]} ({mapping.row})"
            for month, reg_value, led_value in zip(months, register, ledger, strict=True):
                records.append(
                    self._reconcile_record(
                        f"{name}, {_month_label(month)}", reg_value, led_value, target, "rad"
                    )
                )
            records.append(
                self._reconcile_record(
                    f"Summa {name.lower()}", register.sum(), ledger.sum(), target, "summa"
                )
            )
        return pd.DataFrame.from_records(records)

    def _reconcile_record(
        self, label: str, register: float, ledger: float, target: str, level: str
    ) -> dict:
        diff = float(ledger - register)
        pct = diff / ledger * 100 if ledger else math.nan
        flagged = abs(diff) > self.settings.threshold_kr and (
            not ledger or abs(pct) > self.settings.threshold_percent
        )
        return {
            "rad": label,
            "register": float(register),
            "huvudbok": float(ledger),
            "differens": diff,
            "differens_procent": pct,
            "flaggad": bool(flagged),
            "_malgrupp": target,
            LEVEL: level,
        }

    def _row_amounts(self, lines: pd.DataFrame) -> dict[str, float]:
        if self.structure is None:
            return {}
        frame = lines.copy()
        for dim in ("verksamhet", "ansvar", "konto"):
            frame[dim] = frame.get(dim, pd.Series("", index=frame.index)).fillna("").astype(str)
        rows = classify(frame, self.structure)
        return frame.groupby(rows)["belopp"].sum().to_dict()

    def forecast_comparison_table(self) -> pd.DataFrame:
        """`hvb_prognos_jamforelse`: the register forecast beside the controllers' forecast.

        Per report row (569, 559): the register's placement forecast (forms booked on the
        row), the placement accounts and the whole row so far, the controllers' full-year
        forecast, what that forecast leaves for the row's other costs, and the other costs
        at this year's run-rate. A forecast that leaves much less for other costs than the
        run-rate probably underestimates the placements.
        """
        cells = self._forecast_cells
        made = self._ledger.forecast_for(self.period)
        controller = self._row_amounts(self._ledger.forecast_lines(made)) if made else {}
        outcome = self._row_amounts(self._ledger.outcome_ytd(self.period))
        months = month_range(f"{self.year}-01", self.period)
        records = []
        for target, mapping in self.settings.ledger.items():
            part = cells[(cells["target"] == target) & ~cells["elsewhere"]]
            register_forecast = float(part["prognos_helar"].sum())
            placed = float(self._ledger_by_month(target, months).sum())
            row_outcome = float(outcome.get(mapping.row, math.nan))
            row_forecast = float(controller.get(mapping.row, math.nan))
            hidden = self._forecast_hidden
            records.append(
                {
                    "rad": self._structure_label(mapping.row),
                    "prognos_placeringar": math.nan
                    if ("jamforelse", target) in hidden
                    else register_forecast,
                    "utfall_placeringskonton": placed,
                    "utfall_rad": row_outcome,
                    "prognos_rad": row_forecast,
                    "prognos_ovrigt": math.nan
                    if ("ovrigt", target) in hidden
                    else row_forecast - register_forecast,
                    "ovrigt_linjar": (row_outcome - placed) * 12 / self.month,
                    LEVEL: "rad",
                }
            )
        return pd.DataFrame.from_records(records)

    def _structure_label(self, row_id: str) -> str:
        if self.structure is None:
            return row_id
        try:
            return self.structure.row(row_id).label
        except KeyError:
            return row_id

    # -- presentation -----------------------------------------------------------------------
    def display(self, table_id: str) -> dict:
        """Keyword arguments for `ctx.publish`: Swedish headers, unit and column formats."""
        from uppfoljning.present.tables import number_format, percent_format

        days, pct, kr = number_format(0), percent_format(1), number_format(0)
        count = count_format(self.threshold)
        span, span0 = self.span, self.span_previous
        options: dict[str, dict] = {
            "hvb_varddygn": {
                "headers": {
                    "rad": "Vårdform, vårddygn",
                    "varddygn_foregaende_ar": f"Vårddygn {span0}",
                    "varddygn": f"Vårddygn {span}",
                    "forandring": "Förändring, dygn",
                    "forandring_procent": "Förändring, %",
                    "individer_foregaende_ar": f"Individer {span0}",
                    "individer": f"Individer {span}",
                },
                "formats": {
                    "varddygn_foregaende_ar": days,
                    "varddygn": days,
                    "forandring": days,
                    "forandring_procent": pct,
                    "individer_foregaende_ar": count,
                    "individer": count,
                },
            },
            "hvb_varddygn_manad": {
                "headers": {"rad": "Vårdform, vårddygn", "summa": "Summa"},
                "formats": dict.fromkeys([*(SWEDISH_MONTHS_SHORT[: self.month]), "summa"], days),
            },
            "hvb_dygnskostnad": {
                "headers": {
                    "rad": "Vårdform",
                    "kostnad_foregaende_ar": f"Kostnad {span0}, mnkr",
                    "kostnad": f"Kostnad {span}, mnkr",
                    "dygnskostnad_foregaende_ar": f"Kr per vårddygn {span0}",
                    "dygnskostnad": f"Kr per vårddygn {span}",
                    "forandring_procent": "Förändring kr per dygn, %",
                },
                "formats": {
                    "dygnskostnad_foregaende_ar": kr,
                    "dygnskostnad": kr,
                    "forandring_procent": pct,
                },
            },
            "hvb_pris_volym": {
                "headers": {
                    "rad": "Vårdform, barn och unga",
                    "varddygn_foregaende_ar": f"Vårddygn {span0}",
                    "varddygn": f"Vårddygn {span}",
                    "kostnad_foregaende_ar": f"Kostnad {span0}, mnkr",
                    "kostnad": f"Kostnad {span}, mnkr",
                    "volymeffekt": "Volymeffekt, mnkr",
                    "mixeffekt": "Mixeffekt, mnkr",
                    "priseffekt": "Priseffekt, mnkr",
                    "total_forandring": "Total förändring, mnkr",
                },
                "formats": {"varddygn_foregaende_ar": days, "varddygn": days},
            },
            "hvb_r12": {
                "headers": {
                    "rad": "Månad",
                    "kostnad_barn_unga": "Kostnad barn och unga, mnkr",
                    "varddygn_barn_unga": "Vårddygn barn och unga",
                    "dygnskostnad_barn_unga": "Kr per vårddygn barn och unga",
                    "kostnad_vuxna": "Kostnad vuxna, mnkr",
                    "varddygn_vuxna": "Vårddygn vuxna",
                    "dygnskostnad_vuxna": "Kr per vårddygn vuxna",
                },
                "formats": {
                    "varddygn_barn_unga": days,
                    "dygnskostnad_barn_unga": kr,
                    "varddygn_vuxna": days,
                    "dygnskostnad_vuxna": kr,
                },
            },
            "hvb_avtal": {
                "headers": {
                    "rad": "Avtalsform",
                    "placeringar": f"Placeringar {span}",
                    "andel_placeringar": "Andel placeringar, %",
                    "varddygn": f"Vårddygn {span}",
                    "andel_varddygn": "Andel vårddygn, %",
                    "kostnad": f"Kostnad {span}, mnkr",
                    "dygnskostnad": f"Kr per vårddygn {span}",
                    "dygnskostnad_foregaende_ar": f"Kr per vårddygn {span0}",
                },
                "formats": {
                    "placeringar": count,
                    "andel_placeringar": pct,
                    "varddygn": days,
                    "andel_varddygn": pct,
                    "dygnskostnad": kr,
                    "dygnskostnad_foregaende_ar": kr,
                },
            },
            "hvb_individer": {
                "headers": {
                    "rad": "Månad",
                    "individer_barn_unga": "Barn och unga, alla vårdformer",
                    "individer_hvb_barn_unga": "Barn och unga, HVB",
                    "individer_vuxna": "Vuxna, alla vårdformer",
                    "individer_hvb_vuxna": "Vuxna, HVB",
                },
                "formats": dict.fromkeys(
                    [
                        "individer_barn_unga",
                        "individer_hvb_barn_unga",
                        "individer_vuxna",
                        "individer_hvb_vuxna",
                    ],
                    count,
                ),
            },
            "hvb_in_ut": {
                "headers": {
                    "rad": "Månad",
                    "nya_barn_unga": "Nya, barn och unga",
                    "avslutade_barn_unga": "Avslutade, barn och unga",
                    "nya_vuxna": "Nya, vuxna",
                    "avslutade_vuxna": "Avslutade, vuxna",
                },
                "formats": dict.fromkeys(
                    ["nya_barn_unga", "avslutade_barn_unga", "nya_vuxna", "avslutade_vuxna"],
                    count,
                ),
            },
            "hvb_langd": {
                "headers": {
                    "rad": "Vårdform",
                    "avslutade": f"Avslutade {span}",
                    "median_langd_avslutade": "Medianlängd avslutade, dygn",
                    "medel_langd_avslutade": "Medellängd avslutade, dygn",
                    "andel_over_ett_ar": "Andel längre än ett år, %",
                    "pagaende": f"Pågående {period_label(self.period)}",
                    "median_tid_pagaende": "Median hittills pågående, dygn",
                },
                "formats": {
                    "avslutade": count,
                    "median_langd_avslutade": days,
                    "medel_langd_avslutade": days,
                    "andel_over_ett_ar": pct,
                    "pagaende": count,
                    "median_tid_pagaende": days,
                },
            },
            "hvb_prognos": {
                "headers": {
                    "rad": "Vårdform, mnkr",
                    "kostnad_hittills": f"Kostnad {span}",
                    "aktiva_placeringar": "Pågående placeringar resten av året",
                    "nya_placeringar": "Förväntade nya placeringar",
                    "prognos_helar": f"Prognos helår {self.year}",
                },
                "formats": {},
            },
            "hvb_prognos_jamforelse": {
                "headers": {
                    "rad": "Verksamhet, mnkr",
                    "prognos_placeringar": "Prognos placeringar (registret)",
                    "utfall_placeringskonton": f"Placeringskonton {span}",
                    "utfall_rad": f"Verksamheten redovisat {span}",
                    "prognos_rad": "Ekonomernas helårsprognos",
                    "prognos_ovrigt": "Kvar för övriga kostnader i prognosen",
                    "ovrigt_linjar": "Övriga kostnader i årstakt",
                },
                "formats": {},
            },
            "hvb_avstamning": {
                "unit": "tkr",
                "headers": {
                    "rad": "Målgrupp (verksamhet), månad",
                    "register": "Registret, tkr",
                    "huvudbok": "Huvudboken, tkr",
                    "differens": "Differens, tkr",
                    "differens_procent": "Differens, %",
                    "flaggad": "Över tröskeln",
                },
                "formats": {"differens_procent": pct, "flaggad": _flag_text},
            },
            "hvb_nyckeltal": {
                "headers": {
                    "rad": "Nyckeltal",
                    "nyckel": "Nyckel",
                    "varde": "Värde",
                    "enhet": "Enhet",
                },
                "formats": {"varde": count_format(self.threshold, decimals=1)},
            },
        }
        out = dict(options[table_id])
        return {"unit": out.pop("unit", "mnkr"), "deviation_columns": (), **out}

    def key_figures_text(self) -> str:
        """The key figures as a Swedish bullet list (formatted, small counts suppressed)."""
        lines = []
        for _key, (label, value, unit) in self.facts.items():
            text = format_fact(value, unit, self.threshold)
            lines.append(f"- {label}: **{text}**" if text else f"- {label}: *{NOT_SHOWN}*")
        return "\n".join(lines)

    def commentary(self) -> str:
        """A draft analysis in Swedish generated from the figures (for the controllers).

        A sentence whose figures are hidden (or missing) is left out, and a closing note says so.
        """
        f = self.fact
        change_hvb = f("varddygn_hvb_forandring")
        change_fh = f("varddygn_familjehem_forandring")
        share = f("andel_konsulentstodda_familjehem")
        target = self.settings.consultancy_target
        pv = self.price_volume_table(CHILDREN).set_index("rad").loc["Totalt"]
        r12_now = f("r12_kostnad_dygnsplaceringar_barn")
        r12_then = f("r12_kostnad_dygnsplaceringar_barn_foregaende_ar")
        p1, p0 = f("dygnskostnad_hvb"), f("dygnskostnad_hvb_foregaende_ar")
        parts: list[str] = []
        left_out = False

        def add(text: Callable[[], str], *values: float | str) -> None:
            nonlocal left_out
            if all(_known(v) for v in values):
                parts.append(text())
            else:
                left_out = True

        days_parts = []
        if _known(change_hvb):
            days_parts.append(
                f"Antalet vårddygn i HVB för barn och unga {self.span} är "
                f"{format_percent(abs(change_hvb), 0)} {_direction(change_hvb)} än samma period "
                "föregående år."
            )
        if _known(change_fh):
            days_parts.append(
                f"Antalet vårddygn i familjehem är {format_percent(abs(change_fh), 0)} "
                f"{_direction(change_fh)} än samma period föregående år."
            )
        if _known(p1) and _known(p0):
            days_parts.append(
                f"Kostnaden per vårddygn i HVB är {format_number(p1, 0)} kr mot "
                f"{format_number(p0, 0)} kr föregående år "
                f"({format_percent(_pct_change(p1, p0), 0, sign=True)})."
            )
        left_out |= len(days_parts) < 3
        if days_parts:
            parts.append(" ".join(days_parts))
        add(
            lambda: (
                f"Kostnaden för dygnsplaceringar av barn och unga har "
                f"{'ökat' if pv['total_forandring'] >= 0 else 'minskat'} med "
                f"{format_mnkr(abs(pv['total_forandring']), suffix=True)} jämfört med samma period "
                f"föregående år. Av förändringen förklaras "
                f"{format_mnkr(pv['volymeffekt'], suffix=True, sign=True)} av fler eller färre "
                f"vårddygn totalt, {format_mnkr(pv['mixeffekt'], suffix=True, sign=True)} av en "
                f"annan fördelning mellan vårdformerna och "
                f"{format_mnkr(pv['priseffekt'], suffix=True, sign=True)} av ändrade priser per "
                "vårddygn inom vårdformerna."
            ),
            pv["total_forandring"],
        )
        add(
            lambda: (
                f"Andelen konsulentstödda familjehem är {format_percent(share, 1)} av "
                f"vårddygnen i familjehem (mål {format_percent(target, 0)})."
            ),
            share,
        )
        add(
            lambda: (
                f"Den rullande årskostnaden för dygnsplaceringar barn och unga är "
                f"{format_mnkr(r12_now, suffix=True)} i {period_label(self.period)} mot "
                f"{format_mnkr(r12_then, suffix=True)} ett år tidigare."
            ),
            r12_now,
            r12_then,
        )
        gang_share, gang_cost = f("andel_gangkopplade_placeringar"), f("kostnad_gangkopplade")
        add(
            lambda: (
                f"{format_percent(gang_share, 1)} av placeringarna inom barn och unga "
                f"{self.span} är kopplade till gängkriminalitet, med en kostnad på "
                f"{format_mnkr(gang_cost, suffix=True)}."
            ),
            gang_share,
            gang_cost,
        )
        flagged = self._flagged_months()
        if flagged:
            parts.append(
                "Registrets kostnad avviker från huvudbokens placeringskonton mer än tröskeln "
                f"för: {', '.join(flagged)}. Kontrollera periodiseringar och konteringar."
            )
        else:
            parts.append(
                "Registrets kostnad stämmer med huvudbokens placeringskonton inom tröskeln "
                "för varje månad."
            )
        if left_out:
            parts.append(
                "Uppgifter som bygger på färre än "
                f"{self.threshold} individer eller placeringar, eller som saknas, "
                "kommenteras inte."
            )
        return "\n\n".join(parts)

    def _flagged_months(self) -> list[str]:
        try:
            table = self.reconciliation_table()
        except (FileNotFoundError, LookupError):
            return []
        return list(table.loc[table["flaggad"] & (table[LEVEL] == "rad"), "rad"])

    def publish_headlines(self, ctx: ReportContext) -> None:
        """Headline figures for index.html."""
        f = self.fact
        ctx.headline(
            "hvb_r12_barn",
            "Rullande årskostnad dygnsplaceringar barn och unga",
            format_mnkr(f("r12_kostnad_dygnsplaceringar_barn"), suffix=True),
            section=SECTION,
            order=1,
        )
        ctx.headline(
            "hvb_varddygn_hvb",
            f"Vårddygn HVB barn och unga {self.span} mot föregående år",
            format_percent(f("varddygn_hvb_forandring"), 1, sign=True),
            section=SECTION,
            order=2,
        )
        ctx.headline(
            "hvb_konsulentstodda",
            "Andel konsulentstödda familjehem",
            format_percent(f("andel_konsulentstodda_familjehem"), 1),
            section=SECTION,
            order=3,
        )

    def price_volume_formulas(self) -> str:
        """`price_volume_mix` in Swedish, as it is computed (shown under hvb_pris_volym)."""
        return "\n".join(
            [
                "Per vårdform: d = vårddygn, c = kostnad, p = c ÷ d = kostnad per vårddygn, "
                "D = vårddygn i alla vårdformer (barn och unga) och s = d ÷ D = vårdformens "
                f"andel av vårddygnen. Index 0 = {self.span_previous}, 1 = {self.span}; streck = "
                "medelvärdet av de två perioderna (p̄ = (p₀ + p₁) ÷ 2 osv.).",
                "",
                "- Volymeffekt = p̄ × s̄ × (D₁ − D₀): fler eller färre vårddygn totalt, till "
                "vårdformens genomsnittliga kostnad per vårddygn och andel.",
                "- Mixeffekt = p̄ × D̄ × (s₁ − s₀): en annan fördelning av vårddygnen mellan "
                "vårdformerna (räknas som p̄ × (d₁ − d₀) − volymeffekten, vilket är samma sak).",
                "- Priseffekt = d̄ × (p₁ − p₀): ändrad kostnad per vårddygn inom vårdformen "
                "(räknas som (c₁ − c₀) − p̄ × (d₁ − d₀), vilket är samma sak).",
                "- Volym + mix + pris = c₁ − c₀ exakt, på varje rad och totalt.",
                "",
                "En vårdform utan vårddygn den ena perioden får den andra periodens kostnad per "
                "vårddygn (ingen priseffekt: hela dess kostnad är volym och mix). Vårdformer med "
                "dolda uppgifter slås ihop till en rad innan uppdelningen.",
            ]
        )

    def forecast_rules(self) -> str:
        """How `_forecast_cells` forecasts, in Swedish (shown under hvb_prognos)."""
        cfg = self.settings
        as_of = self.register.as_of
        year_end = day_number(f"{self.year + 1}-01-01")
        horizon = max(year_end - as_of, 0)
        first = str(np.datetime64(as_of, "D"))

        def months_back(n: int) -> str:
            return f"{_month_label(shift_month(self.period, 1 - n))}–{_month_label(self.period)}"

        fallback = ", ".join(
            f"{self.catalogue.group_label(g)}: {format_number(d, 0)}"
            for g, d in cfg.fallback_length.items()
            if g in self.catalogue.groups
        )
        return "\n".join(
            [
                "Helårsprognos = kostnad hittills + pågående placeringar + nya placeringar, per "
                f"målgrupp och vårdformsgrupp. Dygnen efter perioden räknas från {first} till "
                f"och med 31 december {self.year} (H = {format_number(horizon, 0)} dygn), "
                "aldrig längre.",
                "",
                f"- **Kostnad hittills** = vårddygn {self.span} × dygnskostnad.",
                "- **Pågående placeringar** (episoder som började före och slutar efter "
                "periodens sista dag) = återstående dygn × episodens dygnskostnad. Med slutdatum "
                "(planerat): dygnen till slutdatum, som inte räknas, högst till årets slut. Utan "
                "slutdatum: förväntad återstående tid = medelvärdet av min(L − a, H) över de "
                "avslutade placeringarna i samma målgrupp och vårdformsgrupp som slutade de "
                f"senaste {cfg.history_months} månaderna ({months_back(cfg.history_months)}) "
                "och var längre än a (L = en avslutad "
                "placerings längd, a = hur länge placeringen hittills pågått, från dess första "
                f"episod). Finns färre än {cfg.min_completed} sådana avslutade placeringar i "
                "gruppen, eller ingen som var längre än a: standardlängden minus a, högst H, om "
                "placeringen pågått kortare än standardlängden, annars resten av året (H).",
                f"- **Nya placeringar** = (placeringar som började de senaste {cfg.inflow_months}"
                f" månaderna, {months_back(cfg.inflow_months)}, ÷ {cfg.inflow_months}) per "
                "månad × deras genomsnittliga "
                "dygnskostnad i första episoden × summan över årets återstående månader av "
                "förväntade dygn i år för en placering som börjar den 16:e: medelvärdet av "
                "min(L, dygn från den 16:e till årets slut) över samma avslutade placeringar, "
                "eller min(standardlängd, dygn kvar) när de är för få.",
                "",
                f"Standardlängd i dygn (params/hvb.yaml) – {fallback}." if fallback else "",
            ]
        ).strip()

    def explanation(self, table_id: str) -> str:
        """The formulas or rules behind a shown table, in short Swedish."""
        texts = {
            "hvb_pris_volym": ("Så räknas pris, volym och mix", self.price_volume_formulas()),
            "hvb_prognos": ("Så räknas prognosen", self.forecast_rules()),
            "hvb_in_ut": (
                "Så räknas placeringar",
                f"{PLACEMENT_RULE[:1].upper()}{PLACEMENT_RULE[1:]} Ny = placeringen börjar "
                "under månaden; avslutad = dess sista slutdatum infaller under månaden.",
            ),
            "hvb_langd": (
                "Så räknas längden",
                "Längd = dygn från placeringens första start till dess sista slutdatum (som "
                "inte räknas). Pågående: dygn från start till och med "
                "periodens sista dag. Andel över ett år = andelen avslutade längre än 365 dygn.",
            ),
        }
        title, body = texts[table_id]
        return f"*{title}:* {body}"

    def about(self) -> str:
        """How the figures are computed (Swedish), for the end of the report."""
        first = period_label(self.register.first_month)
        cfg = self.settings
        return "\n\n".join(
            [
                f"Underlaget är placeringsregistret (episoder av dygnsvård) från {first} till "
                f"och med {period_label(self.period)}. Registret innehåller inga personnummer "
                "(inläsningen vägrar en fil med personnummer): personer och placeringar har "
                "pseudonymer, som inläsningen dessutom ersätter med en nyckelad hash innan "
                "något sparas. Vårdformerna grupperas enligt params/vardformer.yaml.",
                "**Vårddygn.** Inskrivningsdagen räknas, utskrivningsdagen (slutdatum) räknas "
                "inte, som vid fakturering av vårddygn. Pågående placeringar räknas till och "
                "med periodens sista dag. Dygnen förs till den månad de infaller i.",
                "**Kostnad** = vårddygn × dygnskostnad per placering. Kostnad per vårddygn = "
                "kostnad / vårddygn. Rullande tolv månader = summan av de senaste tolv "
                "månaderna; månader utan placeringar räknas som noll.",
                f"**Placering** (nya, avslutade, längd, gängkoppling): {PLACEMENT_RULE} En "
                "placering är avslutad den månad slutdatum infaller. Andelen kopplade till "
                "gängkriminalitet = placeringar barn och unga med minst ett vårddygn under "
                "perioden som är markerade i registret, delat med alla sådana placeringar; "
                "kostnaden är deras vårddygnskostnad under perioden.",
                "**Pris–volymanalys** (med medelvärdet av de två perioderna som vikter, "
                f"Bennet). {self.price_volume_formulas()}",
                f"**Prognos.** {self.forecast_rules()}",
                "**Avstämning.** Registrets kostnad per månad jämförs med huvudbokens "
                "placeringskonton (params/hvb.yaml). En månad flaggas när differensen är större "
                f"än {format_percent(cfg.threshold_percent, 1)} och "
                f"{format_number(cfg.threshold_kr, 0)} kr.",
                f"**Sekretess.** Antal under {cfg.suppress_below} visas som "
                f"”<{cfg.suppress_below}”. Uppgifter som bygger på färre än "
                f"{cfg.suppress_below} individer eller placeringar (vårddygn, kostnader, "
                "kostnad per vårddygn, andelar, längder, prognosens delar) visas inte: cellen "
                "lämnas tom. Så att en dold uppgift inte kan räknas fram ur andra uppgifter "
                "döljs också kompletterande uppgifter:\n\n"
                "- Är en månad dold döljs alla månader i samma serie (en vårdform i tabellen "
                "över vårddygn per månad, en kolumn i tabellen över nya och avslutade "
                "placeringar); periodens summa visas om den själv bygger på minst "
                f"{cfg.suppress_below} individer. Blir en vårdform ensam om dolda månader "
                "döljs också den minsta andra vårdformens månader.\n"
                "- I varje summa är antingen ingen eller minst två delar dolda: annars döljs "
                "också den minsta av de andra delarna, eller den summa som skulle avslöja dem. "
                "Det gäller summa- och totalrader och summor i andra tabeller, till exempel "
                "avstämningens registerkostnad och registrets prognos i jämförelsen med "
                "ekonomernas prognos.\n"
                "- Är en del av prognosen dold döljs också helårsprognosen på samma rad.\n"
                "- I pris–volymanalysen redovisas vårdformer med dolda uppgifter sammanslagna "
                "på en rad.\n\n"
                "Inga uppgifter om enskilda personer eller placeringar redovisas.",
            ]
        )

    # -- chart data ---------------------------------------------------------------------------
    def care_days_chart_data(self, target: str = CHILDREN) -> pd.DataFrame:
        """Long frame: group label, year, month number, care days (this year and last)."""
        records = []
        for year in (self.year - 1, self.year):
            data = self.monthly_care_days(target, year=year)
            for group in data.index:
                for month, value in data.loc[group].items():
                    records.append(
                        {
                            "rad": self.catalogue.group_label(group),
                            "ar": year,
                            "manad": int(month[5:7]),
                            "varddygn": value,
                        }
                    )
        return pd.DataFrame.from_records(records)

    def rolling_chart_data(self) -> pd.DataFrame:
        frames = []
        for target, label in TARGET_GROUPS.items():
            part = self.rolling(target)
            frames.append(part.assign(rad=f"{label}"))
        return pd.concat(frames, ignore_index=True)

    def individuals_chart_data(self) -> pd.DataFrame:
        """Persons on HVB (children) per month since the register starts (suppressed <5)."""
        series = self.individuals(CHILDREN, ["hvb"])
        return pd.DataFrame(
            {
                "period": series.index,
                "individer": series.where(~series.between(1, self.threshold - 1)).to_numpy(),
            }
        )


def count_format(threshold: int = 5, decimals: int = 0) -> Callable[[object], str]:
    """Display of a count column: "<5" passes through, counts under `threshold` become "<5"."""
    return lambda value: format_cell(value, decimals, threshold=threshold)


def _flag_text(value: object) -> str:
    return "Ja" if value is True or value == 1 else ""


def _known(value: object) -> bool:
    """A figure that is shown: a number (not NaN), not a suppression marker."""
    return isinstance(value, int | float) and not math.isnan(value)


def _direction(change: float) -> str:
    return "högre" if change >= 0 else "lägre"


FACT_FORMATS: dict[str, Callable[[float, int], str]] = {
    "procent": lambda v, _t: format_percent(v, 1),
    "kr": lambda v, _t: format_kronor(v),
    "dygn": lambda v, _t: format_with_unit(v, "dygn"),
    "antal": lambda v, t: format_cell(v, threshold=t),
}


def format_fact(value: float | str, unit: str, threshold: int = 5) -> str:
    """A key figure in Swedish with its unit (the HVB units of `facts`); "" when missing."""
    if isinstance(value, str):
        return value
    return FACT_FORMATS.get(unit, FACT_FORMATS["antal"])(value, threshold)
