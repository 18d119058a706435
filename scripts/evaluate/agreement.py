"""Inter-annotator agreement is the scorer (scripts/evaluate/scorer.py) with one annotator as reference and
another as prediction: the same metrics, matching and intervals as a model's score.

Tasks with two or more non-cancelled annotations count: every pair of annotators but the ground truth (of
an annotator's several annotations, the latest), and each annotator against the ground truth of the task.
A partial annotation (one with a coverage range) is compared only over the text both annotations cover.
Each pair's counts are kept per paragraph and summed over pairs and documents (micro average); the 95%
intervals come from one cluster bootstrap over the paragraphs of every compared document.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from typing import Optional

from scripts.core.model import AnnotatedDocument, Span
from scripts.evaluate.bootstrap import resample_weights, summarize
from scripts.evaluate.counting import Counts, Texts
from scripts.evaluate.scorer import RESAMPLES, SEED, measure

LAYERS = ("entities", "claims", "figures")
# What `review` shows of two matched spans that differ (scripts/annotate/adjudication.py).
ATTRIBUTES = {
    "entities": {"label": lambda e: e.label, "entity_id": lambda e: e.entity_id},
    "claims": {"claim_kind": lambda c: c.claim_kind, "claimant": lambda c: _offsets(c.claimant), "cue": lambda c: _offsets(c.cue)},
    "figures": {"kind": lambda f: f.kind, "value": lambda f: (f.value, f.value_max), "unit": lambda f: f.unit, "approx": lambda f: f.approx},
}
# The metrics the tables show, per layer: (metric, what it is).
SHOWN = {
    "entities": (("strict", "span and label"), ("exact", "span"), ("overlap", "overlapping span"),
                 ("entity_id_b_cubed", "entity ids of exactly matched mentions (within the document), B³")),
    "claims": (("exact", "span"), ("overlap", "overlapping span"), ("token_overlap", "content tokens"),
               ("cue_exact", "cue span"), ("claimant", "claimant (its entity)"), ("claim_kind", "kind, on matched claims"),
               ("claimant_type", "claimant type, on matched claims"), ("claim_group_id_b_cubed", "claim groups (within the document), B³")),
    "figures": (("exact", "span"), ("overlap", "overlapping span"), ("value", "value, on matched figures"),
                ("unit", "unit, on matched figures"), ("approx", "approx, on matched figures"), ("kind", "kind, on matched figures")),
}


def _offsets(span: Optional[Span]):
    return (span.start, span.end) if span else None


def rows(annotated: AnnotatedDocument, layer: str, low: int, high: int) -> list[dict]:
    """One annotation's spans inside low-high as rows with the gold configs' columns (what the scorer reads)."""
    doc = annotated.doc.doc_id
    inside = [s for s in getattr(annotated, layer) if low <= s.start and s.end <= high]
    base = lambda s: {"doc_id": doc, "start": s.start, "end": s.end}  # noqa: E731
    if layer == "entities":
        return [{**base(e), "span_id": f"{doc}:{e.start}-{e.end}", "label": e.label, "entity_id": e.entity_id} for e in inside]
    if layer == "figures":
        return [{**base(f), "value": f.value, "value_max": f.value_max, "unit": f.unit, "approx": f.approx, "kind": f.kind}
                for f in inside]
    return [{**base(c), "claim_kind": c.claim_kind, "claimant_type": c.claimant_type, "claim_group_id": c.claim_group_id,
             "cue_start": c.cue.start, "cue_end": c.cue.end,
             "claimant_start": c.claimant.start if c.claimant else None, "claimant_end": c.claimant.end if c.claimant else None,
             "claimant_span_id": f"{doc}:{c.claimant.start}-{c.claimant.end}" if c.claimant else None} for c in inside]


def _window(a: AnnotatedDocument, b: AnnotatedDocument) -> tuple[int, int]:
    ranges = [x.coverage or (0, x.doc.n_chars) for x in (a, b)]
    return max(r[0] for r in ranges), min(r[1] for r in ranges)


class Pairs:
    """The scorer's counts of annotator pairs, summed per layer and metric; mergeable across processes. Each
    pair's counts are kept apart and summed in one order (the pairs sorted), so the result is the same to the
    last digit however the build's workers shared the tasks."""

    def __init__(self) -> None:
        self.counts: dict[tuple, list[dict]] = {}  # (doc, reference, other, window) -> [{layer: {metric: counts}}]
        self.pairs: list[dict] = []

    def add(self, reference: AnnotatedDocument, other: AnnotatedDocument) -> None:
        low, high = _window(reference, other)
        doc = reference.doc
        texts = Texts({doc.doc_id: doc.text})
        entities = rows(reference, "entities", low, high)
        pair = (doc.doc_id, reference.annotator or "", other.annotator or "", low, high)
        self.counts.setdefault(pair, []).append({layer: {name: counts for name, counts in measure(
            layer, rows(reference, layer, low, high), rows(other, layer, low, high), texts, entities).items()
            if "@" not in name}  # per-document rows of the entity schemes: the tables show the whole
            for layer in LAYERS})
        self.pairs.append({"doc_id": doc.doc_id, "reference": reference.annotator, "other": other.annotator,
                           "window": [low, high], "paragraphs": [texts.unit(doc.doc_id, low)[1], texts.unit(doc.doc_id, max(low, high - 1))[1]]})

    def merge(self, other: "Pairs") -> None:
        for pair, counted in other.counts.items():
            self.counts.setdefault(pair, []).extend(counted)
        self.pairs += other.pairs

    def scores(self, resamples: int = RESAMPLES, seed: int = SEED) -> dict:
        """{"pairs": [...], "layers": {layer: {metric: {precision, recall, f1, ci_low, ci_high, n_reference, n_predicted}}}}"""
        pairs = sorted(self.pairs, key=lambda p: (p["doc_id"], p["reference"] or "", p["other"] or ""))
        summed: dict[str, dict[str, Counts]] = {layer: {} for layer in LAYERS}
        for pair in sorted(self.counts):
            for counted in self.counts[pair]:
                for layer, metrics in counted.items():
                    for name, counts in metrics.items():
                        summed[layer].setdefault(name, Counts()).merge(counts)
        units = sorted({(p["doc_id"], n) for p in pairs for n in range(p["paragraphs"][0], p["paragraphs"][1] + 1)}
                       | {u for metrics in summed.values() for c in metrics.values() for u in c.per_unit}, key=str)
        weights = resample_weights(units, resamples, seed)
        return {"pairs": [{k: v for k, v in p.items() if k != "paragraphs"} for p in pairs],
                "layers": {layer: summarize(summed[layer], units, weights) for layer in LAYERS}}


class Tally:
    """Agreement counts, added task by task and mergeable (a build counts in several processes): every pair
    of a task's non-cancelled annotations but the ground truth, and each of those against the ground truth."""

    def __init__(self) -> None:
        self.inter = Pairs()
        self.gold: dict[str, Pairs] = defaultdict(Pairs)

    def add_task(self, annotations: list[AnnotatedDocument]) -> None:
        """The annotations of one task (one document); of an annotator's several, the latest (an annotator
        never agrees with themselves)."""
        latest = {}
        for a in sorted((a for a in annotations if not a.ground_truth), key=lambda a: (a.annotation_id or 0)):
            latest[a.annotator] = a
        others = sorted(latest.values(), key=lambda a: a.annotator)
        for a, b in itertools.combinations(others, 2):
            self.inter.add(a, b)
        truth = next((a for a in annotations if a.ground_truth), None)
        for a in others if truth else ():
            self.gold[a.annotator].add(truth, a)

    def merge(self, other: "Tally") -> None:
        self.inter.merge(other.inter)
        for annotator, pairs in other.gold.items():
            self.gold[annotator].merge(pairs)

    def agreement(self) -> dict:
        """Inter-annotator scores per layer (the ground truth is the adjudication, compared in `against_gold`)."""
        return self.inter.scores()

    def against_gold(self) -> dict[str, dict]:
        """Per annotator: their annotations scored against the ground truth of the same task (the gold as reference)."""
        return {name: pairs.scores() for name, pairs in sorted(self.gold.items())}


def tally(annotations: list[AnnotatedDocument]) -> Tally:
    """The tally of annotations of any tasks (grouped by document)."""
    result, by_doc = Tally(), defaultdict(list)
    for a in annotations:
        by_doc[a.doc.doc_id].append(a)
    for doc_id in sorted(by_doc):
        result.add_task(by_doc[doc_id])
    return result


def inter_annotator(annotations: list[AnnotatedDocument]) -> dict:
    return tally(annotations).agreement()


def against_gold(annotations: list[AnnotatedDocument]) -> dict[str, dict]:
    return tally(annotations).against_gold()


def _cell(stats: Optional[dict]) -> str:
    if stats is None:
        return "– | – | – | – |"
    return (f"{stats['precision']:.3f} | {stats['recall']:.3f} | {stats['f1']:.3f} | "
            f"{stats['ci_low']:.3f}–{stats['ci_high']:.3f} | {stats['n_reference']}/{stats['n_predicted']} |")


def table(result: dict) -> str:
    """A Markdown table of the shown metrics with their 95% intervals."""
    pairs = result["pairs"]
    lines = [f"{len(pairs)} annotator pair(s) over {len({p['doc_id'] for p in pairs})} document(s); the first of a pair is the "
             "reference (precision is the second's):", "",
             "| layer | metric | P | R | F1 | F1 95% interval | n (ref/other) |", "|---|---|---|---|---|---|---|"]
    for layer, shown in SHOWN.items():
        scores = result["layers"][layer]
        lines += [f"| {layer} | {what} | " + _cell(scores.get(metric)).replace(" | ", " | ", 1) for metric, what in shown if metric in scores]
    return "\n".join(lines)
