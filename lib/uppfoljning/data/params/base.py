"""The common ground of the params models: strict mappings, value types, Swedish messages.

A model says what a file may hold (keys, types, allowed values); `validate` runs it and turns
every pydantic error into a Swedish problem that names the YAML path (`rader[3] (569).filter.
verksamhet: …`), so a controller sees all problems of a file at once and where each one is.
Relations between values (a sum naming a row further down, a file that does not exist) are the
loaders' business: they need more than one value or the disk.
"""

from __future__ import annotations

import re
import types
import typing
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, StrictBool, StrictInt, ValidationError
from pydantic_core import PydanticCustomError

PERIOD_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
CUSTOM = "params"  # the error type of the messages written here, already in Swedish


@dataclass(frozen=True)
class Kind:
    """How the parameter reference names a value's type (Annotated metadata)."""

    text: str


class ParamsModel(BaseModel):
    """A YAML mapping: unknown keys are errors, numbers are accepted where text is asked for.

    `shape` is the message when the value is not a mapping at all (`file_shape` when the whole
    file is not), `noun` what an unknown key is called, `label` the key whose value names a
    list item in paths (`rader[3] (569)`).
    """

    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True, frozen=True)

    shape: ClassVar[str] = "ska vara nyckel: värde-par"
    file_shape: ClassVar[str] = "filen ska innehålla nyckel: värde-par"
    noun: ClassVar[str] = "nyckel"
    label: ClassVar[str | None] = None


def fail(message: str) -> PydanticCustomError:
    """An error whose message is already the Swedish text to show."""
    return PydanticCustomError(CUSTOM, "{message}", {"message": message})


# --------------------------------------------------------------------------- value types


def _codes(value: Any) -> tuple[str, ...]:
    codes = value if isinstance(value, list) else [value]
    bad = [c for c in codes if not re.fullmatch(r"\d+", str(c))]
    if bad:
        raise fail(f"koder ska vara siffror (citera dem), fick {bad}")
    return tuple(str(c) for c in codes)


def _period(value: Any) -> str:
    if not PERIOD_RE.match(str(value)):
        raise fail(f"{str(value)!r} är inte en period på formen ÅÅÅÅ-MM")
    return str(value)


def _year(value: Any) -> int:
    if isinstance(value, bool) or not re.fullmatch(r"\d{4}", str(value)):
        raise fail(f"{value!r} ska vara ett årtal")
    return int(value)


def _code_table(what: str) -> Callable[[Any], dict[str, str]]:
    """A mapping from codes to text, all keys checked at once (YAML reads 0510 as a number)."""

    def check(value: Any) -> dict[str, str]:
        if not isinstance(value, dict):
            raise fail(f"ska vara kod: {what}")
        bad = [k for k in value if not str(k).isdigit()]
        if bad:
            raise fail(f"koder ska vara siffror (citera dem): {bad}")
        return {str(k): str(v) for k, v in value.items()}

    return check


def _prefix_map(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        raise fail("ska vara gammalt prefix: nytt prefix")
    pairs = {str(k): str(v) for k, v in value.items()}
    bad = [k for k, v in pairs.items() if not (k.isdigit() and v.isdigit())]
    if bad:
        raise fail(f"prefix ska vara siffror (citera dem): {bad}")
    return pairs


def choice(
    *allowed: str,
    aliases: dict[str, str] | None = None,
    message: str = "{value!r} ska vara en av {allowed}",
) -> Any:
    """Text that must be one of `allowed` (after `aliases`, e.g. flode → flöde); `message` is
    formatted with the text given (`value`) and the allowed values (`allowed`)."""

    def check(value: Any) -> str:
        text = str(value)
        text = (aliases or {}).get(text, text)
        if text not in allowed:
            raise fail(message.format(value=str(value), allowed=", ".join(allowed)))
        return text

    return Annotated[str, BeforeValidator(check), Kind("en av " + ", ".join(allowed))]


def pattern(regex: str, kind: str, message: str) -> Any:
    """Text matching `regex`; `message` is formatted with the value given (`{value!r}`)."""

    def check(value: Any) -> str:
        if isinstance(value, bool) or not re.fullmatch(regex, str(value)):
            raise fail(message.format(value=value))
        return str(value)

    return Annotated[str, BeforeValidator(check), Kind(kind)]


def nonempty_list(item: Any, message: str) -> Any:
    """A list with at least one item; `message` when it is empty or not a list."""

    def check(value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise fail(message)
        return value

    return Annotated[tuple[item, ...], BeforeValidator(check)]


Text = Annotated[str, Kind("text")]
Integer = Annotated[StrictInt, Kind("heltal")]
Flag = Annotated[StrictBool, Kind("true/false")]
Code = pattern(r"\d+", "kod (siffror)", "ska vara siffror (citera dem), fick {value!r}")
Codes = Annotated[tuple[str, ...], BeforeValidator(_codes), Kind("kodprefix eller lista av dem")]
Period = Annotated[str, BeforeValidator(_period), Kind("period ÅÅÅÅ-MM")]
Year = Annotated[int, BeforeValidator(_year), Kind("årtal")]
PrefixMap = Annotated[
    dict[str, str], BeforeValidator(_prefix_map), Kind("gammalt prefix: nytt prefix")
]
CodeNameTable = Annotated[dict[str, str], BeforeValidator(_code_table("namn")), Kind("kod: namn")]


# --------------------------------------------------------------------------- messages

M = TypeVar("M", bound=ParamsModel)

_TYPE_WORDS = {
    "string_type": "text",
    "int_type": "ett heltal",
    "int_parsing": "ett heltal",
    "int_from_float": "ett heltal",
    "float_type": "ett tal",
    "float_parsing": "ett tal",
    "bool_type": "true eller false",
    "bool_parsing": "true eller false",
    "list_type": "en lista",
    "tuple_type": "en lista",
    "dict_type": "nyckel: värde-par",
}


def validate(
    model: type[M], data: Any, *, unknown: list[str] | None = None
) -> tuple[M | None, list[str]]:
    """The validated model, or None and every problem in Swedish with its YAML path.

    Given `unknown`, an unknown key is not a problem of its own: its YAML path is appended there
    instead, for a loader that names all of them in one message (then check `unknown` too).
    """
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        problems = []
        for error in exc.errors(include_url=False):
            if unknown is not None and error["type"] == "extra_forbidden":
                *parent, key = error["loc"]
                where, _ = _walk(model, data, parent)
                unknown.append(f"{where}.{key}" if where else str(key))
            else:
                problems.append(_message(model, data, error))
        return None, problems


def _message(root: type[ParamsModel], data: Any, error: Any) -> str:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind in ("missing", "extra_forbidden"):
        where, parent = _walk(root, data, loc[:-1])
        key = loc[-1]
        if kind == "missing":
            return _at(where, f"nyckeln {key!r} saknas")
        fields = list(parent.model_fields) if is_model(parent) else []
        noun = parent.noun if is_model(parent) else "nyckel"
        return _at(where, f"okänd {noun} {key!r} (tillåtna: {', '.join(fields)})")
    where, expected = _walk(root, data, loc)
    if kind == CUSTOM:
        return _at(where, error["msg"])
    if is_model(expected) and kind in ("model_type", "model_attributes_type", "dict_type"):
        return _at(where, expected.shape if where else expected.file_shape)
    if kind in _TYPE_WORDS:
        return _at(where, f"ska vara {_TYPE_WORDS[kind]}, fick {error['input']!r}")
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        bound = next(iter(error.get("ctx", {}).values()), "")
        word = {"greater_than_equal": "minst", "greater_than": "större än"}.get(kind, "högst")
        if kind == "less_than":
            word = "mindre än"
        return _at(where, f"ska vara {word} {bound}, fick {error['input']!r}")
    return _at(where, str(error["msg"]))


def _at(where: str, text: str) -> str:
    return f"{where}: {text}" if where else text


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, ParamsModel)


def unwrap(annotation: Any) -> Any:
    """The type inside Annotated[...] and Optional[...] (the first non-None member)."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = members[0] if members else Any
        else:
            return annotation


def _step(annotation: Any, key: Any) -> Any:
    annotation = unwrap(annotation)
    if is_model(annotation):
        field = annotation.model_fields.get(key) if isinstance(key, str) else None
        return field.annotation if field is not None else Any
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (list, tuple) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[0] if key == "[key]" else args[1]
    return Any


def _walk(root: type[ParamsModel], data: Any, loc: Iterable[Any]) -> tuple[str, Any]:
    """The YAML path of `loc` (list items named by their label key) and the type found there."""
    path, annotation, value = "", root, data
    for key in loc:
        container = unwrap(annotation)
        is_dict = typing.get_origin(container) is dict
        annotation = _step(annotation, key)
        if key == "[key]":
            continue
        if isinstance(key, int) and not is_dict:
            path += f"[{key}]"
            value = value[key] if isinstance(value, list) and key < len(value) else None
            item = unwrap(annotation)
            if is_model(item) and item.label and isinstance(value, dict) and item.label in value:
                path += f" ({value[item.label]})"
            continue
        path += f".{key}" if path else str(key)
        value = value.get(key) if isinstance(value, dict) else None
    return path, unwrap(annotation)
