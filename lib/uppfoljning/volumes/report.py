"""The volumes report the notebook calls: `VolumeReport.open(ctx)`, then its tables with
Swedish headings and display formats, the texts under them and the headline figures.

The measures and assessments come from `volumes.catalogue`, the computations from
`volumes.compute`, the tables from `VolumeTables` (`volumes.tables`); committee indicators come
as data (`indikatorer`), goal assessments are the committee's judgements
(`params/bedomningar/<period>.yaml`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from pandas.io.formats.style import Styler

from uppfoljning.present.formatting import (
    format_count,
    format_percent,
    period_label,
    period_range_label,
)
from uppfoljning.present.report import ReportContext
from uppfoljning.present.tables import number_format, percent_format
from uppfoljning.volumes.catalogue import (
    ACCUMULATED,
    ASSESSMENTS,
    FLOW,
    LINEAR,
    NONE,
    RATIO,
    SEASONAL,
    STOCK,
    load_assessments,
    load_catalogue,
)
from uppfoljning.volumes.compute import DECIMALS, MAINTAIN_TOLERANCE, short_label
from uppfoljning.volumes.tables import VolumeTables

ASSESSMENT_COLOURS = {
    "Uppfyllt": "background-color: #cfe8d5; color: #14532d",
    "Delvis uppfyllt": "background-color: #fbe7b5; color: #5c4400",
    "Ej uppfyllt": "background-color: #f4c7c3; color: #7f1d1d",
    "Kan ej bedömas": "background-color: #e2e3e5; color: #343a40",
}
_ASSESSMENT_WORDS = {  # (one goal, several goals): "1 ej uppfyllt, 7 delvis uppfyllda"
    "Uppfyllt": ("uppfyllt", "uppfyllda"),
    "Delvis uppfyllt": ("delvis uppfyllt", "delvis uppfyllda"),
    "Ej uppfyllt": ("ej uppfyllt", "ej uppfyllda"),
    "Kan ej bedömas": ("kan ej bedömas", "kan ej bedömas"),
}
SEX_LABELS = {"T": "Totalt", "K": "Kvinnor", "M": "Män"}


def _read(data_dir: Path, dataset: str) -> pd.DataFrame:
    path = Path(data_dir) / f"{dataset}.parquet"
    if not path.exists():
        raise FileNotFoundError(
            f"{path} saknas: kör `uppfoljning ingest` (eller `uppfoljning run`) först"
        )
    return pd.read_parquet(path).drop(columns=["_rad", "_fil"], errors="ignore")


class VolumeReport(VolumeTables):
    """The volume tables of one period with their Swedish headings, formats and texts."""

    @classmethod
    def open(
        cls,
        ctx: ReportContext,
        *,
        catalogue_file: Path | str | None = None,
        assessments_file: Path | str | None = None,
    ) -> VolumeReport:
        """Load the period's catalogue, assessments (if any) and processed data."""
        params_dir = ctx.params.path.parent
        catalogue = load_catalogue(catalogue_file or params_dir / "volymmatt.yaml")
        path = Path(assessments_file or params_dir / "bedomningar" / f"{ctx.period}.yaml")
        assessments = load_assessments(path, period=ctx.period) if path.is_file() else None
        return cls(
            params=ctx.params,
            catalogue=catalogue,
            volume_raw=_read(ctx.data_dir, "volymer"),
            staff_raw=_read(ctx.data_dir, "personal"),
            indicator_raw=_read(ctx.data_dir, "indikatorer"),
            assessments=assessments,
        )

    def title(self) -> str:
        return f"Volymer – {self.params.title}"

    def headers(self, table_id: str) -> dict[str, str]:
        """Swedish column headings with the periods spelt out."""
        now = period_label(self.params.period).capitalize()
        before = period_label(f"{self.year - 1}-{self.month:02d}").capitalize()
        return {
            "volymer": {
                "rad": "Basuppdrag (volymmått)",
                "grupp": "Grupp",
                "utfall_foregaende_ar": before,
                "utfall": now,
                "prognos_helar": f"Prognos {self.year}",
                "andel_kvinnor_foregaende_ar": f"Andel flickor/kvinnor {before.lower()}",
                "andel_kvinnor": f"Andel flickor/kvinnor {now.lower()}",
            },
            "personal": {
                "rad": "Personal",
                "utfall_foregaende_ar": before,
                "utfall": now,
                "malvarde": f"Målvärde {self.year}",
            },
            "namndindikatorer": {
                "rad": "Nämndindikator",
                "kon": "Kön",
                **{str(y): str(y) for y in self.indicator_years},
                "malvarde": "Målvärde",
                "onskad_riktning": "Önskad riktning",
                "i_onskad_riktning": "I önskad riktning",
            },
            "namndmal_bedomning": {
                "rad": "Nämndmål",
                "malomrade": "Målområde",
                "bedomning": f"Bedömning {period_label(self.params.period)}",
            },
        }[table_id]

    def formats(self, table_id: str) -> dict:
        """Display formats for every numeric column (counts, percent, indicator values)."""
        if table_id == "volymer":
            count, pct = number_format(0), percent_format(0)
            return {
                "utfall_foregaende_ar": count,
                "utfall": count,
                "prognos_helar": count,
                "andel_kvinnor_foregaende_ar": pct,
                "andel_kvinnor": pct,
            }
        if table_id == "personal":
            return {"utfall_foregaende_ar": number_format(1), "utfall": number_format(1)}
        if table_id == "namndindikatorer":
            return {
                **{str(y): number_format(1) for y in self.indicator_years},
                "malvarde": number_format(1),
                "kon": lambda v: SEX_LABELS.get(v, v),
            }
        return {}

    def style(self, table_id: str, styler: Styler) -> Styler:
        """Per-row decimals (staff, indicators) and assessment colours on a published table."""
        if table_id == "namndmal_bedomning":
            return styler.map(lambda v: ASSESSMENT_COLOURS.get(v, ""), subset=["bedomning"])
        frame = {"personal": self._staff_table, "namndindikatorer": self._indicator_table}.get(
            table_id
        )
        if frame is None or frame.empty:
            return styler
        columns = [
            c
            for c in frame.columns
            if c not in ("rad", "kon", DECIMALS) and pd.api.types.is_numeric_dtype(frame[c])
        ]
        view = frame.reset_index(drop=True)
        for decimals, index in view.groupby(DECIMALS).groups.items():
            styler = styler.format(
                number_format(int(decimals)), subset=pd.IndexSlice[list(index), columns]
            )
        return styler

    def volume_notes(self) -> str:
        """Markdown under the volume table: forecast methods used, the catalogue's note, sources."""
        span = period_range_label(self.params.period)
        last = f"{self.year - 1}"
        used = {m.forecast for m in self.catalogue.measures}
        lines = []
        if RATIO in used:
            names = [
                short_label(m.label).lower() for m in self.catalogue.measures if m.forecast == RATIO
            ]
            lines.append(
                f"- *Kvot* ({len(names)} mått): värdet {span} × kvoten mellan helår {last} och "
                f"samma period {last}. Ackumulerade mått och tillståndsmått växer olika fort under "
                "året; kvoten bär med sig förra årets förlopp."
            )
        if SEASONAL in used:
            names = [
                short_label(m.label).lower()
                for m in self.catalogue.measures
                if m.forecast == SEASONAL
            ]
            years = max(m.profile_years for m in self.catalogue.measures if m.forecast == SEASONAL)
            lines.append(
                f"- *Säsongsprofil* ({', '.join(names)}): värdet {span} delat med den andel av "
                f"helårets volym som föll inom samma månader de {years} senaste hela åren."
            )
        if LINEAR in used:
            names = [
                short_label(m.label).lower()
                for m in self.catalogue.measures
                if m.forecast == LINEAR
            ]
            lines.append(f"- *Linjär* ({', '.join(names)}): värdet {span} × 12 / {self.month}.")
        if NONE in used:
            names = [
                short_label(m.label).lower() for m in self.catalogue.measures if m.forecast == NONE
            ]
            lines.append(f"- Ingen prognos: {', '.join(names)}.")
        text = (
            "**Prognos helår.** Prognosen är framräknad, inte bedömd, och visas avrundad till "
            "heltal:\n\n"
        )
        text += "\n".join(lines)
        text += (
            "\n\nAndel flickor/kvinnor avser andelen av dem med uppgift om kön. Flöden är "
            "summan av månaderna; ackumulerade mått är unika ärenden eller personer under "
            "perioden."
        )
        if self.catalogue.comment:
            text += f"\n\n**Kommentar.** {self.catalogue.comment.strip()}"
        sources = [
            f"{i}. {m.label}: {m.source}"
            for i, m in enumerate(self.catalogue.measures, start=1)
            if m.source
        ]
        if sources:
            text += "\n\n**Källor**\n\n" + "\n".join(sources)
        return text

    def staff_notes(self) -> str:
        """Markdown under the staff table: sources and what each period value means."""
        meaning = {
            FLOW: "summan av månaderna januari–perioden",
            ACCUMULATED: "värdet för januari–perioden",
            STOCK: "värdet vid periodens slut",
        }
        lines = [
            f"- {m.label}: {meaning[m.kind]}." + (f" Källa: {m.source}" if m.source else "")
            for m in self.catalogue.staff
        ]
        return "\n".join(lines)

    def indicator_notes(self) -> str:
        """Markdown under the indicator table: how the direction is judged, and footnotes."""
        tolerance = format_percent(100 * MAINTAIN_TOLERANCE, 0)
        text = (
            "*I önskad riktning* jämför de två senaste åren med värden: Öka och Minska kräver en "
            f"förändring åt rätt håll, Bibehålla en förändring inom ±{tolerance}"
            " av det tidigare värdet. ”Samma eller lägre än R9-snitt” jämför årets värde med "
            "målvärdet (R9-snittet) samma år. Tom ruta: kan inte bedömas (för få värden eller "
            "ingen önskad riktning)."
        )
        notes = self.assessments.notes if self.assessments else {}
        shown = set(self._indicator_table["rad"])
        lines = [f"- {name}: {note}" for name, note in notes.items() if name in shown]
        if lines:
            text += "\n\n**Anmärkningar**\n\n" + "\n".join(lines)
        return text

    def assessment_notes(self) -> str:
        """The committee's motivations per goal (Markdown), or why the table is empty."""
        if self.assessments is None:
            return (
                f"*Ingen bedömning av nämndmålen för {period_label(self.params.period)} "
                f"(params/bedomningar/{self.params.period}.yaml saknas).*"
            )
        lines = [
            f"- **{g.goal}**: {g.motivation.strip()}"
            for g in self.assessments.goals
            if g.motivation
        ]
        summary = self.assessment_summary()
        return f"Sammanfattning: {summary}.\n\n" + "\n".join(lines)

    def assessment_summary(self) -> str:
        """`2 uppfyllda, 7 delvis uppfyllda, 1 ej uppfyllt` (empty without assessments)."""
        return ", ".join(
            f"{n} {_ASSESSMENT_WORDS[a][0 if n == 1 else 1]}"
            for a, n in self.assessment_counts().items()
            if n
        )

    def assessment_counts(self) -> dict[str, int]:
        goals = self.assessments.goals if self.assessments else ()
        return {a: sum(g.assessment == a for g in goals) for a in ASSESSMENTS}

    def about(self) -> str:
        """Sources, parameter files and every data note of the run (Markdown)."""
        assessments = (
            f"`{self.assessments.path.name}` i params/bedomningar/" if self.assessments else "–"
        )
        text = (
            f"- Måttkatalog: `{self.catalogue.path.name}` (typ, grupper, prognosmetod och källa "
            "per mått).\n"
            f"- Nämndens bedömningar av nämndmålen: {assessments}.\n"
            "- Data: volymer, personal och indikatorer ur data/processed (inlästa med "
            "`uppfoljning ingest`)."
        )
        if self.notes:
            text += "\n\n**Anmärkningar om data**\n\n" + "\n".join(f"- {n}" for n in self.notes)
        return text

    def publish_headlines(self, ctx: ReportContext) -> None:
        """Headline figures for index.html: measures marked `nyckeltal` and the goal summary."""
        table = self._volume_table
        order = 0
        span = period_range_label(self.params.period)
        for m in self.catalogue.measures:
            if not m.headline:
                continue
            for group in m.groups or ("",):
                row = table[(table["rad"] == m.label) & (table["grupp"] == group)].iloc[0]
                if pd.isna(row["utfall"]):
                    continue
                text = format_count(row["utfall"])
                before = row["utfall_foregaende_ar"]
                if not pd.isna(before) and before:
                    change = 100 * (row["utfall"] - before) / before
                    text += f" ({format_percent(change, 0, sign=True)} mot {self.year - 1})"
                slug = re.sub(r"[^a-z0-9]+", "_", f"{m.key} {group}".lower()).strip("_")
                label = short_label(m.label) + (f", {group}" if group else "") + f", {span}"
                order += 1
                ctx.headline(f"volym_{slug}", label, text, section="Volymer", order=order)
        if self.assessments is not None:
            text = self.assessment_summary()
            ctx.headline(
                "namndmal_bedomning",
                "Nämndmålen, bedömning",
                text,
                section="Volymer",
                order=order + 1,
            )
