"""Demo data: deterministic raw exports whose aggregates reproduce the published August 2024
report (calibration/), for every dataset. Only the command line and the tests import it."""

from importlib.resources import files


def published_text(name: str, period: str = "2024-08") -> str:
    """One published table of the calibration report (`calibration/<period>/<name>`)."""
    return (files("uppfoljning") / "demo" / "calibration" / period / name).read_text("utf-8")
