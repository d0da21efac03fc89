"""The care-form catalogue (`params/vardformer.yaml`): register codes, their groups, accounts.

Read by ingest (unknown codes are refused, overlapping episodes are checked per group) and by
the placement report, so it belongs to the data layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from uppfoljning.data.config import ParamsError, project_root, read_yaml

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


def _load_yaml_mapping(path: Path) -> dict:
    if not path.is_file():
        raise ParamsError(path, ["filen finns inte"])
    data = read_yaml(path)  # duplicate keys and bad bytes are errors with their line
    if not isinstance(data, dict):
        raise ParamsError(path, ["filen ska innehålla nyckel: värde-par"])
    return data


def load_care_forms(params_dir: Path | str | None = None) -> CareFormCatalogue:
    """Read and validate `vardformer.yaml` (every problem reported at once)."""
    path = _params_dir(params_dir) / CATALOGUE_FILE
    data = _load_yaml_mapping(path)
    problems: list[str] = []
    groups: dict[str, CareGroup] = {}
    for gid, spec in (data.get("grupper") or {}).items():
        if not isinstance(spec, dict) or "namn" not in spec:
            problems.append(f"grupper.{gid}: namn saknas")
            continue
        groups[str(gid)] = CareGroup(
            str(gid),
            str(spec["namn"]),
            bool(spec.get("familjehem", False)),
            bool(spec.get("konsulentstott", False)),
        )
    if not groups:
        problems.append("grupper: minst en vårdformsgrupp krävs")
    forms: dict[str, CareForm] = {}
    for code, spec in (data.get("vardformer") or {}).items():
        key = str(code).strip().lower()
        where = f"vardformer.{code}"
        if not isinstance(spec, dict):
            problems.append(f"{where}: ska ha namn, grupp och konto")
            continue
        missing = [k for k in ("namn", "grupp", "konto") if k not in spec]
        if missing:
            problems.append(f"{where}: {', '.join(missing)} saknas")
            continue
        if spec["grupp"] not in groups:
            problems.append(f"{where}: okänd grupp {spec['grupp']!r}")
        account, activity = str(spec["konto"]), spec.get("verksamhet")
        if not account.isdigit():
            problems.append(f"{where}: konto ska vara siffror (citera det), fick {account!r}")
        if activity is not None and not str(activity).isdigit():
            problems.append(f"{where}: verksamhet ska vara siffror, fick {activity!r}")
        if key in forms:
            problems.append(f"{where}: koden förekommer två gånger")
        forms[key] = CareForm(
            key,
            str(spec["namn"]),
            str(spec["grupp"]),
            account,
            None if activity is None else str(activity),
        )
    if not forms:
        problems.append("vardformer: minst en vårdform krävs")
    if problems:
        raise ParamsError(path, problems)
    return CareFormCatalogue(path, groups, forms)


def known_care_forms(params_dir: Path | str | None = None) -> frozenset[str]:
    """The register codes ingest accepts (lower case)."""
    return load_care_forms(params_dir).codes
