"""Cells of text → typed columns: kinds, decimal marks, empty cells, the placement row rules.

A file is validated batch by batch (`FileValidator`): each batch is checked and converted as
it comes, while the problems are gathered per check and column across the whole file, so the
messages are those of one pass over the whole file: the first few per column with file, line
and column, then how many more. Values of personal data are never echoed in a message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from uppfoljning.data.params.domains import TARGET_GROUPS  # one list: the model's
from uppfoljning.data.privacy import MaskedIds, find_personal_id, mask_personal_ids_in_batch
from uppfoljning.data.reading import (
    MAX_ERRORS_PER_COLUMN,
    NeedsWholeFile,
    RawTable,
    open_csv_stream,
    read_csv,
    read_xlsx,
)
from uppfoljning.data.schemas import KIND_PATTERNS, Column, Schema

# Row-level rules of the placement register (beyond the column types).
PLACEMENT_FLAGS = frozenset({"", "ja", "j", "nej", "n", "1", "0", "x", "sant", "falskt"})

# In a decimal-comma file a dot can only be a thousands separator, in groups of three.
_DOT_THOUSANDS = r"^-?\d{1,3}(\.\d{3})+(,\d*)?$"
_AMOUNT_SPACES = (" ", "\u00a0", "\u202f", "'")
TYPES = {"amount": pa.float64(), "year": pa.int32()}
# Leading bytes of every Unicode white space but the separators removed from amounts.
_OTHER_SPACE_BYTES = (b"\t", b"\n", b"\x0b", b"\x0c", b"\r", b"\x1c", b"\x1d", b"\x1e", b"\x1f")
_OTHER_SPACE_BYTES += (b"\xc2\x85", b"\xe1\x9a", b"\xe2\x80", b"\xe2\x81", b"\xe3\x80")


def typed_schema(schema: Schema) -> pa.Schema:
    """The processed dataset's Arrow schema: every batch of every file has exactly this."""
    fields = [pa.field(c.name, TYPES.get(c.kind, pa.string())) for c in schema.columns]
    fields += [
        pa.field("_rad", pa.int32()),
        pa.field("_fil", pa.dictionary(pa.int32(), pa.string())),
    ]
    return pa.schema(fields)


class Restart(Exception):
    """The file must be read again from its start: whole (`whole`), or with a decimal comma
    that only showed up after amounts with dots had been read as decimal points."""

    def __init__(self, path: Path, *, whole: bool = False, comma: bool = False) -> None:
        super().__init__(path.name)
        self.path, self.whole, self.comma = path, whole, comma


# Amounts whose bytes are only these are stripped in one pass
# (`_without_spaces`) and checked by the cast itself (`_cast_amounts`).
_PLAIN_AMOUNT_BYTES = b"0123456789-,. \xc2\xa0"


def _value_bytes(arr: pa.Array) -> bytes:
    """All of a string array's characters as one bytes object: `in` on it tells in a
    millisecond whether any value holds a character, where a kernel looks at every value."""
    if len(arr) == 0 or arr.buffers()[2] is None:
        return b""
    offsets = np.frombuffer(arr.buffers()[1], np.int32, len(arr) + 1, arr.offset * 4)
    return memoryview(arr.buffers()[2])[offsets[0] : offsets[-1]].tobytes()


def _replace_if_present(arr: pa.Array, old: str, new: str, present: bytes) -> pa.Array:
    """`old` replaced by `new`, skipped when `present` (the values' bytes) lacks `old`."""
    return pc.replace_substring(arr, old, new) if old.encode() in present else arr


def _strip_amounts(arr: pa.Array) -> tuple[pa.Array, bytes, bool]:
    """`"1 234,50"`, `"1\u00a0234,50"`, `"−12"` → `"1234,50"`, `"-12"` (separators kept), the
    bytes of the values as they were (what they can hold), and whether those are only plain
    amount bytes (`_PLAIN_AMOUNT_BYTES`, no missing value)."""
    present = _value_bytes(arr)
    if not arr.null_count and not present.translate(None, _PLAIN_AMOUNT_BYTES):
        # Only digits, `-`, `,`, `.`, spaces and no-break spaces: the only white space there
        # is to remove, in one pass over the bytes.
        if b" " in present or b"\xc2" in present:
            arr = _without_spaces(arr)
        return arr, present, True
    for space in _AMOUNT_SPACES:
        arr = _replace_if_present(arr, space, "", present)
    # The separators are gone wherever they were; other white space is trimmed off the ends
    # (the same as trimming first), and only looked for when its bytes occur at all.
    if any(marker in present for marker in _OTHER_SPACE_BYTES):
        arr = pc.utf8_trim_whitespace(arr)
    return _replace_if_present(arr, "\u2212", "-", present), present, False


def _without_spaces(arr: pa.Array) -> pa.Array:
    """Spaces and no-break spaces dropped from values (without nulls) of plain amount bytes:
    there the no-break space is the only non-ASCII character, so its two bytes (C2 A0) occur
    nowhere else and can be dropped byte by byte, the offsets shifted by what went before."""
    n = len(arr)
    offsets = np.frombuffer(arr.buffers()[1], np.int32, n + 1, arr.offset * 4)
    raw = np.frombuffer(arr.buffers()[2], np.uint8)[offsets[0] : offsets[-1]]
    offsets = offsets - offsets[0]
    drop = (raw == 0x20) | (raw == 0xC2) | (raw == 0xA0)
    lengths = np.diff(offsets)
    if lengths.all():
        # The bytes dropped from each value, summed value by value: an array per value, not a
        # running count per byte (four bytes of fresh memory per byte of the column).
        dropped = np.add.reduceat(drop, offsets[:-1], dtype=np.int32)
        before = np.zeros(n + 1, np.int32)
        np.cumsum(dropped, out=before[1:])
        offsets = offsets - before
    else:  # an empty value: reduceat would count the next value's first byte for it
        running = np.zeros(len(raw) + 1, np.int32)
        np.cumsum(drop, dtype=np.int32, out=running[1:])
        offsets = offsets - running[offsets]
    kept = np.compress(~drop, raw)  # half the time of raw[~drop]
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(kept)]
    return pa.Array.from_buffers(pa.string(), n, buffers, 0)


_COMMA_TO_DOT = np.arange(256, dtype=np.uint8)  # each byte to itself, but `,` to `.`
_COMMA_TO_DOT[ord(",")] = ord(".")


def _normalise_amounts(arr: pa.Array, decimal_comma: bool, dots: bool, present: bytes) -> pa.Array:
    """Stripped amounts → `"1234.50"`: with a decimal comma dots (thousands) are dropped."""
    if decimal_comma and dots:
        arr = pc.replace_substring(arr, ".", "")
    if b"," not in present:
        return arr
    # An ASCII byte for another: the bytes swapped in a copy, offsets and validity kept (an
    # ASCII byte is never part of a longer UTF-8 sequence).
    validity, offsets, data = arr.buffers()
    swapped = _COMMA_TO_DOT.take(np.frombuffer(data, np.uint8))  # one pass, to a copy
    buffers = [validity, offsets, pa.py_buffer(swapped)]
    return pa.Array.from_buffers(arr.type, len(arr), buffers, arr.null_count, arr.offset)


def _dot_at_an_end(values: pa.Array) -> bool:
    """Whether some value starts with `.` or `-.`, ends with `.`, or is empty, told from the
    bytes at the values' ends (three kernels over every value took four times as long)."""
    n = len(values)
    offsets = np.frombuffer(values.buffers()[1], np.int32, n + 1, values.offset * 4)
    data = np.frombuffer(values.buffers()[2] or b"", np.uint8)
    starts, ends = offsets[:-1], offsets[1:]
    if (ends <= starts).any():
        return True
    dot, minus = ord("."), ord("-")
    first, last = data[starts], data[ends - 1]
    if (first == dot).any() or (last == dot).any():
        return True
    second = data[np.minimum(starts + 1, ends - 1)]
    return bool(((first == minus) & (second == dot)).any())


def _cast_amounts(values: pa.Array, plain: bool) -> pa.Array | None:
    """Normalised amounts as float64 when every one of them is valid, known without the
    pattern; None when some may not be (then the pattern says which).

    Amounts written with only digits, `-`, `,`, `.`, spaces and no-break spaces are, once
    normalised, made of digits, `-` and `.`. Of those strings the cast accepts what the
    pattern `^-?\\d+(\\.\\d+)?$` accepts and also `.5`, `-.5` and `5.`, and refuses every other
    one (and the empty string); so a cast that succeeds on values none of which starts with
    `.` or `-.` or ends with `.` is a cast of valid amounts only, to the same numbers.
    """
    if len(values) == 0 or not plain or _dot_at_an_end(values):
        return None
    try:
        return pc.cast(values, pa.float64())
    except pa.ArrowInvalid:
        return None


@dataclass
class _Slot:
    """The problems of one check on one column of a file: the first few, and a count."""

    cap: int = MAX_ERRORS_PER_COLUMN
    more: Callable[[int], str] | None = None
    needs: tuple[str, ...] = ()  # columns whose own problems make this check void
    messages: list[str] = field(default_factory=list)
    count: int = 0

    def add(self, count: int, message: Callable[[int], str]) -> None:
        """`count` more problems; `message(i)` gives the i-th of them (only those shown)."""
        for i in range(min(count, self.cap - len(self.messages))):
            self.messages.append(message(i))
        self.count += count

    def lines(self) -> list[str]:
        if self.more is not None and self.count > self.cap:
            return [*self.messages, self.more(self.count - self.cap)]
        return list(self.messages)


class FileValidator:
    """Checks and converts one raw file batch by batch (`batch`), then says what was wrong
    (`finish`). A batch of a file that has problems is not converted."""

    def __init__(
        self,
        path: Path,
        schema: Schema,
        columns: list[str],
        *,
        spreadsheet: bool = False,
        care_forms: Iterable[str] | None = None,
        decimal_comma: bool = False,
    ) -> None:
        self.path, self.name, self.schema = path, path.name, schema
        self.columns = columns
        self.spreadsheet = spreadsheet
        self.care_forms = care_forms
        self.target = typed_schema(schema)
        self.problems: list[str] = []  # the file's own: columns missing
        self.warnings: list[str] = []
        self._slots: dict[tuple[int, int], _Slot] = {}
        self._failed_columns: set[str] = set()
        self.rows = 0
        # decimal mark: None until a comma is seen (then True); forced True on a restart
        self._comma: bool | None = True if decimal_comma else None
        self._dots_before_comma = False
        self._first_comma: dict[str, tuple[int, str]] = {}
        self._dotted: dict[str, list[tuple[int, str]]] = {}
        self._masked: dict[str, MaskedIds] = {}
        self._batch_dots: set[str] = set()
        self._present: dict[str, bytes] = {}  # each amount column's bytes in this batch
        self._plain: dict[str, bool] = {}  # whether those are plain amount bytes only
        self._letters: dict[str, str] = {}
        # Dictionary encodings of the last batch's output columns (values unchanged by the
        # checks), for the line hashes.
        self.encoded: dict[str, pa.DictionaryArray] = {}
        known = {c.name for c in schema.columns}
        self.missing = [c for c in schema.required if c not in columns]
        for col in self.missing:
            self.problems.append(
                f"{self.name}, rad 1: kolumnen {col} saknas (krävs: {', '.join(schema.required)})"
            )
        extra = [c for c in columns if c not in known]
        if extra:
            self.warnings.append(f"{self.name}: okända kolumner lästes inte: {', '.join(extra)}")
        self._amounts = [c.name for c in schema.columns if c.kind == "amount" and c.name in columns]

    # ----------------------------------------------------------------- bookkeeping

    def _slot(self, key: tuple[int, int], **kwargs) -> _Slot:
        if key not in self._slots:
            self._slots[key] = _Slot(**kwargs)
        return self._slots[key]

    @property
    def failed(self) -> bool:
        """Whether the file has a problem so far (its batches are then only checked)."""
        return bool(self.missing) or any(s.count for s in self._slots.values())

    # ----------------------------------------------------------------- a batch

    def batch(self, raw: RawTable) -> pa.Table | None:
        """Check one batch; the typed table, or None once the file has a problem."""
        if self.missing:
            return None
        self._letters = raw.letters
        self.encoded = {}
        n = raw.rows
        stripped = self._decimal_mark(raw)
        comma = bool(self._comma)
        out: dict[str, pa.Array] = {}
        for position, column in enumerate(self.schema.columns):
            if column.name not in raw.data:
                if column.kind == "amount":
                    out[column.name] = pa.nulls(n, pa.float64())
                else:
                    out[column.name] = pa.array([""] * n, pa.string())
                continue
            original = raw.data[column.name]
            if isinstance(original, pa.ChunkedArray):
                original = original.combine_chunks()
            encoded = raw.encoded.get(column.name)
            amounts = None
            if column.kind == "amount":
                values = stripped[column.name]
                present = self._present[column.name]
                normalised = _normalise_amounts(
                    values, comma, column.name in self._batch_dots, present
                )
                amounts = _cast_amounts(normalised, self._plain[column.name])
                # valid as they stand (no empty cell: the cast refuses it), else checked
                empty = invalid = None if amounts is not None else pc.equal(values, "")
                values = normalised
            elif encoded is not None and len(encoded) == n:
                # The same checks on each distinct value once, mapped to the lines only for
                # the problems.
                values, encoded, invalid = self._check_distinct(column, original, encoded)
                if invalid is not None:
                    self._value_problems(position, column.name, raw, original, invalid)
                    continue
                empty = invalid = None
            elif (
                column.kind in KIND_PATTERNS
                and not pc.any(self._invalid(column.kind, original, pc.equal(original, ""))).as_py()
            ):
                values = original  # every cell is valid as it stands: nothing to trim
                empty = pc.equal(values, "")
            else:
                values = pc.utf8_trim_whitespace(original)
                empty = pc.equal(values, "")
            must_fill = column.required and not column.allow_empty
            if empty is not None:
                invalid = (
                    self._invalid(column.kind, values, empty)
                    if column.kind in KIND_PATTERNS
                    else None
                )
                if must_fill:
                    invalid = empty if invalid is None else pc.or_(invalid, empty)
            if invalid is not None and pc.any(invalid).as_py():
                self._value_problems(position, column.name, raw, original, invalid)
                continue
            placements = self.schema.name == "placeringar"  # its row rules need the columns
            if column.name in self._failed_columns or (self.failed and not placements):
                continue
            if amounts is not None:
                out[column.name] = amounts
            elif column.kind == "amount":
                if pc.any(empty).as_py():
                    values = pc.if_else(empty, pa.scalar(None, pa.string()), values)
                out[column.name] = pc.cast(values, pa.float64())
            elif column.kind == "year":
                out[column.name] = pc.cast(values, pa.int32())
            elif column.kind == "text" and not self.schema.personal_data:
                masked = self._masked.setdefault(column.name, MaskedIds())
                out[column.name] = mask_personal_ids_in_batch(raw, values, masked, encoded)
                if out[column.name] is values and encoded is not None:
                    self.encoded[column.name] = encoded
            else:
                out[column.name] = values
                if encoded is not None:
                    self.encoded[column.name] = encoded
        if self.schema.personal_data:
            self._personal_ids(raw)
        self.rows += n
        lines = raw.line_array()
        if self.schema.name == "placeringar":
            self._placement_rules(out, lines)
        if self.failed:
            return None
        out["_rad"] = lines
        out["_fil"] = pa.DictionaryArray.from_arrays(
            pa.array(np.zeros(n, np.int32)), pa.array([self.name])
        )
        return pa.Table.from_pydict(out, schema=self.target)

    def _check_distinct(
        self, column: Column, original: pa.Array, encoded: pa.DictionaryArray
    ) -> tuple[pa.Array, pa.DictionaryArray, pa.Array | None]:
        """A non-amount column's checks on its distinct values: (values, their encoding, the
        lines that are wrong or None). The same as the checks line by line: every check
        looks at one value at a time."""
        distinct, indices = encoded.dictionary, encoded.indices
        kind = column.kind
        if (
            kind in KIND_PATTERNS
            and not pc.any(self._invalid(kind, distinct, pc.equal(distinct, ""))).as_py()
        ):
            values, checked = original, distinct  # every cell is valid as it stands
        else:
            checked = pc.utf8_trim_whitespace(distinct)
            if pc.all(pc.equal(checked, distinct)).as_py():
                values, checked = original, distinct  # nothing to trim
            else:
                values = pc.take(checked, indices)
                encoded = pa.DictionaryArray.from_arrays(indices, checked)
        empty = pc.equal(checked, "")
        invalid = self._invalid(kind, checked, empty) if kind in KIND_PATTERNS else None
        if column.required and not column.allow_empty:
            invalid = empty if invalid is None else pc.or_(invalid, empty)
        if invalid is not None and pc.any(invalid).as_py():
            return values, encoded, pc.take(invalid, indices)
        return values, encoded, None

    def _invalid(self, kind: str, values: pa.Array, empty: pa.Array) -> pa.Array:
        if kind == "code":  # RE2's \d is ASCII: the same as ascii_is_decimal, only faster
            ok = pc.ascii_is_decimal(values)
        else:
            ok = pc.match_substring_regex(values, KIND_PATTERNS[kind][0])
        return pc.invert(pc.or_(ok, empty))

    def _value_problems(
        self, position: int, column: str, raw: RawTable, original: pa.Array, invalid: pa.Array
    ) -> None:
        self._failed_columns.add(column)
        where = self.where(column)
        pattern = KIND_PATTERNS.get(next(c.kind for c in self.schema.columns if c.name == column))
        what = pattern[1] if pattern else "ett värde"
        slot = self._slot(
            (1, position),
            more=lambda k: f"{self.name}, {where}: ytterligare {k} felaktiga värden",
        )
        indices = pc.indices_nonzero(invalid)

        def message(i: int) -> str:
            idx = indices[i].as_py()
            shown = original[idx].as_py()
            # A placement's own dates or price must not reach a log, even in an error.
            value = "värdet" if self.schema.personal_data else repr(shown)
            problem = "saknas" if shown.strip() == "" else f"{value} är inte {what}"
            return f"{self.name}, rad {raw.line(idx)}, {where}: {problem}"

        slot.add(len(indices), message)

    def where(self, column: str) -> str:
        letter = self._letters.get(column)
        return f"kolumn {column}" + (f" ({letter})" if letter else "")

    # ----------------------------------------------------------------- decimal mark

    def _decimal_mark(self, raw: RawTable) -> dict[str, pa.Array]:
        """Stripped amounts of the batch, noting commas and dots for the file's decimal mark.

        A CSV file is read as decimal-comma as soon as one amount has a comma. Then a dot is a
        thousands separator, and only in groups of three: `1.234,5` is 1234,5 but `1.5` in the
        same file could be either, so the file is refused rather than read as 1,5 kr or 15 kr.
        Excel cells hold numbers, not text, so this rule only concerns CSV files. Amounts with
        dots read before the first comma was seen make the file be read again (`Restart`).
        """
        stripped = {}
        self._batch_dots = set()  # amount columns with a dot in this batch
        undecided, dots = self._comma is None, False
        for column in self._amounts:
            values = raw.data[column]
            if isinstance(values, pa.ChunkedArray):
                values = values.combine_chunks()
            values, present, self._plain[column] = _strip_amounts(values)
            stripped[column], self._present[column] = values, present
            if self.spreadsheet:
                continue
            if column not in self._first_comma and b"," in present:
                found = pc.indices_nonzero(pc.match_substring(values, ","))
                at = found[0].as_py() if len(found) else -1
                if at >= 0:
                    self._first_comma[column] = (raw.line(at), raw.data[column][at].as_py())
            if b"." not in present:
                continue
            dotted = pc.match_substring(values, ".")
            if not pc.any(dotted).as_py():
                continue
            self._batch_dots.add(column)
            dots = True
            found = self._dotted.setdefault(column, [])
            if len(found) < MAX_ERRORS_PER_COLUMN:
                wrong = pc.and_(dotted, pc.invert(pc.match_substring_regex(values, _DOT_THOUSANDS)))
                for idx in pc.indices_nonzero(wrong).to_pylist()[
                    : MAX_ERRORS_PER_COLUMN - len(found)
                ]:
                    found.append((raw.line(idx), raw.data[column][idx].as_py()))
        if undecided and self._first_comma:
            if self._dots_before_comma:
                raise Restart(self.path, comma=True)
            self._comma = True
        elif undecided and dots:
            self._dots_before_comma = True
        return stripped

    def _ambiguous(self) -> list[str]:
        """The decimal-mark problems: dots in a file whose amounts have a decimal comma."""
        if not self._first_comma:
            return []
        example_col = next(c for c in self._amounts if c in self._first_comma)
        example_line, example_value = self._first_comma[example_col]
        out = []
        for column in self._amounts:
            for line, value in self._dotted.get(column, []):
                out.append(
                    f"{self.name}, rad {line}, {self.where(column)}: "
                    f"'{value}' har en punkt, men filen har decimalkomma "
                    f"(t.ex. rad {example_line}, {self.where(example_col)}: "
                    f"'{example_value}'); en punkt läses då bara som "
                    "tusentalsavgränsare i grupper om tre siffror. Använd ett och samma "
                    "decimaltecken i hela filen"
                )
        return out

    # ----------------------------------------------------------------- personal data

    def _personal_ids(self, raw: RawTable) -> None:
        """Refuse a file with anything that looks like a personnummer, in any column."""
        for position, column in enumerate(raw.columns):
            slot = self._slot((2, position), cap=1)
            if slot.count or column not in raw.data:
                continue
            idx = find_personal_id(raw.data[column])
            if idx is not None:
                text = (
                    f"{self.name}, rad {raw.line(idx)}, {self.where(column)}: värdet ser ut "
                    "som ett personnummer; filen vägras (använd pseudonymer)"
                )
                slot.add(1, lambda _, text=text: text)

    # ----------------------------------------------------------------- placements

    def _placement_rules(self, out: dict[str, pa.Array], lines: pa.Array) -> None:
        """Row rules of the placement register on the columns that passed their kind
        checks; values are not echoed (personal data)."""
        name = self.name

        def report(key: int, mask: pa.Array, column: str, text: str, *needs: str) -> None:
            where = self.where(column)
            slot = self._slot(
                (3, key),
                needs=needs or (column,),
                more=lambda k: f"{name}, {where}: ytterligare {k} rader: {text}",
            )
            indices = pc.indices_nonzero(pc.fill_null(mask, False))
            slot.add(
                len(indices),
                lambda i: f"{name}, rad {lines[indices[i].as_py()].as_py()}, {where}: {text}",
            )

        dates: dict[str, pa.Array] = {}
        for key, column in enumerate(("startdatum", "slutdatum")):
            if column not in out:
                continue
            values = out[column]
            parsed = pc.strptime(
                pc.if_else(pc.equal(values, ""), None, values),
                format="%Y-%m-%d",
                unit="s",
                error_is_null=True,
            )
            # Arrow rolls 2024-02-30 over to 2024-03-01: a real date formats back to itself
            roundtrip = pc.strftime(parsed, format="%Y-%m-%d")
            invalid = pc.or_kleene(pc.is_null(parsed), pc.not_equal(roundtrip, values))
            report(
                key,
                pc.and_(pc.not_equal(values, ""), invalid),
                column,
                "datumet finns inte i kalendern",
            )
            dates[column] = pc.if_else(pc.fill_null(invalid, False), None, parsed)
        if len(dates) == 2:
            report(
                2,
                pc.less(dates["slutdatum"], dates["startdatum"]),
                "slutdatum",
                "slutdatum ligger före startdatum",
                "startdatum",
                "slutdatum",
            )
        if "dygnskostnad" in out:
            report(3, pc.less(out["dygnskostnad"], 0), "dygnskostnad", "dygnskostnaden är negativ")
        if "malgrupp" in out:
            groups = pc.utf8_lower(pc.utf8_trim_whitespace(out["malgrupp"]))
            unknown = pc.indices_nonzero(
                pc.invert(pc.is_in(groups, value_set=pa.array(TARGET_GROUPS)))
            )
            where_group = self.where("malgrupp")
            self._slot((3, 4), needs=("malgrupp",)).add(
                len(unknown),
                lambda i: (
                    f"{name}, rad {lines[unknown[i].as_py()].as_py()}, {where_group}: "
                    f"okänd målgrupp {groups[unknown[i].as_py()].as_py()!r} "
                    f"(tillåtna: {', '.join(TARGET_GROUPS)})"
                ),
            )
        if "vardform" in out and self.care_forms is not None:
            forms = pc.utf8_lower(pc.utf8_trim_whitespace(out["vardform"]))
            allowed = pa.array(sorted(self.care_forms))
            unknown_forms = pc.indices_nonzero(pc.invert(pc.is_in(forms, value_set=allowed)))
            where_form = self.where("vardform")
            self._slot(
                (3, 5),
                needs=("vardform",),
                more=lambda k: f"{name}, {where_form}: ytterligare {k} rader med okänd vårdform",
            ).add(
                len(unknown_forms),
                lambda i: (
                    f"{name}, rad {lines[unknown_forms[i].as_py()].as_py()}, "
                    f"{where_form}: okänd vårdform {forms[unknown_forms[i].as_py()].as_py()!r}; "
                    "lägg till den i params/vardformer.yaml"
                ),
            )
        for key, column in enumerate(("gangkoppling", "tillaggsavtal"), start=6):
            if column not in out:
                continue
            values = pc.utf8_lower(pc.utf8_trim_whitespace(out[column]))
            bad = pc.invert(pc.is_in(values, value_set=pa.array(sorted(PLACEMENT_FLAGS))))
            report(key, bad, column, "ska vara Ja, Nej eller tomt")

    # ----------------------------------------------------------------- the end

    def finish(self) -> tuple[list[str], list[str]]:
        """(problems, warnings) of the whole file, in the order of one pass over it."""
        problems = list(self.problems)
        ambiguous = self._ambiguous() if self._comma else []
        if self.missing:
            return problems, self.warnings
        if ambiguous:
            return ambiguous, self.warnings
        for key in sorted(self._slots):
            slot = self._slots[key]
            if key[0] == 3 and any(c in self._failed_columns for c in slot.needs):
                continue  # a placement rule on a column that is wrong anyway
            problems.extend(slot.lines())
        warnings = list(self.warnings)
        for column in self.columns:
            if column in self._masked and self._masked[column].lines:
                warnings.append(self._masked[column].warning(self.name, self.where(column)))
        if self.rows == 0 and not problems:
            # An empty export is a failed export far more often than an empty dataset.
            problems.append(
                f"{self.name}, rad 2: filen har en rubrikrad men inga datarader; ta bort "
                "filen om datamängden ska vara tom"
            )
        return problems, warnings


def _whole_file(path: Path, schema: Schema, problems: list[str]) -> RawTable | None:
    if path.suffix.lower() == ".xlsx":
        return read_xlsx(path, schema, problems)
    return read_csv(path, problems)


@dataclass
class FileRead:
    """One raw file being read: its typed batches (`batches()`), then `problems`, `warnings`
    and `sha256` (None when the file was read whole or not hashed here)."""

    path: Path
    schema: Schema
    care_forms: Iterable[str] | None = None
    whole: bool = False  # read the whole file at once (after a NeedsWholeFile)
    decimal_comma: bool = False  # after a Restart: the file has a decimal comma
    digest: bool = True
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    sha256: str | None = None
    rows: int = 0
    validator: FileValidator | None = field(default=None, repr=False)

    @property
    def encoded(self) -> dict[str, pa.DictionaryArray]:
        """Dictionary encodings of columns of the batch just yielded (for the line hashes)."""
        return self.validator.encoded if self.validator is not None else {}

    def batches(self) -> Iterator[pa.Table]:
        """Typed batches while the file has no problem; raises Restart when the file must be
        read again from its start."""
        path, problems = self.path, self.problems
        stream = None
        if not self.whole and path.suffix.lower() != ".xlsx":
            text = [c.name for c in self.schema.columns if c.kind != "amount"]
            stream = open_csv_stream(path, problems, digest=self.digest, encode=text)
        if stream is None:
            raw = _whole_file(path, self.schema, problems)
            if raw is None:
                return
            parts: Iterable[RawTable] = [raw]
            columns = raw.columns
        else:
            parts, columns = stream.batches(), stream.columns
        validator = FileValidator(
            path,
            self.schema,
            columns,
            spreadsheet=path.suffix.lower() == ".xlsx",
            care_forms=self.care_forms,
            decimal_comma=self.decimal_comma,
        )
        self.validator = validator
        try:
            for part in parts:
                table = validator.batch(part)
                if table is not None:
                    yield table
        except NeedsWholeFile as exc:
            raise Restart(path, whole=True) from exc
        if stream is not None and self.digest:
            self.sha256 = stream.sha256
        self.rows = validator.rows
        file_problems, self.warnings = validator.finish()
        problems.extend(file_problems)


def read_dataset_file(
    path: Path, schema: Schema, *, care_forms: Iterable[str] | None = None
) -> tuple[pa.Table, list[str], list[str]]:
    """Read and validate one raw file at once: (typed table, problems, warnings).

    `care_forms`: the placement register's known care-form codes (None: not checked).
    """
    whole, comma = False, False
    while True:
        read = FileRead(path, schema, care_forms, whole=whole, decimal_comma=comma, digest=False)
        try:
            tables = list(read.batches())
        except Restart as restart:
            whole, comma = whole or restart.whole, comma or restart.comma
            continue
        if read.problems:
            return pa.table({}), read.problems, read.warnings
        batches = [b for t in tables for b in t.to_batches()]
        return pa.Table.from_batches(batches, typed_schema(schema)), [], read.warnings
