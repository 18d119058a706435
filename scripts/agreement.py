"""Inter-annotator agreement on tasks with two or more non-cancelled annotations.

Per layer and annotator pair, spans are matched one to one, exactly (same offsets)
or by overlap (a maximum matching of spans sharing a character, scripts/intervals.py). Precision takes the pair's first
annotator as reference. On exactly matched spans: label agreement (entity label,
claim kind, figure kind), figure value and unit agreement, claimant agreement.
Counts are summed over documents and pairs (micro average). A partial annotation
(one with a coverage range) is compared only over the text both annotations cover.
"""
from __future__ import annotations

import itertools
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

from scripts.intervals import overlap_matching
from scripts.model import AnnotatedDocument, Span

LAYERS = ("entities", "claims", "figures")


def _zeros() -> list[int]:
    return [0, 0]


@dataclass
class LayerCounts:
    reference: int = 0
    other: int = 0
    exact: int = 0
    overlap: int = 0
    attributes: dict[str, list[int]] = field(default_factory=lambda: defaultdict(_zeros))  # name -> [agree, compared]

    def scores(self) -> dict:
        def prf(matches):
            p = matches / self.other if self.other else None
            r = matches / self.reference if self.reference else None
            f = 2 * matches / (self.reference + self.other) if self.reference + self.other else None
            return {"precision": p, "recall": r, "f1": f}
        return {
            "spans": {"reference": self.reference, "other": self.other, "exact_matches": self.exact, "overlap_matches": self.overlap},
            "exact": prf(self.exact), "overlap": prf(self.overlap),
            "attributes": {name: {"agreement": a / n if n else None, "compared": n} for name, (a, n) in sorted(self.attributes.items())},
        }


def _overlap_matches(a: list[Span], b: list[Span]) -> int:
    return len(overlap_matching([(x.start, x.end) for x in a], [(y.start, y.end) for y in b]))


def _offsets(span: Optional[Span]):
    return (span.start, span.end) if span else None


ATTRIBUTES = {
    "entities": {"label": lambda e: e.label, "entity_id": lambda e: e.entity_id},
    "claims": {"claim_kind": lambda c: c.claim_kind, "claimant": lambda c: _offsets(c.claimant), "cue": lambda c: _offsets(c.cue)},
    "figures": {"kind": lambda f: f.kind, "value": lambda f: (f.value, f.value_max), "unit": lambda f: f.unit, "approx": lambda f: f.approx},
}


def _window(a: AnnotatedDocument, b: AnnotatedDocument) -> tuple[int, int]:
    ranges = [x.coverage or (0, x.doc.n_chars) for x in (a, b)]
    return max(r[0] for r in ranges), min(r[1] for r in ranges)


def compare(reference: AnnotatedDocument, other: AnnotatedDocument, counts: dict[str, LayerCounts]) -> None:
    low, high = _window(reference, other)
    for layer in LAYERS:
        a, b = ([s for s in getattr(x, layer) if low <= s.start and s.end <= high] for x in (reference, other))
        c = counts[layer]
        c.reference += len(a)
        c.other += len(b)
        by_offsets = {_offsets(s): s for s in b}
        matched = [(x, by_offsets[_offsets(x)]) for x in a if _offsets(x) in by_offsets]
        c.exact += len(matched)
        c.overlap += _overlap_matches(a, b)
        for name, get in ATTRIBUTES[layer].items():
            agree = sum(get(x) == get(y) for x, y in matched)
            c.attributes[name][0] += agree
            c.attributes[name][1] += len(matched)


class Tally:
    """Agreement counts, added task by task and mergeable (a build counts in several processes): every pair
    of a task's non-cancelled annotations but the ground truth, and each of those against the ground truth."""

    def __init__(self) -> None:
        self.inter = _Pairs()
        self.gold: dict[str, _Pairs] = defaultdict(_Pairs)

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


class _Pairs:
    def __init__(self) -> None:
        self.counts = {layer: LayerCounts() for layer in LAYERS}
        self.pairs: list[dict] = []

    def add(self, a: AnnotatedDocument, b: AnnotatedDocument) -> None:
        compare(a, b, self.counts)
        self.pairs.append({"doc_id": a.doc.doc_id, "reference": a.annotator, "other": b.annotator, "window": list(_window(a, b))})

    def merge(self, other: "_Pairs") -> None:
        for layer, c in other.counts.items():
            mine = self.counts[layer]
            for name in ("reference", "other", "exact", "overlap"):
                setattr(mine, name, getattr(mine, name) + getattr(c, name))
            for name, (agree, compared) in c.attributes.items():
                mine.attributes[name][0] += agree
                mine.attributes[name][1] += compared
        self.pairs += other.pairs

    def scores(self) -> dict:
        pairs = sorted(self.pairs, key=lambda p: (p["doc_id"], p["reference"], p["other"]))
        return {"pairs": pairs, "layers": {layer: self.counts[layer].scores() for layer in LAYERS}}


def tally(annotations: list[AnnotatedDocument]) -> Tally:
    """The tally of annotations of any tasks (grouped by document)."""
    result, by_doc = Tally(), defaultdict(list)
    for a in annotations:
        by_doc[a.doc.doc_id].append(a)
    for doc_id in sorted(by_doc):
        result.add_task(by_doc[doc_id])
    return result


def agreement(annotations: list[AnnotatedDocument]) -> dict:
    return tally(annotations).agreement()


def against_gold(annotations: list[AnnotatedDocument]) -> dict[str, dict]:
    return tally(annotations).against_gold()


def table(result: dict) -> str:
    def fmt(x):
        return "–" if x is None else f"{x:.3f}"

    lines = [f"{len(result['pairs'])} annotator pair(s) over {len({p['doc_id'] for p in result['pairs']})} document(s):", "",
             "| layer | spans (ref/other) | exact P | exact R | exact F1 | overlap F1 | attribute agreement on exact matches |",
             "|---|---|---|---|---|---|---|"]
    for layer, s in result["layers"].items():
        attrs = ", ".join(f"{n} {fmt(v['agreement'])} (n={v['compared']})" for n, v in s["attributes"].items())
        lines.append(f"| {layer} | {s['spans']['reference']}/{s['spans']['other']} | {fmt(s['exact']['precision'])} | "
                     f"{fmt(s['exact']['recall'])} | {fmt(s['exact']['f1'])} | {fmt(s['overlap']['f1'])} | {attrs} |")
    return "\n".join(lines)
