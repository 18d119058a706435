"""Reads a Label Studio JSON snapshot export into the document model.

Per task the gold annotation is the one marked ground truth, else the single
non-cancelled one. Per-region attributes join their region by region id,
relations resolve to regions, and every span is sliced from the corpus text:
`value.text` is only compared, never used. Every problem is collected and
reported together, each naming the export, task, document, annotation and region.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

import ijson
import numpy as np

from schemas import vocab
from scripts.corpus import sha256_text
from scripts.model import AnnotatedDocument, Claim, Document, Entity, Figure, InputError, Provenance, Span

LABEL_TAGS = {vocab.ENTITY_TAG: vocab.ENTITY_LABELS, vocab.SPAN_TAG: vocab.SPAN_LABELS}
ATTRIBUTES_BY_KIND = {
    vocab.ENTITY_TAG: vocab.ENTITY_ATTRIBUTES,
    vocab.CLAIM: vocab.CLAIM_ATTRIBUTES,
    vocab.FIGURE: vocab.FIGURE_ATTRIBUTES,
    vocab.CUE: (),
}
ATTRIBUTE_TAGS = {name for names in ATTRIBUTES_BY_KIND.values() for name in names}
TEXT_TAG = "text"
EMAIL = re.compile(r"[\w.+-]{1,64}@(?:[\w-]{1,63}\.){1,8}[A-Za-z]{2,24}\b|[\w.+-]{1,64}@localhost\b")


def emails_in(text: str) -> list[str]:
    """The e-mail addresses in a text, looked for only around each "@" (fast on a 100 MB export)."""
    found, at = [], text.find("@")
    while at != -1:
        start = max(0, at - 64)
        match = next((m for m in EMAIL.finditer(text, start, at + 400) if m.start() <= at < m.end()), None)
        if match:
            found.append(match.group())
        at = text.find("@", at + 1)
    return found


class Problems:
    """Collects problems, each prefixed with where it is."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(self.items)


@dataclass
class Region:
    id: str
    tag: str  # entity | span
    label: str
    start: int
    end: int
    where: str
    attributes: dict[str, str] = field(default_factory=dict)
    links: list[tuple[str, "Region"]] = field(default_factory=list)  # (relation label, other end)

    @property
    def kind(self) -> str:
        """entity, or the label of a span region (CLAIM, CUE, FIGURE)."""
        return vocab.ENTITY_TAG if self.tag == vocab.ENTITY_TAG else self.label


def iter_tasks(path: Path) -> Iterator[Any]:
    """The export's tasks one at a time, streamed (a multi-GB export is never read whole); InputError if
    the file is not a JSON list, or if it holds e-mail addresses (an export is pseudonymized by `pull`
    before it reaches the build; the addresses are not echoed)."""
    try:
        head, depth, has_at = _scan(path)
    except OSError as err:
        raise InputError([f"{path}: not a readable JSON export: {err}"]) from err
    if depth > MAX_DEPTH:
        raise InputError([f"{path}: JSON nested too deeply to be a Label Studio export (depth {depth} > {MAX_DEPTH})"])
    if not head.lstrip().startswith(b"["):
        load_tasks(path)  # reports what the file is instead
        raise InputError([f"{path}: a Label Studio export is a JSON list of tasks"])
    emails = 0
    try:
        with path.open("rb") as f:
            for task in ijson.items(f, "item", use_float=True, buf_size=256 << 10):  # bigger buffers: a huge string no longer crawls
                if has_at and isinstance(task, dict):
                    # The texts (task data) may quote an address; everything else is annotation metadata.
                    emails += len(emails_in(json.dumps({k: v for k, v in task.items() if k != "data"}, ensure_ascii=False)))
                if not emails:
                    yield task
    except (ijson.JSONError, UnicodeDecodeError, ValueError) as err:
        raise InputError([f"{path}: not a readable JSON export: {err}"]) from err
    except RecursionError as err:
        raise InputError([f"{path}: JSON nested too deeply to be a Label Studio export"]) from err
    if emails:
        raise InputError([f"{path}: holds {emails} e-mail address(es) of annotators; an export must be "
                          "pseudonymized: take it with `python -m scripts pull`"])


MAX_DEPTH = 64  # a Label Studio export nests about 8 deep; the streaming parser slows down quadratically with depth
BRACKETS = np.zeros(256, dtype=np.int8)
BRACKETS[[ord("["), ord("{")]], BRACKETS[[ord("]"), ord("}")]] = 1, -1
STRUCTURAL = (BRACKETS != 0) | (np.arange(256) == ord('"'))


def _scan(path: Path, chunk_size: int = 32 << 20) -> tuple[bytes, int, bool]:
    """One vectorized pass before parsing: the first bytes, the deepest nesting outside strings, and
    whether any "@" occurs. Escaped characters are blanked first; a chunk ending in backslashes
    carries them to the next."""
    head, depth, deepest, in_string, has_at, carry = b"", 0, 0, 0, False, b""
    with path.open("rb") as f:
        while chunk := f.read(chunk_size):
            chunk = carry + chunk
            stripped = chunk.rstrip(b"\\")
            carry, chunk = chunk[len(stripped):], stripped
            head = head or chunk[:65536]
            has_at = has_at or b"@" in chunk
            data = np.frombuffer(chunk.replace(b"\\\\", b"__").replace(b'\\"', b"__"), dtype=np.uint8)
            marks = data[np.flatnonzero(STRUCTURAL[data])]  # quotes and brackets only: a few % of the bytes
            quote = marks == ord('"')
            parity = np.cumsum(quote, dtype=np.uint8) + np.uint8(in_string)  # wraps at 256: the parity survives
            outside = ((parity - quote) & 1) == 0  # not inside a string, judged before each mark
            levels = np.cumsum(BRACKETS[marks] * outside, dtype=np.int32) + depth
            if levels.size:
                deepest, depth, in_string = max(deepest, int(levels.max())), int(levels[-1]), int(parity[-1] & 1)
    return head, deepest, has_at


def load_tasks(path: Path) -> list:
    """The whole export as a list of tasks (for small exports and error messages); InputError if it is
    not a JSON list."""
    try:
        tasks = json.loads(path.read_bytes())
    except (OSError, ValueError) as err:  # ValueError covers JSON and UTF-8 errors
        raise InputError([f"{path}: not a readable JSON export: {err}"]) from err
    except RecursionError as err:
        raise InputError([f"{path}: JSON nested too deeply to be a Label Studio export"]) from err
    if not isinstance(tasks, list):
        raise InputError([f"{path}: a Label Studio export is a JSON list of tasks, found {type(tasks).__name__}"])
    return tasks


@dataclass
class TaskAnnotations:
    """One task's annotations: the gold (None when the task has none), and every non-cancelled one."""

    doc_id: str
    gold: Optional[AnnotatedDocument]
    annotations: list[AnnotatedDocument]


def read_tasks(path: Path, corpus: dict[str, Document]) -> Iterator[TaskAnnotations]:
    """Every task of the export, read into the document model as it streams by. Problems are collected
    over the whole export and raised (InputError) after the last task: consume it all before using it."""
    problems = Problems()
    task_of_doc: dict[str, Any] = {}
    ambiguous: list[str] = []
    for index, task in enumerate(iter_tasks(path)):
        doc = _task_document(path, index, task, corpus, problems)
        if doc is None:
            continue
        where = f"{path}: task {task['id']} (doc {doc.doc_id})"
        if doc.doc_id in task_of_doc:
            problems.add(where, f"a second task for the document (first: task {task_of_doc[doc.doc_id]})")
            continue
        task_of_doc[doc.doc_id] = task["id"]
        chosen = _gold_annotation(where, task, problems, ambiguous)
        gold, annotations = None, []
        for annotation in task.get("annotations") or []:
            if not isinstance(annotation, dict) or annotation.get("was_cancelled"):
                continue
            at = f"{where}, annotation {annotation.get('id')}"
            annotated = _read_annotation(at, task, annotation, doc, problems)
            who = annotation.get("completed_by")
            annotated.annotator = str(who.get("pseudonym", who.get("id")) if isinstance(who, dict) else who)
            annotated.ground_truth = bool(annotation.get("ground_truth"))
            annotations.append(annotated)
            if annotation is chosen:
                gold = annotated
                if annotated.coverage is not None:
                    problems.add(at, f"the gold annotation covers only {annotated.coverage}: gold must cover the whole text")
        yield TaskAnnotations(doc.doc_id, gold, annotations)
    if ambiguous:
        problems.add(
            str(path),
            "several non-cancelled annotations and no ground truth in task(s) "
            + ", ".join(ambiguous) + ": mark one annotation as ground truth",
        )
    problems.raise_if_any()


def read_export(path: Path, corpus: dict[str, Document]) -> dict[str, AnnotatedDocument]:
    """The gold spans of every annotated task, by doc_id."""
    return {t.doc_id: t.gold for t in list(read_tasks(path, corpus)) if t.gold is not None}


def read_all_annotations(path: Path, corpus: dict[str, Document]) -> list[AnnotatedDocument]:
    """Every non-cancelled annotation, with its annotator's pseudonym and ground-truth flag; InputError on any problem."""
    return [a for t in list(read_tasks(path, corpus)) for a in t.annotations]


def _task_document(path: Path, index: int, task: Any, corpus: dict[str, Document], problems: Problems) -> Optional[Document]:
    """The corpus document a task annotates, if the task is well formed and not stale."""
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict) or not _is_int(task.get("id")):
        problems.add(f"{path}: item {index}", "not a Label Studio task (needs an integer 'id' and a 'data' object)")
        return None
    data = task["data"]
    where = f"{path}: task {task['id']}"
    text, doc_id = data.get(TEXT_TAG), data.get("doc_id")
    if not isinstance(text, str):
        problems.add(where, "task has no text (data.text)")
        return None
    if not isinstance(doc_id, str) or doc_id not in corpus:
        problems.add(where, f"doc_id {doc_id!r} is not in the corpus")
        return None
    doc = corpus[doc_id]
    if sha256_text(text) != doc.text_sha256 or data.get("text_sha256") != doc.text_sha256:
        problems.add(
            f"{where} (doc {doc_id})",
            f"stale task: its text (sha256 {sha256_text(text)}, recorded {data.get('text_sha256')}) "
            f"is not the corpus text (sha256 {doc.text_sha256}); re-push the document and re-annotate",
        )
        return None
    return doc


def _gold_annotation(where: str, task: dict, problems: Problems, ambiguous: list[str]) -> Optional[dict]:
    annotations = task.get("annotations") or []
    if not isinstance(annotations, list) or not all(isinstance(a, dict) and _is_int(a.get("id")) for a in annotations):
        problems.add(where, "'annotations' is not a list of annotation objects with integer ids")
        return None
    live = [a for a in annotations if not a.get("was_cancelled")]
    truths = [a for a in live if a.get("ground_truth")]
    if len(truths) > 1:
        ids = ", ".join(str(a.get("id")) for a in truths)
        problems.add(where, f"{len(truths)} annotations marked ground truth ({ids}): keep one")
        return None
    if truths:
        return truths[0]
    if len(live) == 1:
        return live[0]
    if len(live) > 1:
        ambiguous.append(str(task["id"]))
    elif annotations:
        problems.add(where, "every annotation is cancelled: nothing to take as gold (delete or redo them)")
    return None


def _read_annotation(where: str, task: dict, annotation: dict, doc: Document, problems: Problems) -> AnnotatedDocument:
    result = annotation.get("result")
    out = AnnotatedDocument(doc)
    if not isinstance(result, list) or not all(isinstance(item, dict) for item in result):
        problems.add(where, "'result' is not a list of result objects")
        return out
    result = _well_formed(where, result, problems)
    out.coverage = _coverage(where, [r for r in result if r.get("from_name") == vocab.COVERAGE_TAG], doc, problems)
    result = [r for r in result if r.get("from_name") != vocab.COVERAGE_TAG]
    regions, rejected = _read_regions(where, result, doc, problems)
    # Attributes and relations of a rejected region are not reported again.
    _join_attributes(where, [r for r in result if r.get("id") not in rejected], regions, problems)
    _join_relations(where, [r for r in result if not {r.get("from_id"), r.get("to_id")} & rejected], regions, problems)
    source = lambda r: Provenance(task_id=task["id"], annotation_id=annotation.get("id"), region_id=r.id)
    for region in regions.values():
        kind = region.kind
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


def _coverage(where: str, items: list[dict], doc: Document, problems: Problems) -> Optional[tuple[int, int]]:
    """The document-level "start-end" range of a partial annotation; None when it covers the whole text."""
    texts = [t for item in items for t in (item["value"].get("text") or [])]
    if not texts:
        return None
    try:
        start, end = (int(x) for x in texts[0].strip().split("-"))
    except ValueError:
        start = end = None
    if len(texts) > 1 or start is None or not 0 <= start < end <= len(doc.text):
        problems.add(where, f"coverage {texts!r} is not one range 'start-end' within 0-{len(doc.text)}")
        return None
    return None if (start, end) == (0, len(doc.text)) else (start, end)


def _well_formed(where: str, result: list[dict], problems: Problems) -> list[dict]:
    """The result items of the expected shape (string ids and names, a value object); the others reported."""
    kept = []
    for n, item in enumerate(result):
        relation = item.get("type") == "relation"
        keys = ("from_id", "to_id") if relation else ("id", "type", "from_name")
        bad = [k for k in keys if not isinstance(item.get(k), str)]
        if not relation and not isinstance(item.get("value"), dict):
            bad.append("value")
        if bad:
            problems.add(f"{where}, result item {n} (id {item.get('id')!r})", f"malformed {', '.join(bad)}")
        else:
            kept.append(item)
    return kept


def _read_regions(where: str, result: list[dict], doc: Document, problems: Problems) -> tuple[dict[str, Region], set]:
    """The span regions by id, and the ids of those rejected (each reported once)."""
    regions: dict[str, Region] = {}
    rejected: set = set()
    for item in result:
        if item.get("type") != "labels":
            continue
        rid = item.get("id")
        at = f"{where}, region {rid}"
        rejected.add(rid)
        value = item["value"]
        tag, labels = item.get("from_name"), value.get("labels")
        if tag not in LABEL_TAGS:
            problems.add(at, f"unknown from_name {tag!r} (expected one of {sorted(LABEL_TAGS)})")
            continue
        if item.get("to_name") != TEXT_TAG:
            problems.add(at, f"to_name {item.get('to_name')!r} is not {TEXT_TAG!r}")
            continue
        if not isinstance(labels, list) or len(labels) != 1:
            problems.add(at, f"a region needs exactly one label, found {labels!r}")
            continue
        if labels[0] not in LABEL_TAGS[tag]:
            problems.add(at, f"unknown label {labels[0]!r} for {tag!r} (expected one of {', '.join(LABEL_TAGS[tag])})")
            continue
        start, end = value.get("start"), value.get("end")
        if not _offsets_ok(at, start, end, doc, problems):
            continue
        if not _value_text_ok(at, value.get("text"), doc.text, start, end, problems):
            continue
        if rid in regions:
            problems.add(at, "region id used twice in one annotation")
            continue
        regions[rid] = Region(id=rid, tag=tag, label=labels[0], start=start, end=end, where=f"{at} [{labels[0]} {start}-{end}]")
        rejected.discard(rid)
    return regions, rejected


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _offsets_ok(at: str, start: Any, end: Any, doc: Document, problems: Problems) -> bool:
    if not (_is_int(start) and _is_int(end)):
        problems.add(at, f"offsets must be integers, found start={start!r} end={end!r}")
    elif not 0 <= start < end <= len(doc.text):
        problems.add(at, f"offsets {start}-{end} are not within 0 <= start < end <= {len(doc.text)} (text length)")
    else:
        return True
    return False


def _value_text_ok(at: str, value_text: Any, text: str, start: int, end: int, problems: Problems) -> bool:
    """Label Studio's copy of the span must agree with the slice; it writes a newline as backslash-n."""
    sliced = text[start:end]
    if value_text is None or value_text in (sliced, sliced.replace("\n", "\\n")):
        return True
    hint = ""
    utf16 = text.encode("utf-16-le")[2 * start:2 * end].decode("utf-16-le", errors="replace")
    if value_text in (utf16, utf16.replace("\n", "\\n")):
        hint = " (the offsets look like UTF-16 code units; they must be code points)"
    problems.add(at, f"value.text {value_text!r} differs from the corpus text {sliced!r} at {start}-{end}{hint}")
    return False


def _join_attributes(where: str, result: list[dict], regions: dict[str, Region], problems: Problems) -> None:
    for item in result:
        kind = item.get("type")
        if kind in ("labels", "relation"):
            continue
        rid, name = item.get("id"), item.get("from_name")
        at = f"{where}, region {rid}"
        if kind not in ("textarea", "choices"):
            problems.add(at, f"unknown result type {kind!r} (from_name {name!r})")
            continue
        if name not in ATTRIBUTE_TAGS:
            problems.add(at, f"unknown from_name {name!r} for a {kind} result")
            continue
        region = regions.get(rid)
        if region is None:
            problems.add(at, f"attribute {name!r} belongs to no span region with this id")
            continue
        if name not in ATTRIBUTES_BY_KIND[region.kind]:
            problems.add(region.where, f"attribute {name!r} does not apply to a {region.label} span")
            continue
        values = item["value"].get("text" if kind == "textarea" else "choices")
        if not isinstance(values, list) or len(values) != 1 or not isinstance(values[0], str):
            problems.add(region.where, f"attribute {name!r} needs exactly one value, found {values!r}")
            continue
        if name in region.attributes:
            problems.add(region.where, f"attribute {name!r} given twice")
            continue
        region.attributes[name] = values[0].strip()


def _join_relations(where: str, result: list[dict], regions: dict[str, Region], problems: Problems) -> None:
    """Each relation joins a CLAIM to its claimant (an entity) or to its CUE; direction is not relied on."""
    for item in result:
        if item.get("type") != "relation":
            continue
        ends = [regions.get(item.get(k)) for k in ("from_id", "to_id")]
        at = f"{where}, relation {item.get('from_id')} -> {item.get('to_id')}"
        if None in ends:
            problems.add(at, "relation points to a region that is not in the annotation")
            continue
        claims = [r for r in ends if r.kind == vocab.CLAIM]
        if len(claims) != 1:
            problems.add(at, "a relation joins exactly one CLAIM to an entity (claimant) or a CUE")
            continue
        claim, other = claims[0], ends[1] if ends[0] is claims[0] else ends[0]
        role = {vocab.ENTITY_TAG: vocab.CLAIMANT_RELATION, vocab.CUE: vocab.CUE_RELATION}.get(other.kind)
        given = item.get("labels") or []
        given = given if isinstance(given, list) else [given]
        if role is None:
            problems.add(at, f"a claim can link only to an entity or a CUE, not to a {other.label}")
        elif any(label != role for label in given):
            problems.add(at, f"relation labelled {given} but joins a claim to a {other.label} (expected {role!r})")
        else:
            claim.links.append((role, other))
            other.links.append((role, claim))


def _required(region: Region, names: tuple[str, ...], problems: Problems) -> Optional[dict[str, str]]:
    missing = [n for n in names if n not in vocab.OPTIONAL_ATTRIBUTES and not region.attributes.get(n)]
    if missing:
        problems.add(region.where, f"missing attribute(s) {', '.join(missing)}")
        return None
    bad = [(n, region.attributes[n]) for n in names
           if n in vocab.CHOICE_ATTRIBUTES and n in region.attributes and region.attributes[n] not in vocab.CHOICE_ATTRIBUTES[n]]
    for name, value in bad:
        problems.add(region.where, f"unknown {name} {value!r} (expected one of {', '.join(vocab.CHOICE_ATTRIBUTES[name])})")
    return None if bad else region.attributes


def _entity(region: Region, source: Provenance, problems: Problems) -> Optional[Entity]:
    attrs = _required(region, vocab.ENTITY_ATTRIBUTES, problems)
    if attrs is None:
        return None
    return Entity(region.start, region.end, source, label=region.label,
                  entity_id=attrs["entity_id"], canonical_name=attrs["canonical_name"])


def _number(region: Region, name: str, problems: Problems) -> Optional[float]:
    raw = region.attributes.get(name, "")
    try:
        number = float(raw)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        problems.add(region.where, f"{name} {raw!r} is not a finite number (write digits, e.g. 1400000000)")
        return None
    return number


def _figure(region: Region, source: Provenance, problems: Problems) -> Optional[Figure]:
    attrs = _required(region, vocab.FIGURE_ATTRIBUTES, problems)
    if attrs is None:
        return None
    value = _number(region, "value", problems)
    value_max = _number(region, "value_max", problems) if attrs.get("value_max") else None
    if value is None or (attrs.get("value_max") and value_max is None):
        return None
    if value_max is not None and value_max < value:
        problems.add(region.where, f"value_max {value_max} is below value {value}")
        return None
    return Figure(region.start, region.end, source, value=value, value_max=value_max,
                  unit=attrs["unit"], approx=attrs["approx"], kind=attrs["figure_kind"])


def _claim(region: Region, source, problems: Problems) -> Optional[Claim]:
    attrs = _required(region, vocab.CLAIM_ATTRIBUTES, problems)
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


# ---- the writer: the document model as a Label Studio result (predictions, round trips) ----

def _region(rid: str, tag: str, label: str, span: Span, doc: Document) -> dict:
    value = {"start": span.start, "end": span.end, "text": span.text_in(doc).replace("\n", "\\n"), "labels": [label]}
    return {"id": rid, "from_name": tag, "to_name": TEXT_TAG, "type": "labels", "value": value}


def _attribute(rid: str, name: str, value: str, span: Span) -> dict:
    kind, key = ("choices", "choices") if name in vocab.CHOICE_ATTRIBUTES else ("textarea", "text")
    return {"id": rid, "from_name": name, "to_name": TEXT_TAG, "type": kind,
            "value": {"start": span.start, "end": span.end, key: [value]}}


def _relation(from_id: str, to_id: str, label: str) -> dict:
    return {"from_id": from_id, "to_id": to_id, "type": "relation", "direction": "right", "labels": [label]}


def _rid(prefix: str, span: Span) -> str:
    return f"{prefix}{span.start}_{span.end}"


def to_result(annotated: AnnotatedDocument) -> list[dict]:
    """Label Studio result items for every span; region ids are derived from layer and offsets."""
    doc, items, cues, claim_ids = annotated.doc, [], set(), {}
    for e in annotated.entities:
        rid = _rid("e", e)
        items += [_region(rid, vocab.ENTITY_TAG, e.label, e, doc),
                  _attribute(rid, "entity_id", e.entity_id, e), _attribute(rid, "canonical_name", e.canonical_name, e)]
    for f in annotated.figures:
        rid = _rid("f", f)
        attrs = {"value": repr(f.value), "value_max": None if f.value_max is None else repr(f.value_max),
                 "unit": f.unit, "approx": f.approx, "figure_kind": f.kind}
        items += [_region(rid, vocab.SPAN_TAG, vocab.FIGURE, f, doc)]
        items += [_attribute(rid, n, v, f) for n, v in attrs.items() if v is not None]
    for c in annotated.claims:
        rid, cue = _rid("c", c), _rid("u", c.cue)
        claim_ids[rid] = claim_ids.get(rid, 0) + 1
        if claim_ids[rid] > 1:  # two claims on one span (an annotator's, not the gold): distinct regions
            rid = f"{rid}_{claim_ids[rid]}"
        items += [_region(rid, vocab.SPAN_TAG, vocab.CLAIM, c, doc), _attribute(rid, "claim_kind", c.claim_kind, c),
                  _attribute(rid, "claimant_type", c.claimant_type, c)]
        if c.claim_group_id:
            items.append(_attribute(rid, "claim_group_id", c.claim_group_id, c))
        if cue not in cues:  # one cue may serve several claims
            cues.add(cue)
            items.append(_region(cue, vocab.SPAN_TAG, vocab.CUE, c.cue, doc))
        items.append(_relation(rid, cue, vocab.CUE_RELATION))
        if c.claimant:
            items.append(_relation(rid, _rid("e", c.claimant), vocab.CLAIMANT_RELATION))
    if annotated.coverage:
        items.append({"id": "coverage", "from_name": vocab.COVERAGE_TAG, "to_name": TEXT_TAG, "type": "textarea",
                      "value": {"text": ["{}-{}".format(*annotated.coverage)]}})
    return items
