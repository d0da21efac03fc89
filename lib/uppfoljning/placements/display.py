"""How each HVB table is shown: Swedish headers, unit and column formats for `ctx.publish`.

Number formats come from `present.tables` / `present.formatting`; a count column passes "<5"
through and shows any count under the threshold as "<5" too.
"""

from __future__ import annotations

from collections.abc import Callable

from uppfoljning.placements.period import PeriodView
from uppfoljning.present.formatting import SWEDISH_MONTHS_SHORT, format_cell, period_label
from uppfoljning.present.tables import number_format, percent_format


def display_options(view: PeriodView, table_id: str) -> dict:
    """Keyword arguments for `ctx.publish`: Swedish headers, unit and column formats."""
    days, pct, kr = number_format(0), percent_format(1), number_format(0)
    count = count_format(view.threshold)
    span, span0 = view.span, view.span_previous
    options: dict[str, dict] = {
        "hvb_varddygn": {
            "headers": {
                "rad": "Vårdform, vårddygn",
                "varddygn_foregaende_ar": f"Vårddygn {span0}",
                "varddygn": f"Vårddygn {span}",
                "forandring": "Förändring, dygn",
                "forandring_procent": "Förändring, %",
                "individer_foregaende_ar": f"Individer {span0}",
                "individer": f"Individer {span}",
            },
            "formats": {
                "varddygn_foregaende_ar": days,
                "varddygn": days,
                "forandring": days,
                "forandring_procent": pct,
                "individer_foregaende_ar": count,
                "individer": count,
            },
        },
        "hvb_varddygn_manad": {
            "headers": {"rad": "Vårdform, vårddygn", "summa": "Summa"},
            "formats": dict.fromkeys([*(SWEDISH_MONTHS_SHORT[: view.month]), "summa"], days),
        },
        "hvb_dygnskostnad": {
            "headers": {
                "rad": "Vårdform",
                "kostnad_foregaende_ar": f"Kostnad {span0}, mnkr",
                "kostnad": f"Kostnad {span}, mnkr",
                "dygnskostnad_foregaende_ar": f"Kr per vårddygn {span0}",
                "dygnskostnad": f"Kr per vårddygn {span}",
                "forandring_procent": "Förändring kr per dygn, %",
            },
            "formats": {
                "dygnskostnad_foregaende_ar": kr,
                "dygnskostnad": kr,
                "forandring_procent": pct,
            },
        },
        "hvb_pris_volym": {
            "headers": {
                "rad": "Vårdform, barn och unga",
                "varddygn_foregaende_ar": f"Vårddygn {span0}",
                "varddygn": f"Vårddygn {span}",
                "kostnad_foregaende_ar": f"Kostnad {span0}, mnkr",
                "kostnad": f"Kostnad {span}, mnkr",
                "volymeffekt": "Volymeffekt, mnkr",
                "mixeffekt": "Mixeffekt, mnkr",
                "priseffekt": "Priseffekt, mnkr",
                "total_forandring": "Total förändring, mnkr",
            },
            "formats": {"varddygn_foregaende_ar": days, "varddygn": days},
        },
        "hvb_r12": {
            "headers": {
                "rad": "Månad",
                "kostnad_barn_unga": "Kostnad barn och unga, mnkr",
                "varddygn_barn_unga": "Vårddygn barn och unga",
                "dygnskostnad_barn_unga": "Kr per vårddygn barn och unga",
                "kostnad_vuxna": "Kostnad vuxna, mnkr",
                "varddygn_vuxna": "Vårddygn vuxna",
                "dygnskostnad_vuxna": "Kr per vårddygn vuxna",
            },
            "formats": {
                "varddygn_barn_unga": days,
                "dygnskostnad_barn_unga": kr,
                "varddygn_vuxna": days,
                "dygnskostnad_vuxna": kr,
            },
        },
        "hvb_avtal": {
            "headers": {
                "rad": "Avtalsform",
                "placeringar": f"Placeringar {span}",
                "andel_placeringar": "Andel placeringar, %",
                "varddygn": f"Vårddygn {span}",
                "andel_varddygn": "Andel vårddygn, %",
                "kostnad": f"Kostnad {span}, mnkr",
                "dygnskostnad": f"Kr per vårddygn {span}",
                "dygnskostnad_foregaende_ar": f"Kr per vårddygn {span0}",
            },
            "formats": {
                "placeringar": count,
                "andel_placeringar": pct,
                "varddygn": days,
                "andel_varddygn": pct,
                "dygnskostnad": kr,
                "dygnskostnad_foregaende_ar": kr,
            },
        },
        "hvb_individer": {
            "headers": {
                "rad": "Månad",
                "individer_barn_unga": "Barn och unga, alla vårdformer",
                "individer_hvb_barn_unga": "Barn och unga, HVB",
                "individer_vuxna": "Vuxna, alla vårdformer",
                "individer_hvb_vuxna": "Vuxna, HVB",
            },
            "formats": dict.fromkeys(
                [
                    "individer_barn_unga",
                    "individer_hvb_barn_unga",
                    "individer_vuxna",
                    "individer_hvb_vuxna",
                ],
                count,
            ),
        },
        "hvb_in_ut": {
            "headers": {
                "rad": "Månad",
                "nya_barn_unga": "Nya, barn och unga",
                "avslutade_barn_unga": "Avslutade, barn och unga",
                "nya_vuxna": "Nya, vuxna",
                "avslutade_vuxna": "Avslutade, vuxna",
            },
            "formats": dict.fromkeys(
                ["nya_barn_unga", "avslutade_barn_unga", "nya_vuxna", "avslutade_vuxna"],
                count,
            ),
        },
        "hvb_langd": {
            "headers": {
                "rad": "Vårdform",
                "avslutade": f"Avslutade {span}",
                "median_langd_avslutade": "Medianlängd avslutade, dygn",
                "medel_langd_avslutade": "Medellängd avslutade, dygn",
                "andel_over_ett_ar": "Andel längre än ett år, %",
                "pagaende": f"Pågående {period_label(view.period)}",
                "median_tid_pagaende": "Median hittills pågående, dygn",
            },
            "formats": {
                "avslutade": count,
                "median_langd_avslutade": days,
                "medel_langd_avslutade": days,
                "andel_over_ett_ar": pct,
                "pagaende": count,
                "median_tid_pagaende": days,
            },
        },
        "hvb_prognos": {
            "headers": {
                "rad": "Vårdform, mnkr",
                "kostnad_hittills": f"Kostnad {span}",
                "aktiva_placeringar": "Pågående placeringar resten av året",
                "nya_placeringar": "Förväntade nya placeringar",
                "prognos_helar": f"Prognos helår {view.year}",
            },
            "formats": {},
        },
        "hvb_prognos_jamforelse": {
            "headers": {
                "rad": "Verksamhet, mnkr",
                "prognos_placeringar": "Prognos placeringar (registret)",
                "utfall_placeringskonton": f"Placeringskonton {span}",
                "utfall_rad": f"Verksamheten redovisat {span}",
                "prognos_rad": "Ekonomernas helårsprognos",
                "prognos_ovrigt": "Kvar för övriga kostnader i prognosen",
                "ovrigt_linjar": "Övriga kostnader i årstakt",
            },
            "formats": {},
        },
        "hvb_avstamning": {
            "unit": "tkr",
            "headers": {
                "rad": "Målgrupp (verksamhet), månad",
                "register": "Registret, tkr",
                "huvudbok": "Huvudboken, tkr",
                "differens": "Differens, tkr",
                "differens_procent": "Differens, %",
                "flaggad": "Över tröskeln",
            },
            "formats": {"differens_procent": pct, "flaggad": _flag_text},
        },
        "hvb_nyckeltal": {
            "headers": {
                "rad": "Nyckeltal",
                "nyckel": "Nyckel",
                "varde": "Värde",
                "enhet": "Enhet",
            },
            "formats": {"varde": count_format(view.threshold, decimals=1)},
        },
    }
    out = dict(options[table_id])
    return {"unit": out.pop("unit", "mnkr"), "deviation_columns": (), **out}


def count_format(threshold: int = 5, decimals: int = 0) -> Callable[[object], str]:
    """Display of a count column: "<5" passes through, counts under `threshold` become "<5"."""
    return lambda value: format_cell(value, decimals, threshold=threshold)


def _flag_text(value: object) -> str:
    return "Ja" if value is True or value == 1 else ""
