"""The Swedish prose of the R9 report: the figures in words, and how they are computed.

Why its own module: the texts state the same gaps, ranks and goal status as the tables (read from
:class:`uppfoljning.peers.view.PeerView`, never recomputed), so a reader of the prose and a reader
of the tables see the same numbers. :class:`FigureTexts` tells what the figures say;
:class:`MethodTexts` how they are computed, where they come from and what Kolada lacks.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from uppfoljning.peers import r9
from uppfoljning.peers.catalogue import CONFIG_FILE
from uppfoljning.peers.checks import (
    membership_differences,
    missing_notes,
    role_conflicts,
    title_mismatches,
)
from uppfoljning.peers.view import GOAL_YEARS, PeerView, direction
from uppfoljning.present.formatting import format_amount, format_mnkr, format_number, format_percent

CHECK_TOLERANCE = 0.5
"""Largest difference (in the key figure's unit) between our mean and Kolada's counted as equal."""


@dataclass
class FigureTexts:
    """What the figures say: gaps, goals, trends and the decomposition, in Swedish."""

    view: PeerView

    def intro(self, committee: str) -> str:
        """Who is compared with whom, on what, and how to read a gap (``committee``: its name)."""
        view = self.view
        members = ", ".join(m.name for m in view.group.members)
        return (
            f"{view.own_name} jämförs med kommunerna i {view.group.name} ({members}) på de "
            f"nyckeltal i Kolada som {committee.lower()}s mål använder, och på "
            f"deras delar. Åren {min(view.years)}–{view.latest_year}; Kolada publicerar ett års "
            "kostnader våren efter. Skillnad = kommunens värde − "
            f"{view.mean_definite}: positiv skillnad betyder högre kostnad än snittet. Rang 1 = "
            "lägst värde."
        )

    def data_note(self) -> str:
        """How old the Kolada data are, and (demo) that the peers' values are made up."""
        return f"**{self.view.bundle.note}**"

    def _gap_sentence(self, kpi: str, year: int) -> str:
        view = self.view
        g = view.gaps.set_index(["kpi", "year"])
        if (kpi, year) not in g.index:
            return f"Kolada har inga värden för {year}."
        row = g.loc[(kpi, year)]
        if pd.isna(row["own"]) or pd.isna(row["mean"]):
            return f"Kolada saknar {view.own_name}s värde eller snittet för {year}."
        unit = view.unit(kpi)
        text = (
            f"{year} var värdet {view.value_text(kpi, row['own'])} {unit} i {view.own_name} "
            f"och {view.value_text(kpi, row['mean'])} {unit} i {view.mean_definite}: "
        )
        if row["gap"] == 0:
            text += "samma som snittet"
        else:
            text += (
                f"{view.value_text(kpi, abs(row['gap']))} {unit} "
                f"({format_percent(abs(row['gap_pct']), 1)}) {direction(row['gap'])}"
            )
        if pd.notna(row["gap_mnkr"]) and row["gap"] != 0:
            base = "invånare 0–20 år" if row["population_base"] == "0-20" else "invånare"
            text += (
                f", vilket för {view.own_name}s {format_number(row['population'], 0)} {base} "
                f"motsvarar {format_mnkr(abs(row['gap_mnkr']) * 1e6, suffix=True)}"
            )
        r = view.own_ranks().set_index(["kpi", "year"])
        if (kpi, year) in r.index:
            rank, n = r.loc[(kpi, year), ["rank", "n"]]
            text += f". Rang {int(rank)} av {int(n)}"
        return text + "."

    def _trend_sentence(self, kpi: str) -> str:
        g = self.view.gaps[(self.view.gaps["kpi"] == kpi)].dropna(subset=["own", "mean"])
        g = g[g["year"] <= self.view.latest_year]
        if len(g) < 2:
            return ""
        first, last = g.iloc[0], g.iloc[-1]
        own = (last["own"] / first["own"] - 1) * 100
        mean = (last["mean"] / first["mean"] - 1) * 100
        return (
            f" Från {int(first['year'])} till {int(last['year'])} har värdet ändrats med "
            f"{format_percent(own, 0, sign=True)} i {self.view.own_name} och "
            f"{format_percent(mean, 0, sign=True)} i {self.view.mean_definite}."
        )

    def kpi_text(self, kpi: str) -> str:
        """The figure's latest gap, worth in mnkr, rank, goal status and trend, in Swedish."""
        text = self._gap_sentence(kpi, self.view.latest_year)
        goals = self.view.goals[(self.view.goals["kpi"] == kpi)]
        latest = goals[goals["year"] == self.view.latest_year]
        if len(latest):
            status = latest["status"].iloc[0]
            target = latest["target"].iloc[0]
            text += f" Målet ({target[:1].lower()}{target[1:]}) är **{status.lower()}**."
        return text + self._trend_sentence(kpi)

    def goal_summary(self) -> str:
        """The goal status in words: how many goals are met, and each goal figure's gap."""
        year = self.view.latest_year
        goals = self.view.goals[self.view.goals["year"] == year]
        met = int((goals["status"] == r9.GOAL_MET).sum())
        lines = [
            f"{year} uppfyller {self.view.own_name} {met} av {len(goals)} mål om kostnad "
            f"jämfört med {self.view.mean_definite}."
        ]
        recent = self.view.goals[self.view.goals["year"] > year - GOAL_YEARS]
        for kpi in self.view.goal_kpis:
            part = recent[recent["kpi"] == kpi]
            met_years = int((part["status"] == r9.GOAL_MET).sum())
            how_often = (
                f"har varit uppfyllt alla de {len(part)} senaste åren"
                if met_years == len(part)
                else f"har inte varit uppfyllt något av de {len(part)} senaste åren"
                if met_years == 0
                else f"har varit uppfyllt {met_years} av de {len(part)} senaste åren"
            )
            lines.append(
                f"- **{self.view.label(kpi)}** ({kpi}): {self._gap_sentence(kpi, year)} "
                f"Målet {how_often}."
            )
        return "\n".join(lines)

    def refusal_text(self) -> str:
        """Why the decomposition is not computed (Swedish), or "" when it is."""
        if not self.view.decomposition_refused:
            return ""
        lines = [
            "**Nedbrytningen beräknas inte.** Koladas titel för nyckeltalet motsäger den roll "
            f"params/{CONFIG_FILE} ger det, så uppdelningen i antal placerade och kostnad per "
            "placerat barn skulle bli fel:",
            "",
        ]
        lines += [f"- {c.text}" for c in self.view.decomposition_conflicts]
        lines += [
            "",
            f"Rätta Kolada-id:t i params/{CONFIG_FILE} (Koladas titlar står i "
            "data/raw/kolada/, hämtade med `uppfoljning kolada refresh`).",
        ]
        return "\n".join(lines)

    def decomposition_text(self) -> str:
        """The placement-cost gap of the latest year explained in words."""
        if self.view.decomposition_refused:
            return self.refusal_text()
        dec = self.view.config.decomposition
        d = self.view.decomposition.set_index("year")
        year = self.view.latest_year
        if dec is None or year not in d.index or pd.isna(d.at[year, "volume_effect"]):
            return "Kolada saknar de värden som behövs för att dela upp skillnaden."
        row = d.loc[year]
        own, mean = self.view.own_name, self.view.mean_definite
        more_placed = row["placed"] > row["peer_placed"]
        dearer = row["cost_per_placed"] > row["peer_cost_per_placed"]
        return "\n".join(
            [
                f"Kostnaden för familjehem och HVB per invånare 0–20 år ({dec.cost_kpi}) är "
                f"antalet placerade barn och unga per 1 000 invånare 0–20 år ({dec.placements_kpi})"
                " gånger kostnaden per placerat barn, delat med 1 000. Skillnaden mot snittet "
                "kan därför delas upp i en volymeffekt (fler eller färre placerade) och en "
                "priseffekt (dyrare eller billigare per placerat barn).",
                "",
                f"{year} hade {own} {format_number(row['placed'], 1)} placerade per 1 000 "
                f"invånare 0–20 år mot {format_number(row['peer_placed'], 1)} i {mean}, och "
                f"kostnaden per placerat barn var {format_amount(row['cost_per_placed'], 'tkr', 0)}"
                f" tkr mot {format_amount(row['peer_cost_per_placed'], 'tkr', 0)} tkr.",
                "",
                f"- Att {'fler' if more_placed else 'färre'} barn och unga är placerade gör "
                f"kostnaden {format_number(abs(row['volume_effect']), 0)} kr/inv 0–20 år "
                f"({format_mnkr(abs(row['volume_effect_mnkr']) * 1e6, suffix=True)}) "
                f"{direction(row['volume_effect'])}.",
                f"- Att varje placering kostar {'mer' if dearer else 'mindre'} gör den "
                f"{format_number(abs(row['price_effect']), 0)} kr/inv 0–20 år "
                f"({format_mnkr(abs(row['price_effect_mnkr']) * 1e6, suffix=True)}) "
                f"{direction(row['price_effect'])}.",
                f"- Sammantaget: {format_number(abs(row['gap']), 0)} kr/inv 0–20 år "
                f"({format_mnkr(abs(row['gap_mnkr']) * 1e6, suffix=True)}) "
                f"{direction(row['gap'])} än {mean}.",
                "",
                "Kostnad per placerat barn är härledd (kostnad per invånare × 1 000 ÷ placerade "
                f"per 1 000 invånare) och inget eget nyckeltal i Kolada; för {mean} används "
                "snittets kostnad och snittets antal placerade. Effekterna är beräknade med "
                "logaritmiska medelvärden (LMDI) och summerar exakt till skillnaden.",
            ]
        )

    def gender_text(self) -> str:
        g = r9.gender_split(self.view.data, self.view.config)
        kpis = [k for k in self.view.kpi_order if k in set(g["kpi"])]
        if not kpis:
            return "Kolada redovisar inga av nyckeltalen uppdelade på kön."
        names = ", ".join(f"{self.view.label(k)} ({k})" for k in kpis)
        missing = [k for k in self.view.kpi_order if k not in kpis]
        text = f"Kolada redovisar uppdelning på kön för: {names}."
        if missing:
            text += " Övriga nyckeltal (kostnaderna) finns bara för flickor och pojkar tillsammans."
        return text + f" Tabellen visar {self.view.latest_year}."


@dataclass
class MethodTexts:
    """How the figures are computed, the mean checked against Kolada's, sources and notes."""

    view: PeerView

    def _mean_definition(self) -> str:
        group, own = self.view.group, self.view.own_name
        who = (
            f"de kommuner i {group.short_name} som Kolada har värde för ({own} ingår)"
            if group.mean_includes_own
            else f"de övriga kommunerna i {group.short_name} som Kolada har värde för ({own} "
            "ingår inte)"
        )
        return f"{self.view.mean_name} = ovägt medelvärde av värdena för {who}."

    def explanation(self, table_id: str) -> str:
        """How the figures of a shown table are computed, in short Swedish (the formulas)."""
        own, mean, short = self.view.own_name, self.view.mean_name, self.view.group.short_name
        cfg = self.view.config
        gap = (
            f"Skillnad = {own}s värde − {self.view.mean_definite}. Skillnad, % = skillnad ÷ "
            f"{self.view.mean_definite} × 100. "
            f"Skillnad, mnkr = skillnad per invånare × {own}s invånare samma år ÷ 1 000 000, med "
            "invånare totalt för nyckeltal per invånare och invånare 0–20 år för nyckeltal per "
            f"invånare 0–20 år; invånare 0–20 år = invånare totalt ({cfg.population_total_kpi}) "
            f"× andel 0–20 år ({cfg.population_share_0_20_kpi}) ÷ 100. Rang: 1 = lägst värde "
            "bland kommunerna med värde; Av = antalet sådana kommuner."
        )
        dec = cfg.decomposition
        cost, placed = (dec.cost_kpi, dec.placements_kpi) if dec else ("", "")
        texts = {
            "r9_mal": f"{self._mean_definition()} {gap} Målet är uppfyllt när villkoret i "
            "kolumnen Mål gäller (”samma eller lägre”: kommunens värde ≤ snittet), jämfört "
            "utan avrundning.",
            "r9_gap": f"{self._mean_definition()} {gap} Nyckeltal som inte är per invånare "
            "(t.ex. kr/vårddygn) räknas inte om till mnkr.",
            "r9_placeringar": f"Kostnad per placerat barn = kostnad per invånare 0–20 år "
            f"({cost}) × 1 000 ÷ placerade per 1 000 invånare 0–20 år ({placed}), visad i tkr. "
            f"Raden {mean}: snittets kostnad × 1 000 ÷ snittets antal placerade (inte snittet av "
            "kommunernas kostnad per placerat barn), så att den går ihop med nedbrytningen.",
            "r9_nedbrytning": f"c = kostnad per invånare 0–20 år ({cost}), p = placerade per "
            f"1 000 invånare 0–20 år ({placed}), k = c × 1 000 ÷ p = kostnad per placerat barn; "
            f"c̄, p̄ och k̄ = c̄ × 1 000 ÷ p̄ för {self.view.mean_definite}. Skillnad = c − c̄. "
            "L = (c − c̄) ÷ (ln c − ln c̄) (logaritmiskt medelvärde; L = c om c = c̄). "
            "Varav antal placerade (volymeffekt) = L × ln(p ÷ p̄). Varav kostnad per placerat "
            "barn (priseffekt) = skillnad − volymeffekt, vilket är lika med L × ln(k ÷ k̄). "
            f"Belopp i mnkr = kr/inv 0–20 år × {own}s invånare 0–20 år ÷ 1 000 000.",
            "r9_kontroll": f"{self._mean_definition()} Antal kommuner = hur många som har värde. "
            f"Koladas värde = det värde Kolada själv redovisar för "
            f"{self.view.group.kolada_id or short}, med Koladas antal kommuner med värde. "
            f"Skillnad = Koladas värde − egen beräkning; mer än "
            f"{format_number(CHECK_TOLERANCE, 1)} räknas som en avvikelse.",
        }
        return f"*Så räknas siffrorna:* {texts[table_id]}"

    def check_text(self) -> str:
        """Our mean against Kolada's group value over every year, and who the mean includes."""
        m = self.view.means.dropna(subset=["mean", "group_value"])
        own, group, mean = self.view.own_name, self.view.group, self.view.mean_definite
        included = (
            f"{own} ingår i {mean}, liksom i Koladas eget värde för gruppen"
            if group.mean_includes_own
            else f"{own} ingår inte i {mean} (snittet av de övriga medlemmarna), men "
            "ingår i Koladas eget gruppvärde, så de två skiljer sig"
        )
        if not group.kolada_id:
            return f"{included}. Gruppen har inget eget värde i Kolada att stämma av mot."
        text = (
            f"{mean} är ett ovägt medelvärde av medlemmarnas värden, räknat här. "
            f"Kolada redovisar också ett eget värde för gruppen {group.kolada_id}; "
            f"{included}. "
        )
        if m.empty:
            return text + "Kolada har inga gruppvärden att jämföra med."
        off = m[m["group_diff"].abs() > CHECK_TOLERANCE]
        if not group.mean_includes_own:
            return text + f"Största skillnad: {format_number(m['group_diff'].abs().max(), 1)}."
        if off.empty:
            return text + (
                f"De stämmer överens för alla {len(m)} kombinationer av nyckeltal och år "
                f"(största skillnad {format_number(m['group_diff'].abs().max(), 2)})."
            )
        listed = ", ".join(f"{k} {int(y)}" for k, y in zip(off["kpi"], off["year"], strict=True))
        return text + (
            f"De skiljer sig med mer än {format_number(CHECK_TOLERANCE, 1)} för: {listed}. "
            "Kontrollera om Kolada saknar värden för någon medlem (antal kommuner)."
        )

    def about(self) -> str:
        """Sources, choices and data notes, for the end of the report."""
        cfg, group = self.view.config, self.view.group
        lines = [
            f"- Jämförelsegrupp: {group.name} ({len(group.members)} kommuner"
            + (f", i Kolada {group.kolada_id}" if group.kolada_id else "")
            + f"), vald i `params/{CONFIG_FILE}`.",
            f"- {self.view.mean_name}: ovägt medelvärde (varje kommun väger lika), som Koladas "
            f"gruppsnitt. {self.view.own_name} "
            + ("ingår" if group.mean_includes_own else "ingår inte")
            + " i snittet.",
            f"- Skillnad i mnkr = skillnad per invånare × {self.view.own_name}s invånare (totalt "
            f"eller 0–20 år enligt nyckeltalet) samma år, från Kolada ({cfg.population_total_kpi}"
            f" och {cfg.population_share_0_20_kpi}). Invånare 0–20 år = invånare × andel 0–20 år;"
            " andelen anges med en decimal, så antalet är ungefärligt.",
            "- Rang: 1 = lägst värde (lägst kostnad); kommuner med samma värde delar rang.",
            f"- Källor: värden per kommun är ”{r9.SOURCE_RAW}”; snitt, skillnader, rang och "
            f"kostnad per placerat barn är ”{r9.SOURCE_DERIVED}”, som Koladas villkor kräver.",
            f"- {self.view.bundle.note}",
        ]
        notes = (
            membership_differences(cfg, self.view.bundle.group)
            + title_mismatches(cfg, self.view.bundle.kpi_metadata)
            + [c.text for c in role_conflicts(cfg, self.view.bundle.kpi_metadata)]
            + missing_notes(self.view.data, cfg, self.view.years)
        )
        lines += [f"- {n}" for n in notes]
        return "\n".join(lines)
