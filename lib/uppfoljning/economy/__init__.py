"""Economy: the ledger over Parquet, the report structure's rows, forecasts, the action plan,
table checks, the drill-down and the economy report facade (`EconomyReport`).

Other domains use only what this package exports here.
"""

from uppfoljning.economy.ledger import ClassificationWarning, Ledger, classify

__all__ = ["ClassificationWarning", "Ledger", "classify"]
