"""How the figures are computed, in short Swedish: under the tables that need it and in
"Om rapporten" at the end of the report. The texts state the settings of hvb.yaml in force."""

from __future__ import annotations

import numpy as np

from uppfoljning.placements.dates import day_number, shift_month
from uppfoljning.placements.period import PeriodView, month_label
from uppfoljning.present.formatting import format_number, format_percent, period_label

PLACEMENT_RULE = (
    "episoder för samma person i samma målgrupp och vårdformsgrupp utan uppehåll räknas som en "
    "placering: nästa episod börjar senast samma dag som den förra slutade. Eftersom slutdagen "
    "inte är ett vårddygn hänger en episod som slutar den 10 mars ihop med en som börjar den 10 "
    "mars; börjar nästa den 11 mars är den 10 mars utan vård och det blir en ny placering. Byte "
    "av pris, avtal eller vårdform inom gruppen bryter inte placeringen. Dess längd är dygnen "
    "från första start till sista slutdatum."
)
"""The chain rule in Swedish, shown where placements are counted and under "Om rapporten"."""


def price_volume_formulas(view: PeriodView) -> str:
    """`price_volume_mix` in Swedish, as it is computed (shown under hvb_pris_volym)."""
    return "\n".join(
        [
            "Per vårdform: d = vårddygn, c = kostnad, p = c ÷ d = kostnad per vårddygn, "
            "D = vårddygn i alla vårdformer (barn och unga) och s = d ÷ D = vårdformens "
            f"andel av vårddygnen. Index 0 = {view.span_previous}, 1 = {view.span}; streck = "
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


def forecast_rules(view: PeriodView) -> str:
    """How `forecast.forecast_cells` forecasts, in Swedish (shown under hvb_prognos)."""
    cfg = view.settings
    as_of = view.register.as_of
    year_end = day_number(f"{view.year + 1}-01-01")
    horizon = max(year_end - as_of, 0)
    first = str(np.datetime64(as_of, "D"))

    def months_back(n: int) -> str:
        return f"{month_label(shift_month(view.period, 1 - n))}–{month_label(view.period)}"

    fallback = ", ".join(
        f"{view.catalogue.group_label(g)}: {format_number(d, 0)}"
        for g, d in cfg.fallback_length.items()
        if g in view.catalogue.groups
    )
    return "\n".join(
        [
            "Helårsprognos = kostnad hittills + pågående placeringar + nya placeringar, per "
            f"målgrupp och vårdformsgrupp. Dygnen efter perioden räknas från {first} till "
            f"och med 31 december {view.year} (H = {format_number(horizon, 0)} dygn), "
            "aldrig längre.",
            "",
            f"- **Kostnad hittills** = vårddygn {view.span} × dygnskostnad.",
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


def explanation(view: PeriodView, table_id: str) -> str:
    """The formulas or rules behind a shown table, in short Swedish."""
    texts = {
        "hvb_pris_volym": ("Så räknas pris, volym och mix", price_volume_formulas(view)),
        "hvb_prognos": ("Så räknas prognosen", forecast_rules(view)),
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


def about(view: PeriodView) -> str:
    """How the figures are computed (Swedish), for the end of the report."""
    first = period_label(view.register.first_month)
    cfg = view.settings
    return "\n\n".join(
        [
            f"Underlaget är placeringsregistret (episoder av dygnsvård) från {first} till "
            f"och med {period_label(view.period)}. Registret innehåller inga personnummer "
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
            f"Bennet). {price_volume_formulas(view)}",
            f"**Prognos.** {forecast_rules(view)}",
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
