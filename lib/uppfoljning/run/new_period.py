"""`uppfoljning ny-period ÅÅÅÅ-MM`: a new period file and comments file from the last period's.

Starting a month should not mean writing YAML by hand. The new `params/ÅÅÅÅ-MM.yaml` is the
text of the latest earlier period file with the keys that follow from the month rewritten
(`period`, `rapporttyp`, `rubrik`, `foregaende_prognos`, `kommentarer`, `enhet`), so the
municipality's own keys and comments carry over; a trailing comment that names the old period
is replaced, and the header line is written anew. The result is validated with the period
model before it is kept. `params/kommentarer/ÅÅÅÅ-MM.md` gets one `## Rubrik` per heading the
period's reports show, in the previous comments file's order. Nothing is ever overwritten.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from uppfoljning.data.config import ParamsError, load_period_params, parse_period, read_yaml
from uppfoljning.data.params import validate
from uppfoljning.data.params.base import PERIOD_RE
from uppfoljning.data.params.calendar import (
    CALENDAR_FILE,
    DEFAULT_INTERIM_MONTHS,
    ReportCalendarFile,
)
from uppfoljning.data.params.files import PeriodFile
from uppfoljning.document import document_headings
from uppfoljning.present.formatting import period_label
from uppfoljning.run.preflight import comment_headings

TYPE_LABELS = {
    "manadsuppfoljning": "månadsuppföljning",
    "delarsrapport": "delårsrapport",
    "arsbokslut": "årsbokslut",
}
# Keys that describe one period's document only; a new period starts without them.
PER_PERIOD_KEYS = ("diarienummer", "datum")
# Keys that depend on the report type: taken from the latest earlier file of the new period's
# type when the previous file is of another (a year-end report's chapters, not the month's).
TYPE_KEYS = ("dokument", "rapporter")
# The trailing comment written for a key that is added, or whose old comment named the old period.
KEY_COMMENTS = {
    "period": "rapportperiod, ÅÅÅÅ-MM",
    "rapporttyp": "manadsuppfoljning | delarsrapport | arsbokslut",
    "rubrik": "rubrik i rapporterna",
    "kommentarer": "ekonomernas egna kommentarer, under sina rubriker",
    "enhet": "årsbokslutet redovisas i tkr",
}
_KEY_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*):(?P<rest>.*)$")
_COMMENT = re.compile(r"[ \t]+#.*$")
_STRUCTURE = re.compile(r"^rapportstruktur_(\d{4})\.yaml$")
_COMMENT_COLUMN = 37


class NewPeriodError(ValueError):
    """The new period cannot be created; the message is Swedish and says what to do."""


@dataclass(frozen=True)
class NewPeriod:
    """What `create_period` wrote, for the command's report."""

    period: str
    report_type: str
    title: str
    params_file: Path
    comments_file: Path
    based_on: Path
    previous_forecast: str | None
    headings: tuple[str, ...]


# --------------------------------------------------------------------------- the rules


def interim_months(params_dir: Path) -> tuple[int, ...]:
    """The months with an interim report, from `params/rapportkalender.yaml` (default 3, 8)."""
    path = Path(params_dir) / CALENDAR_FILE
    if not path.is_file():
        return DEFAULT_INTERIM_MONTHS
    model, problems = validate(ReportCalendarFile, read_yaml(path) or {})
    if problems or model is None:
        raise ParamsError(path, problems)
    return model.delarsrapport


def report_type(period: str, interim: Iterable[int] = DEFAULT_INTERIM_MONTHS) -> str:
    """December closes the year; the calendar's months are interim reports; the rest monthly."""
    month = parse_period(period)[1]
    if month == 12:
        return "arsbokslut"
    return "delarsrapport" if month in set(interim) else "manadsuppfoljning"


def report_title(kind: str, period: str) -> str:
    """The heading readers know: "Månadsuppföljning oktober 2024", "Delårsrapport augusti
    2024", "Verksamhetsberättelse 2024"."""
    if kind == "arsbokslut":
        return f"Verksamhetsberättelse {parse_period(period)[0]}"
    name = "Delårsrapport" if kind == "delarsrapport" else "Månadsuppföljning"
    return f"{name} {period_label(period)}"


def _period_files(params_dir: Path) -> list[Path]:
    return sorted(p for p in Path(params_dir).glob("*.yaml") if PERIOD_RE.match(p.stem))


def previous_period_file(params_dir: Path, period: str) -> Path:
    """The latest period file before `period`: the one the new period starts from."""
    earlier = [p for p in _period_files(params_dir) if p.stem < period]
    if not earlier:
        raise NewPeriodError(
            f"Det finns ingen periodfil före {period} i {params_dir} att utgå från. Skriv den "
            f"första periodfilen för hand (se params/ i uppfoljnings exempel)."
        )
    return earlier[-1]


def forecast_months(processed: Path | None) -> set[str] | None:
    """The forecast months in the ingested data; None when no forecasts were ever ingested."""
    path = Path(processed) / "prognos.parquet" if processed else None
    if path is None or not path.is_file():
        return None
    import pyarrow.parquet as pq

    return {str(m) for m in pq.read_table(path, columns=["prognosmanad"]).column(0).to_pylist()}


def previous_forecast(
    params_dir: Path, period: str, available: set[str] | None = None
) -> str | None:
    """The forecast this period shows as "föregående": the latest earlier report of the year
    that has one (not a year-end report; in the data when `available` says what is there),
    else the latest earlier forecast month of the year in the data; None in the year's first
    report."""
    year = str(parse_period(period)[0])
    candidates = []
    for path in _period_files(params_dir):
        if not (path.stem.startswith(f"{year}-") and path.stem < period):
            continue
        try:
            data = read_yaml(path)
        except ParamsError:
            continue
        kind = data.get("rapporttyp") if isinstance(data, dict) else None
        if kind in ("manadsuppfoljning", "delarsrapport") and (
            available is None or path.stem in available
        ):
            candidates.append(path.stem)
    if not candidates and available:
        candidates = [m for m in available if m.startswith(f"{year}-") and m < period]
    return max(candidates) if candidates else None


def headings_for(
    notebooks_dir: Path,
    notebooks: Sequence[str],
    *,
    document: Sequence[str] = (),
    previous_comments: Path | None = None,
) -> list[str]:
    """The `##` headings of a new comments file: those the committee document's chapters
    (`document`) and the reports show, in the order of the previous comments file, new ones
    after (the document's first)."""
    shown = [*document, *comment_headings(notebooks_dir, notebooks)]
    unique: dict[str, str] = {}
    for heading in shown:
        unique.setdefault(heading.strip().lower(), heading.strip())
    order: list[str] = []
    if previous_comments is not None and previous_comments.is_file():
        for line in previous_comments.read_text(encoding="utf-8").splitlines():
            key = line[3:].strip().lower() if line.startswith("## ") else ""
            if key in unique and key not in order:
                order.append(key)
    order += [key for key in unique if key not in order]
    return [unique[key] for key in order]


def comments_text(title: str, headings: Sequence[str]) -> str:
    """An empty comments file: a title, how it is used, and one `## Rubrik` per heading."""
    lines = [
        f"# Ekonomernas kommentarer, {title[:1].lower()}{title[1:]}",
        "",
        "Texten under varje rubrik placeras under samma rubrik i rapporten. Skriv siffror bara "
        "där de",
        "inte redan räknas fram ur data; en rubrik utan text visas som ”Ingen kommentar”.",
    ]
    for heading in headings:
        lines += ["", f"## {heading}"]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the YAML text


def _comment_column(lines: Sequence[str]) -> int:
    """Where the file's trailing comments start (the most common column), to align new ones."""
    columns = [
        m.start() + m.group(0).index("#")
        for line in lines
        if _KEY_LINE.match(line) and (m := _COMMENT.search(line))
    ]
    return max(sorted(set(columns)), key=columns.count) if columns else _COMMENT_COLUMN


def _line(key: str, value: str, comment: str | None, column: int) -> str:
    text = f"{key}: {value}"
    if not comment:
        return text
    return f"{text.ljust(column)}# {comment}" if len(text) < column else f"{text}  # {comment}"


def rewrite(
    text: str,
    updates: dict[str, str | None],
    *,
    stale: Sequence[str],
    comments: dict[str, str],
    header: str,
) -> str:
    """The previous period file's text with `updates` applied (None removes a key).

    A changed key keeps its trailing comment unless the comment names anything in `stale`
    (the old period, its month): then it gets `comments[key]`, or none. `foregaende_prognos`
    always gets `comments[key]` (it names the report), an added key too. Added keys go where
    the period model lists them. The first header comment line naming something stale becomes
    `header`; other such header lines are dropped.
    """
    lines = text.splitlines()
    column = _comment_column(lines)
    words = [s.lower() for s in stale if s]

    def is_stale(line: str) -> bool:
        return any(word in line.lower() for word in words)

    out: list[str] = []
    seen: set[str] = set()
    in_header, header_written, removing = True, False, False
    for line in lines:
        if removing and line[:1] in (" ", "\t", "-"):
            continue  # a removed key's continuation lines
        removing = False
        if in_header and line.startswith("#"):
            if not is_stale(line):
                out.append(line)
            elif not header_written:
                out.append(header)
                header_written = True
            continue
        in_header = in_header and not line.strip()
        match = _KEY_LINE.match(line)
        key = match.group("key") if match else None
        if key is None or key not in updates:
            out.append(line)
            continue
        seen.add(key)
        value = updates[key]
        if value is None:
            removing = True
            continue
        found = _COMMENT.search(match.group("rest"))
        old = found.group(0).strip()[1:].strip() if found else None
        if key == "foregaende_prognos" or (old is not None and is_stale(old)):
            comment = comments.get(key)
        else:
            comment = old
        out.append(_line(key, value, comment, column))
    fields = list(PeriodFile.model_fields)
    for key, value in updates.items():
        if key in seen or value is None:
            continue
        later = set(fields[fields.index(key) + 1 :]) if key in fields else set()
        position = next(
            (i for i, line in enumerate(out) if (m := _KEY_LINE.match(line)) and m["key"] in later),
            len(out),
        )
        out.insert(position, _line(key, value, comments.get(key), column))
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- the command


def create_period(
    params_dir: Path,
    period: str,
    *,
    notebooks_dir: Path,
    processed: Path | None = None,
) -> NewPeriod:
    """Write `params/<period>.yaml` and `params/kommentarer/<period>.md` from the previous period.

    Raises NewPeriodError when either file exists, there is no earlier period file, or the
    result does not validate (then nothing is left behind); ParamsError for a broken calendar.
    """
    params_dir = Path(params_dir)
    if not PERIOD_RE.match(str(period)):
        raise NewPeriodError(f"Ogiltig period {period!r}: använd formen ÅÅÅÅ-MM, t.ex. 2024-10.")
    target = params_dir / f"{period}.yaml"
    if target.exists():
        raise NewPeriodError(
            f"{target} finns redan; ny-period skriver aldrig över en periodfil. Ändra den för "
            f"hand, eller ta bort den först om den ska skapas om."
        )
    based_on = previous_period_file(params_dir, period)
    text = based_on.read_text(encoding="utf-8")
    old = read_yaml(based_on)
    if not isinstance(old, dict):
        raise NewPeriodError(f"{based_on} är ingen periodfil med nyckel: värde-par.")
    old_period = based_on.stem

    kind = report_type(period, interim_months(params_dir))
    title = report_title(kind, period)
    forecast = previous_forecast(params_dir, period, forecast_months(processed))
    old_comments = old.get("kommentarer")
    comments_value = (
        str(old_comments).replace(old_period, period)
        if isinstance(old_comments, str) and old_period in old_comments
        else f"kommentarer/{period}.md"
    )
    comments_file = params_dir / comments_value
    if comments_file.exists():
        raise NewPeriodError(
            f"{comments_file} finns redan; ny-period skriver aldrig över en kommentarsfil. Ta "
            f"bort den först, eller skriv periodfilen {target.name} för hand."
        )
    updates: dict[str, str | None] = {
        "period": period,
        "rapporttyp": kind,
        "rubrik": title,
        "foregaende_prognos": forecast,
        "kommentarer": comments_value,
    }
    if kind == "arsbokslut":
        updates["enhet"] = "tkr"
    elif old.get("rapporttyp") == "arsbokslut":
        updates["enhet"] = None  # the year-end unit; a new year starts in the default mnkr
    structure = _STRUCTURE.match(str(old.get("rapportstruktur", "")))
    newer = params_dir / f"rapportstruktur_{parse_period(period)[0]}.yaml"
    if structure and structure.group(1) != str(parse_period(period)[0]) and newer.is_file():
        updates["rapportstruktur"] = newer.name
    for key in PER_PERIOD_KEYS:
        if key in old:
            updates[key] = None
    if old.get("rapporttyp") != kind:
        updates.update(_same_type_values(params_dir, period, kind))
    key_comments = dict(KEY_COMMENTS)
    if forecast:
        key_comments["foregaende_prognos"] = (
            f"prognosen som visas som ”föregående” ({_type_of(params_dir, forecast)} "
            f"{period_label(forecast)})"
        )
    new_text = rewrite(
        text,
        updates,
        stale=[old_period, period_label(old_period), period_label(old_period).split()[0]],
        comments=key_comments,
        header=f"# {title}. Parametrar för `uppfoljning run {period}`.",
    )

    previous_comments = params_dir / str(old_comments) if isinstance(old_comments, str) else None
    comments_file.parent.mkdir(parents=True, exist_ok=True)
    staged = params_dir / f".{period}.yaml.ny"
    written: list[Path] = []
    try:
        # The period file names the comments file, which must exist for it to validate.
        with open(comments_file, "x", encoding="utf-8"):
            written.append(comments_file)
        staged.write_text(new_text, encoding="utf-8")
        try:
            params = load_period_params(staged, period=period)
            document = document_headings(params)
        except ParamsError as exc:
            raise NewPeriodError(
                f"Periodfilen som byggdes från {based_on.name} blev inte giltig; rätta "
                f"{based_on.name} eller skriv {target.name} för hand:\n"
                + "\n".join(f"  - {exc.path.name}: {p}" for p in exc.problems)
            ) from exc
        headings = headings_for(
            notebooks_dir,
            params.notebooks,
            document=document,
            previous_comments=previous_comments,
        )
        comments_file.write_text(comments_text(title, headings), encoding="utf-8")
        with open(target, "x", encoding="utf-8") as handle:
            written.append(target)
            handle.write(new_text)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finally:
        staged.unlink(missing_ok=True)
    return NewPeriod(
        period=period,
        report_type=kind,
        title=title,
        params_file=target,
        comments_file=comments_file,
        based_on=based_on,
        previous_forecast=forecast,
        headings=tuple(headings),
    )


def _same_type_values(params_dir: Path, period: str, kind: str) -> dict[str, str | None]:
    """`TYPE_KEYS` as the latest earlier period file of report type `kind` writes them (its
    one-line YAML values), e.g. the year-end document's chapters for a new year-end report."""
    for path in reversed([p for p in _period_files(params_dir) if p.stem < period]):
        try:
            data = read_yaml(path)
        except ParamsError:
            continue
        if not isinstance(data, dict) or data.get("rapporttyp") != kind:
            continue
        values: dict[str, str | None] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _KEY_LINE.match(line)
            if match and match["key"] in TYPE_KEYS:
                value = _COMMENT.sub("", match["rest"]).strip()
                if value:  # a block value (on the next lines) is left as the previous file has it
                    values[match["key"]] = value
        return values
    return {}


def _type_of(params_dir: Path, period: str) -> str:
    """The report type label of an earlier period ("delårsrapport"), from its file if any."""
    path = Path(params_dir) / f"{period}.yaml"
    kind = None
    if path.is_file():
        try:
            data = read_yaml(path)
        except ParamsError:
            data = None
        kind = data.get("rapporttyp") if isinstance(data, dict) else None
    return TYPE_LABELS.get(str(kind), "prognos")
