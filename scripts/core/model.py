"""The one document model between the readers (corpus, Label Studio) and the tables."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional


class InputError(Exception):
    """Bad input: carries every problem found, each naming where it is."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))

    def __reduce__(self):  # raised in a worker process, re-raised in the build
        return InputError, (self.problems,)


@dataclass(frozen=True)
class Document:
    doc_id: str
    text: str
    text_sha256: str
    title: Optional[str]
    publisher: Optional[str]
    published: Optional[dt.date]
    language: str
    source_file: str
    rights: str

    @property
    def n_chars(self) -> int:
        return len(self.text)


@dataclass(frozen=True)
class Provenance:
    """Where a span came from in the Label Studio export."""

    task_id: int
    annotation_id: int
    region_id: str


@dataclass(frozen=True)
class Span:
    start: int  # code points, end exclusive
    end: int
    source: Optional[Provenance]  # None for a pre-annotation

    def text_in(self, doc: Document) -> str:
        return doc.text[self.start:self.end]


@dataclass(frozen=True)
class Entity(Span):
    label: str
    entity_id: str
    canonical_name: str


@dataclass(frozen=True)
class Figure(Span):
    value: float
    value_max: Optional[float]
    unit: str
    approx: str
    kind: str


@dataclass(frozen=True)
class Claim(Span):
    claim_kind: str
    cue: Span
    claimant: Optional[Span]  # an entity span of the same document, when claimant_type is named
    claimant_type: str  # named | unnamed | none
    claim_group_id: Optional[str]  # shared by claims of other documents reporting the same statement


@dataclass
class AnnotatedDocument:
    """One annotation of a document: the gold, or one annotator's."""

    doc: Document
    entities: list[Entity] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    coverage: Optional[tuple[int, int]] = None  # the range a partial annotation covers; None: the whole text
    annotator: Optional[str] = None  # pseudonym, in an export
    ground_truth: bool = False
    annotation_id: Optional[int] = None  # in an export
