"""What a notebook's page depends on, as one hash: a re-run skips notebooks whose inputs are
unchanged and keeps their pages from the previous report.

A notebook's fingerprint covers its own file, every parameter file (conservatively: the whole
`params/` folder except the comments), the period's comments file when the notebook shows
comments, the processed data and the Kolada cache, the library's own code and templates, and
the Python version. Anything else changed means the notebook runs again.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from uppfoljning.data.config import PeriodParams

PACKAGE = Path(__file__).resolve().parents[1]
# Notebooks whose pages show the controllers' comments (ctx.comment in the notebook or in the
# library sections it calls); for the others a comment change changes nothing.
_SHOWS_COMMENTS = ("ekonomi",)


def _digest_files(digest: hashlib._Hash, root: Path, files: Iterable[Path]) -> None:
    for path in sorted(files):
        if path.is_file():
            digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def _library_files() -> list[Path]:
    """The package's code and templates, not its links to the project's notebooks/params."""
    out = []
    for path in PACKAGE.rglob("*"):
        relative = path.relative_to(PACKAGE).parts
        if relative[0] in {"notebooks", "params"} or "__pycache__" in relative:
            continue
        out.append(path)
    return out


def shows_comments(notebook: Path) -> bool:
    return notebook.stem in _SHOWS_COMMENTS or "comment(" in notebook.read_text(encoding="utf-8")


def fingerprints(
    params: PeriodParams,
    notebooks: Sequence[str],
    notebooks_dir: Path,
    data_dir: Path,
    *,
    comments: bool = True,
) -> dict[str, str]:
    """{notebook: sha256 hex} of everything its page is computed from.

    With ``comments=False``, of what its computation reads: a notebook whose only change is
    the comments file then keeps its computation, and only its comment outputs are redone.
    """
    params_dir = params.path.parent
    common = hashlib.sha256(sys.version.encode("utf-8"))
    _digest_files(common, PACKAGE, _library_files())
    comments_dir = params_dir / "kommentarer"
    _digest_files(
        common,
        params_dir,
        [p for p in params_dir.rglob("*") if comments_dir not in p.parents],
    )
    _digest_files(common, params.path.parent, [params.path])
    _digest_files(common, data_dir, Path(data_dir).glob("*.parquet"))
    kolada = Path(data_dir).parent / "raw" / "kolada"
    _digest_files(common, kolada, kolada.glob("*") if kolada.is_dir() else [])
    out = {}
    for name in notebooks:
        digest = common.copy()
        notebook = Path(notebooks_dir) / f"{name}.ipynb"
        _digest_files(digest, Path(notebooks_dir), [notebook])
        if comments and params.comments_file is not None and shows_comments(notebook):
            _digest_files(digest, params_dir, [params.comments_file])
        out[name] = digest.hexdigest()
    return out
