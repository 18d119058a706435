"""brat standoff: `<doc_id>.txt` (the exact text) and `<doc_id>.ann` per document, and `annotation.conf`.

- `T` lines: entities (their OntoNotes label), `CLAIM`, `CUE` (one per distinct cue span) and `FIGURE`.
  brat forbids a line break inside a fragment, so a span crossing one is written as discontinuous
  fragments, the line breaks left out (`T1\tCLAIM 0 10;11 20\t...`); the first fragment starts and the
  last ends where the span does. A span that starts or ends on a line break cannot be written so and is
  reported instead.
- `R` lines: `claimant` (Arg1 the claim, Arg2 its entity) and `cue` (Arg1 the claim, Arg2 its cue).
- `A` lines: claim_kind and claimant_type on claims, approx and figure_kind on figures.
- `N` lines (normalizations, `Reference`): an entity's cross-document id as `entity:<entity_id>` with its
  canonical name as the entry, and a claim's group as `claim_group:<claim_group_id>`.
- `#` notes (`AnnotatorNotes`), where brat has no place for numbers: a figure's value, value_max and unit
  as JSON, e.g. `{"value": 3.0, "value_max": null, "unit": "years"}`.
Left out, as derived from offsets: the parent claim of a claim and the figures inside a claim.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Mapping

from schemas import vocab
from scripts.core.files import write_atomic
from scripts.core.formats.gold import Written, where
from scripts.core.model import AnnotatedDocument, Span

LINE_BREAK = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")  # what str.splitlines splits on


def fragments(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The span's pieces between line breaks."""
    out, at = [], start
    for m in LINE_BREAK.finditer(text, start, end):
        out.append((at, m.start()))
        at = m.end()
    return [(s, e) for s, e in [*out, (at, end)] if e > s]


def _t_line(tid: str, label: str, span: Span, text: str) -> str:
    parts = fragments(text, span.start, span.end)
    return f"{tid}\t{label} {';'.join(f'{s} {e}' for s, e in parts)}\t{' '.join(text[s:e] for s, e in parts)}"


def ann(annotated: AnnotatedDocument, problems: list[str]) -> str:
    doc, text = annotated.doc, annotated.doc.text
    spans = [(e, e.label, "entities") for e in annotated.entities] + [(f, vocab.FIGURE, "figures") for f in annotated.figures]
    spans += [(c, vocab.CLAIM, "claims") for c in annotated.claims]
    spans += [(Span(s, e, None), vocab.CUE, "cues") for s, e in sorted({(c.cue.start, c.cue.end) for c in annotated.claims})]
    spans.sort(key=lambda x: (x[0].start, x[0].end, x[1]))
    tids, lines, notes = {}, [], []
    for span, label, layer in spans:
        parts = fragments(text, span.start, span.end)
        if not parts or parts[0][0] != span.start or parts[-1][1] != span.end:
            problems.append(where(doc.doc_id, layer, span, text, "starts or ends on a line break: not written (brat)"))
            continue
        tid = tids[(layer, span.start, span.end)] = f"T{len(tids) + 1}"
        lines.append(_t_line(tid, label, span, text))
    rel, attrs, norms = [], [], []
    for span, label, layer in spans:
        tid = tids.get((layer, span.start, span.end))
        if tid is None:
            continue
        if layer == "entities":
            norms.append((tid, f"entity:{span.entity_id}", span.canonical_name))
        elif layer == "figures":
            attrs += [(tid, "approx", span.approx), (tid, "figure_kind", span.kind)]
            notes.append((tid, json.dumps({"value": span.value, "value_max": span.value_max, "unit": span.unit}, ensure_ascii=False)))
        elif layer == "claims":
            attrs += [(tid, "claim_kind", span.claim_kind), (tid, "claimant_type", span.claimant_type)]
            if span.claim_group_id:
                norms.append((tid, f"claim_group:{span.claim_group_id}", span.claim_group_id))
            for role, other, other_layer in ((vocab.CLAIMANT_RELATION, span.claimant, "entities"), (vocab.CUE_RELATION, span.cue, "cues")):
                if other is not None and (arg2 := tids.get((other_layer, other.start, other.end))):
                    rel.append((role, tid, arg2))
                elif other is not None:
                    problems.append(where(doc.doc_id, "claims", span, text, f"has a {role} that was not written: relation left out (brat)"))
    lines += [f"R{n}\t{role} Arg1:{a} Arg2:{b}" for n, (role, a, b) in enumerate(rel, 1)]
    lines += [f"A{n}\t{name} {tid} {value}" for n, (tid, name, value) in enumerate(attrs, 1)]
    lines += [f"N{n}\tReference {tid} {ref}\t{entry}" for n, (tid, ref, entry) in enumerate(norms, 1)]
    lines += [f"#{n}\tAnnotatorNotes {tid}\t{note}" for n, (tid, note) in enumerate(notes, 1)]
    return "".join(f"{line}\n" for line in lines)


def annotation_conf() -> str:
    entities = "|".join(vocab.ENTITY_LABELS)
    return "\n".join([
        "# syria-news-spans: the types of the .ann files (brat's annotation.conf)",
        "[entities]", *vocab.ENTITY_LABELS, vocab.CLAIM, vocab.CUE, vocab.FIGURE, "",
        "[relations]",
        f"{vocab.CLAIMANT_RELATION}\tArg1:{vocab.CLAIM}, Arg2:{entities}",
        f"{vocab.CUE_RELATION}\tArg1:{vocab.CLAIM}, Arg2:{vocab.CUE}",
        "<OVERLAP>\tArg1:<ANY>, Arg2:<ANY>, <OVL-TYPE>:<ANY>", "",
        "[events]", "",
        "[attributes]",
        f"claim_kind\tArg:{vocab.CLAIM}, Value:{'|'.join(vocab.CLAIM_KINDS)}",
        f"claimant_type\tArg:{vocab.CLAIM}, Value:{'|'.join(vocab.CLAIMANT_TYPES)}",
        f"approx\tArg:{vocab.FIGURE}, Value:{'|'.join(vocab.FIGURE_APPROX)}",
        f"figure_kind\tArg:{vocab.FIGURE}, Value:{'|'.join(vocab.FIGURE_KINDS)}", "",
    ])


def write(gold: Mapping[str, AnnotatedDocument], tables, out: Path) -> Written:
    written = Written()
    for doc_id in sorted(gold):
        for path, content in ((out / f"{doc_id}.txt", gold[doc_id].doc.text), (out / f"{doc_id}.ann", ann(gold[doc_id], written.unrepresented))):
            write_atomic(path, content)
            written.files.append(path)
    write_atomic(out / "annotation.conf", annotation_conf())
    written.files.append(out / "annotation.conf")
    return written
