"""The document model as the published tables (polars frames in the column order of schemas.tables)."""
from __future__ import annotations

from collections.abc import Iterator
from operator import attrgetter

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


class Columns:
    """One table's rows gathered column by column (a list per column, not a dict per row: far cheaper to make
    and to convert), then one Arrow array per column in the table's declared dtypes."""

    def __init__(self, table: str) -> None:
        self.schema = arrow_schema(table)
        self.values: dict[str, list] = {name: [] for name in self.schema.names}

    def add(self, columns: dict[str, list]) -> None:
        """Rows given column by column (lists of one length); a column not given is null in them."""
        if unknown := columns.keys() - self.values.keys():
            raise ValueError(f"no column(s) {sorted(unknown)} in {self.schema.names}")
        height = len(next(iter(columns.values()), ()))
        for name, values in self.values.items():
            values += columns[name] if name in columns else [None] * height

    def add_rows(self, rows: list[dict]) -> None:
        self.add({name: [row[name] for row in rows] for name in rows[0]} if rows else {})

    def frame(self) -> pl.DataFrame:
        """The rows as a frame (through Arrow: much faster than polars for list columns)."""
        arrays = [pa.array(self.values[field.name], field.type) for field in self.schema]
        return pl.from_arrow(pa.Table.from_arrays(arrays, schema=self.schema))


def _attribute_columns(objects: list, names) -> dict[str, list]:
    """{name: each object's attribute of that name}"""
    return {name: list(map(attrgetter(name), objects)) for name in names}


def _span_columns(doc: Document, layer: str, spans: list[Span]) -> dict[str, list]:
    """The columns every span table has, but the provenance ids."""
    text = doc.text
    return {"doc_id": [doc.doc_id] * len(spans), "span_id": [span_id(doc.doc_id, layer, s) for s in spans],
            **_attribute_columns(spans, ("start", "end")), "text": [text[s.start:s.end] for s in spans]}


def _layer_columns(doc: Document, layer: str, spans: list) -> dict[str, list]:
    """The layer's own columns of its spans (as annotated, nothing derived)."""
    if layer == "entities":
        return _attribute_columns(spans, ("label", "entity_id", "canonical_name"))
    if layer == "claims":
        cues, text = [c.cue for c in spans], doc.text
        return {"claimant_span_id": [span_id(doc.doc_id, "entities", c.claimant) if c.claimant else None for c in spans],
                "cue_start": [c.start for c in cues], "cue_end": [c.end for c in cues], "cue_text": [text[c.start:c.end] for c in cues],
                **_attribute_columns(spans, ("claimant_type", "claim_kind", "claim_group_id"))}
    return _attribute_columns(spans, ("value", "value_max", "unit", "approx", "kind"))


def _provenance_columns(spans: list[Span], names: tuple[str, ...]) -> dict[str, list]:
    """ls_<name> of each span's Provenance."""
    sources = [s.source for s in spans]
    return {f"ls_{name}": list(map(attrgetter(name), sources)) for name in names}


def _gold_columns(annotated: AnnotatedDocument) -> dict[str, dict[str, list]]:
    """The gold layers' columns of one document."""
    doc, claims, figures = annotated.doc, annotated.claims, annotated.figures
    columns = {}
    for layer in SPAN_LAYERS:
        spans = getattr(annotated, layer)
        columns[layer] = {**_span_columns(doc, layer, spans), **_layer_columns(doc, layer, spans),
                          **_provenance_columns(spans, ("task_id", "annotation_id", "region_id"))}
    claim_spans, figure_spans = [(c.start, c.end) for c in claims], [(f.start, f.end) for f in figures]
    claim_ids, figure_ids = columns["claims"]["span_id"], columns["figures"]["span_id"]
    # the innermost other claim around each claim (a quote in a report), the figures inside it, the claim around each figure
    columns["claims"]["parent_claim_span_id"] = [None if i is None else claim_ids[i] for i in innermost_containers(claim_spans, claim_spans)]
    columns["claims"]["figure_span_ids"] = [[figure_ids[i] for i in inside] for inside in contained(claim_spans, figure_spans)]
    columns["figures"]["claim_span_id"] = [None if i is None else claim_ids[i] for i in innermost_containers(figure_spans, claim_spans)]
    return columns


RAW_COLUMNS = {c.name for c in TABLES["annotations_raw"]}


def _raw_columns(annotated: AnnotatedDocument) -> Iterator[dict[str, list]]:
    """The columns of each layer of one annotation in annotations_raw (those of other layers left out)."""
    doc = annotated.doc
    coverage = annotated.coverage or (0, doc.n_chars)
    for layer in SPAN_LAYERS:
        spans = getattr(annotated, layer)
        n = len(spans)
        values = {("figure_kind" if k == "kind" else k): v for k, v in _layer_columns(doc, layer, spans).items()}
        yield {"annotator": [annotated.annotator] * n, **_provenance_columns(spans, ("annotation_id", "region_id")),
               "ground_truth": [annotated.ground_truth] * n, "coverage_start": [coverage[0]] * n, "coverage_end": [coverage[1]] * n,
               "layer": [layer] * n, **_span_columns(doc, layer, spans), **{k: v for k, v in values.items() if k in RAW_COLUMNS}}


def documents_frame(docs) -> pl.DataFrame:
    docs, columns = list(docs), Columns("documents")
    columns.add(_attribute_columns(docs, columns.schema.names))
    return columns.frame().sort(SORT_KEYS["documents"])


def sorted_tables(parts: dict[str, list[pl.DataFrame]], documents: pl.DataFrame) -> dict[str, pl.DataFrame]:
    """Every table from its parts (unsorted frames), each sorted by its unique key, and the configs derived from them."""
    tables = {"documents": documents, **{t: pl.concat(parts.get(t) or [empty(t)]).sort(SORT_KEYS[t], maintain_order=True)
                                         for t in BUILT_TABLES}}
    return {**tables, **derived_tables(tables)}


class TableBuilder:
    """The span tables' rows for a run of tasks: the gold layers and their `ner` view, and annotations_raw.
    Entities the `ner` view cannot place are collected in `problems`."""

    def __init__(self) -> None:
        self.columns = {table: Columns(table) for table in BUILT_TABLES}
        self.problems: list[str] = []

    def add_gold(self, gold: AnnotatedDocument) -> None:
        for layer, columns in _gold_columns(gold).items():
            self.columns[layer].add(columns)
        try:
            self.columns["ner"].add_rows(sentence_rows(gold))
        except InputError as err:
            self.problems += err.problems

    def add_annotation(self, annotated: AnnotatedDocument) -> None:
        for columns in _raw_columns(annotated):
            self.columns["annotations_raw"].add(columns)

    def frames(self) -> dict[str, pl.DataFrame]:
        """The rows as unsorted frames (the rows are released)."""
        frames = {table: columns.frame() for table, columns in self.columns.items()}
        self.columns = {table: Columns(table) for table in BUILT_TABLES}
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
