"""Reads a Label Studio JSON snapshot export into the document model.

Every task is first decoded into the strict model of the export (scripts/core/export_model.py): a value of
the wrong JSON type is refused with its place named before any domain logic runs. Per task the gold
annotation is the one marked ground truth, else the single non-cancelled one. Per-region attributes
join their region by region id, relations resolve to regions, and every span is sliced from the corpus
text: `value.text` is only compared, never used. Every problem is collected and reported together, each
naming the export, task, document, annotation and region.
"""
from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Union

import msgspec

from schemas import vocab
from scripts.core.addresses import safe
from scripts.core.corpus import sha256_text
from scripts.core.export_model import (
    ID_PATTERNS,
    LINE,
    Annotation,
    Annotator,
    LabelsItem,
    NumberItem,
    RelationItem,
    ResultItem,
    Task,
    TextAreaItem,
    describe,
    is_id,
)
from scripts.core.export_scan import Malformed, iter_tasks
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

LABEL_TAGS = {vocab.ENTITY_TAG: vocab.ENTITY_LABELS, vocab.SPAN_TAG: vocab.SPAN_LABELS}
ATTRIBUTES_BY_KIND = {
    vocab.ENTITY_TAG: vocab.ENTITY_ATTRIBUTES,
    vocab.CLAIM: vocab.CLAIM_ATTRIBUTES,
    vocab.FIGURE: vocab.FIGURE_ATTRIBUTES,
    vocab.CUE: (),
}
ATTRIBUTE_TAGS = {name for names in ATTRIBUTES_BY_KIND.values() for name in names}
# Per kind of region: the attributes it must have (non-empty) and those from a closed vocabulary, in declared order.
REQUIRED_BY_KIND = {kind: tuple(n for n in names if n not in vocab.OPTIONAL_ATTRIBUTES) for kind, names in ATTRIBUTES_BY_KIND.items()}
CHOICES_BY_KIND = {kind: tuple(n for n in names if n in vocab.CHOICE_ATTRIBUTES) for kind, names in ATTRIBUTES_BY_KIND.items()}
# Label Studio <Number> tags: results {"type": "number", "value": {"number": 10000}}. A textarea result
# ({"text": ["10000.0"]}, the older config's) is still read, but the labeling UI crashes on selecting a
# region whose Number control got one, so the writer gives numbers only (and a restore converts them).
NUMBER_ATTRIBUTES = ("value", "value_max")
# Free-text attributes are published: ids match their pattern, names are one line.
ATTRIBUTE_PATTERNS = {"entity_id": ID_PATTERNS["entity_id"], "claim_group_id": ID_PATTERNS["claim_group_id"],
                      "canonical_name": LINE, "unit": LINE}
ATTRIBUTE_REGEXES = {name: re.compile(pattern) for name, pattern in ATTRIBUTE_PATTERNS.items()}
TEXT_TAG = "text"


class Problems:
    """Collects problems, each prefixed with where it is (and made `safe`)."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(safe(f"{where}: {message}"))

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)


class Region:
    """A span region of an annotation while its attributes and relations join it (many are made: slots, no dataclass)."""

    __slots__ = ("id", "label", "start", "end", "annotation", "kind", "attributes", "links", "refused")

    def __init__(self, id: str, tag: str, label: str, start: int, end: int, annotation: str) -> None:
        self.id, self.label, self.start, self.end = id, label, start, end
        self.annotation = annotation  # where the annotation is (export, task, document, annotation)
        self.kind = vocab.ENTITY_TAG if tag == vocab.ENTITY_TAG else label  # entity, or CLAIM, CUE, FIGURE
        self.attributes: dict[str, Any] = {}
        self.links: list[tuple[str, Region]] = []  # (relation label, other end)
        self.refused = False  # an attribute was refused (and reported)

    @property
    def where(self) -> str:
        return f"{self.annotation}, region {self.id} [{self.label} {self.start}-{self.end}]"


@dataclass
class TaskAnnotations:
    """One task read into the document model: its gold (None when it has none), every non-cancelled
    annotation, and its problems. doc_id is None when the task could not be tied to a document."""

    index: int
    task_id: Any
    doc_id: Optional[str]
    gold: Optional[AnnotatedDocument] = None
    annotations: list[AnnotatedDocument] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    ambiguous: str = ""  # several non-cancelled annotations and no ground truth: which, by whom
    emails: int = 0
    users: dict = field(default_factory=dict)  # pseudonym -> Label Studio user id, of the task's annotations

    def summary(self) -> "TaskAnnotations":
        """The task without its annotations (what the ledger needs)."""
        return TaskAnnotations(self.index, self.task_id, self.doc_id, problems=self.problems, ambiguous=self.ambiguous,
                               emails=self.emails, users=self.users)


def read_task(path: Path, index: int, task: Union[Task, Malformed, Any], corpus: Mapping[str, Document],
              emails: int = 0) -> TaskAnnotations:
    """One task of the export, on its own (the ledger does what needs the other tasks). A task with
    e-mail addresses is not read."""
    problems = Problems()
    raw = task.raw if isinstance(task, Malformed) else task
    task_id = task.id if isinstance(task, Task) else raw.get("id") if isinstance(raw, dict) else None
    out = TaskAnnotations(index, task_id if isinstance(task_id, int) else None, None, problems=problems.items, emails=emails)
    if emails:
        return out
    if not isinstance(task, Task):
        _malformed(path, index, task, problems)
        return out
    doc = _task_document(path, task, corpus, problems)
    if doc is None:
        return out
    out.doc_id = doc.doc_id
    where = f"{path}: task {task.id} (doc {doc.doc_id})"
    for annotation in task.annotations:
        who = annotation.completed_by
        if out.users.setdefault(who.pseudonym, who.id) != who.id:
            problems.add(where, f"{who.pseudonym} stands for two Label Studio users ({out.users[who.pseudonym]} and {who.id})")
    read = []
    for annotation in task.annotations:
        if not annotation.was_cancelled:
            annotated = _read_annotation(f"{where}, annotation {annotation.id}", task.id, annotation, doc, problems)
            annotated.annotator, annotated.ground_truth = annotation.completed_by.pseudonym, annotation.ground_truth
            annotated.annotation_id = annotation.id
            read.append(annotated)
    out.annotations = assemble_parts(read)
    chosen = _gold_annotation(where, out.annotations, bool(task.annotations), problems)
    if chosen is AMBIGUOUS:
        out.ambiguous = (f"{where}: {len(out.annotations)} annotations and none is the ground truth (" + ", ".join(
            f"annotation {a.annotation_id} by {a.annotator}, {len(a.entities) + len(a.claims) + len(a.figures)} spans"
            for a in out.annotations) + f"); review them with `python -m scripts review {doc.doc_id}`, then choose one with "
            f"`python -m scripts adjudicate {doc.doc_id} ANNOTATOR`")
    elif chosen is not None:
        out.gold = chosen
        if chosen.coverage is not None:
            problems.add(f"{where}, annotation {chosen.annotation_id}",
                         f"the gold annotation covers only {chosen.coverage}: gold must cover the whole text")
    return out


def assemble_parts(annotations: list[AnnotatedDocument]) -> list[AnnotatedDocument]:
    """A long document annotated in parts (`push --parts`): an annotator's partial annotations whose
    coverages tile the whole text, all ground truth or none, read as one annotation of the whole text
    (each part giving the spans that start in its range)."""
    by_annotator: dict[str, list[AnnotatedDocument]] = {}
    for a in annotations:
        by_annotator.setdefault(a.annotator, []).append(a)
    out = []
    for mine in by_annotator.values():
        parts = sorted((a for a in mine if a.coverage), key=lambda a: a.coverage)
        n = mine[0].doc.n_chars
        tiles = (len(parts) > 1 and parts[0].coverage[0] == 0 and parts[-1].coverage[1] == n
                 and all(x.coverage[1] == y.coverage[0] for x, y in zip(parts, parts[1:])) and len({a.ground_truth for a in parts}) == 1)
        if not tiles:
            out += mine
            continue
        inside = lambda part, layer: [s for s in getattr(part, layer) if part.coverage[0] <= s.start < part.coverage[1]]  # noqa: E731
        whole = AnnotatedDocument(parts[0].doc, *([s for p in parts for s in inside(p, layer)] for layer in ("entities", "claims", "figures")),
                                  annotator=parts[0].annotator, ground_truth=parts[0].ground_truth,
                                  annotation_id=min(p.annotation_id for p in parts))
        out += [a for a in mine if not a.coverage] + [whole]
    return sorted(out, key=lambda a: a.annotation_id or 0)


def _malformed(path: Path, index: int, task: Any, problems: Problems) -> None:
    """The problem of an element that is not a task of the model, named by its id and document when it has them."""
    if not isinstance(task, Malformed) or not isinstance(task.raw, dict):
        problems.add(f"{path}: item {index}", "not a Label Studio task (a JSON object with an integer 'id' and a 'data' object)")
        return
    raw = task.raw
    task_id, data = raw.get("id"), raw.get("data")
    doc_id = data.get("doc_id") if isinstance(data, dict) else None
    name = f"task {task_id}" if type(task_id) is int else f"item {index}"
    if is_id("doc_id", doc_id):
        name += f" (doc {doc_id})"
    context, what = describe(task.error, raw)
    problems.add(", ".join([f"{path}: {name}", *context]), what)


class Ledger:
    """What holds across the tasks of an export: one task per document, no e-mail address, one gold per
    task; `admit` each task in export order, then `close`."""

    def __init__(self, path: Path) -> None:
        self.path, self.problems, self.emails = path, Problems(), 0
        self.task_of_doc: dict[str, Any] = {}
        self.doc_of_task: dict[Any, str] = {}
        self.user_of: dict[str, tuple[int, Any]] = {}  # pseudonym -> (user id, the task it was first seen in)
        self.ambiguous: list[str] = []
        self.email_tasks: list[str] = []  # where addresses were found (never what they are)

    def admit(self, task: TaskAnnotations) -> bool:
        """Whether the task's annotations count; its problems are recorded either way."""
        self.emails += task.emails
        if task.emails:
            self.email_tasks.append(str(task.task_id) if task.task_id is not None else f"item {task.index}")
        if self.emails:
            return False
        if task.doc_id in self.task_of_doc:
            self.problems.add(f"{self.path}: task {task.task_id} (doc {task.doc_id})",
                              f"a second task for the document (first: task {self.task_of_doc[task.doc_id]})")
            return False
        self.problems.items += task.problems
        if task.doc_id is None:
            return False
        where = f"{self.path}: task {task.task_id} (doc {task.doc_id})"
        if task.task_id in self.doc_of_task:
            self.problems.add(where, f"task id {task.task_id} is also the id of the task of doc {self.doc_of_task[task.task_id]}")
        for pseudonym, user in task.users.items():
            first = self.user_of.setdefault(pseudonym, (user, task.task_id))
            if first[0] != user:
                self.problems.add(where, f"{pseudonym} stands for Label Studio user {user} here and user {first[0]} in task {first[1]}")
        self.task_of_doc[task.doc_id], self.doc_of_task[task.task_id] = task.task_id, task.doc_id
        if task.ambiguous:
            self.ambiguous.append(task.ambiguous)
        return True

    def close(self) -> None:
        """InputError listing every problem of the export."""
        if self.emails:
            where = ", ".join(self.email_tasks[:20]) + (" …" if len(self.email_tasks) > 20 else "")
            raise InputError([f"{self.path}: holds {self.emails} e-mail address(es) of annotators (task(s) {where}); an export "
                              "must be pseudonymized: take it with `python -m scripts pull`"])
        self.problems.items += self.ambiguous
        self.problems.raise_if_any()


def read_tasks(path: Path, corpus: Mapping[str, Document]) -> Iterator[TaskAnnotations]:
    """Every task of the export with a document, read into the document model as it streams by. Problems
    are collected over the whole export and raised (InputError) after the last task: consume it all
    before using it."""
    ledger = Ledger(path)
    for index, task, emails in iter_tasks(path):
        read = read_task(path, index, task, corpus, emails)
        if ledger.admit(read):
            yield read
    ledger.close()


def read_export(path: Path, corpus: Mapping[str, Document]) -> dict[str, AnnotatedDocument]:
    """The gold spans of every annotated task, by doc_id."""
    return {t.doc_id: t.gold for t in list(read_tasks(path, corpus)) if t.gold is not None}


def read_all_annotations(path: Path, corpus: Mapping[str, Document]) -> list[AnnotatedDocument]:
    """Every non-cancelled annotation, with its annotator's pseudonym and ground-truth flag; InputError on any problem."""
    return [a for t in list(read_tasks(path, corpus)) for a in t.annotations]


def _task_document(path: Path, task: Task, corpus: Mapping[str, Document], problems: Problems) -> Optional[Document]:
    """The corpus document a task annotates, if it is in the corpus and the task is not stale."""
    data, where = task.data, f"{path}: task {task.id}"
    if data.doc_id not in corpus:
        problems.add(where, f"doc_id {data.doc_id!r} is not in the corpus")
        return None
    doc = corpus[data.doc_id]
    if sha256_text(data.text) != doc.text_sha256 or data.text_sha256 != doc.text_sha256:
        problems.add(
            f"{where} (doc {doc.doc_id})",
            f"stale task: its text (sha256 {sha256_text(data.text)}, recorded {data.text_sha256}) "
            f"is not the corpus text (sha256 {doc.text_sha256}); re-push the document and re-annotate",
        )
        return None
    return doc


AMBIGUOUS = object()  # several non-cancelled annotations and no ground truth


def _gold_annotation(where: str, live: list[AnnotatedDocument], any_annotation: bool, problems: Problems) -> Any:
    """The annotation to take as gold (of the non-cancelled ones, parts assembled), None, or AMBIGUOUS."""
    truths = [a for a in live if a.ground_truth]
    if len(truths) > 1:
        ids = ", ".join(str(a.annotation_id) for a in truths)
        problems.add(where, f"{len(truths)} annotations marked ground truth ({ids}): keep one")
        return None
    if truths:
        return truths[0]
    if len(live) == 1:
        return live[0]
    if len(live) > 1:
        return AMBIGUOUS
    if any_annotation:
        problems.add(where, "every annotation is cancelled: nothing to take as gold (delete or redo them)")
    return None


def read_result(where: str, result: list[dict], doc: Document, problems: Problems) -> AnnotatedDocument:
    """Result items (as `to_result` writes them, or a prediction's) read into the document model."""
    try:
        items = msgspec.convert(result, list[ResultItem], strict=True)
    except msgspec.ValidationError as err:
        context, what = describe(err, {"result": result})
        problems.add(", ".join([where, *context]), what)
        return AnnotatedDocument(doc)
    return _read_annotation(where, 0, Annotation(id=0, completed_by=Annotator(id=0, pseudonym="annotator-1"), result=items), doc, problems)


def _read_annotation(where: str, task_id: int, annotation: Annotation, doc: Document, problems: Problems) -> AnnotatedDocument:
    out = AnnotatedDocument(doc)
    labels, relations, attributes, coverage = [], [], [], []
    for item in annotation.result:  # one pass: the model's items are exactly these types
        kind = type(item)
        if kind is LabelsItem:
            labels.append(item)
        elif kind is RelationItem:
            relations.append(item)
        else:
            (coverage if item.from_name == vocab.COVERAGE_TAG else attributes).append(item)
    if coverage:
        out.coverage = _coverage(where, coverage, doc, problems)
    regions, rejected = _read_regions(where, labels, doc, problems)
    if rejected:  # attributes and relations of a rejected region are not reported again
        attributes = [r for r in attributes if r.id not in rejected]
        relations = [r for r in relations if r.from_id not in rejected and r.to_id not in rejected]
    _join_attributes(where, attributes, regions, problems)
    _join_relations(where, relations, regions, problems)
    source = lambda r: Provenance(task_id, annotation.id, r.id)  # noqa: E731
    for region in regions.values():
        kind = region.kind
        if region.refused:
            continue
        if kind == vocab.ENTITY_TAG:
            entity = _entity(region, source(region), problems)
            if entity:
                out.entities.append(entity)
        elif kind == vocab.FIGURE:
            figure = _figure(region, source(region), problems)
            if figure:
                out.figures.append(figure)
        elif kind == vocab.CLAIM:
            claim = _claim(region, source, problems)
            if claim:
                out.claims.append(claim)
        elif kind == vocab.CUE and not region.links:
            problems.add(region.where, "CUE is linked to no claim (draw a 'cue' relation from its claim)")
    return out


def _coverage(where: str, items: list, doc: Document, problems: Problems) -> Optional[tuple[int, int]]:
    """The document-level "start-end" range of a partial annotation; None when it covers the whole text."""
    texts = [t for item in items for t in (item.value.text if isinstance(item, TextAreaItem) else [None])]
    if not texts:
        return None
    try:
        start, end = (int(x) for x in texts[0].strip().split("-"))
    except (ValueError, AttributeError):
        start = end = None
    if len(texts) > 1 or start is None or not 0 <= start < end <= len(doc.text):
        problems.add(where, f"coverage {texts!r} is not one range 'start-end' within 0-{len(doc.text)}")
        return None
    return None if (start, end) == (0, len(doc.text)) else (start, end)


def _read_regions(where: str, result: list[LabelsItem], doc: Document, problems: Problems) -> tuple[dict[str, Region], set]:
    """The span regions by id, and the ids of those rejected (each reported once, its place named only then)."""
    regions: dict[str, Region] = {}
    rejected: set = set()
    for item in result:
        rid = item.id
        problem = _region_problem(item, doc.text) or ("region id used twice in one annotation" if rid in regions else None)
        if problem:
            problems.add(f"{where}, region {rid}", problem)
            rejected.add(rid)
            continue
        value = item.value
        regions[rid] = Region(rid, item.from_name, value.labels[0], value.start, value.end, where)
        rejected.discard(rid)
    return regions, rejected


def _region_problem(item: LabelsItem, text: str) -> Optional[str]:
    """What is wrong with a span region on its own, or None."""
    tag, value = item.from_name, item.value
    labels = value.labels
    if tag not in LABEL_TAGS:
        return f"unknown from_name {tag!r} (expected one of {sorted(LABEL_TAGS)})"
    if item.to_name != TEXT_TAG:
        return f"to_name {item.to_name!r} is not {TEXT_TAG!r}"
    if len(labels) != 1:
        return f"a region needs exactly one label, found {labels!r}"
    if labels[0] not in LABEL_TAGS[tag]:
        return f"unknown label {labels[0]!r} for {tag!r} (expected one of {', '.join(LABEL_TAGS[tag])})"
    start, end = value.start, value.end
    if not 0 <= start < end <= len(text):
        return f"offsets {start}-{end} are not within 0 <= start < end <= {len(text)} (text length)"
    return _value_text_problem(value.text, text, start, end)


def _value_text_problem(value_text: Optional[str], text: str, start: int, end: int) -> Optional[str]:
    """Label Studio's copy of the span must agree with the slice; it writes a newline as backslash-n."""
    sliced = text[start:end]
    if value_text is None or value_text in (sliced, sliced.replace("\n", "\\n")):
        return None
    hint = ""
    utf16 = text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le", errors="replace")
    if value_text in (utf16, utf16.replace("\n", "\\n")):
        hint = " (the offsets look like UTF-16 code units; they must be code points)"
    return f"value.text {value_text!r} differs from the corpus text {sliced!r} at {start}-{end}{hint}"


def _join_attributes(where: str, result: list, regions: dict[str, Region], problems: Problems) -> None:
    for item in result:
        rid, name = item.id, item.from_name
        if name not in ATTRIBUTE_TAGS:
            problems.add(f"{where}, region {rid}", f"unknown from_name {name!r} for a {type(item).__name__} result")
            continue
        region = regions.get(rid)
        if region is None:
            problems.add(f"{where}, region {rid}", f"attribute {name!r} belongs to no span region with this id")
            continue
        if name not in ATTRIBUTES_BY_KIND[region.kind]:
            problems.add(region.where, f"attribute {name!r} does not apply to a {region.label} span")
            continue
        kind = type(item)
        values = [item.value.number] if kind is NumberItem else item.value.text if kind is TextAreaItem else item.value.choices
        if len(values) != 1:
            problems.add(region.where, f"attribute {name!r} needs exactly one value, found {values!r}")
            continue
        if name in region.attributes:
            problems.add(region.where, f"attribute {name!r} given twice")
            continue
        value = values[0].strip() if isinstance(values[0], str) else values[0]
        if name in ATTRIBUTE_REGEXES and value and not ATTRIBUTE_REGEXES[name].fullmatch(value):
            problems.add(region.where, f"{name} {value!r} does not match the pattern {ATTRIBUTE_PATTERNS[name]} (docs/bad-input.md: ids and names)")
            region.refused = True
            continue
        region.attributes[name] = value


ROLE_OF = {vocab.ENTITY_TAG: vocab.CLAIMANT_RELATION, vocab.CUE: vocab.CUE_RELATION}  # a claim's link to a region of that kind


def _join_relations(where: str, result: list[RelationItem], regions: dict[str, Region], problems: Problems) -> None:
    """Each relation joins a CLAIM to its claimant (an entity) or to its CUE; direction is not relied on."""
    for item in result:
        ends = [regions.get(item.from_id), regions.get(item.to_id)]
        problem = _relation_problem(item, ends)
        if problem:
            problems.add(f"{where}, relation {item.from_id} -> {item.to_id}", problem)
            continue
        claim, other = ends if ends[0].kind == vocab.CLAIM else ends[::-1]
        role = ROLE_OF[other.kind]
        claim.links.append((role, other))
        other.links.append((role, claim))


def _relation_problem(item: RelationItem, ends: list[Optional[Region]]) -> Optional[str]:
    """What is wrong with a relation between these regions, or None."""
    if None in ends:
        return "relation points to a region that is not in the annotation"
    claims = [r for r in ends if r.kind == vocab.CLAIM]
    if len(claims) != 1:
        return "a relation joins exactly one CLAIM to an entity (claimant) or a CUE"
    other = ends[1] if ends[0] is claims[0] else ends[0]
    role, given = ROLE_OF.get(other.kind), item.labels
    if role is None:
        return f"a claim can link only to an entity or a CUE, not to a {other.label}"
    if any(label != role for label in given):
        return f"relation labelled {given} but joins a claim to a {other.label} (expected {role!r})"
    return None


def _required(region: Region, problems: Problems) -> Optional[dict[str, str]]:
    attributes = region.attributes
    missing = [n for n in REQUIRED_BY_KIND[region.kind] if attributes.get(n) in (None, "")]
    if missing:
        problems.add(region.where, f"missing attribute(s) {', '.join(missing)}")
        return None
    bad = [(n, attributes[n]) for n in CHOICES_BY_KIND[region.kind] if n in attributes and attributes[n] not in vocab.CHOICE_ATTRIBUTES[n]]
    for name, value in bad:
        problems.add(region.where, f"unknown {name} {value!r} (expected one of {', '.join(vocab.CHOICE_ATTRIBUTES[name])})")
    return None if bad else region.attributes


def _entity(region: Region, source: Provenance, problems: Problems) -> Optional[Entity]:
    attrs = _required(region, problems)
    if attrs is None:
        return None
    return Entity(region.start, region.end, source, label=region.label,
                  entity_id=attrs["entity_id"], canonical_name=attrs["canonical_name"])


NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


def _number(region: Region, name: str, problems: Problems) -> Optional[float]:
    """A finite number written in ASCII digits (no "1_000", no other scripts' digits), not lost to underflow."""
    raw = region.attributes.get(name, "")
    number = float(raw) if isinstance(raw, (int, float)) else float(raw) if isinstance(raw, str) and NUMBER.fullmatch(raw) else math.nan
    if not math.isfinite(number) or (number == 0 and re.search(r"[1-9]", str(raw).split("e")[0].split("E")[0])):
        problems.add(region.where, f"{name} {raw!r} is not a finite number (write digits, e.g. 1400000000)")
        return None
    return number + 0.0  # -0.0 is 0.0


def _figure(region: Region, source: Provenance, problems: Problems) -> Optional[Figure]:
    attrs = _required(region, problems)
    if attrs is None:
        return None
    value = _number(region, "value", problems)
    given_max = attrs.get("value_max") not in (None, "")
    value_max = _number(region, "value_max", problems) if given_max else None
    if value is None or (given_max and value_max is None):
        return None
    if value_max is not None and value_max < value:
        problems.add(region.where, f"value_max {value_max} is below value {value}")
        return None
    return Figure(region.start, region.end, source, value=value, value_max=value_max,
                  unit=attrs["unit"], approx=attrs["approx"], kind=attrs["figure_kind"])


def _claim(region: Region, source, problems: Problems) -> Optional[Claim]:
    attrs = _required(region, problems)
    cues = [r for role, r in region.links if role == vocab.CUE_RELATION]
    claimants = [r for role, r in region.links if role == vocab.CLAIMANT_RELATION]
    if len(cues) != 1:
        problems.add(region.where, f"a claim needs exactly one cue relation, found {len(cues)}")
    if len(claimants) > 1:
        problems.add(region.where, f"a claim has at most one claimant relation, found {len(claimants)}")
    claimant_type = (attrs or {}).get("claimant_type") or ("named" if claimants else None)
    if attrs is not None and (claimant_type == "named") != bool(claimants):
        problems.add(region.where, "a claim with a claimant relation is claimant_type 'named'; without one, give "
                     f"claimant_type 'unnamed' or 'none' (found relation: {bool(claimants)}, claimant_type: {claimant_type!r})")
        return None
    if attrs is None or len(cues) != 1 or len(claimants) > 1:
        return None
    claimant = Span(claimants[0].start, claimants[0].end, source(claimants[0])) if claimants else None
    cue = Span(cues[0].start, cues[0].end, source(cues[0]))
    return Claim(region.start, region.end, source(region), claim_kind=attrs["claim_kind"], cue=cue, claimant=claimant,
                 claimant_type=claimant_type, claim_group_id=attrs.get("claim_group_id") or None)


