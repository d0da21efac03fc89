"""The care-form catalogue (`params/vardformer.yaml`): register codes, their groups, accounts.

Read by ingest (unknown codes are refused, overlapping episodes are checked per group) and by
the placement report, so it belongs to the data layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from uppfoljning.data.config import ParamsError, project_root, read_yaml
from uppfoljning.data.params import validate
from uppfoljning.data.params.domains import CareFormsFile

CATALOGUE_FILE = "vardformer.yaml"


@dataclass(frozen=True)
class CareGroup:
    """A care-form group the report shows as one row (HVB, SiS, familjehem egen regi …)."""

    id: str
    label: str
    family_home: bool = False
    consultancy: bool = False


@dataclass(frozen=True)
class CareForm:
    """A register code: its label, group, ledger account and (rarely) its own activity code."""

    code: str
    label: str
    group: str
    account: str
    activity: str | None = None  # SCB verksamhet when it does not follow the target group


@dataclass(frozen=True)
class CareFormCatalogue:
    """`params/vardformer.yaml`: codes give meaning in params, not in code (DESIGN §5)."""

    path: Path
    groups: dict[str, CareGroup]
    forms: dict[str, CareForm]

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(self.forms)

    def group_label(self, group: str) -> str:
        return self.groups[group].label

    @property
    def family_home_groups(self) -> list[str]:
        return [g.id for g in self.groups.values() if g.family_home]

    @property
    def consultancy_groups(self) -> list[str]:
        return [g.id for g in self.groups.values() if g.consultancy]


def _params_dir(params_dir: Path | str | None) -> Path:
    return Path(params_dir) if params_dir else project_root() / "params"


def _read_existing(path: Path) -> object:
    """A params file as data; a missing file, bad bytes and duplicate keys are ParamsErrors."""
    if not path.is_file():
        raise ParamsError(path, ["filen finns inte"])
    return read_yaml(path)  # duplicate keys and bad bytes are errors with their line


def _care_form_relations(data: object) -> list[str]:
    """What the model cannot see: groups named by the forms, codes equal but for case."""
    if not isinstance(data, dict):
        return []
    groups = data.get("grupper")
    known = {str(g) for g in groups} if isinstance(groups, dict) else set()
    forms = data.get("vardformer")
    problems: list[str] = []
    seen: set[str] = set()
    for code, spec in forms.items() if isinstance(forms, dict) else ():
        where = f"vardformer.{code}"
        group = spec.get("grupp") if isinstance(spec, dict) else None
        if isinstance(groups, dict) and group is not None and str(group) not in known:
            problems.append(f"{where}: okänd grupp {group!r}")
        key = str(code).strip().lower()
        if key in seen:
            problems.append(f"{where}: koden förekommer två gånger")
        seen.add(key)
    return problems


def load_care_forms(params_dir: Path | str | None = None) -> CareFormCatalogue:
    """Read and validate `vardformer.yaml` (every problem reported at once)."""
    path = _params_dir(params_dir) / CATALOGUE_FILE
    data = _read_existing(path)
    model, problems = validate(CareFormsFile, data)
    problems += _care_form_relations(data)
    if problems or model is None:
        raise ParamsError(path, problems)
    groups = {
        gid: CareGroup(gid, spec.namn, spec.familjehem, spec.konsulentstott)
        for gid, spec in model.grupper.items()
    }
    forms: dict[str, CareForm] = {}
    for code, spec in model.vardformer.items():
        key = code.strip().lower()
        forms[key] = CareForm(key, spec.namn, spec.grupp, spec.konto, spec.verksamhet)
    return CareFormCatalogue(path, groups, forms)


def known_care_forms(params_dir: Path | str | None = None) -> frozenset[str]:
    """The register codes ingest accepts (lower case)."""
    return load_care_forms(params_dir).codes
