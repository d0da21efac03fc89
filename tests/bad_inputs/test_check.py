"""`uppfoljning check`: the run's own pre-check, with what each structure row takes."""

from __future__ import annotations

from .files import edit_lines, lines_of

PERIOD = "2024-08"
LEDGER = "huvudbok_2024.csv"


def test_check_lists_rows_unclassified_codes_and_writes_nothing(project):
    header = lines_of(project.raw / LEDGER)[0].split(";")
    column = header.index("verksamhet")
    edit_lines(project.raw / LEDGER, {3: lambda c: c[:column] + ["71010"] + c[column + 1 :]})
    before = project.digest()
    outcome = project.cli("check", PERIOD)
    assert outcome.code == 0, outcome.text
    text = outcome.text
    assert "Kontroll av 2024-08: inga fel" in text
    assert "budget 2024: versioner original, reviderad" in text
    assert "569 - Barn och ungdomsvård:" in text and "kodkombinationer" in text
    assert "Ej klassificerat: verksamhet 71010" in text
    assert "1 huvudboksrader" in text and "matchar ingen rad i rapportstruktur_2024.yaml" in text
    assert project.digest() == before  # check reads the new file but stores nothing


def test_check_without_period_takes_the_newest_period_file(project):
    outcome = project.cli("check")
    assert outcome.code == 0, outcome.text
    assert "Kontroll av 2024-08" in outcome.text


def test_check_reports_every_problem_at_once(project):
    text = (project.params / f"{PERIOD}.yaml").read_text(encoding="utf-8")
    text = text.replace("budgetversion: reviderad", "budgetversion: slutlig")
    (project.params / "2024-10.yaml").write_text(
        text.replace("2024-08", "2024-10").replace("kommentarer: kommentarer/2024-10.md", ""),
        encoding="utf-8",
    )
    lines = [
        line
        for line in (project.params / "2024-10.yaml").read_text().splitlines()
        if not line.startswith("kommentarer")
    ]
    (project.params / "2024-10.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    outcome = project.cli("check", "2024-10")
    assert outcome.code == 1
    assert "3 fel" in outcome.text
    for fragment in ("september 2024, oktober 2024", "'slutlig'", "ingen prognos gjord oktober"):
        assert fragment in outcome.text
