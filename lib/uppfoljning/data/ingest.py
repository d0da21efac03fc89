"""Reading and validation of raw exports → typed Parquet in `data/processed/`.

Controllers export from several systems, so a CSV may use `;`, `,` or tab, be UTF-8 (with or
without BOM) or Windows-1252, and write amounts with a decimal comma and space or no-break-space
thousands separators; XLSX works too. Every problem is reported with file, line and column, all
problems are collected before failing, and nothing is written unless every input is valid, so a
bad export never leaves half-updated data behind. Unchanged inputs (SHA-256) are not read again.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import os
import re
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from uppfoljning.data.overlaps import (
    DuplicateRules,
    check_dataset,
    check_placement_episodes,
    load_rules,
)

RAW_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx")
DEMO_MARKER = "DEMODATA.txt"
STATE_FILE = "ingest.json"
MAX_ERRORS_PER_COLUMN = 5
MAX_ERRORS = 50

# Pseudonymisation of personal_data schemas: these columns are replaced by a keyed hash
# (HMAC-SHA256) before anything is written. The key comes from the environment, else from a
# random key file kept beside the processed data (created once, never part of any report).
PSEUDONYM_ENV = "UPPFOLJNING_PSEUDONYM_KEY"
PSEUDONYM_KEY_FILE = ".pseudonym_key"
PSEUDONYM_COLUMNS: dict[str, tuple[str, ...]] = {"placeringar": ("person_id", "placering_id")}
PSEUDONYM_HEX = 32  # 128 bits of the digest: no collisions in any real register

# Row-level rules of the placement register (beyond the column types).
PLACEMENT_TARGET_GROUPS = ("barn_unga", "vuxna")
PLACEMENT_FLAGS = frozenset({"", "ja", "j", "nej", "n", "1", "0", "x", "sant", "falskt"})

PERIOD_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
KIND_PATTERNS = {
    "period": (PERIOD_PATTERN, "en period på formen ÅÅÅÅ-MM"),
    "year": (r"^\d{4}$", "ett årtal (ÅÅÅÅ)"),
    "code": (r"^\d+$", "en sifferkod"),
    "amount": (r"^-?\d+(\.\d+)?$", "ett belopp"),
    "date": (r"^\d{4}-\d{2}-\d{2}$", "ett datum (ÅÅÅÅ-MM-DD)"),
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # period | year | code | amount | date | text
    required: bool = True  # the column must exist
    allow_empty: bool = False  # a required column whose cells may be empty (slutdatum)


@dataclass(frozen=True)
class Schema:
    """A raw dataset of the data contract (DESIGN §5)."""

    name: str
    columns: tuple[Column, ...]
    description: str = ""
    personal_data: bool = False  # refuse personal identity numbers; pseudonymise person_id

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _cols(spec: str) -> tuple[Column, ...]:
    """`"period:period slut:date? [text:text]"` → columns; [] optional column, ? empty cells ok."""
    out = []
    for token in spec.split():
        optional = token.startswith("[")
        name, kind = token.strip("[]").split(":")
        empty_ok = kind.endswith("?")
        out.append(Column(name, kind.rstrip("?"), required=not optional, allow_empty=empty_ok))
    return tuple(out)


SCHEMAS: dict[str, Schema] = {
    s.name: s
    for s in (
        Schema(
            "huvudbok",
            _cols(
                "period:period ansvar:code verksamhet:code konto:code belopp:amount "
                "[motpart:text] [projekt:text] [text:text]"
            ),
            "bokförda rader eller månadssummor ur huvudboken",
        ),
        Schema(
            "budget",
            _cols(
                "ar:year version:text verksamhet:code belopp:amount "
                "[ansvar:code] [konto:code] [period:period]"
            ),
            "budget per år (eller månad) och version",
        ),
        Schema(
            "prognos",
            _cols(
                "prognosmanad:period verksamhet:code belopp:amount "
                "[ansvar:code] [konto:code] [kommentar:text]"
            ),
            "ekonomernas helårsprognoser per prognosmånad",
        ),
        Schema(
            "investeringar",
            _cols("ar:year projekt:text period:period utgifter:amount inkomster:amount"),
            "investeringsutfall",
        ),
        Schema(
            "volymer",
            _cols("matt:text period:period varde:amount [grupp:text] [kon:text]"),
            "volymmått per månad (flöden) eller hittills i år (ackumulerat)",
        ),
        Schema(
            "personal",
            _cols("matt:text period:period varde:amount [kon:text]"),
            "personalstatistik",
        ),
        Schema(
            "indikatorer",
            _cols(
                "indikator:text ar:year varde:amount [kon:text] [malvarde:amount] [riktning:text]"
            ),
            "nämndindikatorer",
        ),
        Schema(
            "atgardsplan",
            _cols(
                "atgard:text omrade:text ar:year planerad_effekt:amount "
                "[realiserad_effekt:amount] [status:text] [period:period]"
            ),
            "åtgärdsplanens åtgärder (realiserad effekt t.o.m. period, om angiven)",
        ),
        Schema(
            "befolkning",
            _cols("kommun:code ar:year aldersgrupp:text kon:text antal:amount"),
            "befolkning per ålder och kön",
        ),
        Schema(
            "placeringar",
            _cols(
                "placering_id:text person_id:text malgrupp:text kon:text fodelsear:year "
                "vardform:text lagrum:text utforare:text avtal:text startdatum:date "
                "slutdatum:date? dygnskostnad:amount [gangkoppling:text] [tillaggsavtal:text]"
            ),
            "placeringsepisoder (känsliga personuppgifter)",
            personal_data=True,
        ),
        Schema(
            "investeringsbudget",
            _cols(
                "ar:year projekt:text ram:amount [prognos_utgifter:amount] "
                "[prognos_inkomster:amount] [prognosmanad:period]"
            ),
            "investeringsram och prognos",
        ),
    )
}


class IngestError(ValueError):
    """Invalid input; `problems` holds every message (file, line, column)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        shown = problems[:MAX_ERRORS]
        more = len(problems) - len(shown)
        text = "\n".join(f"  - {p}" for p in shown)
        if more:
            text += f"\n  … och {more} fel till"
        super().__init__(f"Inläsningen avbröts, inget skrevs ({len(problems)} fel):\n{text}")


@dataclass
class IngestResult:
    processed_dir: Path
    datasets: dict[str, dict] = field(default_factory=dict)  # name -> {files, rows, skipped}
    warnings: list[str] = field(default_factory=list)
    demo: bool = False
    staged: list[tuple[Path, Path]] = field(default_factory=list)  # (written, final) parquet
    _state: dict = field(default_factory=dict, repr=False)

    def path(self, dataset: str) -> Path:
        """Where `dataset` is now: the staged new file, else the processed one."""
        for tmp, final in self.staged:
            if final.stem == dataset:
                return tmp
        return self.processed_dir / f"{dataset}.parquet"

    def commit(self) -> None:
        """Put the staged files in place (renames only) and record what was read."""
        for tmp, final in self.staged:
            os.replace(tmp, final)
        self.staged = []
        if self._state:
            state_tmp = self.processed_dir / f".{STATE_FILE}.tmp"
            text = json.dumps(self._state, indent=2, ensure_ascii=False)
            state_tmp.write_text(text, encoding="utf-8")
            os.replace(state_tmp, self.processed_dir / STATE_FILE)
            self._state = {}

    def discard(self) -> None:
        """Drop the staged files: processed/ stays exactly as it was."""
        for tmp, _ in self.staged:
            tmp.unlink(missing_ok=True)
        self.staged = []
        self._state = {}

    @property
    def inputs(self) -> list[dict]:
        """Input files with SHA-256, for manifest.json."""
        return [f for d in self.datasets.values() for f in d["files"]]


# --------------------------------------------------------------------------- files


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
    """A file's cells as strings plus the physical line number of each row."""

    path: Path
    columns: list[str]
    data: dict[str, pa.Array | pa.ChunkedArray]
    lines: pa.Array | None  # None: row i is on line i + 2
    letters: dict[str, str] = field(default_factory=dict)  # XLSX column letters

    def line(self, index: int) -> int:
        return int(self.lines[index].as_py()) if self.lines is not None else index + 2

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


def _read_csv(path: Path, problems: list[str]) -> RawTable | None:
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


def _read_xlsx(path: Path, schema: Schema, problems: list[str]) -> RawTable | None:
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same user error
        problems.append(f"{path.name}: kan inte läsas som Excel-fil ({exc})")
        return None
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header_cells = next(rows, None)
    if not header_cells:
        problems.append(f"{path.name}, rad 1: rubrikraden saknas")
        return None
    header = [_normalise_header(str(h)) if h is not None else "" for h in header_cells]
    if _duplicate_headers(path, header, problems):
        wb.close()
        return None
    kinds = {c.name: c.kind for c in schema.columns}
    values: list[list[str]] = [[] for _ in header]
    lines: list[int] = []
    for line, row in enumerate(rows, start=2):
        if row is None or all(v is None or str(v).strip() == "" for v in row):
            continue
        lines.append(line)
        for i, name in enumerate(header):
            cell = row[i] if i < len(row) else None
            values[i].append(_cell_text(cell, kinds.get(name, "text")))
    wb.close()
    data = {h: pa.array(v, pa.string()) for h, v in zip(header, values, strict=True) if h}
    letters = {h: get_column_letter(i + 1) for i, h in enumerate(header) if h}
    return RawTable(path, [h for h in header if h], data, pa.array(lines, pa.int64()), letters)


# --------------------------------------------------------------------------- validation


# In a decimal-comma file a dot can only be a thousands separator, in groups of three.
_DOT_THOUSANDS = r"^-?\d{1,3}(\.\d{3})+(,\d*)?$"


def _strip_amounts(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """`"1 234,50"`, `"1\u00a0234,50"`, `"−12"` → `"1234,50"`, `"-12"` (separators kept)."""
    arr = pc.utf8_trim_whitespace(arr)
    arr = pc.replace_substring_regex(arr, "[ \u00a0\u202f']", "")
    return pc.replace_substring(arr, "\u2212", "-")


def _normalise_amounts(arr: pa.Array | pa.ChunkedArray, decimal_comma: bool) -> pa.Array:
    """Stripped amounts → `"1234.50"`: with a decimal comma dots (thousands) are dropped."""
    if decimal_comma:
        arr = pc.replace_substring(arr, ".", "")
    return pc.replace_substring(arr, ",", ".")


def _decimal_mark(raw: RawTable, schema: Schema, problems: list[str]) -> bool | None:
    """Whether the file's amounts use a decimal comma; None when the file is ambiguous.

    A CSV file is read as decimal-comma as soon as one amount has a comma. Then a dot is a
    thousands separator, and only in groups of three: `1.234,5` is 1234,5 but `1.5` in the same
    file could be either, so the file is refused rather than read as 1,5 kr or 15 kr. Excel
    cells hold numbers, not text, so this rule only concerns CSV files.
    """
    columns = [c.name for c in schema.columns if c.kind == "amount" and c.name in raw.data]
    if raw.letters or not columns:
        return False
    stripped = {c: _strip_amounts(raw.data[c]) for c in columns}
    comma_at = None
    for column, values in stripped.items():
        hits = pc.indices_nonzero(pc.match_substring(values, ",")).to_pylist()
        if hits:
            comma_at = (column, hits[0])
            break
    if comma_at is None:
        return False
    ambiguous = False
    for column, values in stripped.items():
        dotted = pc.and_(
            pc.match_substring(values, "."),
            pc.invert(pc.match_substring_regex(values, _DOT_THOUSANDS)),
        )
        for idx in pc.indices_nonzero(dotted).to_pylist()[:MAX_ERRORS_PER_COLUMN]:
            ambiguous = True
            example_col, example_idx = comma_at
            problems.append(
                f"{raw.path.name}, rad {raw.line(idx)}, {raw.where(column)}: "
                f"{raw.data[column][idx].as_py()!r} har en punkt, men filen har decimalkomma "
                f"(t.ex. rad {raw.line(example_idx)}, {raw.where(example_col)}: "
                f"{raw.data[example_col][example_idx].as_py()!r}); en punkt läses då bara som "
                "tusentalsavgränsare i grupper om tre siffror. Använd ett och samma "
                "decimaltecken i hela filen"
            )
    return None if ambiguous else True


def _validate(raw: RawTable, schema: Schema, problems: list[str], warnings: list[str]) -> pa.Table:
    name = raw.path.name
    known = {c.name for c in schema.columns}
    missing = [c for c in schema.required if c not in raw.data]
    for col in missing:
        problems.append(
            f"{name}, rad 1: kolumnen {col} saknas (krävs: {', '.join(schema.required)})"
        )
    extra = [c for c in raw.columns if c not in known]
    if extra:
        warnings.append(f"{name}: okända kolumner lästes inte: {', '.join(extra)}")
    if missing:
        return pa.table({})

    n = len(next(iter(raw.data.values()))) if raw.data else 0
    decimal_comma = _decimal_mark(raw, schema, problems)
    if decimal_comma is None:
        return pa.table({})
    out: dict[str, pa.Array] = {}
    for column in schema.columns:
        if column.name not in raw.data:
            if column.kind == "amount":
                out[column.name] = pa.nulls(n, pa.float64())
            else:
                out[column.name] = pa.array([""] * n, pa.string())
            continue
        values = pc.utf8_trim_whitespace(raw.data[column.name])
        empty = pc.equal(values, "")
        if column.kind == "amount":
            values = _normalise_amounts(_strip_amounts(values), decimal_comma)
        must_fill = column.required and not column.allow_empty
        bad_empty = empty if must_fill else pa.array([False] * n, pa.bool_())
        pattern = KIND_PATTERNS.get(column.kind)
        if pattern:
            ok = pc.or_(pc.match_substring_regex(values, pattern[0]), empty)
            invalid = pc.or_(pc.invert(ok), bad_empty)
        else:
            invalid = bad_empty
        if pc.any(invalid).as_py():
            indices = pc.indices_nonzero(invalid).to_pylist()
            for idx in indices[:MAX_ERRORS_PER_COLUMN]:
                shown = raw.data[column.name][idx].as_py()
                what = pattern[1] if pattern else "ett värde"
                # A placement's own dates or price must not reach a log, even in an error.
                value = "värdet" if schema.personal_data else repr(shown)
                problem = "saknas" if shown.strip() == "" else f"{value} är inte {what}"
                problems.append(f"{name}, rad {raw.line(idx)}, {raw.where(column.name)}: {problem}")
            if len(indices) > MAX_ERRORS_PER_COLUMN:
                problems.append(
                    f"{name}, {raw.where(column.name)}: ytterligare "
                    f"{len(indices) - MAX_ERRORS_PER_COLUMN} felaktiga värden"
                )
            continue
        if column.kind == "amount":
            values = pc.if_else(empty, pa.scalar(None, pa.string()), values)
            out[column.name] = pc.cast(values, pa.float64())
        elif column.kind == "year":
            out[column.name] = pc.cast(values, pa.int32())
        elif column.kind == "text" and not schema.personal_data:
            out[column.name] = _mask_personal_ids(raw, column.name, values, warnings)
        else:
            out[column.name] = values
    if schema.personal_data:
        _refuse_personal_ids(raw, problems)
    if raw.lines is not None:
        out["_rad"] = pc.cast(raw.lines, pa.int32())
    else:
        out["_rad"] = pa.array(range(2, n + 2), pa.int32())
    out["_fil"] = pa.array([name] * n, pa.string()).dictionary_encode()
    return pa.table(out)


def read_dataset_file(
    path: Path, schema: Schema, *, care_forms: Iterable[str] | None = None
) -> tuple[pa.Table, list[str], list[str]]:
    """Read and validate one raw file: (typed table, problems, warnings).

    `care_forms`: the placement register's known care-form codes (None: not checked).
    """
    problems: list[str] = []
    warnings: list[str] = []
    if path.suffix.lower() == ".xlsx":
        raw = _read_xlsx(path, schema, problems)
    else:
        raw = _read_csv(path, problems)
    if raw is None:
        return pa.table({}), problems, warnings
    table = _validate(raw, schema, problems, warnings)
    if schema.name == "placeringar" and table.num_columns:
        _check_placements(table, raw, problems, care_forms)
    if table.num_rows == 0 and not problems:
        # An empty export is a failed export far more often than an empty dataset.
        problems.append(
            f"{path.name}, rad 2: filen har en rubrikrad men inga datarader; ta bort filen om "
            "datamängden ska vara tom"
        )
    return table, problems, warnings


# --------------------------------------------------------------------------- ingest


def _load_state(processed_dir: Path) -> dict:
    try:
        return json.loads((processed_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def ingest(
    raw_dir: Path,
    processed_dir: Path,
    datasets: Iterable[str] | None = None,
    *,
    force: bool = False,
    care_forms: Iterable[str] | Mapping[str, str] | None = None,
    rules: DuplicateRules | None = None,
    stage: bool = False,
) -> IngestResult:
    """Validate every raw file of the given datasets, then write Parquet for the changed ones.

    Raises IngestError listing every problem; in that case nothing in `processed_dir` changes.
    `care_forms` are the placement register's known care-form codes (a mapping code → care-form
    group also enables the overlap check per group); None reads them from the project's
    params/vardformer.yaml (when it cannot be found, the codes are not checked). `rules` says
    how doubled inputs are treated (None: params/indata.yaml of the project, else defaults).
    A dataset without files in `raw_dir` keeps what `processed_dir` already holds: an empty
    or half-copied raw/ never replaces good data. Personal data (the placement register) are
    pseudonymised before they are written. With `stage` the new files are written beside the
    old ones and put in place only by `result.commit()` (`result.discard()` drops them), so a
    run can check the new data before anything in processed/ changes.
    """
    raw_dir, processed_dir = Path(raw_dir), Path(processed_dir)
    names = list(datasets) if datasets is not None else list(SCHEMAS)
    state = _load_state(processed_dir)
    result = IngestResult(processed_dir, demo=(raw_dir / DEMO_MARKER).exists())
    if rules is None:
        rules = _project_rules()
    problems: list[str] = []
    pending: dict[str, pa.Table] = {}
    for name in names:
        schema = SCHEMAS[name]
        files = find_raw_files(raw_dir, name)
        directories = [f for f in files if f.is_dir()]
        for path in directories:
            problems.append(f"{path.name}: är en katalog, inte en fil; byt namn på katalogen")
        for path in unreadable_raw_files(raw_dir, name):
            problems.append(
                f"{path.name}: filformatet {path.suffix} kan inte läsas; spara filen som .xlsx "
                "(Excel-arbetsbok) eller .csv"
            )
        files = [f for f in files if not f.is_dir()]
        if directories:
            continue
        previous = state.get("datasets", {}).get(name, {})
        stored = processed_dir / f"{name}.parquet"
        if not files and stored.exists():
            # Nothing to read: keep what was ingested before rather than emptying it.
            result.datasets[name] = {
                **previous,
                "files": previous.get("files", []),
                "skipped": True,
                "kept": True,
            }
            if previous.get("files"):
                result.warnings.append(
                    f"{name}: inga filer i {raw_dir}; den tidigare inlästa datamängden "
                    f"({', '.join(f['fil'] for f in previous['files'])}) behålls"
                )
            continue
        gone = sorted({f["fil"] for f in previous.get("files", [])} - {f.name for f in files})
        if gone and stored.exists() and not force:
            problems.append(
                f"{name}: {', '.join(gone)} lästes in förra gången men saknas nu i {raw_dir}; "
                "den tidigare inlästa datamängden behålls. Lägg tillbaka filen, eller kör "
                "`uppfoljning ingest --force` om den verkligen ska bort"
            )
            continue
        fingerprints = [{"fil": f.name, "sha256": sha256_of(f)} for f in files]
        unchanged = not force and previous.get("files") == fingerprints and stored.exists()
        if unchanged:
            result.datasets[name] = {**previous, "skipped": True}
            continue
        tables: list[tuple[Path, pa.Table]] = []
        known_forms = None
        if name == "placeringar" and files:
            known_forms = _known_care_forms(care_forms, result.warnings)
        dataset_problems: list[str] = []
        for path in files:
            table, file_problems, file_warnings = read_dataset_file(
                path, schema, care_forms=known_forms
            )
            dataset_problems.extend(file_problems)
            result.warnings.extend(file_warnings)
            if not file_problems:
                tables.append((path, table))
        if not dataset_problems:
            check_dataset(name, tables, rules, dataset_problems, result.warnings)
            if name == "placeringar":
                groups = known_forms if isinstance(known_forms, dict) else None
                check_placement_episodes(tables, groups, dataset_problems)
        problems.extend(dataset_problems)
        if problems:
            continue
        if tables:
            first = tables[0][1].schema
            combined = pa.concat_tables([t.cast(first) for _, t in tables], promote_options="none")
        else:
            combined = _empty_table(schema)
        if not files:
            result.warnings.append(f"{name}: inga filer i {raw_dir} (tom datamängd)")
        pending[name] = combined
        result.datasets[name] = {
            "files": fingerprints,
            "rows": combined.num_rows,
            "skipped": False,
        }
    if problems:
        raise IngestError(problems)

    processed_dir.mkdir(parents=True, exist_ok=True)
    for name in list(pending):
        if SCHEMAS[name].personal_data:
            pending[name] = pseudonymise(
                pending[name], PSEUDONYM_COLUMNS.get(name, ()), pseudonym_key(processed_dir)
            )
    temps: list[tuple[Path, Path]] = []
    try:
        for name, table in pending.items():
            final = processed_dir / f"{name}.parquet"
            tmp = processed_dir / f".{name}.parquet.tmp-{os.getpid()}"
            pq.write_table(table, tmp, compression="zstd")
            temps.append((tmp, final))
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    result.staged = temps
    if any(d.get("kept") for d in result.datasets.values()) and state.get("demo"):
        result.demo = True  # data kept from a demo ingest are still demo data
    result._state = {
        "demo": result.demo,
        "datasets": {
            **state.get("datasets", {}),
            **{
                n: {k: v for k, v in d.items() if k not in ("skipped", "kept")}
                for n, d in result.datasets.items()
            },
        },
    }
    if not stage:
        result.commit()
    return result


def _empty_table(schema: Schema) -> pa.Table:
    types = {"amount": pa.float64(), "year": pa.int32()}
    fields = [pa.field(c.name, types.get(c.kind, pa.string())) for c in schema.columns]
    fields += [
        pa.field("_rad", pa.int32()),
        pa.field("_fil", pa.dictionary(pa.int32(), pa.string())),
    ]
    return pa.schema(fields).empty_table()


def is_demo(processed_dir: Path) -> bool:
    """Whether the processed data came from `uppfoljning demo` (reports must say so)."""
    return bool(_load_state(Path(processed_dir)).get("demo"))


# --------------------------------------------------------------------------- privacy

# ÅÅMMDD-NNNN, ÅÅÅÅMMDDNNNN, with -, +, a space or an en dash (as word processors write it).
_ID_SEPARATOR = "[-+ \u2013\u2212]?"
PERSONAL_ID_RE = re.compile(
    rf"(?<!\d)(\d{{2}})?(\d{{2}})(\d{{2}})(\d{{2}}){_ID_SEPARATOR}(\d{{4}})(?!\d)"
)
_ID_CANDIDATE = rf"\d{{6}}{_ID_SEPARATOR}\d{{4}}"
ID_MASK = "[personnummer borttaget]"


def _refuse_personal_ids(raw: RawTable, problems: list[str]) -> None:
    """Refuse a file with anything that looks like a personnummer, in any column."""
    for column, values in raw.data.items():
        candidates = pc.match_substring_regex(values, _ID_CANDIDATE)
        for idx in pc.indices_nonzero(candidates).to_pylist():
            if looks_like_personal_id(values[idx].as_py()):
                problems.append(
                    f"{raw.path.name}, rad {raw.line(idx)}, {raw.where(column)}: värdet ser ut "
                    "som ett personnummer; filen vägras (använd pseudonymer)"
                )
                break


def _mask_personal_ids(
    raw: RawTable, column: str, values: pa.Array | pa.ChunkedArray, warnings: list[str]
) -> pa.Array | pa.ChunkedArray:
    """Personal identity numbers in a free-text column (a ledger text) are masked before they
    are stored; the warning names line and column, never the value."""
    candidates = pc.indices_nonzero(pc.match_substring_regex(values, _ID_CANDIDATE)).to_pylist()
    masked: dict[int, str] = {}
    for idx in candidates:
        text = values[idx].as_py()
        if looks_like_personal_id(text):
            masked[idx] = mask_personal_ids(text)
    if not masked:
        return values
    lines = [raw.line(i) for i in sorted(masked)]
    shown = ", ".join(str(line) for line in lines[:MAX_ERRORS_PER_COLUMN])
    more = f" och {len(lines) - MAX_ERRORS_PER_COLUMN} till" if len(lines) > 5 else ""
    warnings.append(
        f"{raw.path.name}, rad {shown}{more}, {raw.where(column)}: text som ser ut som ett "
        f"personnummer ersattes med {ID_MASK!r} innan den sparades"
    )
    python = values.to_pylist()
    for idx, text in masked.items():
        python[idx] = text
    return pa.array(python, pa.string())


def mask_personal_ids(text: str) -> str:
    """`text` with every valid-looking personal identity number replaced by ID_MASK."""

    def replace(match: re.Match[str]) -> str:
        return ID_MASK if looks_like_personal_id(match.group(0)) else match.group(0)

    return PERSONAL_ID_RE.sub(replace, text)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def looks_like_personal_id(text: str) -> bool:
    """A Swedish personnummer/samordningsnummer (ÅÅMMDD-NNNN or ÅÅÅÅMMDDNNNN, valid check digit)."""
    for match in PERSONAL_ID_RE.finditer(text):
        _, yy, mm, dd, tail = match.groups()
        day = int(dd)
        if day > 60:  # samordningsnummer: day + 60
            day -= 60
        if 1 <= int(mm) <= 12 and 1 <= day <= 31 and luhn_ok(yy + mm + dd + tail):
            return True
    return False


def pseudonym_key(processed_dir: Path) -> bytes:
    """The HMAC key: $UPPFOLJNING_PSEUDONYM_KEY, else `.pseudonym_key` beside the data.

    The key file is created once with a random key (readable by the owner only) and reused,
    so the same person gets the same pseudonym in every ingest. Changing the key changes every
    pseudonym: run `uppfoljning ingest --force` afterwards.
    """
    env = os.environ.get(PSEUDONYM_ENV, "").strip()
    if env:
        return env.encode("utf-8")
    path = Path(processed_dir) / PSEUDONYM_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return path.read_text(encoding="ascii").strip().encode("ascii")


def pseudonymise(table: pa.Table, columns: Iterable[str], key: bytes) -> pa.Table:
    """Replace each column's values by a keyed hash (HMAC-SHA256, hex)."""
    for column in columns:
        if column not in table.column_names:
            continue
        values = table.column(column).to_pylist()
        mapping = {
            v: hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX]
            for v in set(values)
            if v is not None
        }
        hashed = pa.array([mapping.get(v) for v in values], pa.string())
        table = table.set_column(table.column_names.index(column), column, hashed)
    return table


# --------------------------------------------------------------------------- placements


def _known_care_forms(
    care_forms: Iterable[str] | Mapping[str, str] | None, warnings: list[str]
) -> set[str] | dict[str, str] | None:
    """The care-form codes to accept (lower case), as code → group when the groups are known;
    None when the catalogue is not found."""
    if isinstance(care_forms, Mapping):
        return {str(c).strip().lower(): str(g) for c, g in care_forms.items()}
    if care_forms is not None:
        return {str(c).strip().lower() for c in care_forms}
    from uppfoljning.data.care_forms import load_care_forms
    from uppfoljning.data.config import ParamsError

    try:
        return {code: form.group for code, form in load_care_forms().forms.items()}
    except (FileNotFoundError, ParamsError) as exc:
        warnings.append(f"placeringar: vårdformerna kontrollerades inte ({exc})")
        return None


def _project_rules() -> DuplicateRules:
    """params/indata.yaml of the project, or the default rules outside a project."""
    from uppfoljning.data.config import project_root

    try:
        return load_rules(project_root() / "params")
    except FileNotFoundError:
        return DuplicateRules()


def _check_placements(
    table: pa.Table, raw: RawTable, problems: list[str], care_forms: set[str] | None
) -> None:
    """Row rules of the placement register; values are not echoed (personal data)."""
    name = raw.path.name
    cols = set(table.column_names)
    lines = table.column("_rad").to_pylist()

    def report(mask: pa.Array, column: str, text: str) -> None:
        indices = pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()
        for idx in indices[:MAX_ERRORS_PER_COLUMN]:
            problems.append(f"{name}, rad {lines[idx]}, {raw.where(column)}: {text}")
        if len(indices) > MAX_ERRORS_PER_COLUMN:
            problems.append(
                f"{name}, {raw.where(column)}: ytterligare "
                f"{len(indices) - MAX_ERRORS_PER_COLUMN} rader: {text}"
            )

    dates: dict[str, pa.Array] = {}
    for column in ("startdatum", "slutdatum"):
        if column not in cols:
            continue
        values = table.column(column).combine_chunks()
        parsed = pc.strptime(
            pc.if_else(pc.equal(values, ""), None, values),
            format="%Y-%m-%d",
            unit="s",
            error_is_null=True,
        )
        # Arrow rolls 2024-02-30 over to 2024-03-01: a real date formats back to itself
        roundtrip = pc.strftime(parsed, format="%Y-%m-%d")
        invalid = pc.or_kleene(pc.is_null(parsed), pc.not_equal(roundtrip, values))
        report(pc.and_(pc.not_equal(values, ""), invalid), column, "datumet finns inte i kalendern")
        parsed = pc.if_else(pc.fill_null(invalid, False), None, parsed)
        dates[column] = parsed
    if len(dates) == 2:
        report(
            pc.less(dates["slutdatum"], dates["startdatum"]),
            "slutdatum",
            "slutdatum ligger före startdatum",
        )
    if "dygnskostnad" in cols:
        report(
            pc.less(table.column("dygnskostnad"), 0), "dygnskostnad", "dygnskostnaden är negativ"
        )
    if "malgrupp" in cols:
        values = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("malgrupp")))
        allowed = pa.array(PLACEMENT_TARGET_GROUPS)
        unknown = pc.invert(pc.is_in(values, value_set=allowed))
        for idx in pc.indices_nonzero(unknown).to_pylist()[:MAX_ERRORS_PER_COLUMN]:
            problems.append(
                f"{name}, rad {lines[idx]}, {raw.where('malgrupp')}: okänd målgrupp "
                f"{values[idx].as_py()!r} (tillåtna: {', '.join(PLACEMENT_TARGET_GROUPS)})"
            )
    if "vardform" in cols and care_forms is not None:
        values = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("vardform")))
        unknown = pc.invert(pc.is_in(values, value_set=pa.array(sorted(care_forms))))
        indices = pc.indices_nonzero(unknown).to_pylist()
        for idx in indices[:MAX_ERRORS_PER_COLUMN]:
            problems.append(
                f"{name}, rad {lines[idx]}, {raw.where('vardform')}: okänd vårdform "
                f"{values[idx].as_py()!r}; lägg till den i params/vardformer.yaml"
            )
        if len(indices) > MAX_ERRORS_PER_COLUMN:
            problems.append(
                f"{name}, {raw.where('vardform')}: ytterligare "
                f"{len(indices) - MAX_ERRORS_PER_COLUMN} rader med okänd vårdform"
            )
    for column in ("gangkoppling", "tillaggsavtal"):
        if column not in cols:
            continue
        values = pc.utf8_lower(pc.utf8_trim_whitespace(table.column(column)))
        bad = pc.invert(pc.is_in(values, value_set=pa.array(sorted(PLACEMENT_FLAGS))))
        report(bad, column, "ska vara Ja, Nej eller tomt")
