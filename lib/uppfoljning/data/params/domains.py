"""Models of the domains' params files: volumes, goal assessments, HVB, care forms, R9, action plan.

The domains' loaders (`data.care_forms`, `placements.settings`, `volumes.catalogue`,
`economy.actionplan`, `peers.catalogue`) validate with these, import their allowed values from
here and keep by hand only the relations between values (a group named elsewhere in the file,
a key figure given twice, rows of the report structure); the descriptions are the README's
reference.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BeforeValidator, Field, StrictFloat

from uppfoljning.data.params.base import (
    Code,
    Flag,
    Integer,
    Kind,
    ParamsModel,
    Period,
    Text,
    choice,
    fail,
    nonempty_list,
    pattern,
)
from uppfoljning.data.params.files import MunicipalityCode

Number = Annotated[StrictFloat, Kind("tal")]

# --------------------------------------------------------------------------- volymmatt.yaml

MEASURE_TYPES = ("flöde", "ackumulerat", "tillstånd")
FORECAST_METHODS = ("kvot", "sasongsprofil", "linjar", "ingen")
ASSESSMENTS = ("Uppfyllt", "Delvis uppfyllt", "Ej uppfyllt", "Kan ej bedömas")


def _measure_type(value: Any) -> str:
    kind = str(value).strip().lower()
    kind = {"flode": "flöde", "tillstand": "tillstånd"}.get(kind, kind)
    if kind not in MEASURE_TYPES:
        raise fail(f"{value!r} ska vara en av {', '.join(MEASURE_TYPES)}")
    return kind


def _decimals(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3:
        raise fail(f"ska vara ett heltal 0–3, fick {value!r}")
    return value


def _at_least_one(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise fail(f"ska vara ett heltal ≥ 1, fick {value!r}")
    return value


def _targets(value: Any) -> Any:
    if isinstance(value, dict):
        bad = [y for y in value if isinstance(y, bool) or not str(y).isdigit() or len(str(y)) != 4]
        if bad:
            raise fail(f"{bad[0]!r} är inte ett årtal")
        return {int(y): str(v) for y, v in value.items()}
    if isinstance(value, list):
        raise fail(f"ska vara ett målvärde eller årtal: målvärde, fick {value!r}")
    return str(value)


MeasureType = Annotated[
    str, BeforeValidator(_measure_type), Kind("en av " + ", ".join(MEASURE_TYPES))
]
ForecastMethod = choice(*FORECAST_METHODS)
ProfileYears = Annotated[int, BeforeValidator(_at_least_one), Kind("heltal ≥ 1")]
Decimals = Annotated[int, BeforeValidator(_decimals), Kind("heltal 0–3")]
Targets = Annotated[Any, BeforeValidator(_targets), Kind("text, eller årtal: text")]
Assessment = choice(*ASSESSMENTS)


class MeasureModel(ParamsModel):
    shape: ClassVar[str] = "ska vara ett mått med nycklarna matt, rad och typ"
    label: ClassVar[str | None] = "matt"

    matt: Text = Field(description="Måttets nyckel i volymfilerna (kolumnen `matt`).")
    rad: Text = Field(description="Måttets text i tabellen.")
    typ: MeasureType = Field(
        description="`flöde` (nya under perioden, summeras), `ackumulerat` (unika under året) "
        "eller `tillstånd` (antal vid periodens slut)."
    )
    grupper: tuple[Text, ...] | None = Field(
        None, description="Grupperna måttet redovisas i (kolumnen `grupp`), var och en en gång."
    )
    kon: Flag = Field(True, description="Redovisas per kön.")
    kalla: Text | None = Field(None, description="Källan, visas under tabellen.")
    prognos: ForecastMethod | None = Field(
        None,
        description="Helårsprognosens metod; standard `sasongsprofil` för flöden, annars `kvot`. "
        "`sasongsprofil` och `linjar` fungerar bara för flöden.",
    )
    profilar: ProfileYears = Field(2, description="Antal tidigare år i säsongsprofilen.")
    huvuddiagram: Flag = Field(False, description="Rapportens huvuddiagram (högst ett, ett flöde).")
    nyckeltal: Flag = Field(False, description="Visas bland nyckeltalen överst.")


class StaffModel(ParamsModel):
    shape: ClassVar[str] = "ska vara ett mått med nycklarna matt, rad och typ"
    label: ClassVar[str | None] = "matt"

    matt: Text = Field(description="Måttets nyckel i personalfilen.")
    rad: Text = Field(description="Måttets text i tabellen.")
    typ: MeasureType = Field(description="Som för volymmåtten.")
    kalla: Text | None = Field(None, description="Källan.")
    malvarde: Targets | None = Field(
        None, description="Målvärdet, eller ett per år (`{2024: ≤ 5 %}`)."
    )
    decimaler: Decimals = Field(0, description="Decimaler i tabellen.")


class VolumeCatalogueFile(ParamsModel):
    """Volymrapportens mått: text, typ, prognosmetod och källa."""

    file: ClassVar[str] = "params/volymmatt.yaml"
    file_shape: ClassVar[str] = "filen ska ha en lista `volymmatt`"

    volymmatt: tuple[MeasureModel, ...] = Field(description="Volymmåtten i visningsordning.")
    personal: tuple[StaffModel, ...] | None = Field(None, description="Personalmåtten.")
    kommentar: Text | None = Field(None, description="Text under volymtabellen.")


def _indicator(value: Any) -> Any:
    return {"indikator": value} if isinstance(value, str) else value


class IndicatorModel(ParamsModel):
    shape: ClassVar[str] = "ska vara ett namn eller {indikator: …, anmarkning: …}"

    indikator: Text = Field(description="Indikatorns namn, som i indikatorfilen.")
    anmarkning: Text | None = Field(None, description="Fotnot till indikatorn.")


Indicator = Annotated[IndicatorModel, BeforeValidator(_indicator)]


class GoalModel(ParamsModel):
    shape: ClassVar[str] = "ska vara ett nämndmål med malomrade, namndmal och bedomning"
    label: ClassVar[str | None] = "namndmal"

    malomrade: Text = Field(description="Målområdet (rubrik).")
    namndmal: Text = Field(description="Nämndmålet, en gång per fil.")
    bedomning: Assessment = Field(description="Nämndens bedömning.")
    motivering: Text | None = Field(None, description="Bedömningens motivering.")
    indikatorer: tuple[Indicator, ...] | None = Field(
        None,
        description="Indikatorerna: namn, eller `{indikator: …, anmarkning: …}` med en fotnot.",
    )


class AssessmentsFile(ParamsModel):
    """Nämndmålen och nämndens bedömningar för en period."""

    file: ClassVar[str] = "params/bedomningar/<period>.yaml"
    file_shape: ClassVar[str] = "filen ska ha en lista `mal` med nämndmålen"

    period: Period = Field(description="Perioden, samma som rapportens.")
    mal: tuple[GoalModel, ...] = Field(description="Nämndmålen i visningsordning.")


# --------------------------------------------------------------------------- hvb.yaml

PRIVACY_FLOOR = 5
TARGET_GROUPS = ("barn_unga", "vuxna")


def _privacy(value: Any) -> int:
    """The floor protects the children in the register: a lower value would publish them."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise fail(f"ska vara ett heltal, fick {value!r}")
    if value < PRIVACY_FLOOR:
        raise fail(
            f"{value} är lägre än golvet {PRIVACY_FLOOR}; antal under {PRIVACY_FLOOR} visas aldrig"
        )
    return value


TargetGroup = choice(*TARGET_GROUPS)
PrivacyThreshold = Annotated[int, BeforeValidator(_privacy), Kind("heltal ≥ 5")]


class LedgerMappingModel(ParamsModel):
    shape: ClassVar[str] = "rad, verksamhet och konto krävs"

    rad: Code = Field(description="Driftsammandragets rad (id) som placeringarna stäms av mot.")
    verksamhet: tuple[Code, ...] = Field(description="Verksamhetskoderna.")
    konto: tuple[Code, ...] = Field(description="Kontona för köpt vård och arvoden.")


class ReconciliationModel(ParamsModel):
    troskel_procent: Number = Field(3.0, description="Avvikelse i procent som markeras.")
    troskel_kr: Number = Field(100_000.0, description="Avvikelse i kronor som markeras.")
    malgrupper: dict[TargetGroup, LedgerMappingModel] | None = Field(
        None,
        description="Per målgrupp (barn_unga, vuxna): var placeringarna bokförs.",
        json_schema_extra={"nyckel": "målgrupp"},
    )


class PlacementForecastModel(ParamsModel):
    inflode_manader: Integer = Field(6, description="Månader som nya placeringar räknas på.")
    historik_manader: Integer = Field(36, description="Månader av avslutade placeringar.")
    minsta_antal_avslutade: Integer = Field(
        10, description="Färre avslutade än så: standardlängden används."
    )
    standardlangd_dagar: dict[Text, Integer] | None = Field(
        None, description="Placeringslängd i dygn per vårdformsgrupp."
    )


class PlacementSettingsFile(ParamsModel):
    """HVB-rapportens inställningar: avstämning mot huvudboken, mål, prognos och sekretess."""

    file: ClassVar[str] = "params/hvb.yaml"

    avstamning: ReconciliationModel | None = Field(None, description="Avstämningen.")
    mal_andel_konsulentstodda: Number = Field(
        25.0, description="Målet för andelen konsulentstödda familjehem, procent."
    )
    prognos: PlacementForecastModel | None = Field(None, description="Kostnadsprognosen.")
    sekretess_under: PrivacyThreshold = Field(
        PRIVACY_FLOOR, description="Antal under detta visas inte; aldrig under 5."
    )


# --------------------------------------------------------------------------- vardformer.yaml


class CareGroupModel(ParamsModel):
    shape: ClassVar[str] = "namn saknas"

    namn: Text = Field(description="Gruppens namn i rapporten.")
    familjehem: Flag = Field(False, description="Räknas som familjehem.")
    konsulentstott: Flag = Field(False, description="Konsulentstött familjehem.")


class CareFormModel(ParamsModel):
    shape: ClassVar[str] = "ska ha namn, grupp och konto"

    namn: Text = Field(description="Vårdformens namn.")
    grupp: Text = Field(description="Vårdformsgruppen (en nyckel under `grupper`).")
    konto: Code = Field(description="Kontot vården bokförs på.")
    verksamhet: Code | None = Field(
        None, description="Verksamheten, när den inte följer målgruppen."
    )


def _nonempty(message: str) -> BeforeValidator:
    """A mapping with at least one entry; `message` when it is empty (`grupper:` or `{}`)."""

    def check(value: Any) -> Any:
        if not value:
            raise fail(message)
        return value

    return BeforeValidator(check)


CareGroups = Annotated[dict[Text, CareGroupModel], _nonempty("minst en vårdformsgrupp krävs")]
CareForms = Annotated[dict[Text, CareFormModel], _nonempty("minst en vårdform krävs")]


class CareFormsFile(ParamsModel):
    """Placeringsregistrets vårdformer: grupp och konto; okända koder vägras vid inläsning."""

    file: ClassVar[str] = "params/vardformer.yaml"

    grupper: CareGroups = Field(
        description="Vårdformsgrupperna (minst en).", json_schema_extra={"nyckel": "grupp"}
    )
    vardformer: CareForms = Field(
        description="Registrets koder (gemener), var och en en gång.",
        json_schema_extra={"nyckel": "kod"},
    )


# --------------------------------------------------------------------------- jamforelsegrupper.yaml

POPULATION_BASES = ("totalt", "0-20")
GOAL_CONDITIONS = ("lika_eller_lagre_an_snitt", "lika_eller_hogre_an_snitt")
ROLES = (
    "kostnad_familjehem_och_hvb",
    "kostnad_hvb",
    "kostnad_familjehem",
    "placerade_hvb_eller_familjehem",
    "placerade_hvb",
    "placerade_familjehem",
    "invanare_totalt",
)
KpiId = pattern(r"[A-Z]\d{5}", "Kolada-id", "Kolada-id ska se ut som N33022, fick {value!r}")
KoladaGroup = pattern(r"G\d+", "Kolada-grupp", "Koladas grupp-id ser ut som G96092, fick {value!r}")
_ONE_OF = "ska vara en av {allowed}, fick {value!r}"
PopulationBase = choice(*POPULATION_BASES, message=_ONE_OF)
GoalCondition = choice(*GOAL_CONDITIONS, message=_ONE_OF)
Role = choice(*ROLES, message=_ONE_OF)


def _first_year(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1990 <= value <= 2100:
        raise fail(f"ska vara ett årtal, fick {value!r}")
    return value


def _name(value: Any) -> str:
    if (
        isinstance(value, bool)
        or not isinstance(value, str | int | float)
        or not str(value).strip()
    ):
        raise fail(f"ska vara en icke-tom text, fick {value!r}")
    return str(value).strip()


FirstYear = Annotated[int, BeforeValidator(_first_year), Kind("årtal")]
Name = Annotated[str, BeforeValidator(_name), Kind("text")]  # names and labels, trimmed


class PeerMunicipalityModel(ParamsModel):
    kod: MunicipalityCode = Field(description='Kommunkoden, t.ex. "0580".')
    namn: Name = Field(description="Kommunens namn.")


Members = nonempty_list(PeerMunicipalityModel, "ska vara en lista med minst en kommun")


class PeerGroupModel(ParamsModel):
    namn: Name = Field(description="Gruppens namn.")
    kortnamn: Name = Field(description="Kort namn i tabeller (”R9-snitt”).")
    kolada_id: KoladaGroup | None = Field(None, description="Gruppens id i Kolada.")
    snitt_inkluderar_egen_kommun: Flag = Field(description="Snittet räknar med den egna kommunen.")
    medlemmar: Members = Field(description="Gruppens kommuner.")


class PopulationModel(ParamsModel):
    totalt: KpiId = Field(description="Kolada-id för invånare totalt.")
    andel_0_20: KpiId = Field(description="Kolada-id för andelen invånare 0–20 år.")


class KpiModel(ParamsModel):
    id: KpiId = Field(description="Nyckeltalets Kolada-id.")
    rad: Name = Field(description="Nyckeltalets text i rapporten.")
    enhet: Name = Field(description="Enheten (kr/inv …).")
    befolkning: PopulationBase | None = Field(
        None, description="Befolkningen ett per-invånare-tal räknas på."
    )
    mal: GoalCondition | None = Field(None, description="Målet mot snittet.")
    kolada_titel: Name | None = Field(None, description="Titeln i Koladas nyckeltalslista.")
    roll: Role | None = Field(None, description="Vad rapporten använder nyckeltalet till.")
    del_av: KpiId | None = Field(None, description="Nyckeltalet det är en del av.")


class DecompositionModel(ParamsModel):
    kostnad: KpiId = Field(description="Kostnadsnyckeltalet (roll kostnad_familjehem_och_hvb).")
    placerade: KpiId = Field(description="Placerade (roll placerade_hvb_eller_familjehem).")


Kpis = nonempty_list(KpiModel, "ska vara en lista med minst ett nyckeltal")
PeerGroups = Annotated[
    dict[Text, PeerGroupModel], _nonempty("ska vara en mappning med minst en grupp")
]


class PeerGroupsFile(ParamsModel):
    """R9-jämförelsen: jämförelsegrupp, befolkning och nyckeltal med mål."""

    file: ClassVar[str] = "params/jamforelsegrupper.yaml"

    kommun: PeerMunicipalityModel = Field(description="Den egna kommunen.")
    jamforelsegrupp: Text = Field(description="Gruppen som jämförs (en nyckel under `grupper`).")
    forsta_ar: FirstYear = Field(description="Första året i tidsserierna.")
    grupper: PeerGroups = Field(
        description="Jämförelsegrupperna.", json_schema_extra={"nyckel": "grupp"}
    )
    befolkning: PopulationModel = Field(description="Befolkningens nyckeltal.")
    nyckeltal: Kpis = Field(description="Nyckeltalen i visningsordning.")
    nedbrytning: DecompositionModel | None = Field(
        None, description="Kostnad per placerad: kostnad och placerade."
    )


# --------------------------------------------------------------------------- atgardsplan.yaml


class ActionPlanFile(ParamsModel):
    """Åtgärdsplanens områden och driftsammandragets rader varje område påverkar."""

    file: ClassVar[str] = "params/atgardsplan.yaml"
    file_shape: ClassVar[str] = "filen ska ha `omraden:` med område: [rad-id, …]"

    omraden: dict[Text, tuple[Text, ...] | None] = Field(
        description='Område: lista med rad-id (`LSS: ["513", egen_regi_lss]`).'
    )
