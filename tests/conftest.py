"""Shared fixtures: one demo data set per test session (generation and ingest take ~2 s)."""

from __future__ import annotations

import csv
from importlib.resources import files
from pathlib import Path

import pytest

from uppfoljning.demo_suite import write_demo_suite
from uppfoljning.ingest import ingest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def demo_data(tmp_path_factory) -> Path:
    """A data directory with demo `raw/` and ingested `processed/` (treat as read-only)."""
    data = tmp_path_factory.mktemp("demo_data")
    write_demo_suite(data / "raw")
    ingest(data / "raw", data / "processed")
    return data


def reference(name: str) -> list[dict[str, str]]:
    """A published table of the August 2024 report (the calibration copy in the package)."""
    path = files("uppfoljning") / "calibration" / "2024-08" / f"{name}.csv"
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))
