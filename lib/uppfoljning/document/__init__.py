"""The committee's document: one A4 PDF and one `rapport.html` from the report's outputs.

The notebooks compute and publish (tables/, views/, figures/, texts/, headlines/); this
package only assembles what `params/dokument.yaml` asks for, with the controllers' chapters
from the comments file, and typesets it. Nothing here computes a figure.
"""

from uppfoljning.document.build import (
    DocumentError,
    build_document,
    document_headings,
    missing_texts,
)

__all__ = ["DocumentError", "build_document", "document_headings", "missing_texts"]
