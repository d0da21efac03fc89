"""HVB placements: care days, placements as chains of episodes, privacy suppression, the
commitment forecast, reconciliation with the ledger, and the placement report facade.

Layers (see `report` for the module map): pure computations (`dates`, `register`,
`aggregate`, `forecast`, `reconcile`, `settings`), the privacy step (`privacy`), and the
presentation the notebook calls (`PlacementReport` in `report`, its sections and `plots`).
"""

from typing import TYPE_CHECKING

from uppfoljning.data.lazy import lazy_exports
from uppfoljning.placements.settings import PlacementSettings, load_settings

if TYPE_CHECKING:
    from uppfoljning.placements.register import ADULTS, CHILDREN, TARGET_GROUPS, Register
    from uppfoljning.placements.report import PlacementReport

__all__ = [
    "ADULTS",
    "CHILDREN",
    "TARGET_GROUPS",
    "PlacementReport",
    "PlacementSettings",
    "Register",
    "load_settings",
]
# Imported when first used: the checks before a run load the settings only.
__getattr__ = lazy_exports(
    __name__,
    {
        "ADULTS": "register",
        "CHILDREN": "register",
        "TARGET_GROUPS": "register",
        "Register": "register",
        "PlacementReport": "report",
    },
)
