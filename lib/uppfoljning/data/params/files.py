"""Models of the period file, the report structure, the code files and `indata.yaml`.

`uppfoljning.data.config` and `uppfoljning.data.overlaps` validate with these and build their
dataclasses from the result; the descriptions are the README's parameter reference.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from uppfoljning.data.overlaps import ACROSS_CHOICES, PERIOD_KEYS, WITHIN_CHOICES
from uppfoljning.data.params.base import (
    CodeNameTable,
    Codes,
    Flag,
    Integer,
    ParamsModel,
    Period,
    PrefixMap,
    Text,
    Year,
    choice,
    fail,
    nonempty_list,
    pattern,
)
from uppfoljning.data.params.document import YesNo

REPORT_TYPES = ("manadsuppfoljning", "delarsrapport", "arsbokslut")
KNOWN_NOTEBOOKS = ("ekonomi", "volymer", "hvb_placeringar", "r9_jamforelser")
FILTER_DIMENSIONS = ("verksamhet", "ansvar", "konto")
UNITS = ("mnkr", "tkr")

ReportType = choice(*REPORT_TYPES)
Notebook = choice(*KNOWN_NOTEBOOKS, message="okänd rapport {value!r} (finns: {allowed})")
Notebooks = nonempty_list(Notebook, "ska vara en lista med minst en rapport")
Unit = choice(*UNITS)
MunicipalityCode = pattern(
    r"\d{4}", "fyra siffror", "ska vara fyra siffror inom citattecken, fick {value!r}"
)
Across = choice(*ACROSS_CHOICES)
Within = choice(*WITHIN_CHOICES)
DatasetName = choice(
    *PERIOD_KEYS,
    message="gäller bara {allowed} (andra datamängder får aldrig ha dubbletter)",
)

# --------------------------------------------------------------------------- <period>.yaml


class Municipality(ParamsModel):
    shape: ClassVar[str] = "ska ha kod (fyra siffror) och namn"

    kod: MunicipalityCode = Field(description='Kommunkoden, t.ex. "0580".')
    namn: Text = Field("", description="Kommunens namn i rapporterna.")


class PeriodFile(ParamsModel):
    """En rapportperiods parametrar; filen heter som perioden (`2024-08.yaml`)."""

    file: ClassVar[str] = "params/<period>.yaml"

    period: Period = Field(description="Rapportperioden, samma som i filnamnet.")
    rapporttyp: ReportType = Field(
        description="`arsbokslut` ger årsbokslutet (period ÅÅÅÅ-12, i tkr)."
    )
    rubrik: Text | None = Field(None, description="Rapporternas rubrik; standard är perioden.")
    kommun: Municipality = Field(description='Kommunen: `{kod: "0580", namn: …}`.')
    namnd: Text = Field(description="Nämndens namn i rapporterna.")
    rapportstruktur: Text = Field(
        description="Driftsammandragets rader, en fil i params/ "
        "(t.ex. `rapportstruktur_2024.yaml`)."
    )
    budgetversion: Text = Field(
        description="Budgetversionen som utfall och prognos jämförs mot (t.ex. `reviderad`)."
    )
    foregaende_prognos: Period | None = Field(
        None, description="Prognosen som visas som ”föregående”; ska ligga före perioden."
    )
    kommentarer: Text | None = Field(
        None,
        description="Ekonomernas kommentarer (Markdown, relativt params/); texten under varje "
        "`## Rubrik` hamnar under samma rubrik i rapporten.",
    )
    rapporter: Notebooks = Field(
        description="Rapporterna (notebooks) som körs, var och en en gång."
    )
    enhet: Unit | None = Field(
        None, description="Beloppens enhet; standard tkr för årsbokslut, annars mnkr."
    )
    kodomlaggning: Text | None = Field(
        None, description="Gamla koder → nya efter en omorganisation (fil i params/)."
    )
    atgardsplan: Text | None = Field(
        None, description="Åtgärdsplanens områden och raderna de påverkar (fil i params/)."
    )
    kodnamn: Text | None = Field(
        None, description="Namn på konton, verksamheter och ansvar (fil i params/)."
    )
    dokument: Text | None = Field(
        None,
        description="Nämndens dokument (PDF och rapport.html): kapitlen, en fil i params/ "
        "(t.ex. `dokument.yaml`); utan nyckeln skrivs inget dokument.",
    )
    diarienummer: Text | None = Field(None, description="Diarienumret på dokumentets första sida.")
    datum: Text | None = Field(
        None, description="Dokumentets datum (första sidan), t.ex. `2024-09-24`."
    )
    utkast: YesNo = Field(
        False,
        description="`ja`: kapitel utan skriven text får det framräknade utkastet, märkt "
        "”Utkast”, även i nämndens dokument (annars är saknad text ett fel).",
    )


# --------------------------------------------------------------------------- report structure


class CodeFilterModel(ParamsModel):
    shape: ClassVar[str] = "ska vara t.ex. {verksamhet: ['569']}"
    noun: ClassVar[str] = "dimension"

    verksamhet: Codes | None = Field(None, description="Prefix av verksamhetskoden.")
    ansvar: Codes | None = Field(None, description="Prefix av ansvarskoden.")
    konto: Codes | None = Field(None, description="Prefix av kontot.")

    @model_validator(mode="after")
    def _not_empty(self) -> CodeFilterModel:
        if all(getattr(self, d) is None for d in FILTER_DIMENSIONS):
            raise fail(self.shape)
        return self


class RowModel(ParamsModel):
    shape: ClassVar[str] = "ska vara en rad med id och rad"
    label: ClassVar[str | None] = "id"

    id: Text = Field(
        description="Radens id: används av `summa`, `oklassificerat_i`, fördjupningen och "
        'tabellerna. Exempel: `id: "569"`.'
    )
    rad: Text = Field(description="Radens text i tabellen. Exempel: `rad: 569 - Barn och unga`.")
    filter: CodeFilterModel | None = Field(
        None,
        description="Kodprefix per dimension (verksamhet, ansvar, konto); en rad i huvudboken "
        "hör hit när varje angiven dimension börjar med något av prefixen. En rad har antingen "
        'filter eller summa. Exempel: `filter: {verksamhet: ["569"], konto: ["4", "5"]}`.',
    )
    utom: CodeFilterModel | None = Field(
        None, description='Prefix som tas bort ur filtret. Exempel: `utom: {konto: ["3"]}`.'
    )
    summa: tuple[Text, ...] | None = Field(
        None,
        description="Summan av rader (id) som står ovanför. "
        'Exempel: `summa: ["100", "130", "569"]`.',
    )
    forrang: Integer = Field(
        100,
        description="Prövas före rader med högre tal, därefter i listordning; en huvudboksrad "
        "hamnar i den första rad som matchar. Exempel: `forrang: 1`.",
    )
    egen_regi: Flag = Field(
        False,
        description="Nämndens egna enheter (känns igen på ansvar, visas som ”Resultat nämndens "
        "enheter”).",
    )
    total: Flag = Field(False, description="Totalraden; exakt en rad har `total: true`.")
    varav: tuple[RowModel, ...] | None = Field(
        None,
        description="Delrader, med samma nycklar som en rad och eget filter, som filtrerar raden "
        "vidare (för en summarad: alla rader under summan); adderas aldrig. Exempel: "
        '`varav: [{id: kostnader, rad: varav kostnader, filter: {konto: ["4", "5", "6", "7"]}}]`.',
    )


class StructureFile(ParamsModel):
    """Driftsammandragets rader som data (t.ex. `rapportstruktur_2024.yaml`). Huvudboksrader som
    inte matchar någon rad visas som ”Ej klassificerat” direkt före `oklassificerat_i`."""

    file: ClassVar[str] = "params/rapportstruktur_<år>.yaml"
    file_shape: ClassVar[str] = "filen ska ha en lista `rader`"

    namn: Text | None = Field(
        None, description="Strukturens namn. Exempel: `namn: Driftsammandrag 2024`."
    )
    oklassificerat_i: Text = Field(
        description="Summaraden (id) som ”Ej klassificerat” ingår i och visas före. "
        "Exempel: `oklassificerat_i: summa_netto`."
    )
    rader: tuple[RowModel, ...] = Field(description="Raderna i visningsordning.")


# --------------------------------------------------------------------------- code files


class CodeMapFile(ParamsModel):
    """Gamla → nya kodprefix efter en omorganisation, så att tidigare års utfall hamnar på årets
    rader (`kodomlaggning:` i periodfilen)."""

    file: ClassVar[str] = "params/kodomlaggning.yaml"
    file_shape: ClassVar[str] = "filen ska innehålla ansvar:/verksamhet:/konto: med prefix"

    galler_till_och_med: Year | None = Field(None, description="Sista året med de gamla koderna.")
    verksamhet: PrefixMap | None = Field(
        None, description='Verksamhetsprefix, citerade. Exempel: `{"921": "922"}`.'
    )
    ansvar: PrefixMap | None = Field(
        None, description='Ansvarsprefix, citerade. Exempel: `{"31": "41"}`.'
    )
    konto: PrefixMap | None = Field(None, description="Kontoprefix, citerade.")


class CodeNamesFile(ParamsModel):
    """Namn på koder eller prefix, i fördjupningen (`kodnamn:` i periodfilen); den längsta
    matchande koden ger namnet."""

    file: ClassVar[str] = "params/kodnamn.yaml"

    verksamhet: CodeNameTable | None = Field(
        None, description='Verksamheter. Exempel: `"569": Barn och ungdomsvård`.'
    )
    ansvar: CodeNameTable | None = Field(None, description="Ansvar (enheter).")
    konto: CodeNameTable | None = Field(
        None, description='Konton. Exempel: `"5110": Löner månadsavlönade`.'
    )


# --------------------------------------------------------------------------- indata.yaml


class DatasetRulesModel(ParamsModel):
    mellan_filer: Across | None = Field(None, description="Som ovan, för datamängden.")
    inom_fil: Within | None = Field(None, description="Som ovan, för datamängden.")


class DuplicatesModel(ParamsModel):
    mellan_filer: Across = Field(
        "vagra",
        description="Samma period (huvudbokens månad, budgetens år och version, prognosmånaden, "
        "investeringarnas månad) i två filer: `vagra` vägrar filerna, `tillat` låter perioden "
        "delas på flera filer.",
    )
    inom_fil: Within = Field(
        "varna",
        description="Identiska rader i en fil: `varna` räknar dem och listar radnumren, `vagra` "
        "vägrar filen, `tillat` tiger. En period där varje rad har en identisk kopia vägras "
        "alltid (utom med `tillat`).",
    )
    per_datamangd: dict[DatasetName, DatasetRulesModel] | None = Field(
        None,
        description="Egna regler för huvudbok, budget, prognos eller investeringar; det som "
        "inte anges ärvs. Exempel: `{huvudbok: {inom_fil: tillat}}`.",
        json_schema_extra={"nyckel": "datamängd"},
    )


class IndataFile(ParamsModel):
    """Hur dubbletter i råfilerna behandlas (se ”När indata är fel”). Saknas filen gäller
    standardreglerna."""

    file: ClassVar[str] = "params/indata.yaml"

    dubbletter: DuplicatesModel | None = Field(None, description="Reglerna för dubbletter.")
