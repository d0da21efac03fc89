"""The README's parameter reference, generated from the models so it cannot go stale.

`python -m uppfoljning.data.params README.md` rewrites the text between the markers;
`tests/test_params_models.py` fails when README.md holds anything else there.
"""

from __future__ import annotations

import sys
import types
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from pydantic.fields import FieldInfo

from uppfoljning.data.params.base import Kind, ParamsModel, is_model, unwrap
from uppfoljning.data.params.calendar import ReportCalendarFile
from uppfoljning.data.params.document import DocumentFile
from uppfoljning.data.params.domains import (
    ActionPlanFile,
    AssessmentsFile,
    CareFormsFile,
    PeerGroupsFile,
    PlacementSettingsFile,
    VolumeCatalogueFile,
)
from uppfoljning.data.params.files import (
    CodeMapFile,
    CodeNamesFile,
    IndataFile,
    PeriodFile,
    StructureFile,
)

PARAMS_FILES: tuple[type[ParamsModel], ...] = (
    PeriodFile,
    ReportCalendarFile,
    StructureFile,
    CodeMapFile,
    CodeNamesFile,
    IndataFile,
    ActionPlanFile,
    VolumeCatalogueFile,
    AssessmentsFile,
    CareFormsFile,
    PlacementSettingsFile,
    PeerGroupsFile,
    DocumentFile,
)
"""One model per params file type, in the order the reference shows them."""

START = "<!-- parametrar:start -->"
END = "<!-- parametrar:slut -->"
_SCALARS = {str: "text", int: "heltal", bool: "true/false", float: "tal"}


def reference() -> str:
    """The Markdown reference: per file a heading, what it is for and a table of its keys."""
    parts = []
    for model in PARAMS_FILES:
        doc = " ".join((model.__doc__ or "").split())
        table = ["| nyckel | typ | krävs | beskrivning |", "| --- | --- | --- | --- |"]
        table += [f"| {' | '.join(_cell(c) for c in row)} |" for row in _rows(model, "", ())]
        parts.append(f"#### `{model.file}`\n\n{doc}\n\n" + "\n".join(table))
    return "\n\n".join(parts) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _rows(model: type[ParamsModel], prefix: str, stack: tuple) -> Iterator[tuple[str, ...]]:
    for name, field in model.model_fields.items():
        key = f"{prefix}{name}"
        yield (
            f"`{key}`",
            _type(field.annotation, field.metadata),
            _required(field),
            (field.description or ""),
        )
        inner, below = _nested(field, key)
        if inner is not None and inner is not model and inner not in stack:  # varav: rows again
            yield from _rows(inner, below, (*stack, model))


def _nested(field: FieldInfo, key: str) -> tuple[type[ParamsModel] | None, str]:
    """The model a field holds (directly, as list items or as mapping values) and its prefix;
    a mapping's keys are shown as `<nyckel>` (the field's `json_schema_extra` may name them)."""
    inner = unwrap(field.annotation)
    origin, args = typing.get_origin(inner), typing.get_args(inner)
    if origin in (list, tuple) and args:
        item = unwrap(args[0])
        return (item, f"{key}[].") if is_model(item) else (None, "")
    if origin is dict and len(args) == 2:
        value = unwrap(args[1])
        extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
        name = extra.get("nyckel", "nyckel")
        return (value, f"{key}.<{name}>.") if is_model(value) else (None, "")
    return (inner, f"{key}.") if is_model(inner) else (None, "")


def _required(field: FieldInfo) -> str:
    if field.is_required():
        return "ja"
    default = field.default
    if isinstance(default, bool):
        return f"nej ({str(default).lower()})"
    if isinstance(default, int | float | str) and default != "":
        return f"nej ({default:g})" if isinstance(default, float) else f"nej ({default})"
    return "nej"


def _type(annotation: Any, metadata: list) -> str:
    """How the reference names a type: a `Kind` where the model gives one, else by its shape."""
    for item in metadata:
        if isinstance(item, Kind):
            return item.text
    if typing.get_origin(annotation) is Annotated:
        return _type(typing.get_args(annotation)[0], list(annotation.__metadata__))
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        return " eller ".join(_type(m, []) for m in members)
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (list, tuple) and args:
        return f"lista: {'mappningar' if is_model(unwrap(args[0])) else _type(args[0], [])}"
    if origin is dict and len(args) == 2:
        value = "mappning" if is_model(unwrap(args[1])) else _type(args[1], [])
        return f"{_type(args[0], [])}: {value}"
    if is_model(annotation):
        return "mappning"
    return _SCALARS.get(annotation, "värde")


def replace_between_markers(text: str, generated: str) -> str:
    """`text` with the part between START and END replaced by `generated`."""
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{generated}{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    """Rewrite the reference in the README given (default: README.md in the current directory)."""
    args = sys.argv[1:] if argv is None else argv
    path = Path(args[0] if args else "README.md")
    text = path.read_text(encoding="utf-8")
    path.write_text(replace_between_markers(text, reference()), encoding="utf-8")
    return 0
