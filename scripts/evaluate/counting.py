"""The scorer's counts: texts as paragraphs (the bootstrap's units) and tokens, metrics as sums per unit
(`Counts`), and spans as columns (numpy arrays) cut into chains of spans that overlap, so that a
million spans are matched by array comparisons and only tangled chains reach the matchers of `schemes`."""
from __future__ import annotations

import itertools
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from scripts.core.intervals import overlap_matching
from scripts.core.tokens import (
    PARAGRAPH_BREAK,  # paragraphs as the `ner` view cuts them (spaCy is loaded only to tokenize)
)
from scripts.evaluate.schemes import (
    MIN_OVERLAP_PERCENT,
    Mention,
    Outcome,
    evaluate,
)

TOKEN = re.compile(r"\w+|[^\w\s]")


def _zero_row() -> list[float]:
    return [0.0, 0.0, 0.0, 0.0]


def _unit_rows() -> defaultdict:
    return defaultdict(_zero_row)


@dataclass
class Counts:
    """A metric as sums per unit: precision = num_p / den_p, recall = num_r / den_r. Sums of counts (whole
    or halves), so merging in any order gives the same bytes; picklable, for the build's workers."""
    per_unit: dict = field(default_factory=_unit_rows)

    def add(self, unit, num_p=0.0, den_p=0.0, num_r=0.0, den_r=0.0) -> None:
        row = self.per_unit[unit]
        row[0] += num_p
        row[1] += den_p
        row[2] += num_r
        row[3] += den_r

    def merge(self, other: "Counts") -> None:
        for unit, row in other.per_unit.items():
            self.add(unit, *row)


class Texts:
    """The documents' texts: paragraphs (the bootstrap's units) and tokens (claims' token overlap, made on
    first use). Units are (doc_id, paragraph) tuples; inside the scorer also integers, one per paragraph of
    every document, in document order."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.breaks = {d: [m.end() for m in PARAGRAPH_BREAK.finditer(t)] for d, t in texts.items()}
        self._tokens: Optional[dict] = None
        self._token_starts: Optional[dict] = None
        self._index: Optional[tuple] = None

    @property
    def tokens(self) -> dict:
        if self._tokens is None:
            self._tokens = {d: [(m.start(), m.end()) for m in TOKEN.finditer(t)] for d, t in self.texts.items()}
        return self._tokens

    @property
    def token_starts(self) -> dict:
        if self._token_starts is None:
            self._token_starts = {d: [s for s, _ in toks] for d, toks in self.tokens.items()}
        return self._token_starts

    def unit(self, doc: str, start: int) -> tuple[str, int]:
        return doc, bisect_right(self.breaks[doc], start)

    def token_count(self, doc: str, start: int, end: int) -> int:
        """Tokens wholly inside start-end."""
        starts, toks = self.token_starts[doc], self.tokens[doc]
        lo, hi = bisect_left(starts, start), bisect_left(starts, end)
        return sum(1 for s, e in toks[lo:hi] if e <= end)

    # ---- the same as arrays ----

    def _ix(self) -> tuple:
        """(doc ids, their positions, every break as doc * span + offset, each doc's first break, each doc's
        first unit id, span)."""
        if self._index is None:
            docs = list(self.texts)
            n = np.fromiter((len(self.breaks[d]) for d in docs), np.int64, len(docs))
            flat = np.fromiter(itertools.chain.from_iterable(self.breaks[d] for d in docs), np.int64, int(n.sum()))
            first_break = np.zeros(len(docs) + 1, np.int64)
            np.cumsum(n, out=first_break[1:])
            span = max((len(t) for t in self.texts.values()), default=0) + 2
            keyed = np.repeat(np.arange(len(docs), dtype=np.int64), n) * span + flat
            self._index = (docs, {d: i for i, d in enumerate(docs)}, keyed, first_break,
                           first_break + np.arange(len(docs) + 1), span)
        return self._index

    def _unit_ids(self, doc: np.ndarray, start: np.ndarray) -> np.ndarray:
        """The unit id of each (document position, offset): `unit` for many spans at once."""
        _, _, keyed, first_break, first_unit, span = self._ix()
        start = np.clip(start, -1, span - 1)  # an offset past the text is in its last paragraph, before it in its first
        return np.searchsorted(keyed, doc * span + start, side="right") - first_break[doc] + first_unit[doc]

    def _units(self, ids: np.ndarray) -> list[tuple[str, int]]:
        docs, _, _, _, first_unit, _ = self._ix()
        doc = np.searchsorted(first_unit, ids, side="right") - 1
        return [(docs[d], k) for d, k in zip(doc.tolist(), (ids - first_unit[doc]).tolist())]

    def _token_arrays(self, doc_positions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every token of the given documents as doc * span + offset (starts, ends), and each document's first token."""
        docs, _, _, _, _, span = self._ix()
        wanted = sorted(set(doc_positions))
        starts, ends, first = [], [], np.zeros(len(docs) + 1, np.int64)
        lengths = np.zeros(len(docs), np.int64)
        for d in wanted:
            toks = [(m.start(), m.end()) for m in TOKEN.finditer(self.texts[docs[d]])]
            lengths[d] = len(toks)
            pairs = np.array(toks, np.int64).reshape(-1, 2) + d * span
            starts.append(pairs[:, 0])
            ends.append(pairs[:, 1])
        np.cumsum(lengths, out=first[1:])
        empty = np.zeros(0, np.int64)
        return (np.concatenate(starts) if starts else empty), (np.concatenate(ends) if ends else empty), first

    def _token_counts(self, doc: np.ndarray, start: np.ndarray, end: np.ndarray, tokens) -> np.ndarray:
        """`token_count` of many spans: tokens do not overlap, so of those starting inside a span only the last
        can end past it."""
        starts, ends, _ = tokens
        span = self._ix()[5]
        lo = np.searchsorted(starts, doc * span + start, side="left")
        hi = np.searchsorted(starts, doc * span + np.maximum(end, start), side="left")
        last_outside = (hi > lo) & (ends[np.maximum(hi - 1, 0)] > doc * span + end) if len(ends) else np.zeros(len(lo), bool)
        return np.maximum(hi - lo - last_outside, 0)


# ---- counts as arrays: (unit ids, rows of num_p, den_p, num_r, den_r) per metric ----

class Events:
    """Additions to metrics, summed per unit at the end: what many `Counts.add` calls would give."""

    def __init__(self) -> None:
        self.parts: dict = defaultdict(list)

    def add(self, name: str, units, num_p=0.0, den_p=0.0, num_r=0.0, den_r=0.0) -> None:
        units = np.asarray(units, np.int64)
        values = np.zeros((len(units), 4))
        for k, v in enumerate((num_p, den_p, num_r, den_r)):
            values[:, k] = v
        self.parts[name].append((units, values))

    def touch(self, name: str) -> None:
        self.parts[name]  # noqa: B018 - the metric exists, perhaps with no counts

    def tables(self) -> dict:
        out = {}
        for name, parts in self.parts.items():
            units = np.concatenate([u for u, _ in parts]) if parts else np.zeros(0, np.int64)
            values = np.concatenate([v for _, v in parts]) if parts else np.zeros((0, 4))
            out[name] = sum_by(units, values)
        return out


def sum_by(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct keys, rows summed per key); sums of integers and halves, exact in any order."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    rows = np.empty((len(uniq), 4))
    for k in range(4):
        rows[:, k] = np.bincount(inverse, weights=values[:, k], minlength=len(uniq))
    return uniq, rows


def to_counts(tables: dict, texts: Texts) -> dict:
    metrics: dict = defaultdict(Counts)
    for name, (ids, rows) in tables.items():
        per_unit = metrics[name].per_unit
        for unit, row in zip(texts._units(ids), rows.tolist()):
            per_unit[unit] = row
    return metrics


@dataclass
class Spans:
    """Rows of one side as columns: document position, offsets, label position, unit id."""
    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray
    unit: np.ndarray

    @property
    def n(self) -> int:
        return len(self.doc)


def columns_of(rows: list[dict], texts: Texts, labels: Optional[dict] = None, start="start", end="end") -> Spans:
    positions, n = texts._ix()[1], len(rows)
    doc = np.fromiter((positions[r["doc_id"]] for r in rows), np.int64, n)
    starts = np.fromiter((r[start] for r in rows), np.int64, n)
    ends = np.fromiter((r[end] for r in rows), np.int64, n)
    label = np.fromiter((labels[r["label"]] for r in rows), np.int64, n) if labels is not None else np.zeros(n, np.int64)
    return Spans(doc, starts, ends, label, texts._unit_ids(doc, starts))


def _chains(group_t: np.ndarray, t: Spans, group_p: np.ndarray, p: Spans) -> tuple[np.ndarray, np.ndarray, int]:
    """A chain id for every span: the spans of a group (both sides) linked by overlapping or touching, so
    spans of different chains share no character. Matching never crosses chains."""
    g, s, e = (np.concatenate(x) for x in ((group_t, group_p), (t.start, p.start), (t.end, p.end)))
    if not len(g):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), 0
    low = int(min(s.min(), e.min()))
    span = int(max(s.max(), e.max())) - low + 2
    order = np.lexsort((e, s, g))
    gs, ge = g[order] * span + (s[order] - low), g[order] * span + (e[order] - low)
    new = np.ones(len(g), bool)
    new[1:] = gs[1:] > np.maximum.accumulate(ge)[:-1]
    chain = np.empty(len(g), np.int64)
    chain[order] = np.cumsum(new) - 1
    return chain[:t.n], chain[t.n:], int(chain[order[-1]]) + 1


class Grouping:
    """The chains of one grouping of the spans (by document, or by document and label), with the pairs of
    chains that hold one span of each side and the spans of the other chains."""

    def __init__(self, group_t, t: Spans, group_p, p: Spans) -> None:
        self.t, self.p = t, p
        ct, cp, n = _chains(group_t, t, group_p, p)
        nt, np_ = np.bincount(ct, minlength=n), np.bincount(cp, minlength=n)
        one = (nt == 1) & (np_ == 1)
        mate = np.full(n, -1, np.int64)
        mate[cp] = np.arange(p.n)
        self.ti = np.flatnonzero(one[ct])  # the 1-1 pairs: true index, predicted index
        self.pj = mate[ct[self.ti]]
        self.alone_t = np.flatnonzero(((nt == 1) & (np_ == 0))[ct])
        tangled = (nt > 1) | (np_ > 1)
        self.tangled_t, self.tangled_p = np.flatnonzero(tangled[ct]), np.flatnonzero(tangled[cp])
        low = int(min(t.start.min(initial=0), p.start.min(initial=0)))
        span = int(max(t.end.max(initial=0), p.end.max(initial=0))) - low + 2
        # the tangled spans with their chains shifted apart: one call of a matcher serves them all
        self.shift_t = ((ct[self.tangled_t] * span) - low).tolist()
        self.shift_p = ((cp[self.tangled_p] * span) - low).tolist()
        s_t, e_t, s_p, e_p = t.start[self.ti], t.end[self.ti], p.start[self.pj], p.end[self.pj]
        overlap = np.minimum(e_t, e_p) - np.maximum(s_t, s_p)
        with np.errstate(divide="ignore", invalid="ignore"):
            self.sufficient = (overlap > 0) & (100.0 * overlap / (e_t - s_t) >= MIN_OVERLAP_PERCENT)
        self.overlapping = overlap > 0
        self.same_offsets = (s_t == s_p) & (e_t == e_p)
        self.same_label = t.label[self.ti] == p.label[self.pj]

    def outcomes(self, scheme: str) -> tuple[np.ndarray, np.ndarray]:
        """(kind of each predicted span: 0 correct, 1 incorrect, 2 partial, 4 spurious; missed reference spans),
        as `schemes.evaluate` counts them."""
        kind = np.full(self.p.n, 4, np.int8)
        missed = np.zeros(self.t.n, bool)
        sufficient, same = self.sufficient, self.same_offsets
        if scheme == "strict":
            pair = np.where(same & self.same_label, 0, np.where(sufficient, 1, 4))
        elif scheme == "ent_type":
            pair = np.where(sufficient, np.where(self.same_label, 0, 1), 4)
        else:
            pair = np.where(same, 0, np.where(sufficient, 2 if scheme == "partial" else 1, 4))
        kind[self.pj] = pair
        missed[self.ti] = pair == 4
        missed[self.alone_t] = True
        if len(self.tangled_t) or len(self.tangled_p):
            t, p = self.t, self.p
            true = [Mention(s + k, e + k, lab, i) for s, e, lab, i, k in zip(
                t.start[self.tangled_t].tolist(), t.end[self.tangled_t].tolist(), t.label[self.tangled_t].tolist(),
                self.tangled_t.tolist(), self.shift_t)]
            guess = [Mention(s + k, e + k, lab, ~j) for s, e, lab, j, k in zip(
                p.start[self.tangled_p].tolist(), p.end[self.tangled_p].tolist(), p.label[self.tangled_p].tolist(),
                self.tangled_p.tolist(), self.shift_p)]
            outcome = Outcome()
            evaluate(scheme, true, guess, outcome)
            for who, (cor, inc, par, mis, _) in outcome.units.items():
                if who >= 0:
                    missed[who] = mis > 0
                else:
                    kind[~who] = 0 if cor else 1 if inc else 2 if par else 4
        return kind, missed

    def overlap_matched(self) -> tuple[np.ndarray, np.ndarray]:
        """The reference and predicted spans `overlap_matching` pairs (a maximum one-to-one matching)."""
        matched_t, matched_p = np.zeros(self.t.n, bool), np.zeros(self.p.n, bool)
        matched_t[self.ti[self.overlapping]] = True
        matched_p[self.pj[self.overlapping]] = True
        self.pairs_t, self.pairs_p = self.ti[self.overlapping], self.pj[self.overlapping]
        if len(self.tangled_t) and len(self.tangled_p):
            t, p = self.t, self.p
            pairs = overlap_matching(
                [(s + k, e + k) for s, e, k in zip(t.start[self.tangled_t].tolist(), t.end[self.tangled_t].tolist(), self.shift_t)],
                [(s + k, e + k) for s, e, k in zip(p.start[self.tangled_p].tolist(), p.end[self.tangled_p].tolist(), self.shift_p)])
            if pairs:
                i, j = (np.array(x, np.int64) for x in zip(*pairs))
                matched_t[self.tangled_t[i]] = True
                matched_p[self.tangled_p[j]] = True
                self.pairs_t = np.concatenate([self.pairs_t, self.tangled_t[i]])
                self.pairs_p = np.concatenate([self.pairs_p, self.tangled_p[j]])
        return matched_t, matched_p


