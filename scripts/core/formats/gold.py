"""The gold of a release as the document model: {doc_id: AnnotatedDocument}, from the tables that
`scripts.build.read_release` reads (ClassLabel ints already decoded), plus what every writer shares."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Optional

import polars as pl

from scripts.core.model import (
    AnnotatedDocument,
    Claim,
    Document,
    Entity,
    Figure,
    InputError,
    Provenance,
    Span,
)


@dataclass
class Written:
    """What a writer wrote, and every span its format could not hold (named; never silently dropped)."""

    files: list[Path] = field(default_factory=list)
    unrepresented: list[str] = field(default_factory=list)


def _source(row: dict) -> Optional[Provenance]:
    return None if row.get("ls_task_id") is None else Provenance(row["ls_task_id"], row["ls_annotation_id"], row["ls_region_id"])


def _rows(frame: pl.DataFrame) -> list[dict]:
    return frame.sort("doc_id", "start", "end", maintain_order=True).to_dicts() if frame.height else []


def gold_documents(tables: Mapping[str, pl.DataFrame]) -> dict[str, AnnotatedDocument]:
    """Every document, in doc_id order, with its gold spans in offset order."""
    gold, problems, entities = {}, [], {}
    for r in tables["documents"].sort("doc_id").to_dicts():
        doc = Document(r["doc_id"], r["text"], r["text_sha256"], r["title"], r["publisher"], r["published"],
                       r["language"], r["source_file"], r["rights"])
        gold[doc.doc_id] = AnnotatedDocument(doc, ground_truth=True)
    for layer in ("entities", "figures", "claims"):
        for r in _rows(tables[layer]):
            if r["doc_id"] not in gold:
                problems.append(f"{layer} {r['span_id']}: doc {r['doc_id']!r} is not in the documents config")
                continue
            if layer == "entities":
                span = entities[r["span_id"]] = Entity(r["start"], r["end"], _source(r), label=r["label"],
                                                       entity_id=r["entity_id"], canonical_name=r["canonical_name"])
            elif layer == "figures":
                span = Figure(r["start"], r["end"], _source(r), value=r["value"], value_max=r["value_max"],
                              unit=r["unit"], approx=r["approx"], kind=r["kind"])
            else:
                claimant = entities.get(r["claimant_span_id"]) if r["claimant_span_id"] else None
                if r["claimant_span_id"] and claimant is None:
                    problems.append(f"claims {r['span_id']}: claimant {r['claimant_span_id']} is not in the entities config")
                    continue
                span = Claim(r["start"], r["end"], _source(r), claim_kind=r["claim_kind"],
                             cue=Span(r["cue_start"], r["cue_end"], None),
                             claimant=Span(claimant.start, claimant.end, claimant.source) if claimant else None,
                             claimant_type=r["claimant_type"], claim_group_id=r["claim_group_id"])
            getattr(gold[r["doc_id"]], layer).append(span)
    if problems:
        raise InputError(problems)
    return gold


def where(doc_id: str, layer: str, span: Span, text: str, why: str) -> str:
    return f"doc {doc_id}: {layer} {span.start}-{span.end} {text[span.start:span.end]!r} {why}"
