"""spaCy DocBin: `test.spacy` (one Doc per document, doc_id order) and `tokenizer.py` (our tokenizer rule).

Each Doc is the document's exact text tokenized by the rule of the `ner` config (scripts/core/tokens.py:
spaCy's blank English tokenizer plus one infix rule), which `tokenizer.py` ships as code: `load()` gives the
pipeline. Entities are `doc.ents` (label, `kb_id_` the entity id), placed with
`doc.char_span(..., alignment_mode="strict")`; claims, cues and figures are the span groups
`doc.spans["claims" | "cues" | "figures"]`, and each group's `attrs["rows"]` holds, span by span, the
layer's values (claim: claim_kind, claimant_type, claimant_start/_end, cue_start/_end, claim_group_id;
figure: value, value_max, unit, approx, kind). `doc.user_data` holds doc_id, entity id -> canonical name,
and "unaligned": every span that does not start and end on token boundaries, with its offsets (also
reported by the export). Written with `store_user_data=True`.
"""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from schemas.tables import SPLIT
from scripts.core import tokens
from scripts.core.files import write_atomic
from scripts.core.formats.gold import Written, where
from scripts.core.model import AnnotatedDocument, Span

TOKENIZER_PY = f'''"""The tokenizer of syria-news-spans (its `ner` config and its spaCy export): spaCy's blank English
tokenizer with one added infix rule, a hyphen after an abbreviation ("U.S.-led" -> "U.S.", "-", "led"),
and the rule-based sentencizer. Usage: nlp = load(); doc = nlp(text)."""
import spacy
from spacy.util import compile_infix_regex

HYPHEN_AFTER_ABBREVIATION = {tokens.HYPHEN_AFTER_ABBREVIATION!r}


def load():
    nlp = spacy.blank("en")
    nlp.tokenizer.infix_finditer = compile_infix_regex([*nlp.Defaults.infixes, HYPHEN_AFTER_ABBREVIATION]).finditer
    nlp.add_pipe("sentencizer")
    return nlp
'''


def _offsets(span) -> tuple:
    return (span.start, span.end) if span is not None else (None, None)


def _values(layer: str, span) -> dict:
    if layer == "claims":
        (cs, ce), (us, ue) = _offsets(span.claimant), _offsets(span.cue)
        return {"claim_kind": span.claim_kind, "claimant_type": span.claimant_type, "claimant_start": cs, "claimant_end": ce,
                "cue_start": us, "cue_end": ue, "claim_group_id": span.claim_group_id}
    if layer == "figures":
        return {"value": span.value, "value_max": span.value_max, "unit": span.unit, "approx": span.approx, "kind": span.kind}
    return {}


def to_doc(nlp, annotated: AnnotatedDocument, problems: list[str]):
    doc_id, text = annotated.doc.doc_id, annotated.doc.text
    doc = nlp.make_doc(text)
    unaligned = []

    def place(layer: str, span: Span, label: str, kb_id: str = ""):
        placed = doc.char_span(span.start, span.end, label=label, kb_id=kb_id, alignment_mode="strict")
        if placed is None:
            problems.append(where(doc_id, layer, span, text, "does not start and end on token boundaries: kept in user_data['unaligned'] (spaCy)"))
            unaligned.append({"layer": layer, "start": span.start, "end": span.end, "label": label, **_values(layer, span)})
        return placed

    ents = [(e, place("entities", e, e.label, e.entity_id)) for e in annotated.entities]
    doc.ents = [s for _, s in ents if s is not None]
    cues = [Span(s, e, None) for s, e in sorted({(c.cue.start, c.cue.end) for c in annotated.claims})]
    for group, label, spans in (("claims", "CLAIM", annotated.claims), ("cues", "CUE", cues), ("figures", "FIGURE", annotated.figures)):
        placed = [(s, place(group, s, label, getattr(s, "claim_group_id", None) or "")) for s in spans]
        doc.spans[group] = [p for _, p in placed if p is not None]
        if group != "cues":
            doc.spans[group].attrs["rows"] = [_values(group, s) for s, p in placed if p is not None]
    doc.user_data["doc_id"] = doc_id
    doc.user_data["canonical_names"] = {e.entity_id: e.canonical_name for e in sorted(annotated.entities, key=lambda e: e.entity_id)}
    doc.user_data["unaligned"] = unaligned
    return doc


def write(gold: Mapping[str, AnnotatedDocument], tables, out: Path) -> Written:
    from spacy.tokens import DocBin  # here: the other formats never load spaCy

    written, nlp = Written(), tokens._pipeline()
    docbin = DocBin(store_user_data=True)
    for doc_id in sorted(gold):
        docbin.add(to_doc(nlp, gold[doc_id], written.unrepresented))
    write_atomic(out / f"{SPLIT}.spacy", docbin.to_bytes())
    write_atomic(out / "tokenizer.py", TOKENIZER_PY)
    written.files += [out / f"{SPLIT}.spacy", out / "tokenizer.py"]
    return written
