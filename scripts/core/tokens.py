"""The token-level `ner` view: sentences, tokens and BIO tags from the entity layer.

Tokens come from spaCy's rule-based English tokenizer (a blank `en` pipeline, no
model) with one added infix rule, and sentences from its rule-based sentencizer,
run on each paragraph (a blank line always ends a sentence). The added rule splits
a hyphen after an abbreviation ("U.S.-led" -> "U.S.", "-", "led"), as spaCy
already splits one between letters ("pro-Syrian"). Whitespace tokens are left out. Every entity
must start and end on token boundaries (`Doc.char_span(..., alignment_mode="strict")`)
inside one sentence; the build fails listing every entity that does not.
"""
from __future__ import annotations

import re
from bisect import bisect_left
from functools import lru_cache

from scripts.core.model import AnnotatedDocument, Entity, InputError

PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
HYPHEN_AFTER_ABBREVIATION = r"(?<=[A-Z]\.)-(?=[a-z])"


@lru_cache(maxsize=1)
def _pipeline():
    import spacy  # here, not at the top: a build reading the export in worker processes never loads it itself
    from spacy.util import compile_infix_regex

    nlp = spacy.blank("en")
    nlp.tokenizer.infix_finditer = compile_infix_regex([*nlp.Defaults.infixes, HYPHEN_AFTER_ABBREVIATION]).finditer
    nlp.add_pipe("sentencizer")
    return nlp


def sentence_rows(annotated: AnnotatedDocument) -> list[dict]:
    """One row per sentence: offsets into the document, tokens with offsets, BIO tags."""
    text, rows, problems = annotated.doc.text, [], []
    entities = sorted(annotated.entities, key=lambda e: e.start)
    entity_starts = [e.start for e in entities]
    placed: set[int] = set()
    starts = [0] + [m.end() for m in PARAGRAPH_BREAK.finditer(text)]
    ends = [m.start() for m in PARAGRAPH_BREAK.finditer(text)] + [len(text)]
    for p_start, p_end in zip(starts, ends):
        paragraph = _pipeline()(text[p_start:p_end])
        for sent in paragraph.sents:
            tokens = [t for t in sent if not t.is_space]
            if not tokens:
                continue
            s_start, s_end = p_start + tokens[0].idx, p_start + tokens[-1].idx + len(tokens[-1])
            tags = ["O"] * len(tokens)
            position = {t.i: n for n, t in enumerate(tokens)}
            for index in range(bisect_left(entity_starts, s_start), bisect_left(entity_starts, s_end)):
                entity = entities[index]
                if entity.end > s_end:
                    continue
                span = paragraph.char_span(entity.start - p_start, entity.end - p_start, alignment_mode="strict")
                if span is None:
                    problems.append(_where(annotated, entity, "does not start and end on token boundaries"))
                    placed.add(index)
                    continue
                inside = [position[t.i] for t in span if t.i in position]
                for n, k in enumerate(inside):
                    tags[k] = f"{'B' if n == 0 else 'I'}-{entity.label}"
                placed.add(index)
            rows.append({
                "doc_id": annotated.doc.doc_id, "span_id": f"{annotated.doc.doc_id}:s{s_start}-{s_end}",
                "start": s_start, "end": s_end, "text": text[s_start:s_end],
                "tokens": [t.text for t in tokens], "token_starts": [p_start + t.idx for t in tokens],
                "token_ends": [p_start + t.idx + len(t) for t in tokens], "ner_tags": tags,
            })
    problems += [_where(annotated, e, "crosses a sentence boundary") for i, e in enumerate(entities) if i not in placed]
    if problems:
        raise InputError(problems)
    return rows


def _where(annotated: AnnotatedDocument, entity: Entity, message: str) -> str:
    source = f", task {entity.source.task_id}, region {entity.source.region_id}" if entity.source else ""
    return (f"doc {annotated.doc.doc_id}{source}: entity {entity.label} {entity.start}-{entity.end} "
            f"{entity.text_in(annotated.doc)!r} {message} (the `ner` tokens); fix the gold span")
