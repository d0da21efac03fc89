"""Streaming ingest: a file read in many small batches gives what one whole read gives.

`STREAM_BLOCK` is made a few hundred bytes so that a file of some dozen lines is read in
many record batches: line numbers, per-column message counts, the decimal mark and doubled
lines must all be those of the whole file.
"""

from __future__ import annotations

import pandas as pd
import pytest

from uppfoljning.data import reading
from uppfoljning.data.ingest import IngestError, ingest
from uppfoljning.data.overlaps import DuplicateRules
from uppfoljning.data.schemas import SCHEMAS
from uppfoljning.data.validation import FileRead, read_dataset_file
from uppfoljning.demo.big_ledger import HEADER, write_big_ledger

ROW = "2024-{m:02d};41100;56910;4611;{amount};;;Rad {i}\n"


@pytest.fixture
def small_batches(monkeypatch):
    monkeypatch.setattr(reading, "STREAM_BLOCK", 300)


def _ledger(tmp_path, rows: list[str], header: str = HEADER + "\n"):
    raw = tmp_path / "raw"
    raw.mkdir(exist_ok=True)
    path = raw / "huvudbok.csv"
    path.write_text(header + "".join(rows), encoding="utf-8")
    return raw, path


def _rows(n: int, amount: str = "1 234,50") -> list[str]:
    return [ROW.format(m=1 + i % 8, amount=amount, i=i) for i in range(n)]


def _ingest(raw, tmp_path):
    ingest(raw, tmp_path / "processed", ["huvudbok"], rules=DuplicateRules(), force=True)
    return pd.read_parquet(tmp_path / "processed" / "huvudbok.parquet")


def test_many_batches_keep_every_line_and_value(tmp_path, small_batches):
    raw, path = _ledger(tmp_path, _rows(60))
    read = FileRead(path, SCHEMAS["huvudbok"])
    assert len(list(read.batches())) > 5  # really streamed in many batches
    frame = _ingest(raw, tmp_path)
    assert frame["_rad"].tolist() == list(range(2, 62))
    assert frame["text"].tolist() == [f"Rad {i}" for i in range(60)]
    assert (frame["belopp"] == 1234.5).all()


def test_problems_in_late_batches_are_counted_over_the_whole_file(tmp_path, small_batches):
    rows = _rows(60)
    for i in (3, 20, 31, 40, 45, 50, 55):  # seven bad amounts spread over the batches
        rows[i] = rows[i].replace("1 234,50", "12a")
    raw, _ = _ledger(tmp_path, rows)
    with pytest.raises(IngestError) as caught:
        _ingest(raw, tmp_path)
    problems = caught.value.problems
    assert problems[0] == "huvudbok.csv, rad 5, kolumn belopp: '12a' är inte ett belopp"
    assert problems[4].startswith("huvudbok.csv, rad 47, kolumn belopp")
    assert problems[5] == "huvudbok.csv, kolumn belopp: ytterligare 2 felaktiga värden"
    assert len(problems) == 6
    assert not (tmp_path / "processed" / "huvudbok.parquet").exists()
    assert not list((tmp_path / "processed").glob(".*tmp*"))


def test_a_decimal_comma_first_seen_late_rereads_the_dotted_thousands(tmp_path, small_batches):
    rows = _rows(30, amount="1.234") + _rows(30, amount="5,5")
    raw, _ = _ledger(tmp_path, rows)
    frame = _ingest(raw, tmp_path)
    assert frame["belopp"].tolist() == [1234.0] * 30 + [5.5] * 30


def test_a_dot_that_is_not_thousands_in_a_comma_file_is_refused(tmp_path, small_batches):
    rows = _rows(30, amount="1.5") + _rows(30, amount="5,5")
    raw, _ = _ledger(tmp_path, rows)
    with pytest.raises(IngestError, match=r"rad 2, kolumn belopp: '1.5' har en punkt.*rad 32"):
        _ingest(raw, tmp_path)


def test_blank_lines_and_quoted_line_breaks_keep_physical_lines(tmp_path, small_batches):
    rows = _rows(40)
    rows[10] = '2024-01;41100;56910;4611;1;;;"två\nrader"\n'
    rows[30] = "\n" + rows[30]  # a blank line inside the file
    raw, _ = _ledger(tmp_path, rows)
    frame = _ingest(raw, tmp_path)
    assert frame["_rad"].tolist()[9:12] == [11, 12, 14]
    assert frame["_rad"].tolist()[29:31] == [32, 34]


def test_windows_1252_found_late_is_read_as_such(tmp_path, small_batches):
    rows = _rows(40)
    rows[35] = rows[35].replace("Rad 35", "Lön")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "huvudbok.csv").write_bytes((HEADER + "\n" + "".join(rows)).encode("cp1252"))
    frame = _ingest(raw, tmp_path)
    assert frame["text"].tolist()[35] == "Lön"


def test_identical_lines_in_different_batches_are_found(tmp_path, small_batches):
    rows = _rows(50)
    rows.append(rows[2])
    raw, _ = _ledger(tmp_path, rows)
    result = ingest(raw, tmp_path / "processed", ["huvudbok"], rules=DuplicateRules())
    assert any("1 rader är identiska" in w and "rad 52" in w for w in result.warnings)


def test_big_ledger_is_in_the_export_format_and_ingests(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    path = write_big_ledger(raw / "huvudbok_2024.csv", 2_000, seed=3)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf" + HEADER.encode() + b"\r\n")
    assert data.count(b"\r\n") == 2_001
    assert write_big_ledger(tmp_path / "again.csv", 2_000, seed=3).read_bytes() == data
    table, problems, _ = read_dataset_file(path, SCHEMAS["huvudbok"])
    assert problems == []
    assert table.num_rows == 2_000
    assert set(pd.Series(table.column("period").to_pylist()).unique()) <= {
        f"2024-{m:02d}" for m in range(1, 9)
    }


@pytest.mark.parametrize(
    "cell",
    [
        " \t5 ",
        "5\t 6",
        "\u00a012\u00a0345,5\u00a0",
        "\u20031 000\u2003",
        "\u2212 12",
        "1\x1c2",
        "\u30007\u3000",
        "\u180e8",
        "1'234.5",
        " ",
        "",
    ],
)
def test_amount_separators_are_removed_as_by_trim_then_replace(cell):
    """The fast path (bytes looked at once, trim only when other white space occurs) gives what
    trimming first and removing every separator gives."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from uppfoljning.data.validation import _strip_amounts

    expected = pc.utf8_trim_whitespace(pa.array([cell]))
    for separator in (" ", "\u00a0", "\u202f", "'"):
        expected = pc.replace_substring(expected, separator, "")
    expected = pc.replace_substring(expected, "\u2212", "-")
    assert _strip_amounts(pa.array([cell]))[0].to_pylist() == expected.to_pylist()


def test_processed_parquet_reads_back_as_the_validated_table(tmp_path, small_batches):
    """Text is written from dictionary arrays, batch by batch, yet reads back as plain text
    with exactly the values (and types) of the validated table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = _rows(40)
    rows[7] = rows[7].replace("Rad 7", "Rad 7 till 19121212-1212")  # masked in the text
    rows[9] = rows[9].replace(";;;Rad 9", ";K1 ;P2;Rad 9")  # trimmed codes
    raw, path = _ledger(tmp_path, rows)
    expected, problems, _ = read_dataset_file(path, SCHEMAS["huvudbok"])
    assert problems == []
    ingest(raw, tmp_path / "processed", ["huvudbok"], rules=DuplicateRules(), force=True)
    written = pq.read_table(tmp_path / "processed" / "huvudbok.parquet")
    assert written.num_rows == expected.num_rows == 40
    for field in expected.schema:
        column = written.column(field.name)
        assert not pa.types.is_dictionary(column.type), field.name
        assert column.to_pylist() == expected.column(field.name).to_pylist(), field.name
    assert "19121212" not in str(written.column("text").to_pylist())
    assert written.column("motpart")[9].as_py() == "K1"


@pytest.mark.parametrize("amount", [".5", "5.", "-.5", "5-", "--5", "5.5.5"])
def test_amounts_the_cast_would_take_but_the_pattern_refuses(tmp_path, amount):
    rows = _rows(10, amount="12.25")
    rows[4] = rows[4].replace("12.25", amount)
    raw, _ = _ledger(tmp_path, rows)
    with pytest.raises(IngestError) as caught:
        _ingest(raw, tmp_path)
    assert caught.value.problems == [
        f"huvudbok.csv, rad 6, kolumn belopp: '{amount}' är inte ett belopp"
    ]


@pytest.mark.parametrize("sliced", [False, True])
@pytest.mark.parametrize("with_empty", [False, True])
def test_spaces_are_dropped_value_by_value_in_any_array(sliced, with_empty):
    """Both ways of shifting the offsets (per value, or per byte when a value is empty) keep
    every value's own bytes, also in a slice of a longer array."""
    import pyarrow as pa

    from uppfoljning.data.validation import _without_spaces

    cells = ["1 234,5", " ", "\u00a012\u00a0345", "5", "-1 000 000", "7 "]
    cells += [""] if with_empty else []
    values = [cells[i % len(cells)] for i in range(40)]
    assert ("" in values) == with_empty  # the empty value really is there (or not)
    array = pa.array(["9 9", *values])
    if sliced:
        array = array.slice(1)
    else:
        values = ["9 9", *values]
    expected = [v.replace(" ", "").replace("\u00a0", "") for v in values]
    assert _without_spaces(array).to_pylist() == expected
