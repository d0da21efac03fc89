"""The "Ej klassificerat" row per code: lines no structure row matches, made visible so a
controller sees which codes to add. DataFrames in, DataFrames out; amounts in kronor."""

from __future__ import annotations

import pandas as pd

from uppfoljning.data.config import UNCLASSIFIED_LABEL, CodeNames, ReportStructure
from uppfoljning.economy.ledger import LEVEL


def dimension(structure: ReportStructure) -> str:
    """The code dimension most rows filter on (verksamhet in both shipped structures): the code
    a controller adds to the structure to classify a stray line."""
    dims = [d for r in structure.leaf_rows for d in r.filter.include]
    return max(dict.fromkeys(dims), key=dims.count) if dims else "verksamhet"


def table(lines: pd.DataFrame, dim: str, code_names: CodeNames) -> pd.DataFrame:
    """`ej_klassificerat`: stray lines (kalla, codes, belopp) per code of `dim`, largest outcome
    first, with a sum row (`summa`).

    Columns as `driftsammandrag_period`, and `prognos` when a forecast has stray lines.
    """
    wide = lines.pivot_table(
        index=dim, columns="kalla", values="belopp", aggfunc="sum", fill_value=0.0
    )
    columns = ["utfall", "budget", "utfall_foregaende_ar"]
    columns += ["prognos"] if "prognos" in wide else []
    wide = wide.reindex(columns=columns, fill_value=0.0)
    wide.insert(2, "avvikelse", wide["budget"] - wide["utfall"])
    wide = wide.loc[wide["utfall"].abs().sort_values(ascending=False, kind="stable").index]
    wide.insert(
        0,
        "rad",
        [code_names.label(dim, str(c)) if c else "(kod saknas)" for c in wide.index],
    )
    wide[LEVEL] = "rad"
    wide.index = pd.Index([f"kod_{c}" for c in wide.index], name="rad_id")
    total = wide.drop(columns=["rad", LEVEL]).sum().to_dict()
    total |= {"rad": f"Summa {UNCLASSIFIED_LABEL.lower()}", LEVEL: "total"}
    return pd.concat([wide, pd.DataFrame([total], index=pd.Index(["summa"], name="rad_id"))])
