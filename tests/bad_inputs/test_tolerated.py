"""Real exports that look odd but are right: read correctly, with a warning where one helps."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from uppfoljning.data.ingest import ingest
from uppfoljning.data.overlaps import DuplicateRules
from uppfoljning.data.privacy import ID_MASK
from uppfoljning.data.schemas import SCHEMAS
from uppfoljning.data.validation import read_dataset_file

from .conftest import tree_digest

HEADER = "period;ansvar;verksamhet;konto;belopp;text"


def _ledger(tmp_path, text: str, *, encoding: str = "utf-8", name: str = "huvudbok.csv"):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / name).write_bytes(text.encode(encoding))
    return raw


def _amounts(tmp_path) -> list[float]:
    return pq.read_table(tmp_path / "processed" / "huvudbok.parquet")["belopp"].to_pylist()


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [("utf-16", "\r\n"), ("utf-8-sig", "\r"), ("cp1252", "\r\n"), ("utf-8", "\n")],
    ids=["utf16-med-bom", "bara-cr", "windows-1252", "utf8"],
)
def test_encodings_and_line_ends_are_read_right(tmp_path, encoding, newline):
    rows = [HEADER, "2024-01;1;2;4000;1 234,50;Räkning å", "2024-01;1;2;4000;-10,00;Övrigt"]
    raw = _ledger(tmp_path, newline.join(rows) + newline, encoding=encoding)
    ingest(raw, tmp_path / "processed", ["huvudbok"], rules=DuplicateRules())
    table = pq.read_table(tmp_path / "processed" / "huvudbok.parquet")
    assert table["belopp"].to_pylist() == [1234.5, -10.0]
    assert table["text"].to_pylist() == ["Räkning å", "Övrigt"]
    assert table["_rad"].to_pylist() == [2, 3]


def test_dots_in_a_decimal_comma_file_are_thousands_separators(tmp_path):
    rows = [HEADER, "2024-01;1;2;4000;1.234,50;", "2024-01;1;2;4000;12.345.678;"]
    rows += ["2024-01;1;2;4000;1.234;", ""]
    ingest(_ledger(tmp_path, "\n".join(rows)), tmp_path / "processed", ["huvudbok"])
    assert _amounts(tmp_path) == [1234.5, 12345678.0, 1234.0]


def test_a_decimal_point_file_keeps_its_decimals(tmp_path):
    rows = [HEADER, "2024-01;1;2;4000;1234.50;", "2024-01;1;2;4000;1.5;", ""]
    ingest(_ledger(tmp_path, "\n".join(rows)), tmp_path / "processed", ["huvudbok"])
    assert _amounts(tmp_path) == [1234.5, 1.5]


def test_personal_identity_numbers_in_ledger_texts_are_masked(tmp_path):
    rows = [HEADER, "2024-01;1;2;4000;10;Ersättning 811228-9874", "2024-01;1;2;4000;5;Hyra", ""]
    raw = _ledger(tmp_path, "\n".join(rows))
    result = ingest(raw, tmp_path / "processed", ["huvudbok"])
    texts = pq.read_table(tmp_path / "processed" / "huvudbok.parquet")["text"].to_pylist()
    assert texts == [f"Ersättning {ID_MASK}", "Hyra"]
    warning = " ".join(result.warnings)
    assert "huvudbok.csv, rad 2, kolumn text" in warning
    assert "9874" not in warning
    stored = b"".join(p.read_bytes() for p in (tmp_path / "processed").iterdir())
    assert b"811228" not in stored


def test_identical_lines_within_a_file_are_counted_with_a_warning(tmp_path):
    line = "2024-01;1;2;4000;10;Taxi"
    rows = [HEADER, line, "2024-01;1;2;4000;7;Buss", line, ""]
    result = ingest(_ledger(tmp_path, "\n".join(rows)), tmp_path / "processed", ["huvudbok"])
    assert sorted(_amounts(tmp_path)) == [7.0, 10.0, 10.0]
    assert any("huvudbok.csv: 1 rader är identiska" in w and "rad 4" in w for w in result.warnings)


def test_identical_lines_can_be_allowed_without_warning(tmp_path):
    line = "2024-01;1;2;4000;10;Taxi"
    rows = [HEADER, line, "2024-01;1;2;4000;7;Buss", line, ""]
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "indata.yaml").write_text(
        "dubbletter:\n  per_datamangd:\n    huvudbok: {inom_fil: tillat}\n", encoding="utf-8"
    )
    from uppfoljning.data.overlaps import load_rules

    rules = load_rules(tmp_path / "params")
    result = ingest(
        _ledger(tmp_path, "\n".join(rows)), tmp_path / "processed", ["huvudbok"], rules=rules
    )
    assert not [w for w in result.warnings if "identiska" in w]


def test_an_empty_raw_directory_keeps_the_processed_data(demo_data, tmp_path):
    import shutil

    processed = tmp_path / "processed"
    shutil.copytree(demo_data / "processed", processed)
    (tmp_path / "raw").mkdir()
    before = tree_digest(processed)
    result = ingest(tmp_path / "raw", processed, care_forms=None, rules=DuplicateRules())
    assert tree_digest(processed) == before
    assert any("huvudbok: inga filer" in w and "behålls" in w for w in result.warnings)


def test_consecutive_placement_episodes_do_not_overlap(tmp_path):
    header = (
        "placering_id\tperson_id\tmalgrupp\tkon\tfodelsear\tvardform\tlagrum\tutforare\tavtal"
        "\tstartdatum\tslutdatum\tdygnskostnad"
    )
    first = "P1\tA\tbarn_unga\tK\t2010\tHVB\tSoL\tHem\tRamavtal\t2024-01-01\t2024-02-01\t100"
    second = "P2\tA\tbarn_unga\tK\t2010\tHVB\tSoL\tHem\tRamavtal\t2024-02-01\t\t100"
    path = tmp_path / "placeringar.txt"
    path.write_text("\n".join([header, first, second]) + "\n", encoding="utf-8")
    table, problems, _ = read_dataset_file(path, SCHEMAS["placeringar"], care_forms={"hvb"})
    assert problems == []
    raw = tmp_path / "raw"
    raw.mkdir()
    path.rename(raw / path.name)
    ingest(raw, tmp_path / "processed", ["placeringar"], care_forms={"hvb": "hvb"})
    assert pq.read_table(tmp_path / "processed" / "placeringar.parquet").num_rows == 2


def test_control_characters_and_carriage_returns_in_texts_survive_export(tmp_path):
    import csv
    import zipfile

    import pandas as pd

    from uppfoljning.present.tables import write_csv
    from uppfoljning.present.workbook import write_workbook

    frame = pd.DataFrame({"rad": ["Konsult\rarvode", "Hyra\x01lokal"], "belopp": [1.0, 2.0]})
    path = tmp_path / "tables" / "texter.csv"
    write_csv(frame, path)
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    assert [r[0] for r in rows[1:]] == ["Konsult\narvode", "Hyra\x01lokal"]  # one row each
    target = tmp_path / "tabeller.xlsx"
    write_workbook({"texter": path}, target)
    with zipfile.ZipFile(target) as book:  # sheet1 is the contents, sheet2 the table
        sheet = book.read("xl/worksheets/sheet2.xml").decode()
    assert "Hyra\ufffdlokal" in sheet and "<f>" not in sheet
