"""Ingest: every accepted format, and errors that name file, line and column and write nothing."""

from pathlib import Path

import pyarrow.parquet as pq
import pytest
from openpyxl import Workbook

from uppfoljning.data.ingest import IngestError, ingest
from uppfoljning.data.privacy import looks_like_personal_id

HEADER = "period;ansvar;verksamhet;konto;belopp;text\n"


def _ledger(tmp_path: Path, body: str, *, name="huvudbok.csv", encoding="utf-8", header=HEADER):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    (raw / name).write_bytes((header + body).encode(encoding))
    return raw


def _read(tmp_path: Path):
    return pq.read_table(tmp_path / "processed" / "huvudbok.parquet").to_pandas()


@pytest.mark.parametrize(
    ("encoding", "bom", "sep", "amount", "expected"),
    [
        ("utf-8", True, ";", "1 234,50", 1234.50),
        ("utf-8", False, ",", "1234.50", 1234.50),
        ("cp1252", False, "\t", "-1\u00a0234,5", -1234.5),
        ("utf-8", False, ";", "−12", -12.0),
    ],
)
def test_csv_dialects(tmp_path, encoding, bom, sep, amount, expected):
    quoted = f'"{amount}"' if sep == "," and "," in amount else amount
    header = sep.join(["period", "ansvar", "verksamhet", "konto", "belopp", "text"]) + "\n"
    body = sep.join(["2024-01", "41100", "56910", "4611", quoted, "Faktura Gävle"]) + "\n"
    data = header + body
    if encoding == "cp1252":
        data = data.replace("Gävle", "Gävle")  # ä in Windows-1252
    raw_bytes = (b"\xef\xbb\xbf" if bom else b"") + data.encode(encoding)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "huvudbok_2024.csv").write_bytes(raw_bytes)
    ingest(raw, tmp_path / "processed", ["huvudbok"])
    frame = _read(tmp_path)
    assert frame["belopp"].tolist() == [expected]
    assert frame["text"].tolist() == ["Faktura Gävle"]
    assert frame["verksamhet"].tolist() == ["56910"]


def test_xlsx_with_numeric_codes_and_dates(tmp_path):
    import datetime as dt

    raw = tmp_path / "raw"
    raw.mkdir()
    wb = Workbook()
    ws = wb.active
    ws.append(["Ar", "Version", "Verksamhet", "Belopp", "Period"])
    ws.append([2024, "reviderad", 56910, 1000.5, dt.datetime(2024, 3, 1)])
    ws.append([None, None, None, None, None])
    ws.append([2024, "reviderad", "56920", "2 000,25", "2024-04"])
    wb.save(raw / "budget.xlsx")
    ingest(raw, tmp_path / "processed", ["budget"])
    frame = pq.read_table(tmp_path / "processed" / "budget.parquet").to_pandas()
    assert frame["verksamhet"].tolist() == ["56910", "56920"]
    assert frame["period"].tolist() == ["2024-03", "2024-04"]
    assert frame["belopp"].tolist() == [1000.5, 2000.25]
    assert frame["_rad"].tolist() == [2, 4]  # the blank row keeps Excel's numbering


def test_errors_name_file_line_and_column_and_write_nothing(tmp_path):
    raw = _ledger(tmp_path, "2024-01;41100;56910;4611;100,00;ok\n")
    ingest(raw, tmp_path / "processed", ["huvudbok"])
    before = (tmp_path / "processed" / "huvudbok.parquet").read_bytes()
    (raw / "huvudbok.csv").write_text(
        HEADER + '2024-01;41100;56910;4611;100,00;"rad\nmed radbrytning"\n\n'
        "2024-13;41100;5691x;4611;12,3,4;fel\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as info:
        ingest(raw, tmp_path / "processed", ["huvudbok"])
    problems = info.value.problems
    assert (
        "huvudbok.csv, rad 5, kolumn period: '2024-13' är inte en period på formen ÅÅÅÅ-MM"
        in problems
    )
    assert any("rad 5, kolumn verksamhet: '5691x'" in p for p in problems)
    assert any("rad 5, kolumn belopp: '12,3,4' är inte ett belopp" in p for p in problems)
    assert (tmp_path / "processed" / "huvudbok.parquet").read_bytes() == before
    assert not [p for p in (tmp_path / "processed").iterdir() if ".tmp" in p.name]


def test_missing_column_and_wrong_field_count(tmp_path):
    raw = _ledger(tmp_path, "2024-01;41100;56910;100\n", header="period;ansvar;verksamhet;belopp\n")
    with pytest.raises(IngestError, match=r"huvudbok.csv, rad 1: kolumnen konto saknas"):
        ingest(raw, tmp_path / "processed", ["huvudbok"])
    (raw / "huvudbok.csv").write_text(
        HEADER + "2024-01;41100;56910;4611;1;a\n2024-01;41100;56910;4611;1;a;extra\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match=r"huvudbok.csv, rad 3: 7 fält, rubrikraden har 6"):
        ingest(raw, tmp_path / "processed", ["huvudbok"])
    assert not (tmp_path / "processed" / "huvudbok.parquet").exists()


def test_errors_in_one_file_block_every_dataset(tmp_path):
    raw = _ledger(tmp_path, "2024-01;41100;56910;4611;1;a\n")
    (raw / "prognos.csv").write_text(
        "prognosmanad;verksamhet;belopp\n2024-03;569;abc\n", encoding="utf-8"
    )
    with pytest.raises(IngestError, match=r"prognos.csv, rad 2, kolumn belopp"):
        ingest(raw, tmp_path / "processed", ["huvudbok", "prognos"])
    assert not (tmp_path / "processed" / "huvudbok.parquet").exists()


def test_unchanged_inputs_are_not_read_again(tmp_path):
    raw = _ledger(tmp_path, "2024-01;41100;56910;4611;1;a\n")
    first = ingest(raw, tmp_path / "processed", ["huvudbok"])
    second = ingest(raw, tmp_path / "processed", ["huvudbok"])
    assert first.datasets["huvudbok"]["skipped"] is False
    assert second.datasets["huvudbok"]["skipped"] is True
    assert second.inputs[0]["sha256"] == first.inputs[0]["sha256"]
    (raw / "huvudbok.csv").write_text(HEADER + "2024-01;41100;56910;4611;2;a\n", encoding="utf-8")
    third = ingest(raw, tmp_path / "processed", ["huvudbok"])
    assert third.datasets["huvudbok"]["skipped"] is False
    assert _read(tmp_path)["belopp"].tolist() == [2.0]


def test_several_files_are_combined(tmp_path):
    raw = _ledger(tmp_path, "2023-12;41100;56910;4611;1;a\n", name="huvudbok_2023.csv")
    _ledger(tmp_path, "2024-01;41100;56910;4611;2;b\n", name="huvudbok_2024.csv")
    (raw / "budget_2024.csv").write_text("ar;version;verksamhet;belopp\n", encoding="utf-8")
    ingest(raw, tmp_path / "processed", ["huvudbok"])
    frame = _read(tmp_path)
    assert sorted(frame["period"]) == ["2023-12", "2024-01"]
    assert set(frame["_fil"].astype(str)) == {"huvudbok_2023.csv", "huvudbok_2024.csv"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("811218-9876", True),
        ("198112189876", True),
        ("811218-9877", False),  # wrong check digit
        ("811278-9876", False),  # no such day (samordningsnummer would be 61-91)
        ("Faktura 4711", False),
    ],
)
def test_personal_identity_numbers(text, expected):
    assert looks_like_personal_id(text) is expected


def test_line_numbers_count_line_breaks_inside_quoted_values(tmp_path):
    raw = _ledger(
        tmp_path,
        '2024-01;41100;56910;4611;1;"två\nrader"\n'
        '2024-01;41100;56910;4611;2;"tre\r\nrader\nhär"\n'
        "2024-01;41100;56910;4611;3;en rad\n"
        "2024-01;41100;56910;4611;x;fel\n",
    )
    with pytest.raises(IngestError, match=r"huvudbok.csv, rad 8, kolumn belopp: 'x'"):
        ingest(raw, tmp_path / "processed", ["huvudbok"])
    (raw / "huvudbok.csv").write_text(
        HEADER + '2024-01;41100;56910;4611;1;"två\nrader"\n2024-01;41100;56910;4611;3;en\n',
        encoding="utf-8",
    )
    ingest(raw, tmp_path / "processed", ["huvudbok"])
    assert _read(tmp_path)["_rad"].tolist() == [2, 4]


@pytest.mark.parametrize("bom", [True, False])
def test_a_stray_byte_in_a_utf8_file_is_refused_with_its_line(tmp_path, bom):
    good = "2024-01;41100;56910;4611;1;Lön\n".encode()
    stray = b"2024-01;41100;56910;4611;1;L\xf6n\n"  # one line saved as Latin-1
    data = HEADER.encode() + good * 5 + stray + good
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "huvudbok.csv").write_bytes((b"\xef\xbb\xbf" if bom else b"") + data)
    with pytest.raises(IngestError, match=r"huvudbok.csv, rad 7: tecken som inte är giltig UTF-8"):
        ingest(raw, tmp_path / "processed", ["huvudbok"])
