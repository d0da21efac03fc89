"""Raw files as cells of text: finding a dataset's files, decoding, CSV and XLSX, line numbers.

Controllers export from several systems, so a CSV may use `;`, `,` or tab and be UTF-8 (with or
without BOM), UTF-16 or Windows-1252; XLSX works too. Every cell is read as text (types are
checked in `uppfoljning.data.validation`) together with the physical line it stands on, so
that every problem can name file, line and column.

A UTF-8 CSV is streamed (`open_csv_stream`): record batches of `STREAM_BLOCK` bytes, parsed on
a thread of their own a few batches ahead, each with the physical lines of its rows; the file
is hashed as it is read, so a ledger of millions of lines is read once and never held whole.
Blank lines at its end are not parsed; one inside it shows as a row of empty cells (or, in a
file of one column, as a line end too many). Whatever the stream cannot read exactly (other
encodings, blank lines inside the file, a malformed row) raises `NeedsWholeFile`, and the file
is read whole by `read_csv`, which finds the encoding or the line that is wrong.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import queue
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from uppfoljning.data.schemas import Schema

RAW_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
STREAM_BLOCK = 1 << 22  # bytes of CSV per record batch; tests make it small
_PROBE = 1 << 16  # bytes read to find the header, the delimiter and the blank lines at the end
MAX_ERRORS_PER_COLUMN = 5  # problems listed per column and file before "… more"

# Spreadsheet formats we cannot read: refused by name, not silently skipped.
UNREADABLE_SUFFIXES = (".xls", ".xlsm", ".xlsb", ".ods", ".numbers")


def _dataset_named(path: Path, dataset: str) -> bool:
    stem = path.stem.lower()
    return stem == dataset or stem.startswith((dataset + "_", dataset + "-"))


def unreadable_raw_files(raw_dir: Path, dataset: str) -> list[Path]:
    """Files named like `dataset` in a format ingest cannot read (old Excel, OpenDocument)."""
    if not raw_dir.is_dir():
        return []
    return [
        p
        for p in sorted(raw_dir.iterdir())
        if p.suffix.lower() in UNREADABLE_SUFFIXES and _dataset_named(p, dataset)
    ]


def find_raw_files(raw_dir: Path, dataset: str) -> list[Path]:
    """`huvudbok.csv`, `huvudbok_2024.csv`, `huvudbok-jan.xlsx` … for dataset `huvudbok`."""
    files = []
    for path in sorted(raw_dir.iterdir()) if raw_dir.is_dir() else []:
        if path.suffix.lower() not in RAW_SUFFIXES or path.name.startswith((".", "~$")):
            continue
        if _dataset_named(path, dataset):
            files.append(path)
    return files


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


UTF8_BOM = b"\xef\xbb\xbf"


# UTF-8 encodings of å ä ö Å Ä Ö é: their presence means the file was written as UTF-8.
_UTF8_SWEDISH = re.compile(rb"\xc3[\xa5\xa4\xb6\x85\x84\x96\xa9]")


def first_invalid_utf8(data: bytes, chunk: int = 1 << 24) -> int | None:
    """Offset of the first byte that is not valid UTF-8 (None if all is valid), checked chunk
    by chunk so a big export is never copied."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    start = 0
    try:
        for start in range(0, len(data), chunk):
            decoder.decode(view[start : start + chunk], final=False)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        # The decoder may hold back up to 3 bytes of an unfinished sequence from the chunk before.
        return max(0, start + exc.start - len(decoder.getstate()[0]))
    return None


class EncodingProblem(ValueError):
    """A file that is neither consistent UTF-8 nor Windows-1252; `line` is where it breaks."""

    def __init__(self, line: int):
        self.line = line
        super().__init__(
            f"rad {line}: tecken som inte är giltig UTF-8 i en fil som annars är UTF-8 "
            "(blandad teckenkodning; spara om filen som UTF-8)"
        )


class UnreadableText(ValueError):
    """A file that cannot be read as text at all (binary, undefined bytes); Swedish message."""


# Bytes that Windows-1252 leaves undefined: a file holding them is neither UTF-8 nor 1252.
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def utf8_bytes(data: bytes) -> bytes:
    """An export as UTF-8 bytes with `\n` line ends.

    UTF-8 (BOM or not) is kept as it is; UTF-16 with a BOM (Excel's "Unicode text") and
    Windows-1252 (what Excel writes as CSV) are transcoded; old Mac line ends (CR only) become
    `\n`. A file with a BOM, or with UTF-8 å/ä/ö, that still has invalid bytes is a damaged
    export: refused with its line number rather than silently garbled, as is a byte that no
    encoding of ours defines.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            data = data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableText(
                "filen är UTF-16 men innehåller ogiltiga tecken (spara om den som UTF-8)"
            ) from exc
    elif b"\x00" in data[:4096]:
        raise UnreadableText(
            "filen innehåller NUL-tecken: den är inte en textfil (CSV), eller UTF-16 utan "
            "byteordningsmärke; spara om den som CSV i UTF-8"
        )
    bom = data.startswith(UTF8_BOM)
    if bom:
        data = data[len(UTF8_BOM) :]
    if b"\r" in data and b"\n" not in data:
        data = data.replace(b"\r", b"\n")  # classic Mac line ends
    bad = first_invalid_utf8(data)
    if bad is None:
        return data
    if bom or _UTF8_SWEDISH.search(data):
        raise EncodingProblem(data.count(b"\n", 0, bad) + 1)
    undefined = _CP1252_UNDEFINED.search(data)
    if undefined:
        line = data.count(b"\n", 0, undefined.start()) + 1
        raise UnreadableText(
            f"rad {line}: byten 0x{data[undefined.start()]:02X} är varken giltig UTF-8 eller "
            "Windows-1252 (fel teckenkodning; spara om filen som UTF-8)"
        )
    return data.decode("cp1252").encode("utf-8")


def sniff_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _normalise_header(name: str) -> str:
    return name.strip().strip('"').strip().lower()


@dataclass
class RawTable:
    """A file's cells (or one batch of them) as strings plus the physical line of each row."""

    path: Path
    columns: list[str]
    data: dict[str, pa.Array | pa.ChunkedArray]
    lines: pa.Array | None  # None: row i is on line i + first
    letters: dict[str, str] = field(default_factory=dict)  # XLSX column letters
    first: int = 2  # physical line of row 0 when `lines` is None
    # Columns also dictionary-encoded (by the stream's parser thread): checks that look at
    # each distinct value once, and the line hashes, use them.
    encoded: dict[str, pa.DictionaryArray] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return len(next(iter(self.data.values()))) if self.data else 0

    def line(self, index: int) -> int:
        return int(self.lines[index].as_py()) if self.lines is not None else index + self.first

    def line_array(self) -> pa.Array:
        """Every row's physical line (int32), for the `_rad` column."""
        if self.lines is not None:
            return pc.cast(self.lines, pa.int32())
        return pa.array(np.arange(self.first, self.first + self.rows, dtype=np.int32))

    def where(self, column: str) -> str:
        letter = self.letters.get(column)
        return f"kolumn {column}" + (f" ({letter})" if letter else "")


def _duplicate_headers(path: Path, header: Sequence[str], problems: list[str]) -> bool:
    """A column named twice: which value would count is unknowable, so the file is refused."""
    seen: dict[str, int] = {}
    found = False
    for position, name in enumerate(header, start=1):
        if name and name in seen:
            problems.append(
                f"{path.name}, rad 1, kolumn {name}: kolumnen förekommer två gånger "
                f"(fält {seen[name]} och {position}); ta bort den ena"
            )
            found = True
        seen.setdefault(name, position)
    return found


def read_csv(path: Path, problems: list[str]) -> RawTable | None:
    try:
        data = utf8_bytes(path.read_bytes())
    except EncodingProblem as exc:
        problems.append(f"{path.name}, {exc}")
        return None
    except UnreadableText as exc:
        problems.append(
            f"{path.name}: {exc}" if not str(exc).startswith("rad") else f"{path.name}, {exc}"
        )
        return None
    first_line = data.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8")
    if not first_line.strip():
        problems.append(f"{path.name}, rad 1: rubrikraden saknas (filen är tom eller börjar tom)")
        return None
    delimiter = sniff_delimiter(first_line)
    header = [_normalise_header(h) for h in next(csv.reader([first_line], delimiter=delimiter))]
    if _duplicate_headers(path, header, problems):
        return None
    if not data.split(b"\n", 1)[1:] or not data.split(b"\n", 1)[1].strip():
        return RawTable(path, header, {h: pa.array([], pa.string()) for h in header}, None)
    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except pa.ArrowInvalid:
        # Arrow does not say where; find the first row with a wrong number of fields ourselves.
        reader = csv.reader(io.StringIO(data.decode("utf-8")), delimiter=delimiter)
        next(reader)
        for row in reader:
            if row and len(row) != len(header):
                problems.append(
                    f"{path.name}, rad {reader.line_num}: {len(row)} fält, rubrikraden har "
                    f"{len(header)} (avgränsare {delimiter!r})"
                )
                return None
        problems.append(f"{path.name}: filen kan inte läsas som CSV")
        return None
    columns = {h: table.column(h) for h in header}  # chunked: no second copy of the file
    return RawTable(path, header, columns, _line_numbers(data, delimiter, columns, table.num_rows))


class NeedsWholeFile(Exception):
    """The stream cannot read this file exactly (encoding, blank lines, a malformed row):
    read it whole with `read_csv`, which also finds what is wrong."""


class _ReadAlong:
    """The file as pyarrow's CSV reader reads it, hashed (SHA-256) on the way, so the file is
    read once.

    With `end` (the offset after the last byte that is not a line end) the reader is given
    the file up to there and told not to skip empty lines: a blank line inside the file is
    then a row of empty cells (`_empty_rows`: the file is read whole), and the blank lines at
    the end are hashed but not parsed, so no line end needs counting. Without `end` (a file
    of one column, where an empty line is a valid row) the line ends are counted:
    `body_newlines` counts `\\n` up to the last non-blank byte, which with no blank lines
    inside the file equals the records plus the line breaks inside quoted values."""

    def __init__(self, fh: io.BufferedReader, *, digest: bool, end: int | None = None) -> None:
        self._fh = fh
        self._digest = hashlib.sha256() if digest else None
        self._newlines = self._trailing = 0
        self._end = end
        self._position = 0

    def read(self, size: int = -1) -> bytes:
        if self._end is not None:
            left = self._end - self._position
            size = left if size < 0 else min(size, left)
            if size <= 0:
                return b""
            block = self._read_pooled(size)
        else:
            block = self._fh.read(size)
        self._position += len(block)
        if block and self._digest is not None:
            self._digest.update(block)  # releases the GIL on large blocks
        if block and self._end is None:
            count = block.count(b"\n")
            self._newlines += count
            tail = block[-256:]
            body = tail.rstrip(b"\r\n")
            if not body and len(block) > len(tail):
                tail = block
                body = tail.rstrip(b"\r\n")
            if body:
                self._trailing = tail.count(b"\n", len(body))
            else:
                self._trailing += count
        return block

    def _read_pooled(self, size: int) -> pa.Buffer:
        """`size` bytes read into memory of Arrow's pool, which reuses the blocks the parser
        has done with; a new bytes object per block is fresh memory that the kernel maps page
        by page (half the page faults of a fresh process's 1 M-line ingest were those)."""
        buffer = pa.allocate_buffer(size)
        got = self._fh.readinto(memoryview(buffer))
        return buffer if got == size else buffer.slice(0, got)

    def finish(self) -> None:
        """Hash the blank lines after `end`, which the parser was not given."""
        if self._digest is not None:
            for block in iter(lambda: self._fh.read(1 << 20), b""):
                self._digest.update(block)

    @property
    def counted(self) -> bool:
        """Whether `body_newlines` was counted (else blank lines are rows of empty cells)."""
        return self._end is None

    def readable(self) -> bool:
        return True

    @property
    def closed(self) -> bool:
        return self._fh.closed

    def close(self) -> None:  # the file is closed by its owner
        pass

    @property
    def body_newlines(self) -> int:
        return self._newlines - self._trailing

    @property
    def sha256(self) -> str | None:
        return self._digest.hexdigest() if self._digest is not None else None


PARSED_AHEAD = 2  # record batches parsed ahead of the one being checked


@dataclass
class CsvStream:
    """A UTF-8 CSV read batch by batch; `batches()` yields RawTables with exact lines.

    pyarrow's streaming CSV reader parses the file in blocks of `STREAM_BLOCK` bytes on a
    thread of its own (it releases the GIL), and the `encode` columns are dictionary-encoded
    on another, a few batches ahead of the one being checked, so parsing, encoding, checking
    and converting overlap. The file is hashed while it is read (`sha256`, once every batch
    has been read).
    """

    path: Path
    columns: list[str]
    delimiter: str
    digest: bool = True
    encode: frozenset[str] = frozenset()  # columns to dictionary-encode once parsed
    body_end: int | None = None  # offset after the last byte that is not a line end
    sha256: str | None = None

    def _options(self) -> tuple:
        """The reader's options; without Arrow's own read-ahead thread (`use_threads`), which
        on two cores competes with ours and delays the first batch by a block or two."""
        header = self.columns
        return (
            pacsv.ReadOptions(
                column_names=header, skip_rows=1, block_size=STREAM_BLOCK, use_threads=False
            ),
            pacsv.ParseOptions(
                delimiter=self.delimiter,
                newlines_in_values=True,
                ignore_empty_lines=self.body_end is None,
            ),
            pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    def _record_batches(self) -> Iterator[tuple | _ReadAlong]:
        """Every record batch of text cells with its dictionary-encoded columns, then the file
        as read (hash, line ends).

        Two threads a few batches ahead: one parses, the next dictionary-encodes what it
        parsed, so that encoding (a third of the parser's time) overlaps the parsing of the
        next batch instead of holding it up.
        """
        parsed: queue.Queue = queue.Queue(maxsize=PARSED_AHEAD)
        ahead: queue.Queue = queue.Queue(maxsize=PARSED_AHEAD)
        stop = threading.Event()

        def put(target: queue.Queue, item: object) -> bool:
            while not stop.is_set():
                try:
                    target.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def parse() -> None:
            try:
                with self.path.open("rb") as fh:
                    source = _ReadAlong(fh, digest=self.digest, end=self.body_end)
                    read, parse_options, convert = self._options()
                    reader = pacsv.open_csv(
                        source,
                        read_options=read,
                        parse_options=parse_options,
                        convert_options=convert,
                    )
                    for batch in reader:
                        if not put(parsed, batch):
                            return
                    source.finish()
                put(parsed, source)
            except BaseException as exc:  # noqa: BLE001 - raised again in the reader's thread
                put(parsed, exc)

        def encode() -> None:
            while not stop.is_set():
                try:
                    item = parsed.get(timeout=0.1)
                except queue.Empty:
                    continue
                if isinstance(item, pa.RecordBatch):
                    try:
                        encoded = {
                            h: pc.dictionary_encode(item.column(i))
                            for i, h in enumerate(self.columns)
                            if h in self.encode
                        }
                        item = (item, encoded)
                    except BaseException as exc:  # noqa: BLE001 - raised again by the reader
                        item = exc
                if not put(ahead, item) or not isinstance(item, tuple):
                    return  # stopped, or the end (the file as read, or an error) passed on

        threads = [threading.Thread(target=f, daemon=True) for f in (parse, encode)]
        for thread in threads:
            thread.start()
        try:
            while True:
                item = ahead.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if isinstance(item, _ReadAlong):
                    return
        finally:
            stop.set()
            for thread in threads:
                thread.join()

    def batches(self) -> Iterator[RawTable]:
        """Record batches of cells as text; raises NeedsWholeFile when lines or encoding could
        not be kept exactly."""
        header = self.columns
        rows = newlines = 0  # records and quoted line breaks before this batch
        source = None
        try:
            for item in self._record_batches():
                if isinstance(item, _ReadAlong):
                    source = item
                    break
                batch, encoded = item
                if not batch.num_rows:
                    continue
                data = {h: batch.column(i) for i, h in enumerate(header)}
                if self.body_end is not None and _empty_rows(data, batch.num_rows):
                    raise NeedsWholeFile("a blank line, or a line of empty cells")
                extra = _quoted_newlines(data, batch.num_rows)
                first = 2 + rows + newlines
                if extra is None:
                    yield RawTable(self.path, header, data, None, first=first, encoded=encoded)
                else:
                    starts = (
                        first
                        + np.arange(batch.num_rows)
                        + np.concatenate([[0], np.cumsum(extra)[:-1]])
                    )
                    lines = pa.array(starts, pa.int64())
                    yield RawTable(self.path, header, data, lines, encoded=encoded)
                    newlines += int(extra.sum())
                rows += batch.num_rows
        except pa.ArrowInvalid as exc:  # not UTF-8, or a row with the wrong number of fields
            raise NeedsWholeFile(str(exc)) from exc
        if source is None or (source.counted and source.body_newlines != rows + newlines):
            raise NeedsWholeFile("blank lines inside the file")
        self.sha256 = source.sha256


def _empty_rows(data: dict[str, pa.Array], rows: int) -> bool:
    """Whether some record has only empty cells: a blank line (or one of delimiters only,
    wrong anyway, which the whole file's reading tells apart). The first column's lengths
    find the candidates; the other columns are looked at only there."""
    candidates = None
    for values in data.values():
        offsets = np.frombuffer(values.buffers()[1], np.int32, rows + 1, values.offset * 4)
        if candidates is None:
            candidates = np.flatnonzero(offsets[1:] == offsets[:-1])
        else:
            candidates = candidates[offsets[candidates + 1] == offsets[candidates]]
        if not len(candidates):
            return False
    return candidates is not None


def _quoted_newlines(data: dict[str, pa.Array], rows: int) -> np.ndarray | None:
    """Line breaks inside each record's quoted values, or None when there are none.

    Each column's bytes are searched at once; only a column holding a line break is counted
    value by value.
    """
    extra = None
    for values in data.values():
        offsets = np.frombuffer(values.buffers()[1], np.int32, rows + 1, values.offset * 4)
        raw = np.frombuffer(values.buffers()[2] or b"", np.uint8)[offsets[0] : offsets[-1]]
        if raw.size and (raw == 10).any():
            counts = pc.count_substring(values, "\n").to_numpy(zero_copy_only=False)
            extra = counts if extra is None else extra + counts
    return extra


def open_csv_stream(
    path: Path, problems: list[str], *, digest: bool = True, encode: Iterable[str] = ()
) -> CsvStream | None:
    """A stream over a UTF-8 CSV, or None when the file must be read whole (another encoding,
    UTF-16, old Mac line ends, no data lines, a header problem). The columns in `encode` are
    also dictionary-encoded as they are parsed (`RawTable.encoded`)."""
    with path.open("rb") as fh:
        probe = fh.read(_PROBE)
        whole = len(probe) < _PROBE
    if probe.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in probe[:4096]:
        return None
    probe = probe.removeprefix(UTF8_BOM)
    if b"\n" not in probe:
        return None
    head, rest = probe.split(b"\n", 1)
    if whole and not rest.strip():
        return None  # a header and nothing else: read_csv says so
    try:
        first_line = head.rstrip(b"\r").decode("utf-8")
    except UnicodeDecodeError:
        return None
    if not first_line.strip():
        return None
    delimiter = sniff_delimiter(first_line)
    header = [_normalise_header(h) for h in next(csv.reader([first_line], delimiter=delimiter))]
    if len(set(header)) != len(header) or b'"' in head:
        return None  # read_csv names the doubled column; quoted headers are rare
    body_end = None
    if len(header) > 1:  # an empty line is a wrong row only when a row has several fields
        size = path.stat().st_size
        with path.open("rb") as fh:
            fh.seek(max(0, size - _PROBE))
            tail = fh.read()
        body = tail.rstrip(b"\r\n")
        if body or size <= _PROBE:
            body_end = size - (len(tail) - len(body))
    return CsvStream(
        path, header, delimiter, digest=digest, encode=frozenset(encode), body_end=body_end
    )


def _line_numbers(
    data: bytes, delimiter: str, columns: dict[str, pa.ChunkedArray], rows: int
) -> pa.Array | None:
    """Physical line of each record, or None when record i is simply on line i + 2.

    Quoted values may hold line breaks; counting them per record keeps this vectorised. Blank
    lines inside the file (rare) fall back to reading it with Python's csv module.
    """
    body = data.rstrip(b"\r\n")
    if b"\n\n" in body or b"\n\r\n" in body:
        return pa.array(_physical_lines(data.decode("utf-8"), delimiter), pa.int64())
    if b'"' not in data:
        return None
    extra = np.zeros(rows, dtype=np.int64)
    for values in columns.values():
        extra += pc.count_substring(values, "\n").to_numpy(zero_copy_only=False)
    if not extra.any():
        return None
    starts = 2 + np.arange(rows) + np.concatenate([[0], np.cumsum(extra)[:-1]])
    return pa.array(starts, pa.int64())


def _physical_lines(text: str, delimiter: str) -> list[int]:
    """Line number of every non-empty record (quoted newlines and blank lines shift them)."""
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader)
    out = []
    start = reader.line_num + 1
    for row in reader:
        if row:
            out.append(start)
        start = reader.line_num + 1
    return out


def _cell_text(value: object, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%Y-%m") if kind == "period" else value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and kind != "amount":
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value).strip()


def read_xlsx(path: Path, schema: Schema, problems: list[str]) -> RawTable | None:
    """The first worksheet's cells as text, with sheet row numbers and column letters.

    Read with calamine (Rust), many times faster than openpyxl on a large export; cached
    formula values are read as the values they show, as Excel would.
    """
    from openpyxl.utils import get_column_letter
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
        # From A1, so that index + 1 is the sheet's row and the columns keep their letters.
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same user error
        problems.append(f"{path.name}: kan inte läsas som Excel-fil ({exc})")
        return None
    header_cells = rows[0] if rows else None
    if not header_cells or all(_blank(v) for v in header_cells):
        problems.append(f"{path.name}, rad 1: rubrikraden saknas")
        return None
    header = [_normalise_header(str(h)) if not _blank(h) else "" for h in header_cells]
    if _duplicate_headers(path, header, problems):
        return None
    kinds = {c.name: c.kind for c in schema.columns}
    values: list[list[str]] = [[] for _ in header]
    lines: list[int] = []
    for line, row in enumerate(rows[1:], start=2):
        if all(_blank(v) for v in row):
            continue
        lines.append(line)
        for i, name in enumerate(header):
            cell = row[i] if i < len(row) else None
            values[i].append(_cell_text(None if cell == "" else cell, kinds.get(name, "text")))
    data = {h: pa.array(v, pa.string()) for h, v in zip(header, values, strict=True) if h}
    letters = {h: get_column_letter(i + 1) for i, h in enumerate(header) if h}
    return RawTable(path, [h for h in header if h], data, pa.array(lines, pa.int64()), letters)


def _blank(value: object) -> bool:
    return value is None or str(value).strip() == ""
