"""The committee's document: one A4 PDF and one `rapport.html` from the report's outputs.

The notebooks compute and publish (tables/, views/, figures/, texts/, headlines/); this
package only assembles what `params/dokument.yaml` asks for, with the controllers' chapters
from the comments file, and typesets it. Nothing here computes a figure.
"""

from typing import TYPE_CHECKING

from uppfoljning.data.lazy import lazy_exports
from uppfoljning.document.structure import document_headings, missing_texts

if TYPE_CHECKING:
    from uppfoljning.document.build import DocumentError, build_document

__all__ = ["DocumentError", "build_document", "document_headings", "missing_texts"]
# The builder (pandas, matplotlib, Typst) only when a document is built: the checks before a
# run import this package too, and an unchanged re-run should not pay for it.
__getattr__ = lazy_exports(__name__, {"DocumentError": "build", "build_document": "build"})
