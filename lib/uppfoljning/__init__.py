"""uppfoljning: follow-up reports for a social services committee.

Notebooks import this package and call into it for everything: loading a period
(`open_period`), computing tables (`EconomyReport`), charts (`plots`) and text (`narrative`).

The notebook API is imported on first use (PEP 562), so that `uppfoljning ingest`, the CLI
and every worker that only reads data do not load pandas' plotting, matplotlib and the
domains: `import uppfoljning.data.ingest` costs only what ingest needs.
"""

import sys
from importlib.metadata import PackageNotFoundError, version

# jsonschema, which nbformat and papermill import, imports rfc3987_syntax if installed (JupyterLab
# installs it), and that builds a parser for a second at import (python-jsonschema/jsonschema
# #1428). It checks only the "iri" format, which nothing here validates: every worker, kernel and
# run would pay that second for nothing.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

try:
    __version__ = version("uppfoljning")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0+unknown"

__all__ = [
    "drilldown",
    "forecast",
    "EconomyReport",
    "ReportContext",
    "economy",
    "formatting",
    "narrative",
    "open_period",
    "plots",
    "report",
    "__version__",
]


def _api() -> dict[str, object]:
    """The notebooks' names, imported together as the eager package did."""
    import uppfoljning.economy as economy
    from uppfoljning.economy import EconomyReport, drilldown, forecast, narrative
    from uppfoljning.present import formatting, plots, report
    from uppfoljning.present.report import ReportContext, open_period

    return {
        "economy": economy,
        "EconomyReport": EconomyReport,
        "drilldown": drilldown,
        "forecast": forecast,
        "narrative": narrative,
        "formatting": formatting,
        "plots": plots,
        "report": report,
        "ReportContext": ReportContext,
        "open_period": open_period,
    }


def __getattr__(name: str) -> object:
    if name in __all__:
        api = _api()
        globals().update(api)
        return api[name]
    raise AttributeError(f"module 'uppfoljning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
