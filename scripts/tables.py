"""The document model as the published tables (polars frames in the column order of schemas.tables)."""
from __future__ import annotations

import polars as pl

from schemas.tables import LAYER_LETTER, SORT_KEYS, TABLES, polars_dtype
from scripts.model import AnnotatedDocument, Document, Span


def span_id(doc_id: str, layer: str, span: Span) -> str:
    """Stable while the span's document, layer and offsets are unchanged."""
    return f"{doc_id}:{LAYER_LETTER[layer]}{span.start}-{span.end}"


def _span_row(doc: Document, layer: str, span: Span) -> dict:
    return {
        "doc_id": doc.doc_id, "span_id": span_id(doc.doc_id, layer, span),
        "start": span.start, "end": span.end, "text": span.text_in(doc),
        "ls_task_id": span.source.task_id, "ls_annotation_id": span.source.annotation_id,
        "ls_region_id": span.source.region_id,
    }


def _document_row(doc: Document) -> dict:
    return {
        "doc_id": doc.doc_id, "text": doc.text, "text_sha256": doc.text_sha256, "n_chars": doc.n_chars,
        "title": doc.title, "publisher": doc.publisher, "published": doc.published,
        "language": doc.language, "source_file": doc.source_file, "rights": doc.rights,
    }


def _rows(annotated: AnnotatedDocument) -> dict[str, list[dict]]:
    doc = annotated.doc
    return {
        "entities": [
            {**_span_row(doc, "entities", e), "label": e.label, "entity_id": e.entity_id, "canonical_name": e.canonical_name}
            for e in annotated.entities
        ],
        "claims": [
            {
                **_span_row(doc, "claims", c),
                "claimant_span_id": span_id(doc.doc_id, "entities", c.claimant) if c.claimant else None,
                "cue_start": c.cue.start, "cue_end": c.cue.end, "cue_text": c.cue.text_in(doc),
                "claim_kind": c.claim_kind,
            }
            for c in annotated.claims
        ],
        "figures": [
            {**_span_row(doc, "figures", f), "value": f.value, "value_max": f.value_max,
             "unit": f.unit, "approx": f.approx, "kind": f.kind}
            for f in annotated.figures
        ],
    }


def frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """Rows as a frame with the declared columns and dtypes, sorted by the table's unique key."""
    schema = {c.name: polars_dtype(c) for c in TABLES[table]}
    return pl.DataFrame(rows, schema=schema).sort(SORT_KEYS[table], maintain_order=True)


def build_tables(corpus: dict[str, Document], annotated: dict[str, AnnotatedDocument]) -> dict[str, pl.DataFrame]:
    rows: dict[str, list[dict]] = {"documents": [_document_row(d) for d in corpus.values()],
                                   "entities": [], "claims": [], "figures": []}
    for doc_id in sorted(annotated):
        for layer, layer_rows in _rows(annotated[doc_id]).items():
            rows[layer].extend(layer_rows)
    return {table: frame(table, rows[table]) for table in TABLES}
