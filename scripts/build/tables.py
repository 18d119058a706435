"""The document model as the published tables (polars frames in the column order of schemas.tables)."""
from __future__ import annotations

import polars as pl
import pyarrow as pa

from schemas.derived import derived_tables
from schemas.tables import (
    DERIVED,
    LAYER_LETTER,
    SORT_KEYS,
    SPAN_LAYERS,
    TABLES,
    arrow_schema,
    empty,
)
from scripts.core.intervals import contained, innermost_containers
from scripts.core.model import AnnotatedDocument, Document, InputError, Span
from scripts.core.tokens import sentence_rows


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



def _layer_values(doc: Document, layer: str, span) -> dict:
    """The layer's own columns of a span (as annotated, nothing derived)."""
    if layer == "entities":
        return {"label": span.label, "entity_id": span.entity_id, "canonical_name": span.canonical_name}
    if layer == "claims":
        return {"claimant_span_id": span_id(doc.doc_id, "entities", span.claimant) if span.claimant else None,
                "claimant_type": span.claimant_type, "cue_start": span.cue.start, "cue_end": span.cue.end,
                "cue_text": span.cue.text_in(doc), "claim_kind": span.claim_kind, "claim_group_id": span.claim_group_id}
    return {"value": span.value, "value_max": span.value_max, "unit": span.unit, "approx": span.approx, "kind": span.kind}


def _rows(annotated: AnnotatedDocument) -> dict[str, list[dict]]:
    doc, claims = annotated.doc, annotated.claims
    rows = {layer: [{**_span_row(doc, layer, s), **_layer_values(doc, layer, s)} for s in getattr(annotated, layer)]
            for layer in SPAN_LAYERS}
    claim_spans, figures = [(c.start, c.end) for c in claims], annotated.figures
    figure_spans = [(f.start, f.end) for f in figures]
    parents = innermost_containers(claim_spans, claim_spans)  # the innermost other claim around each: a quote in a report
    for row, parent, inside in zip(rows["claims"], parents, contained(claim_spans, figure_spans)):
        row["parent_claim_span_id"] = None if parent is None else span_id(doc.doc_id, "claims", claims[parent])
        row["figure_span_ids"] = [span_id(doc.doc_id, "figures", figures[i]) for i in inside]
    for row, claim in zip(rows["figures"], innermost_containers(figure_spans, claim_spans)):
        row["claim_span_id"] = None if claim is None else span_id(doc.doc_id, "claims", claims[claim])
    return rows


RAW_COLUMNS = {c.name for c in TABLES["annotations_raw"]}


def _raw_rows(annotated: AnnotatedDocument) -> list[dict]:
    """One row per span of one annotation (annotations_raw)."""
    doc = annotated.doc
    coverage = annotated.coverage or (0, doc.n_chars)
    rows = []
    for layer in SPAN_LAYERS:
        for s in getattr(annotated, layer):
            values = {("figure_kind" if k == "kind" else k): v for k, v in _layer_values(doc, layer, s).items()}
            rows.append({
                "doc_id": doc.doc_id, "annotator": annotated.annotator, "ls_annotation_id": s.source.annotation_id,
                "ls_region_id": s.source.region_id, "ground_truth": annotated.ground_truth, "coverage_start": coverage[0], "coverage_end": coverage[1],
                "layer": layer, "span_id": span_id(doc.doc_id, layer, s), "start": s.start, "end": s.end, "text": s.text_in(doc),
                **{k: v for k, v in values.items() if k in RAW_COLUMNS},
            })
    return rows


def unsorted_frame(table: str, rows: list[dict]) -> pl.DataFrame:
    """Rows as a frame with the declared columns and dtypes (through Arrow: much faster than polars for list columns)."""
    return pl.from_arrow(pa.Table.from_pylist(rows, schema=arrow_schema(table)))


def documents_frame(docs) -> pl.DataFrame:
    return unsorted_frame("documents", [_document_row(d) for d in docs]).sort(SORT_KEYS["documents"])


def sorted_tables(parts: dict[str, list[pl.DataFrame]], documents: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Every table from its parts (unsorted frames), each sorted by its unique key, and the configs derived from them."""
    tables = {"documents": documents, **{t: pl.concat(parts.get(t) or [empty(t)]).sort(SORT_KEYS[t], maintain_order=True)
                                         for t in BUILT_TABLES}}
    return {**tables, **derived_tables(tables)}


class TableBuilder:
    """The span tables' rows for a run of tasks: the gold layers and their `ner` view, and annotations_raw.
    Entities the `ner` view cannot place are collected in `problems`."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {table: [] for table in BUILT_TABLES}
        self.problems: list[str] = []

    def add_gold(self, gold: AnnotatedDocument) -> None:
        for layer, layer_rows in _rows(gold).items():
            self.rows[layer] += layer_rows
        try:
            self.rows["ner"] += sentence_rows(gold)
        except InputError as err:
            self.problems += err.problems

    def add_annotation(self, annotated: AnnotatedDocument) -> None:
        self.rows["annotations_raw"] += _raw_rows(annotated)

    def frames(self) -> dict[str, pl.DataFrame]:
        """The rows as unsorted frames (the rows are released)."""
        frames = {table: unsorted_frame(table, rows) for table, rows in self.rows.items()}
        self.rows = {table: [] for table in BUILT_TABLES}
        return frames


BUILT_TABLES = [t for t in TABLES if t != "documents" and t not in DERIVED]  # built from the document model


def build_tables(corpus: dict[str, Document], gold: dict[str, AnnotatedDocument],
                 all_annotations: list[AnnotatedDocument] = ()) -> dict[str, pl.DataFrame]:
    """Every table, sorted: the gold layers and their `ner` view from `gold`, annotations_raw from
    `all_annotations`; InputError listing every entity the `ner` view could not place."""
    builder = TableBuilder()
    for doc_id in sorted(gold):
        builder.add_gold(gold[doc_id])
    for annotated in all_annotations:
        builder.add_annotation(annotated)
    if builder.problems:
        raise InputError(builder.problems)
    return sorted_tables({t: [f] for t, f in builder.frames().items()}, documents_frame(corpus.values()))
