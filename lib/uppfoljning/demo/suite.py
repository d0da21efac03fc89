"""Every demo input in one call: ledger and economy files, volumes, placements, Kolada cache.

Each part has its own generator module and random stream, so adding a part never changes the
files of another; the whole set is byte-identical from run to run.
"""

from __future__ import annotations

from pathlib import Path

from uppfoljning.demo.economy import write_demo_data
from uppfoljning.demo.history import write_demo_history
from uppfoljning.demo.kolada import write_demo_kolada_cache
from uppfoljning.demo.volumes import write_demo_volumes


def write_demo_suite(out_dir: Path) -> list[Path]:
    """Write all demo raw files into `out_dir` (the Kolada cache into `out_dir/kolada/`)."""
    out_dir = Path(out_dir)
    files = list(write_demo_data(out_dir))
    files += write_demo_history(out_dir)
    files += write_demo_volumes(out_dir)
    cache = out_dir / "kolada"
    write_demo_kolada_cache(cache, force=True)
    files += sorted(p for p in cache.iterdir() if p.is_file())
    return files
