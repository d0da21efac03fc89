"""The package's layers (docs/architecture.md): a forbidden import or a circle fails here.

Data flows one way, data → domain → present → run, and imports follow the layers:

- `data` imports nothing else of uppfoljning; `present` imports only `data`;
- a domain (`economy`, `volumes`, `placements`, `peers`) imports `data`, `present`, itself, and
  of another domain only what that domain's package exports (`from uppfoljning.economy import
  Ledger`), never its modules;
- nothing imports `run` or `demo` except `run` (the CLI) and the tests; `demo` may use
  everything but `run`.

Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "lib" / "uppfoljning"
DOMAINS = {"economy", "volumes", "placements", "peers"}
ALLOWED: dict[str, set[str]] = {
    "data": {"data"},
    "present": {"data", "present"},
    **{d: {"data", "present", *DOMAINS} for d in DOMAINS},
    "document": {"data", "present", "document"},  # reads report outputs, never computes
    "demo": {"data", "present", "demo", *DOMAINS},
    "run": {"data", "present", "run", "demo", "document", *DOMAINS},
    "": {"data", "present", *DOMAINS},  # uppfoljning/__init__.py: the notebooks' API
}


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] in {"notebooks", "params"}:  # links to the project's folders
            continue
        parts = ("uppfoljning", *relative.with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _imports(path: Path) -> list[tuple[int, str, bool]]:
    """(line, imported module, relative?) for every uppfoljning import in a file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, node.module or ".", True))
            elif node.module == "uppfoljning":
                found += [(node.lineno, f"uppfoljning.{a.name}", False) for a in node.names]
            elif node.module and node.module.startswith("uppfoljning."):
                found.append((node.lineno, node.module, False))
        elif isinstance(node, ast.Import):
            found += [
                (node.lineno, a.name, False) for a in node.names if a.name.startswith("uppfoljning")
            ]
    return found


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


MODULES = _modules()


def test_every_module_is_in_a_layer():
    layers = {_layer(m) for m in MODULES}
    assert layers <= set(ALLOWED), layers - set(ALLOWED)
    loose = [m for m in MODULES if m.count(".") == 1 and _layer(m) not in ALLOWED]
    assert not loose, f"modules outside the subpackages: {loose}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_follow_the_layers(module):
    source = _layer(module)
    problems = []
    for line, target, relative in _imports(MODULES[module]):
        where = f"{MODULES[module].relative_to(PACKAGE)}:{line}"
        if relative:
            problems.append(f"{where}: relative import; write uppfoljning.<package>.<module>")
            continue
        layer = _layer(target)
        if layer not in ALLOWED[source]:
            problems.append(f"{where}: {source or 'uppfoljning'} may not import {target}")
        elif (
            layer in DOMAINS
            and source in DOMAINS
            and layer != source
            and target != f"uppfoljning.{layer}"
        ):
            problems.append(
                f"{where}: {target} is internal to {layer}; import from uppfoljning.{layer}"
            )
    assert not problems, "\n".join(problems)


def test_no_circle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, path in MODULES.items():
        for _, target, relative in _imports(path):
            if not relative and _layer(target) != _layer(module) and _layer(module):
                graph[_layer(module)].add(_layer(target))

    def visit(node: str, trail: list[str]) -> list[str] | None:
        if node in trail:
            return [*trail[trail.index(node) :], node]
        for nxt in sorted(graph.get(node, ())):
            circle = visit(nxt, [*trail, node])
            if circle:
                return circle
        return None

    for start in sorted(graph):
        circle = visit(start, [])
        assert circle is None, " → ".join(circle or [])


def test_the_checker_sees_a_forbidden_import(tmp_path):
    """The rules above can fail: a data module importing a domain is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from uppfoljning.placements.report import X\n", encoding="utf-8")
    ((_, target, _),) = _imports(bad)
    assert _layer(target) not in ALLOWED["data"]


def test_lazily_exported_names_are_the_modules_own():
    """`uppfoljning.economy.EconomyReport` is `economy.report.EconomyReport`, loaded on first
    use; a name the package does not export is an AttributeError, as without the laziness."""
    import uppfoljning.document
    import uppfoljning.economy
    import uppfoljning.placements
    from uppfoljning.document import build
    from uppfoljning.economy import report
    from uppfoljning.placements import register

    assert uppfoljning.economy.EconomyReport is report.EconomyReport
    assert uppfoljning.placements.Register is register.Register
    assert uppfoljning.document.build_document is build.build_document
    for package in (uppfoljning.economy, uppfoljning.placements, uppfoljning.document):
        assert all(hasattr(package, name) for name in package.__all__)
        with pytest.raises(AttributeError):
            package.no_such_name  # noqa: B018
