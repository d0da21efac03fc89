"""Swedish column headings of the economy tables, with the periods and the unit spelt out."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from uppfoljning.economy.unclassified import dimension as unclassified_dimension
from uppfoljning.present.formatting import period_label, period_range_label

if TYPE_CHECKING:
    from uppfoljning.economy.report import EconomyReport


def table_headers(eko: EconomyReport, table_id: str) -> dict[str, str]:
    """The headings of one table (`ekonomi_oversikt`, `driftsammandrag_period`, …)."""
    span = period_range_label(eko.params.period)
    last_span = period_range_label(f"{eko.year - 1}-{eko.month:02d}")
    prev = eko.previous_forecast_month
    prev_label = f"prognos {period_label(prev)}" if prev else "föregående prognos"
    now = eko.forecast_month
    now_label = f"prognos {period_label(now)}" if now else "prognos"
    overview_prev = now_label if eko.closes_year else prev_label
    outlook = f"Utfall {eko.year}" if eko.closes_year else "Prognos"
    return {
        "ekonomi_oversikt": {
            "rad": f"Belopp {eko.unit}",
            "prognos": f"Utfall {eko.year}" if eko.closes_year else "Prognos helår",
            "budget": f"Budget {eko.year}",
            "avvikelse": "Avvikelse",
            "avvikelse_foregaende_prognos": f"Avvikelse {overview_prev}",
        },
        "driftsammandrag_period": {
            "rad": f"Verksamhet, {eko.unit}",
            "utfall": f"Redovisat {span}",
            "budget": f"Budget {span}",
            "avvikelse": "Avvikelse",
            "utfall_foregaende_ar": f"Redovisat {last_span}",
        },
        "driftsammandrag_prognos": {
            "rad": f"Verksamhet, {eko.unit}",
            "prognos": "Prognos helår",
            "budget": f"Budget {eko.year}",
            "avvikelse": "Avvikelse",
            "bokslut_foregaende_ar": f"Bokslut {eko.year - 1}",
        },
        "prognosforandring": {
            "rad": f"Verksamhet, {eko.unit}",
            "prognos_foregaende": prev_label.capitalize(),
            "prognos": now_label.capitalize(),
            "forandring": "Förändring",
            "avvikelse_foregaende": f"Avvikelse {prev_label}",
            "avvikelse": f"Avvikelse {now_label}",
        },
        "investeringar": {
            "rad": f"Projekt, {eko.unit}",
            "utgifter": f"Redovisat utgifter {span}",
            "inkomster": f"Redovisat inkomster {span}",
            "prognos_utgifter": f"{outlook} utgifter",
            "prognos_inkomster": f"{outlook} inkomster",
            "prognos_netto": f"{outlook} netto",
            "ram": "Investeringsram",
            "avvikelse": "Avvikelse",
        },
        "prognosjamforelse": {
            "rad": f"Verksamhet, {eko.unit}",
            "utfall_hittills": f"Redovisat {span}",
            "prognos": f"Ekonomernas {now_label}",
            "prognos_linjar": "Linjär prognos",
            "prognos_sasong": "Säsongsprognos",
            "budget": f"Budget {eko.year}",
        },
        "atgardsplan": {
            "rad": "Område",
            "planerad_effekt": f"Planerad effekt {eko.year}",
            "planerad_effekt_perioden": f"Planerad effekt {span}",
            "realiserad_effekt": "Realiserad effekt",
            "ej_realiserad_effekt": "Ej realiserad effekt",
            "avvikelse_perioden": f"Avvikelse mot budget {span}",
        },
        "atgardsplan_atgarder": {
            "rad": "Åtgärd",
            "omrade": "Område",
            "status": "Status",
            "planerad_effekt": f"Planerad effekt {eko.year}",
            "realiserad_effekt": "Realiserad effekt",
            "ej_realiserad_effekt": "Ej realiserad effekt för perioden",
        },
    }[table_id]


def forecast_accuracy_headers(eko: EconomyReport, frame: pd.DataFrame) -> dict[str, str]:
    """`prognostraffsakerhet`: one column per forecast of the year."""
    headers = {"rad": f"Verksamhet, {eko.unit}", "utfall": f"Utfall {eko.year}"}
    for col in frame.columns:
        if col.startswith("prognosfel_"):
            headers[col] = f"Prognos {period_label(col.removeprefix('prognosfel_'))} − utfall"
    return headers


def unclassified_headers(eko: EconomyReport) -> dict[str, str]:
    """`ej_klassificerat`: the code dimension, then the driftsammandrag's columns."""
    span = period_range_label(eko.params.period)
    return {
        "rad": unclassified_dimension(eko.structure).capitalize(),
        "utfall": f"Redovisat {span}",
        "budget": f"Budget {span}",
        "avvikelse": "Avvikelse",
        "utfall_foregaende_ar": table_headers(eko, "driftsammandrag_period")[
            "utfall_foregaende_ar"
        ],
        "prognos": table_headers(eko, "prognosforandring")["prognos"],
    }
