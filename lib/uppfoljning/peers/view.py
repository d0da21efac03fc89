"""What every part of the R9 report shares: the catalogue, the Kolada data and the analyses.

Why its own module: the tables, displays, charts and texts of :mod:`uppfoljning.peers.report`
all read the same analyses (gaps, ranks, means, goal status, decomposition) of the same data and
show the key figures in the same order; :class:`PeerView` computes each analysis once per report
and holds that order, so the four parts cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd

from uppfoljning.peers import r9
from uppfoljning.peers.catalogue import PeerGroup, R9Config
from uppfoljning.peers.checks import RoleConflict, decomposition_conflicts
from uppfoljning.peers.sources import KoladaBundle
from uppfoljning.present.formatting import format_number

GOAL_YEARS = 5
"""The goal table covers the latest five years; the charts show every year."""


def direction(gap: float) -> str:
    """The gap's sign in running Swedish text."""
    return "högre" if gap > 0 else "lägre" if gap < 0 else "samma"


@dataclass
class PeerView:
    """The catalogue, the report's years and Kolada's data, with the analyses computed once."""

    config: R9Config
    years: list[int]
    bundle: KoladaBundle

    # ----------------------------------------------------------------- basics

    @property
    def data(self) -> pd.DataFrame:
        return self.bundle.data

    @property
    def own(self) -> str:
        return self.config.municipality.code

    @property
    def own_name(self) -> str:
        return self.config.municipality.name

    @property
    def group(self) -> PeerGroup:
        return self.config.group

    @property
    def mean_name(self) -> str:
        return self.config.names[self.group.short_name]

    @property
    def mean_definite(self) -> str:
        """ "R9-snittet": the mean in running Swedish text."""
        return f"{self.group.short_name}-snittet"

    @property
    def goal_kpis(self) -> list[str]:
        return [k.id for k in self.config.kpis if k.goal]

    def label(self, kpi: str) -> str:
        return self.config.label(kpi)

    def unit(self, kpi: str) -> str:
        return self.config.kpi(kpi).unit

    def decimals(self, kpi: str) -> int:
        """Counts per 1 000 inhabitants have one decimal in Kolada; kronor none."""
        return 1 if self.unit(kpi).startswith("antal") else 0

    def value_text(self, kpi: str, value: float) -> str:
        return format_number(value, self.decimals(kpi))

    # ----------------------------------------------------------------- order of the key figures

    def family(self, kpi: str) -> list[str]:
        """A key figure followed by its parts (``del_av``), depth first."""
        out = [kpi]
        for k in self.config.kpis:
            if k.part_of == kpi:
                out += self.family(k.id)
        return out

    @cached_property
    def kpi_order(self) -> list[str]:
        """Display order: each goal figure with its parts (and the placements after the cost
        figure they explain), then the rest."""
        order: list[str] = []
        dec = self.config.decomposition
        for kpi in self.goal_kpis:
            order += [k for k in self.family(kpi) if k not in order]
            if dec is not None and dec.cost_kpi == kpi:
                order += [k for k in self.family(dec.placements_kpi) if k not in order]
        order += [k for k in self.config.kpi_ids if k not in order]
        return order

    def placement_kpis(self) -> list[str]:
        """The placements figure that explains the cost gap (none without a decomposition)."""
        dec = self.config.decomposition
        return [dec.placements_kpi] if dec is not None else []

    def other_kpis(self) -> list[str]:
        """Key figures that no goal section shows (they get a section of their own)."""
        shown: set[str] = set()
        dec = self.config.decomposition
        for kpi in self.goal_kpis:
            shown.update(self.family(kpi))
        if dec is not None:
            shown.update(self.family(dec.placements_kpi))
        return [k for k in self.kpi_order if k not in shown]

    def sort_kpis(self, frame: pd.DataFrame, *by: str) -> pd.DataFrame:
        """``frame`` in display order of its ``kpi`` column, then by ``by``."""
        order = {k: i for i, k in enumerate(self.kpi_order)}
        frame = frame.assign(_order=frame["kpi"].map(order))
        return frame.sort_values(["_order", *by]).drop(columns="_order").reset_index(drop=True)

    def level(self, kpi: str) -> str:
        """The row's level in a table: a goal figure is a sum, a part a "varav"."""
        k = self.config.kpi(kpi)
        return "summa" if k.goal else "varav" if k.part_of else "rad"

    # ----------------------------------------------------------------- analyses, once each

    @cached_property
    def gaps(self) -> pd.DataFrame:
        return r9.gaps(self.data, self.config)

    @cached_property
    def ranks(self) -> pd.DataFrame:
        return r9.ranks(self.data, self.config)

    @cached_property
    def means(self) -> pd.DataFrame:
        return r9.peer_means(self.data, self.config)

    @cached_property
    def goals(self) -> pd.DataFrame:
        return r9.goal_status(self.data, self.config)

    @cached_property
    def jamforelse(self) -> pd.DataFrame:
        return r9.r9_jamforelse(self.data, self.config)

    @cached_property
    def decomposition_conflicts(self) -> list[RoleConflict]:
        """The decomposition's inputs whose Kolada title contradicts their role (then no split)."""
        return decomposition_conflicts(self.config, self.bundle.kpi_metadata)

    @property
    def decomposition_refused(self) -> bool:
        return bool(self.decomposition_conflicts)

    @cached_property
    def decomposition(self) -> pd.DataFrame:
        try:
            return r9.placement_decomposition(self.data, self.config, self.bundle.kpi_metadata)
        except r9.DecompositionRefusedError:
            return pd.DataFrame(columns=r9.DECOMPOSITION_COLUMNS)

    @cached_property
    def latest_year(self) -> int:
        """The newest year with the municipality's value and the mean for a goal figure."""
        g = self.gaps
        ok = g[g["kpi"].isin(self.goal_kpis) & g["own"].notna() & g["mean"].notna()]
        return int(ok["year"].max()) if len(ok) else max(self.years)

    def own_ranks(self) -> pd.DataFrame:
        r = self.ranks
        return r[r["is_own"]][["kpi", "year", "rank", "n"]]
