"""The document model as a Label Studio result: predictions for `push`, round trips in the tests, and the
number results a restore converts older textarea values to."""
from __future__ import annotations

from schemas import vocab
from scripts.core.export_read import NUMBER_ATTRIBUTES, TEXT_TAG
from scripts.core.model import AnnotatedDocument, Document, Span

# ---- the writer: the document model as a Label Studio result (predictions, round trips) ----

def _region(rid: str, tag: str, label: str, span: Span, doc: Document) -> dict:
    value = {"start": span.start, "end": span.end, "text": span.text_in(doc).replace("\n", "\\n"), "labels": [label]}
    return {"id": rid, "from_name": tag, "to_name": TEXT_TAG, "type": "labels", "value": value}


def _attribute(rid: str, name: str, value, span: Span) -> dict:
    if name in NUMBER_ATTRIBUTES:
        return {"id": rid, "from_name": name, "to_name": TEXT_TAG, "type": "number",
                "value": {"start": span.start, "end": span.end, "number": value}}
    kind, key = ("choices", "choices") if name in vocab.CHOICE_ATTRIBUTES else ("textarea", "text")
    return {"id": rid, "from_name": name, "to_name": TEXT_TAG, "type": kind,
            "value": {"start": span.start, "end": span.end, key: [value]}}


def _relation(from_id: str, to_id: str, label: str) -> dict:
    return {"from_id": from_id, "to_id": to_id, "type": "relation", "direction": "right", "labels": [label]}


def _rid(prefix: str, span: Span) -> str:
    return f"{prefix}{span.start}_{span.end}"


def as_numbers(result: list[dict]) -> list[dict]:
    """A result with every textarea value of a Number attribute as a number result (what the config asks)."""
    out = []
    for item in result:
        if item.get("from_name") in NUMBER_ATTRIBUTES and item.get("type") == "textarea":
            value = item["value"]
            number = float(value["text"][0])
            item = {**item, "type": "number", "value": {**{k: value[k] for k in ("start", "end") if k in value}, "number": number}}
        out.append(item)
    return out


def to_result(annotated: AnnotatedDocument) -> list[dict]:
    """Label Studio result items for every span; region ids are derived from layer and offsets."""
    doc, items, cues, claim_ids = annotated.doc, [], set(), {}
    for e in annotated.entities:
        rid = _rid("e", e)
        items += [_region(rid, vocab.ENTITY_TAG, e.label, e, doc),
                  _attribute(rid, "entity_id", e.entity_id, e), _attribute(rid, "canonical_name", e.canonical_name, e)]
    for f in annotated.figures:
        rid = _rid("f", f)
        attrs = {"value": f.value, "value_max": f.value_max, "unit": f.unit, "approx": f.approx, "figure_kind": f.kind}
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
