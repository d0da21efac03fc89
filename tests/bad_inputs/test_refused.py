"""What the suite refuses: one row per mistake a controller can make with real exports.

Every case spoils a copy of a good project, runs `uppfoljning ingest` or `uppfoljning run`
as a controller would, and asserts the exit code, a Swedish message naming file, line and
column where they exist, no traceback, and that data/processed/ and the previously published
report are byte-identical afterwards.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from .files import append_lines, edit_lines, edit_yaml, find_line, lines_of, write_xlsx

PERIOD = "2024-08"
LEDGER = "huvudbok_2024.csv"
PLACEMENTS = "placeringar_2020-2024.txt"


@dataclass(frozen=True)
class Case:
    id: str
    spoil: Callable  # (project) -> list of extra expected fragments
    command: tuple[str, ...] = ("ingest",)
    expect: tuple[str, ...] = ()
    code: int = 1


def _ledger_month_in_new_file(p) -> list[str]:
    lines = lines_of(p.raw / LEDGER)
    first = find_line(p.raw / LEDGER, lambda cells: cells[0] == "2024-08")
    body = [line for line in lines[1:] if line.startswith("2024-08;")]
    append_lines(p.raw / "huvudbok_2024-08.csv", [lines[0], *body], new=True)
    return [f"{LEDGER} rad {first}", "huvudbok_2024-08.csv rad 2", "kolumn period", "2024-08"]


def _ledger_month_twice_in_file(p) -> list[str]:
    lines = lines_of(p.raw / LEDGER)
    body = [line for line in lines[1:] if line.startswith("2024-08;")]
    append_lines(p.raw / LEDGER, body)
    return [LEDGER, "kolumn period", "period 2024-08 finns två gånger"]


def _identical_lines_refused_by_rule(p) -> list[str]:
    lines = lines_of(p.raw / LEDGER)
    append_lines(p.raw / LEDGER, [lines[5]])
    (p.params / "indata.yaml").write_text("dubbletter:\n  inom_fil: vagra\n", encoding="utf-8")
    return [LEDGER, f"rad {len(lines) + 1}", "identiska rader vägras"]


def _budget_as_csv_and_xlsx(p) -> list[str]:
    from openpyxl import load_workbook

    sheet = load_workbook(p.raw / "budget_2024.xlsx", read_only=True).worksheets[0]
    rows = [
        [("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    (p.raw / "budget_2024.csv").write_text(
        "\n".join(";".join(r) for r in rows) + "\n", encoding="utf-8"
    )
    return ["budget_2024.csv rad 2", "budget_2024.xlsx rad 2", "kolumn ar", "version"]


def _copy(name: str, target: str, says: str = "båda filerna innehåller") -> Callable:
    def spoil(p) -> list[str]:
        shutil.copyfile(p.raw / name, p.raw / target)
        return [name, target, says]

    return spoil


def _placement_listed_twice(p) -> list[str]:
    lines = lines_of(p.raw / PLACEMENTS)
    append_lines(p.raw / PLACEMENTS, [lines[1]])
    return [f"{PLACEMENTS} rad 2", f"rad {len(lines) + 1}", "kolumn startdatum", "överlappar"]


def _placement_overlapping_episode(p) -> list[str]:
    lines = lines_of(p.raw / PLACEMENTS)
    cells = lines[2].split("\t")  # an ongoing placement: a second one inside it overlaps
    assert cells[10] == ""
    start = cells[9]
    cells[0] = cells[0] + "X"
    cells[9] = f"{int(start[:4]) + 1}{start[4:]}"
    cells[10] = f"{int(start[:4]) + 2}{start[4:]}"
    append_lines(p.raw / PLACEMENTS, ["\t".join(cells)])
    return [f"{PLACEMENTS} rad 3", f"rad {len(lines) + 1}", "samma person"]


def _placement_cell(column: int, value: str) -> Callable:
    def spoil(p) -> list[str]:
        edit_lines(p.raw / PLACEMENTS, {4: lambda c: c[:column] + [value] + c[column + 1 :]})
        return [PLACEMENTS, "rad 4"]

    return spoil


def _cell(name: str, line: int, column: int, value: str, sep: str = ";") -> Callable:
    def spoil(p) -> list[str]:
        edit_lines(p.raw / name, {line: lambda c: c[:column] + [value] + c[column + 1 :]}, sep)
        return [name, f"rad {line}"]

    return spoil


def _write(name: str, data: bytes) -> Callable:
    def spoil(p) -> list[str]:
        (p.raw / name).write_bytes(data)
        return [name]

    return spoil


def _header_only_xlsx(p) -> list[str]:
    write_xlsx(p.raw / "prognos_2024-09.xlsx", [["prognosmanad", "verksamhet", "belopp"]])
    return ["prognos_2024-09.xlsx", "inga datarader"]


def _directory(p) -> list[str]:
    (p.raw / "budget_extra.csv").mkdir()
    return ["budget_extra.csv", "katalog"]


def _duplicate_column(p) -> list[str]:
    lines = lines_of(p.raw / LEDGER)
    append_lines(
        p.raw / "huvudbok_2024-09.csv",
        ["period;ansvar;verksamhet;konto;belopp;belopp", "2024-09;40000;10010;5110;1;2"],
        new=True,
    )
    assert lines
    return ["huvudbok_2024-09.csv", "rad 1", "kolumn belopp", "två gånger"]


def _remove(*names: str) -> Callable:
    def spoil(p) -> list[str]:
        for name in names:
            (p.raw / name).unlink()
        return list(names)

    return spoil


def _yaml(name: str, edit: Callable[[str], str], *expect: str) -> Callable:
    def spoil(p) -> list[str]:
        edit_yaml(p.params / name, edit)
        return [name, *expect]

    return spoil


def _new_period(period: str, **changes: str) -> Callable:
    """A period file for `period` made from 2024-08's (as a controller would copy it)."""

    def spoil(p) -> list[str]:
        text = (p.params / f"{PERIOD}.yaml").read_text(encoding="utf-8")
        text = "\n".join(
            line for line in text.splitlines() if not line.startswith("kommentarer:")
        ).replace(PERIOD, period)
        for key, value in changes.items():  # an empty value removes the key
            lines = [line for line in text.splitlines() if not line.startswith(f"{key}:")]
            text = "\n".join([*lines, f"{key}: {value}"] if value else lines) + "\n"
        (p.params / f"{period}.yaml").write_text(text, encoding="utf-8")
        return []

    return spoil


def _drop_forecasts(p) -> list[str]:
    (p.raw / "prognos_2024.csv").unlink()
    (p.raw / "prognos_2023.csv").unlink()
    (p.processed / "prognos.parquet").unlink()  # as if never ingested
    return ["prognos"]


def _ledger_never_ingested(p) -> list[str]:
    for path in p.raw.glob("huvudbok*"):
        path.unlink()
    (p.processed / "huvudbok.parquet").unlink()
    return ["huvudbok är tom", "ekonomi"]


def _shadowing_structure(p) -> list[str]:
    """`513` written for a row while 51320 and 51330 belong to rows listed after it."""
    path = p.params / "rapportstruktur_2024.yaml"
    text = path.read_text(encoding="utf-8")
    rows = (
        '  - id: "51320"\n    rad: 51320 - Boende\n    filter: {verksamhet: ["51320"]}\n'
        '  - id: "51330"\n    rad: 51330 - Daglig verksamhet\n    filter: {verksamhet: ["51330"]}\n'
    )
    anchor = '  - id: "520"\n'
    text = text.replace(anchor, rows + anchor, 1).replace(
        'summa: ["100", "130", "267", "513",',
        'summa: ["100", "130", "267", "513", "51320", "51330",',
    )
    path.write_text(text, encoding="utf-8")
    return ["rapportstruktur_2024.yaml, rad 51320", "rad 51330", "raden blir tom", "tas av 513"]


def _misspelled_comment_heading(p) -> list[str]:
    path = p.params / "kommentarer" / f"{PERIOD}.md"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text(
        "\n".join([*lines, "", "## Investeringarr", "Text som annars försvann."]) + "\n",
        encoding="utf-8",
    )
    return [f"{PERIOD}.md, rad {len(lines) + 2}", "”Investeringarr”", "Rubriker som visas:"]


def _chapter_without_text(p) -> list[str]:
    """The document asks for chapters (e.g. "Förväntad utveckling") with no text written."""
    edit_yaml(p.params / f"{PERIOD}.yaml", lambda t: t + "dokument: dokument.yaml\n")
    return ["”Förväntad utveckling” saknar text", "## Förväntad utveckling", "utkast: ja"]


def _unknown_document_key(p) -> list[str]:
    edit_yaml(p.params / f"{PERIOD}.yaml", lambda t: t + "dokument: dokument.yaml\n")
    edit_yaml(p.params / "dokument.yaml", lambda t: t.replace("tabeller: [personal]", "tabell: x"))
    return ["dokument.yaml", "tabell"]


def _out_is_a_file(p) -> list[str]:
    (p.root / "utdata").write_text("inte en katalog", encoding="utf-8")
    return []


def _disk_full_when_publishing(p) -> list[str]:
    """The disk fills up after the notebooks ran, while the workbook is written."""
    import errno

    from uppfoljning.run import runner

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "uppfoljning_2024-08.xlsx")

    p.monkeypatch.setattr(runner, "write_workbook", full)
    return ["disken är full", "tidigare data och rapporter är orörda"]


HEADER = "period;ansvar;verksamhet;konto;belopp;motpart;projekt;text"
CASES = [
    # -- the ledger, doubled
    Case("huvudbok-manad-i-tva-filer", _ledger_month_in_new_file),
    Case("huvudbok-manad-tva-ganger-i-en-fil", _ledger_month_twice_in_file),
    Case("huvudbok-identisk-rad-vagras-enligt-params", _identical_lines_refused_by_rule),
    Case("huvudbok-hela-filen-kopierad", _copy(LEDGER, "huvudbok_2024_kopia.csv")),
    # -- the ledger, unreadable or malformed
    Case("huvudbok-bara-rubrikrad", _write("huvudbok_2024-09.csv", (HEADER + "\n").encode())),
    Case("huvudbok-tom-fil", _write("huvudbok_2024-09.csv", b""), expect=("rubrikraden saknas",)),
    Case(
        "huvudbok-byte-0x81",
        _write("huvudbok_2024-09.csv", (HEADER + "\n2024-09;1;1;1;1;;;a\x81b\n").encode("latin-1")),
        expect=("rad 2", "0x81"),
    ),
    Case(
        "huvudbok-utf8-med-trasig-byte",
        _write(
            "huvudbok_2024-09.csv",
            ("\ufeff" + HEADER + "\n2024-09;1;1;1;1;;;å\n").encode() + b"2024-09;1;1;1;1;;;\xe5\n",
        ),
        expect=("rad 3", "UTF-8"),
    ),
    Case(
        "huvudbok-utf16-utan-bom",
        _write("huvudbok_2024-09.csv", (HEADER + "\n2024-09;1;1;1;1;;;x\n").encode("utf-16-le")),
        expect=("NUL",),
    ),
    Case("huvudbok-katalog-med-filnamn", _directory),
    Case("huvudbok-kolumn-tva-ganger", _duplicate_column),
    Case(
        "huvudbok-kolumn-saknas",
        _write("huvudbok_2024-09.csv", b"period;ansvar;verksamhet;belopp\n2024-09;1;1;1\n"),
        expect=("rad 1", "kolumnen konto saknas"),
    ),
    Case(
        "huvudbok-fel-antal-falt",
        _write("huvudbok_2024-09.csv", (HEADER + "\n2024-09;1;1;1;1;;;\n2024-09;1;1\n").encode()),
        expect=("rad 3", "3 fält"),
    ),
    Case("huvudbok-ogiltig-period", _cell(LEDGER, 5, 0, "2024-13"), expect=("kolumn period",)),
    Case("huvudbok-period-saknas", _cell(LEDGER, 6, 0, ""), expect=("kolumn period", "saknas")),
    Case("huvudbok-belopp-text", _cell(LEDGER, 7, 4, "12a"), expect=("kolumn belopp",)),
    Case("huvudbok-konto-bokstaver", _cell(LEDGER, 8, 3, "51X0"), expect=("kolumn konto",)),
    Case(
        "huvudbok-tvetydig-decimalpunkt",
        _cell(LEDGER, 9, 4, "1.5"),
        expect=("kolumn belopp", "decimalkomma", "'1.5'"),
    ),
    Case(
        "huvudbok-tusental-med-punkt-som-inte-passar",
        _cell(LEDGER, 9, 4, "12.34,50"),
        expect=("kolumn belopp", "grupper om tre"),
    ),
    Case(
        "huvudbok-gammal-excel",
        _write("huvudbok_2024-09.xls", b"\xd0\xcf\x11\xe0"),
        expect=(".xlsx",),
    ),
    Case(
        "huvudbok-trasig-xlsx",
        _write("huvudbok_2024-09.xlsx", b"PK\x03\x04trasig"),
        expect=("Excel",),
    ),
    Case("huvudbok-fil-borttagen", _remove("huvudbok_2023.csv"), expect=("--force",)),
    # -- budget, forecasts, investments, action plan
    Case("budget-som-csv-och-xlsx", _budget_as_csv_and_xlsx),
    Case("budget-xlsx-kopierad", _copy("budget_2024.xlsx", "budget_2024_kopia.xlsx")),
    Case("prognos-kopierad", _copy("prognos_2024.csv", "prognos_2024_kopia.csv")),
    Case("prognos-bara-rubrikrad-xlsx", _header_only_xlsx),
    Case(
        "prognos-ogiltig-manad",
        _cell("prognos_2024.csv", 3, 0, "2024-3"),
        expect=("kolumn prognosmanad",),
    ),
    Case("investeringar-kopierad", _copy("investeringar_2024.csv", "investeringar_2024b.csv")),
    Case(
        "investeringar-utgift-text",
        _cell("investeringar_2024.csv", 2, 3, "mycket", ","),
        expect=("kolumn utgifter",),
    ),
    Case(
        "investeringsbudget-kopierad",
        _copy("investeringsbudget_2024.xlsx", "investeringsbudget_2024b.xlsx", "anges två gånger"),
        expect=("anges två gånger",),
    ),
    Case(
        "atgardsplan-kopierad",
        _copy("atgardsplan_2024.csv", "atgardsplan_2024b.csv", "anges två gånger"),
        expect=("anges två gånger",),
    ),
    Case("atgardsplan-ar-fel", _cell("atgardsplan_2024.csv", 2, 2, "24"), expect=("kolumn ar",)),
    # -- values that do not add up: a key twice is always an error
    Case(
        "volymer-kopierad",
        _copy("volymer_2022-2023.csv", "volymer_2022-2023b.csv", "anges två gånger"),
        expect=("anges två gånger", "kolumn matt"),
    ),
    Case(
        "personal-kopierad",
        _copy("personal_2022-2024.csv", "personal_kopia.csv", "anges två gånger"),
        expect=("anges två gånger",),
    ),
    Case(
        "indikatorer-kopierad",
        _copy("indikatorer_2022-2024.csv", "indikatorer_b.csv", "anges två gånger"),
        expect=("anges två gånger",),
    ),
    Case(
        "befolkning-nyckel-tva-ganger",
        _write(
            "befolkning.csv",
            b"kommun;ar;aldersgrupp;kon;antal\n0580;2023;0-20;K;100\n0580;2023;0-20;K;101\n",
        ),
        expect=("befolkning.csv rad 2", "befolkning.csv rad 3", "anges två gånger"),
    ),
    Case(
        "volymer-varde-text",
        _cell("volymer_2022-2023.csv", 4, 4, "många"),
        expect=("kolumn varde",),
    ),
    Case(
        "personal-period-fel",
        _cell("personal_2022-2024.csv", 3, 1, "jan", "\t"),
        expect=("kolumn period",),
    ),
    # -- the placement register
    Case("placering-listad-tva-ganger", _placement_listed_twice),
    Case("placering-overlappande-episod", _placement_overlapping_episode),
    Case(
        "personnummer-med-mellanslag",
        _placement_cell(1, "811228 9874"),
        expect=("kolumn person_id", "personnummer"),
    ),
    Case(
        "personnummer-med-tankstreck",
        _placement_cell(1, "811228\u20139874"),
        expect=("kolumn person_id", "personnummer"),
    ),
    Case(
        "samordningsnummer",
        _placement_cell(1, "811288-9871"),
        expect=("kolumn person_id", "personnummer"),
    ),
    Case(
        "personnummer-tolv-siffror-i-text",
        _placement_cell(7, "Hem för 198112289874"),
        expect=("kolumn utforare", "personnummer"),
    ),
    Case(
        "placering-slut-fore-start",
        _placement_cell(10, "2001-01-01"),
        expect=("kolumn slutdatum", "före startdatum"),
    ),
    Case(
        "placering-datum-finns-inte",
        _placement_cell(9, "2023-02-30"),
        expect=("kolumn startdatum", "kalendern"),
    ),
    Case(
        "placering-okand-vardform",
        _placement_cell(5, "HVB_OKAND"),
        expect=("kolumn vardform", "vardformer.yaml"),
    ),
    Case(
        "placering-negativ-dygnskostnad",
        _placement_cell(11, "-100,00"),
        expect=("kolumn dygnskostnad",),
    ),
    Case("placering-okand-malgrupp", _placement_cell(2, "aldre"), expect=("kolumn malgrupp",)),
    # -- params files
    Case(
        "period-yaml-nyckel-tva-ganger",
        _yaml(f"{PERIOD}.yaml", lambda t: t + "budgetversion: original\n", "två gånger", "rad"),
        command=("run", PERIOD),
    ),
    Case(
        "period-yaml-rapport-tva-ganger",
        _yaml(
            f"{PERIOD}.yaml",
            lambda t: t.replace("rapporter: [ekonomi,", "rapporter: [ekonomi, ekonomi,"),
            "'ekonomi' anges 2 gånger",
        ),
        command=("run", PERIOD),
    ),
    Case(
        "period-yaml-okand-nyckel",
        _yaml(f"{PERIOD}.yaml", lambda t: t + "budgetversjon: reviderad\n", "okänd nyckel"),
        command=("run", PERIOD),
    ),
    Case(
        "period-yaml-syntaxfel",
        _yaml(f"{PERIOD}.yaml", lambda t: t + "rubrik: [oavslutad\n", "ogiltig YAML", "rad"),
        command=("run", PERIOD),
    ),
    Case(
        "period-yaml-fel-period",
        _yaml(
            f"{PERIOD}.yaml", lambda t: t.replace("period: 2024-08", "period: 2024-07"), "2024-07"
        ),
        command=("run", PERIOD),
    ),
    Case(
        "period-yaml-struktur-saknas",
        _yaml(
            f"{PERIOD}.yaml",
            lambda t: t.replace("rapportstruktur_2024", "rapportstruktur_9"),
            "rapportstruktur",
        ),
        command=("run", PERIOD),
    ),
    Case(
        "hvb-sekretess-noll",
        _yaml(
            "hvb.yaml",
            lambda t: t.replace("sekretess_under: 5", "sekretess_under: 0"),
            "sekretess_under",
            "golvet 5",
        ),
        command=("run", PERIOD),
    ),
    Case(
        "hvb-yaml-nyckel-tva-ganger",
        _yaml("hvb.yaml", lambda t: t + "mal_andel_konsulentstodda: 30\n", "två gånger"),
        command=("run", PERIOD),
    ),
    Case(
        "struktur-yaml-nyckel-tva-ganger",
        _yaml("rapportstruktur_2024.yaml", lambda t: t + "namn: igen\n", "två gånger"),
        command=("run", PERIOD),
    ),
    Case(
        "indata-yaml-okant-val",
        _yaml("indata.yaml", lambda t: "dubbletter:\n  inom_fil: kanske\n", "kanske"),
        command=("ingest",),
    ),
    Case("struktur-skuggad-rad", _shadowing_structure, command=("run", PERIOD)),
    Case("struktur-skuggad-rad-check", _shadowing_structure, command=("check", PERIOD)),
    Case("kommentar-under-okand-rubrik", _misspelled_comment_heading, command=("run", PERIOD)),
    Case("dokument-kapitel-utan-text", _chapter_without_text, command=("run", PERIOD)),
    Case("dokument-kapitel-utan-text-check", _chapter_without_text, command=("check", PERIOD)),
    Case("dokument-okand-nyckel", _unknown_document_key, command=("run", PERIOD)),
    Case(
        "period-utkast-ogiltigt",
        _yaml(f"{PERIOD}.yaml", lambda t: t + "utkast: kanske\n", "utkast", "ja eller nej"),
        command=("run", PERIOD),
    ),
    Case(
        "period-dokument-saknas",
        _yaml(f"{PERIOD}.yaml", lambda t: t + "dokument: saknas.yaml\n", "dokument", "saknas.yaml"),
        command=("run", PERIOD),
    ),
    Case(
        "rapportkalender-ogiltig-manad",
        _yaml("rapportkalender.yaml", lambda t: "delarsrapport: [13]\n", "månadsnummer 1–11"),
        command=("ny-period", "2024-09"),
    ),
    Case(
        "kommentar-under-okand-rubrik-check", _misspelled_comment_heading, command=("check", PERIOD)
    ),
    Case(
        "data-katalog-utan-raw",
        lambda p: [],
        command=("ingest", "--data", "data/raw"),
        expect=("--data data/raw", "ingen raw/"),
    ),
    # -- the run: periods that cannot be computed
    Case(
        "period-utan-huvudbok",
        _new_period("2024-10"),
        command=("run", "2024-10"),
        expect=("huvudbok", "september 2024", "oktober 2024"),
    ),
    Case(
        "period-utan-budgetversion",
        _new_period("2024-06", budgetversion="slutlig"),
        command=("run", "2024-06"),
        expect=("budget", "'slutlig'", "original, reviderad"),
    ),
    Case(
        "delar-utan-prognos",
        _new_period("2024-06"),
        command=("run", "2024-06"),
        expect=("prognos", "juni 2024"),
    ),
    Case(
        "manad-utan-prognos",
        _new_period("2024-02", rapporttyp="manadsuppfoljning", foregaende_prognos=""),
        command=("run", "2024-02"),
        expect=("ingen prognos för 2024 gjord senast 2024-02",),
    ),
    Case(
        "foregaende-prognos-saknas",
        _new_period("2024-08", foregaende_prognos="2024-05"),
        command=("run", PERIOD),
        expect=("foregaende_prognos 2024-05",),
    ),
    Case(
        "ar-utan-prognoser",
        _drop_forecasts,
        command=("run", PERIOD),
        expect=("ingen prognos gjord augusti 2024",),
    ),
    Case("huvudbok-aldrig-inlast", _ledger_never_ingested, command=("run", PERIOD)),
    # -- the command line and the output directory
    Case(
        "jobs-noll",
        lambda p: [],
        command=("run", PERIOD, "--jobs", "0"),
        expect=("--jobs", "minst 1"),
        code=2,
    ),
    Case(
        "jobs-text",
        lambda p: [],
        command=("run", PERIOD, "--jobs", "två"),
        expect=("--jobs",),
        code=2,
    ),
    Case("okand-period-format", lambda p: [], command=("run", "2024-8"), expect=("2024-8",)),
    Case(
        "utdata-disken-full",
        _disk_full_when_publishing,
        command=("run", PERIOD, "--only", "ekonomi"),
    ),
    Case(
        "utdata-skrivskyddad",
        lambda p: [],
        command=("run", PERIOD, "--out", "/sys/uppf"),
        expect=("inte tillåten", "/sys/uppf"),
    ),
    Case(
        "utdata-ar-en-fil",
        _out_is_a_file,
        command=("run", PERIOD, "--out", "utdata"),
        expect=("utdata",),
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_refused(project, case: Case):
    expected = [*case.spoil(project), *case.expect]
    before = project.digest()
    outcome = project.cli(*case.command)
    assert outcome.code == case.code, outcome.text
    assert "Traceback" not in outcome.text
    for fragment in expected:
        assert fragment in outcome.text, (fragment, outcome.text)
    assert project.digest() == before, "processed/ or the published report changed"
    assert not list(project.reports.glob(".*.tmp-*")), "a staging directory was left behind"


def test_there_are_at_least_sixty_cases():
    assert len(CASES) >= 60
    assert len({c.id for c in CASES}) == len(CASES)


def test_every_dataset_has_a_case():
    from uppfoljning.data.schemas import SCHEMAS

    covered = " ".join(c.id for c in CASES)
    aliases = {"placeringar": "placering"}
    for name in SCHEMAS:
        alias = aliases.get(name, name)
        if alias is not None:
            assert alias in covered, name
