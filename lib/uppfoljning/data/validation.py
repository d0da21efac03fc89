"""Cells of text → typed columns: kinds, decimal marks, empty cells, the placement row rules.

All problems of a file are collected (at most a few per column), each with file, line and
column; values of personal data are never echoed in a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from uppfoljning.data.params.domains import TARGET_GROUPS  # one list: the model's
from uppfoljning.data.privacy import mask_personal_ids_in_column, refuse_personal_ids
from uppfoljning.data.reading import MAX_ERRORS_PER_COLUMN, RawTable, read_csv, read_xlsx
from uppfoljning.data.schemas import KIND_PATTERNS, Schema

# Row-level rules of the placement register (beyond the column types).
PLACEMENT_FLAGS = frozenset({"", "ja", "j", "nej", "n", "1", "0", "x", "sant", "falskt"})

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
                f"'{raw.data[column][idx].as_py()}' har en punkt, men filen har decimalkomma "
                f"(t.ex. rad {raw.line(example_idx)}, {raw.where(example_col)}: "
                f"'{raw.data[example_col][example_idx].as_py()}'); en punkt läses då bara som "
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
            out[column.name] = mask_personal_ids_in_column(raw, column.name, values, warnings)
        else:
            out[column.name] = values
    if schema.personal_data:
        refuse_personal_ids(raw, problems)
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
        raw = read_xlsx(path, schema, problems)
    else:
        raw = read_csv(path, problems)
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
        allowed = pa.array(TARGET_GROUPS)
        unknown = pc.invert(pc.is_in(values, value_set=allowed))
        for idx in pc.indices_nonzero(unknown).to_pylist()[:MAX_ERRORS_PER_COLUMN]:
            problems.append(
                f"{name}, rad {lines[idx]}, {raw.where('malgrupp')}: okänd målgrupp "
                f"{values[idx].as_py()!r} (tillåtna: {', '.join(TARGET_GROUPS)})"
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
