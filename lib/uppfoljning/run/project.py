"""A project is a directory holding `params/` and `data/`: the notebooks come with the package.

A municipality keeps its own parameters (report structure, periods, comments) in a repository
of its own; `uppfoljning init DIR` creates one from the examples that ship with the package,
and `uppfoljning run` works in it without a copy of this source tree. A project that has its
own `notebooks/` (this source tree, or a municipality that adapted one) uses those instead.
"""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files
from pathlib import Path

PROJECT_README = """\
# Uppföljning för {name}

Parametrar och data för nämndens uppföljningsrapporter, byggda med `uppfoljning`
(ekonomi, volymer, HVB-placeringar och R9-jämförelser). Rapporterna räknas fram ur
råfilerna; inga siffror skrivs in för hand.

## Varje period

1. Lägg kommunens exporter i `data/raw/` (huvudbok, budget, prognos …; filnamnet börjar med
   datamängdens namn, t.ex. `huvudbok_2025.csv`, `budget_2025.xlsx`).
2. `uppfoljning ny-period ÅÅÅÅ-MM` skriver periodens parametrar i `params/ÅÅÅÅ-MM.yaml`
   (från föregående period) och en tom `params/kommentarer/ÅÅÅÅ-MM.md`; skriv kommentarerna
   under rubrikerna.
3. `uppfoljning check ÅÅÅÅ-MM` kontrollerar parametrar och data och visar vilka
   huvudboksrader varje rad i rapportstrukturen tar, utan att köra något.
4. `uppfoljning run ÅÅÅÅ-MM` bygger rapporten i `reports/ÅÅÅÅ-MM/`.

Är indata fel vägras körningen med fil, rad och kolumn, och tidigare data och rapporter
lämnas orörda.

## Innehåll

- `params/`: exempel att utgå från. `rapportstruktur_*.yaml` är driftsammandragets rader
  (prefix på verksamhet, ansvar och konto), `ÅÅÅÅ-MM.yaml` en period, `kodnamn.yaml` namn på
  koder, `indata.yaml` reglerna för dubbletter, `vardformer.yaml` och `hvb.yaml` placeringarna,
  `volymmatt.yaml` volymmåtten, `jamforelsegrupper.yaml` R9-gruppen.
- `data/raw/`: råfilerna (hålls utanför versionshanteringen; placeringsregistret rör barn).
- `data/processed/`: validerade data, skrivna av `uppfoljning ingest` och `run`.
- `reports/`: rapporterna.
"""

GITIGNORE = """\
# Data and reports stay out of version control (the placement register concerns children).
/data/raw/*
!/data/raw/README.md
/data/processed/
/reports/
.ipynb_checkpoints/
"""

RAW_README = """\
# data/raw

Kommunens exporter: huvudbok, budget, prognos, investeringar, investeringsbudget,
atgardsplan, volymer, personal, indikatorer, placeringar (se uppfoljnings README för
kolumnerna). CSV (`;`, `,` eller tabb; UTF-8 eller Windows-1252) eller XLSX.
"""


class ProjectExists(FileExistsError):
    """`init` never writes over an existing project's parameters."""


def notebooks_dir(root: Path) -> Path:
    """The project's own `notebooks/` when it has any, else the notebooks of the package."""
    own = Path(root) / "notebooks"
    if own.is_dir() and any(own.glob("*.ipynb")):
        return own
    with as_file(files("uppfoljning") / "notebooks") as shipped:
        return Path(shipped)


def init_project(target: Path, name: str = "") -> list[Path]:
    """Create a project in `target`: example params, empty data dirs, README and .gitignore.

    Returns the files written. Refuses a directory that already has `params/`.
    """
    target = Path(target)
    if (target / "params").exists():
        raise ProjectExists(
            f"{target} har redan en params/-katalog; init skriver aldrig över ett projekt"
        )
    written: list[Path] = []
    with as_file(files("uppfoljning") / "params") as examples:
        shutil.copytree(examples, target / "params")
    written += sorted(p for p in (target / "params").rglob("*") if p.is_file())
    for sub in ("data/raw", "data/processed", "reports"):
        (target / sub).mkdir(parents=True, exist_ok=True)
    texts = {
        target / "README.md": PROJECT_README.format(name=name or target.resolve().name),
        target / ".gitignore": GITIGNORE,
        target / "data" / "raw" / "README.md": RAW_README,
    }
    for path, text in texts.items():
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written
