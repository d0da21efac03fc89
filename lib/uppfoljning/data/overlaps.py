"""Doubled inputs: the same period in two files, identical lines, overlapping placements.

A month exported twice, a budget saved both as CSV and XLSX or a placement listed twice would
otherwise be added up and give a report that is wrong by the doubled amount. What counts as
a double, per dataset:

- additive datasets (ledger, budget, forecasts, investments): the same period key (ledger
  month, budget year and version, forecast month …) in two files is an error naming both files;
  identical lines within one file are a warning with their line numbers (real ledgers can hold
  legitimate identical lines), and a period whose every line has an identical twin is a month
  exported twice: an error. Both rules can be changed in `params/indata.yaml`.
- datasets of values that do not add up (volumes, staff, indicators, population, investment
  frames, action-plan measures): a key given twice, in one file or two, is always an error.
- the placement register: two episodes of one person in the same care-form group that overlap
  in time are an error naming both lines (ids and dates are never printed).

The checks need only a few columns of each file (`key_columns`): the keys, the line, and for
identical lines a 128-bit hash of the whole line (`row_hashes`), so a ledger of millions of
lines is checked without holding it. Two lines count as identical when their keys and both
64-bit halves of the hash agree: the halves combine the values in opposite orders, so a false
match needs two different values with equal 64-bit hashes in lines that agree on the rest.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

RULES_FILE = "indata.yaml"
ACROSS_CHOICES = ("vagra", "tillat")
WITHIN_CHOICES = ("vagra", "varna", "tillat")
MAX_REPORTED = 5

# Additive datasets: the columns that say which period a line belongs to.
PERIOD_KEYS: dict[str, tuple[str, ...]] = {
    "huvudbok": ("period",),
    "budget": ("ar", "version"),
    "prognos": ("prognosmanad",),
    "investeringar": ("period",),
}
# Datasets of values that are not added up: each key may occur once in all files together.
UNIQUE_KEYS: dict[str, tuple[str, ...]] = {
    "volymer": ("matt", "period", "grupp", "kon"),
    "personal": ("matt", "period", "kon"),
    "indikatorer": ("indikator", "ar", "kon"),
    "befolkning": ("kommun", "ar", "aldersgrupp", "kon"),
    "investeringsbudget": ("ar", "projekt", "prognosmanad"),
    "atgardsplan": ("atgard", "omrade", "ar", "period"),
}
# The placement register's overlap check reads these columns.
EPISODE_COLUMNS = ("person_id", "vardform", "startdatum", "slutdatum")
HASHES = ("_hash", "_hash2")
KEY_LABELS = {"ar": "år", "prognosmanad": "prognosmånad", "matt": "mått", "kon": "kön"}


@dataclass(frozen=True)
class DuplicateRules:
    """`params/indata.yaml` → `dubbletter:`; the defaults apply when the file is missing."""

    across_files: str = "vagra"
    within_file: str = "varna"
    per_dataset: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    source: str = "standardregler"

    def for_dataset(self, name: str) -> tuple[str, str]:
        return self.per_dataset.get(name, (self.across_files, self.within_file))


def load_rules(params_dir: Path | None) -> DuplicateRules:
    """Read the duplicate rules; a missing file gives the defaults (refuse across files, warn
    within a file)."""
    # The model imports this module's dataset names, so it is imported when needed.
    from uppfoljning.data.config import ParamsError, read_yaml
    from uppfoljning.data.params.base import validate
    from uppfoljning.data.params.files import IndataFile

    if params_dir is None or not (Path(params_dir) / RULES_FILE).is_file():
        return DuplicateRules()
    path = Path(params_dir) / RULES_FILE
    data = read_yaml(path) or {}
    model, problems = validate(IndataFile, data)
    if problems or model is None:
        raise ParamsError(path, problems)
    if model.dubbletter is None:
        return DuplicateRules(source=f"params/{RULES_FILE}")
    spec = model.dubbletter
    per = {
        name: (item.mellan_filer or spec.mellan_filer, item.inom_fil or spec.inom_fil)
        for name, item in (spec.per_datamangd or {}).items()
    }
    return DuplicateRules(spec.mellan_filer, spec.inom_fil, per, source=f"params/{RULES_FILE}")


# --------------------------------------------------------------------------- key columns


def key_columns(name: str) -> tuple[str, ...] | None:
    """The columns of a validated batch the checks of dataset `name` read (with `_rad`, and
    `_hash` for identical lines); None: the dataset has no such checks."""
    if name in UNIQUE_KEYS:
        return (*UNIQUE_KEYS[name], "_rad")
    if name in PERIOD_KEYS:
        return (*PERIOD_KEYS[name], "_rad", *HASHES)
    if name == "placeringar":
        return (*EPISODE_COLUMNS, "_rad")
    return None


_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xC2B2AE3D27D4EB4F)
_NULL = np.uint64(0x6A09E667F3BCC908)  # a missing value (an empty optional amount)


def _splitmix(h: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser, in place: every bit of the result depends on every input bit."""
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def value_hashes(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each value (uint64): equal values have equal hashes.

    Text is hashed once per distinct value (Python's SipHash of the string, through the
    column's dictionary), numbers by their bits; a missing value has a hash of its own.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if pa.types.is_dictionary(values.type):
        encoded = values
    elif pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        encoded = pc.dictionary_encode(values)
    else:
        encoded = None
    if encoded is not None:
        distinct = np.fromiter(
            map(hash, encoded.dictionary.to_pylist()), np.int64, len(encoded.dictionary)
        ).view(np.uint64)
        indices = encoded.indices
        out = distinct[(indices.fill_null(0) if indices.null_count else indices).to_numpy()]
    elif pa.types.is_floating(values.type):
        numbers = pc.add(values.cast(pa.float64()), 0.0)  # -0.0 → 0.0: equal numbers
        out = numbers.fill_null(0.0).to_numpy().view(np.uint64).copy()
    else:
        out = values.cast(pa.int64()).fill_null(0).to_numpy().view(np.uint64).copy()
    if values.null_count:
        out[values.is_null().to_numpy(zero_copy_only=False)] = _NULL
    return out


def row_hashes(
    table: pa.Table, encoded: Mapping[str, pa.DictionaryArray] | None = None
) -> pa.Table:
    """Two 64-bit hashes of each line's values (every column but `_rad`, `_fil`), combined in
    opposite orders: equal lines have equal hashes. `encoded`: columns already
    dictionary-encoded (the same values)."""
    columns = [c for c in table.column_names if not c.startswith("_")]
    encoded = encoded or {}
    hashes = [value_hashes(encoded.get(c, table.column(c))) for c in columns]
    n = table.num_rows
    # Horner's rule with two odd multipliers, the columns in opposite orders; each value's
    # hash is already well mixed, the line's is mixed once more at the end.
    forward = np.full(n, np.uint64(len(columns)), np.uint64)
    backward = np.full(n, np.uint64(0x5851F42D4C957F2D), np.uint64)
    for h in hashes:
        forward *= _MIX
        forward += h
    for h in reversed(hashes):
        backward *= _MIX2
        backward += h
    _splitmix(forward)
    _splitmix(backward)
    return pa.table({HASHES[0]: forward, HASHES[1]: backward})


def keys_of(
    name: str, table: pa.Table, encoded: Mapping[str, pa.DictionaryArray] | None = None
) -> pa.Table | None:
    """The columns of one validated batch that the doubled-input checks keep (`encoded`:
    columns of the batch already dictionary-encoded, for the hashes)."""
    columns = key_columns(name)
    if columns is None:
        return None
    kept = table.select([c for c in columns if c not in HASHES])
    if HASHES[0] in columns:
        for column, values in zip(HASHES, row_hashes(table, encoded).columns, strict=True):
            kept = kept.append_column(column, values)
    return kept


# --------------------------------------------------------------------------- helpers


def _describe_key(columns: Sequence[str], values: Sequence[object]) -> str:
    parts = []
    for column, value in zip(columns, values, strict=True):
        if value in ("", None):
            continue
        parts.append(f"{KEY_LABELS.get(column, column)} {value}")
    return ", ".join(parts) or "samma nyckel"


def _lines(values: Sequence[int]) -> str:
    shown = ", ".join(str(v) for v in values[:MAX_REPORTED])
    more = len(values) - MAX_REPORTED
    return f"rad {shown}" + (f" (och {more} till)" if more > 0 else "")


def _keyed(table: pa.Table, keys: Sequence[str], cache: dict | None = None) -> pa.Table:
    """Distinct key tuples of a table with the first line of each and the number of lines
    (kept in `cache` for the same table: both checks of a file need it)."""
    key = (id(table), tuple(keys))
    if cache is not None and key in cache:
        if isinstance(cache[key], Future):
            cache[key] = cache[key].result()
        return cache[key]
    keyed = table.group_by(list(keys), use_threads=False).aggregate(
        [("_rad", "min"), ("_rad", "count")]
    )
    if cache is not None:
        cache[key] = keyed
    return keyed


# --------------------------------------------------------------------------- datasets


def check_dataset(
    name: str,
    files: Sequence[tuple[Path, pa.Table]],
    rules: DuplicateRules,
    problems: list[str],
    warnings: list[str],
) -> None:
    """Collect the doubled-input problems of one dataset's validated files.

    `files` holds each file's key columns (`keys_of`) or its whole validated table.
    """
    files = [(path, _with_hashes(name, table)) for path, table in files]
    files = [(path, table) for path, table in files if table.num_rows]
    if name in UNIQUE_KEYS:
        _check_unique(name, files, UNIQUE_KEYS[name], problems)
    elif name in PERIOD_KEYS:
        keys = PERIOD_KEYS[name]
        across, within = rules.for_dataset(name)
        # Each file's periods, for both checks (the files are all alive), are grouped by
        # Arrow on a thread of their own while the line hashes are sorted (both release
        # the GIL); the identical lines are looked for first, their messages put after those
        # of the periods in two files as before. One file has no period in another file.
        found: list[str] = []
        with ThreadPoolExecutor(1) as pool:
            keyed: dict = {(id(t), keys): pool.submit(_keyed, t, keys) for _, t in files}
            if within != "tillat":
                for path, table in files:
                    _check_within(path, table, keys, within, found, warnings, keyed)
            if across == "vagra" and len(files) > 1:
                _check_across(files, keys, problems, rules, keyed)
        problems.extend(found)


def _with_hashes(name: str, table: pa.Table) -> pa.Table:
    """Key columns with hashes from a whole validated table (as tests pass them)."""
    if name in PERIOD_KEYS and HASHES[0] not in table.column_names and table.num_rows:
        return keys_of(name, table)
    return table


def _check_across(
    files: Sequence[tuple[Path, pa.Table]],
    keys: Sequence[str],
    problems: list[str],
    rules: DuplicateRules,
    keyed: dict | None = None,
) -> None:
    """The same period key in two files: name both files, the key and the first lines."""
    seen: dict[tuple, tuple[str, int]] = {}
    for path, table in files:
        distinct = _keyed(table, keys, keyed).to_pylist()
        for item in distinct:
            key = tuple(item[k] for k in keys)
            line = int(item["_rad_min"])
            if key in seen:
                other, other_line = seen[key]
                problems.append(
                    f"{other} rad {other_line} och {path.name} rad {line}, kolumn "
                    f"{keys[0]}: båda filerna innehåller {_describe_key(keys, key)}; samma "
                    "uppgifter i två filer skulle räknas dubbelt. Ta bort den ena filen "
                    f"(eller tillåt det med dubbletter.mellan_filer: tillat i params/{RULES_FILE})"
                )
            else:
                seen[key] = (path.name, line)


def _check_within(
    path: Path,
    table: pa.Table,
    keys: Sequence[str],
    within: str,
    problems: list[str],
    warnings: list[str],
    keyed: dict | None = None,
) -> None:
    """Identical lines in one file; a period made up of identical pairs is a double export."""
    # Only lines whose first hash occurs twice can be doubles: found by sorting the hashes,
    # cheap even for millions of lines; those few are then grouped on keys and both hashes.
    first = np.concatenate([c.to_numpy() for c in table.column(HASHES[0]).chunks] or [[]])
    first.sort()
    shared = np.unique(first[1:][first[1:] == first[:-1]])
    if not len(shared):
        return  # no line occurs twice: the common case, decided without listing lines
    candidates = table.filter(pc.is_in(table.column(HASHES[0]), value_set=pa.array(shared)))
    columns = [*keys, *HASHES]
    grouped = candidates.group_by(columns, use_threads=False).aggregate(
        [("_rad", "list"), ("_rad", "count")]
    )
    doubled = grouped.filter(pc.greater(grouped.column("_rad_count"), 1))
    if not doubled.num_rows:
        return
    duplicate_lines = sorted(
        line for lines in doubled.column("_rad_list").to_pylist() for line in lines[1:]
    )
    per_period = _keyed(table, keys, keyed)
    doubled_per_period = doubled.group_by(list(keys), use_threads=False).aggregate(
        [("_rad_count", "sum")]
    )
    totals = {tuple(r[k] for k in keys): r["_rad_count"] for r in per_period.to_pylist()}
    for item in doubled_per_period.to_pylist():
        key = tuple(item[k] for k in keys)
        if totals.get(key) == item["_rad_count_sum"] and item["_rad_count_sum"] >= 2:
            lines = sorted(
                line
                for row in doubled.to_pylist()
                if tuple(row[k] for k in keys) == key
                for line in row["_rad_list"]
            )
            problems.append(
                f"{path.name}, {_lines(lines)}, kolumn {keys[0]}: "
                f"{_describe_key(keys, key)} finns två gånger i filen (varje rad har en "
                "identisk kopia); perioden har exporterats två gånger. Ta bort den ena kopian"
            )
    text = (
        f"{path.name}: {len(duplicate_lines)} rader är identiska med en tidigare rad "
        f"({_lines(duplicate_lines)}); de räknas med var för sig"
    )
    if within == "vagra":
        problems.append(
            text.replace("; de räknas med var för sig", "")
            + f" (identiska rader vägras enligt params/{RULES_FILE})"
        )
    else:
        warnings.append(text)


def _check_unique(
    name: str, files: Sequence[tuple[Path, pa.Table]], keys: Sequence[str], problems: list[str]
) -> None:
    """A non-additive value given twice: name both places and the key."""
    seen: dict[tuple, str] = {}
    reported = 0
    for path, table in files:
        present = [k for k in keys if k in table.column_names]
        data = table.select([*present, "_rad"]).to_pydict()
        for index, line in enumerate(data["_rad"]):
            key = tuple(data[k][index] for k in present)
            where = f"{path.name} rad {line}"
            if key in seen:
                if reported < MAX_REPORTED * 2:
                    problems.append(
                        f"{seen[key]} och {where}, kolumn {present[0]}: "
                        f"{_describe_key(present, key)} anges två gånger ({name} summeras "
                        "inte, så det går inte att veta vilket värde som gäller)"
                    )
                reported += 1
            else:
                seen[key] = where
    if reported > MAX_REPORTED * 2:
        problems.append(f"{name}: ytterligare {reported - MAX_REPORTED * 2} dubbletter")


# --------------------------------------------------------------------------- placements


def check_placement_episodes(
    files: Sequence[tuple[Path, pa.Table]],
    care_groups: Mapping[str, str] | None,
    problems: list[str],
) -> None:
    """Two episodes of one person in one care-form group may not overlap in time.

    The end day is not a care day, so an episode ending on the day the next one starts does not
    overlap. Without the care-form catalogue the care form itself is the group.
    """
    parts = []
    for path, table in files:
        if not table.num_rows:
            continue
        forms = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("vardform"))).to_pylist()
        groups = [care_groups.get(f, f) if care_groups else f for f in forms]
        parts.append(
            {
                "person": table.column("person_id").to_pylist(),
                "group": groups,
                "start": table.column("startdatum").to_pylist(),
                "end": table.column("slutdatum").to_pylist(),
                "where": [f"{path.name} rad {line}" for line in table.column("_rad").to_pylist()],
            }
        )
    if not parts:
        return
    people = [p for part in parts for p in part["person"]]
    groups = [g for part in parts for g in part["group"]]
    starts = np.array([s for part in parts for s in part["start"]], dtype="datetime64[D]")
    ends = np.array(
        [e if e else "9999-12-31" for part in parts for e in part["end"]], dtype="datetime64[D]"
    )
    where = [w for part in parts for w in part["where"]]
    order = sorted(range(len(people)), key=lambda i: (people[i], groups[i], starts[i], ends[i]))
    reported = 0
    latest: tuple[object, object, int] | None = None  # (person, group, index of furthest end)
    for i in order:
        if latest and latest[0] == people[i] and latest[1] == groups[i]:
            previous = latest[2]
            if starts[i] < ends[previous]:
                if reported < MAX_REPORTED * 2:
                    problems.append(
                        f"{where[previous]} och {where[i]}, kolumn startdatum: samma person har "
                        f"två placeringar i vårdformsgruppen {groups[i]} som överlappar i tiden "
                        "(en placering som listats två gånger ger dubbla vårddygn)"
                    )
                reported += 1
            if ends[i] > ends[previous]:
                latest = (people[i], groups[i], i)
        else:
            latest = (people[i], groups[i], i)
    if reported > MAX_REPORTED * 2:
        problems.append(f"placeringar: ytterligare {reported - MAX_REPORTED * 2} överlappningar")
