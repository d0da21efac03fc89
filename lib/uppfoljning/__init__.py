"""uppfoljning: follow-up reports for a social services committee.

Notebooks import this package and call into it for everything: loading a period
(`open_period`), computing tables (`EconomyReport`), charts (`plots`) and text (`narrative`).
"""

from importlib.metadata import PackageNotFoundError, version

from uppfoljning import economy
from uppfoljning.economy import EconomyReport, drilldown, forecast, narrative
from uppfoljning.present import formatting, plots, report
from uppfoljning.present.report import ReportContext, open_period

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
