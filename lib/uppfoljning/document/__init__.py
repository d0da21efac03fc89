"""The committee's document: one A4 PDF and one `rapport.html` from the report's outputs.

The notebooks compute and publish (tables/, views/, figures/, texts/, headlines/); this
package only assembles what `params/dokument.yaml` asks for, with the controllers' chapters
from the comments file, and typesets it. Nothing here computes a figure.
"""

from typing import Any

from uppfoljning.document.structure import document_headings, missing_texts

__all__ = ["DocumentError", "build_document", "document_headings", "missing_texts"]


def __getattr__(name: str) -> Any:
    """The builder (pandas, matplotlib, Typst) only when a document is built: the checks before
    a run import this package too, and an unchanged re-run should not pay for it."""
    if name in ("DocumentError", "build_document"):
        from uppfoljning.document import build

        return getattr(build, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
