"""CoNLL-2003 style, from the `ner` config: `test.conll`, four space-separated columns per token
(token, POS, chunk, NER) with POS and chunk unknown (`_`) and the BIO tag of the entity layer last; a blank
line ends a sentence, and each document starts with `-DOCSTART- -X- -X- O` and a blank line (documents in
doc_id order, sentences in text order). Only the entities are in it: claims and figures have no column here.
Tokens never hold whitespace (the `ner` config leaves whitespace tokens out), so the columns always split."""
from __future__ import annotations

from pathlib import Path
from typing import Mapping

from schemas.tables import SPLIT
from scripts.core.files import write_atomic
from scripts.core.formats.gold import Written

DOCSTART = "-DOCSTART- -X- -X- O"


def conll(doc_ids: list[str], sentences: list[dict], problems: list[str]) -> str:
    by_doc: dict[str, list[dict]] = {}
    for s in sorted(sentences, key=lambda s: (s["doc_id"], s["start"], s["end"])):
        by_doc.setdefault(s["doc_id"], []).append(s)
    blocks = []
    for doc_id in doc_ids:
        blocks.append(DOCSTART)
        for s in by_doc.get(doc_id, []):
            bad = [t for t in s["tokens"] if not t or len(t.split()) != 1 or t != t.strip()]
            if bad:
                problems.append(f"doc {doc_id}: sentence {s['span_id']} has tokens with whitespace {bad!r}: not written (CoNLL)")
                continue
            blocks.append("\n".join(f"{token} _ _ {tag}" for token, tag in zip(s["tokens"], s["ner_tags"])))
    return "".join(f"{block}\n\n" for block in blocks)


def write(gold: Mapping, tables, out: Path) -> Written:
    written = Written()
    path = out / f"{SPLIT}.conll"
    write_atomic(path, conll(sorted(gold), tables["ner"].to_dicts(), written.unrepresented))
    written.files.append(path)
    return written
