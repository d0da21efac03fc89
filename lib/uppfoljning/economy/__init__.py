"""Economy: the ledger over Parquet and the report structure's rows (`ledger`); pure
computations of the driftsammandrag and overview (`summary`), investments, budget versions and
plan years (`budget`), monthly series (`monthly`), unclassified lines, forecasts and the action
plan; the checked tables of a period (`tables`); and the report facade the notebook calls
(`report.EconomyReport`), whose headings, sections and texts live in `headers`, `sections` and
`texts`. Also the drill-down and the commentary draft (`narrative`).

Other domains use only what this package exports here.
"""

from typing import TYPE_CHECKING

from uppfoljning.data.lazy import lazy_exports

if TYPE_CHECKING:
    from uppfoljning.economy.ledger import ClassificationWarning, Ledger, classify
    from uppfoljning.economy.report import EconomyReport, publish_headlines, unclassified_summary

__all__ = [
    "ClassificationWarning",
    "EconomyReport",
    "Ledger",
    "classify",
    "publish_headlines",
    "unclassified_summary",
]
# Imported when first used: the checks before a run load `economy.actionplan` only.
__getattr__ = lazy_exports(
    __name__,
    {
        "ClassificationWarning": "ledger",
        "Ledger": "ledger",
        "classify": "ledger",
        "EconomyReport": "report",
        "publish_headlines": "report",
        "unclassified_summary": "report",
    },
)
