"""One scorer for models and for annotators: the reference is the gold (a model's score) or one annotator
(agreement), the prediction a model's spans or another annotator's. Rows are dicts with the columns of the
gold configs; see README "Evaluation".

Every score comes with a 95% interval from a seeded cluster bootstrap over paragraphs (three documents are
too few to resample): each metric is kept as counts per paragraph, paragraphs are drawn with replacement
1,000 times, and the 2.5th and 97.5th percentiles of the F1 are the interval. Only the standard library
and numpy (which `datasets` installs).

How it stays fast at a million spans (docs/performance.md, "Scoring a million spans"): spans are columns (numpy arrays), not rows.
The matchers see one document (or one document's spans of one label) at a time, and two spans interact
only through a chain of spans that overlap or touch; so the spans of each group are cut into such chains,
a chain of one reference and one predicted span (most of them) is decided by a few array comparisons, and
only the other chains go through the matchers of `schemes` (all of them in one call, each chain shifted
apart from the others). Each scheme runs once per grouping, and per-document rows are the overall rows
split by document. Counts are integers or halves and the bootstrap weights integers, so the resampled sums
are exact in any order: the sums over paragraphs are matrix products (per-document metrics: only their
own paragraphs), and the coreference metrics of a resample come from counts of (key cluster, response
cluster) pairs rather than from sets of mentions. The bootstrap weights (the same draws as ever, so the
same intervals) are drawn in a thread while the counts are made.
"""
from __future__ import annotations

import itertools
import math
import re
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np

from scripts.core.intervals import overlap_matching
from scripts.core.tokens import (
    PARAGRAPH_BREAK,  # paragraphs as the `ner` view cuts them (spaCy is loaded only to tokenize)
)
from scripts.evaluate.schemes import (
    MIN_OVERLAP_PERCENT,
    SCHEMES,
    Mention,
    Outcome,
    _best_assignment,
    b_cubed,
    ceaf_e,
    evaluate,
    iob2_entities,
    muc,
)

RESAMPLES = 1000
SEED = 13
TOKEN = re.compile(r"\w+|[^\w\s]")
CURRENCY = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "€": "EUR", "euro": "EUR", "£": "GBP", "pound": "GBP",
            "¥": "JPY", "yen": "JPY", "₺": "TRY", "lira": "TRY", "₽": "RUB", "rouble": "RUB", "ruble": "RUB", "c$": "CAD"}
CLUSTER_RESAMPLES = 200  # coreference scores are recomputed on this many of the resamples


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

class _Events:
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
            out[name] = _sum_by(units, values)
        return out


def _sum_by(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct keys, rows summed per key); sums of integers and halves, exact in any order."""
    uniq, inverse = np.unique(keys, return_inverse=True)
    rows = np.empty((len(uniq), 4))
    for k in range(4):
        rows[:, k] = np.bincount(inverse, weights=values[:, k], minlength=len(uniq))
    return uniq, rows


def _to_counts(tables: dict, texts: Texts) -> dict:
    metrics: dict = defaultdict(Counts)
    for name, (ids, rows) in tables.items():
        per_unit = metrics[name].per_unit
        for unit, row in zip(texts._units(ids), rows.tolist()):
            per_unit[unit] = row
    return metrics


@dataclass
class _Spans:
    """Rows of one side as columns: document position, offsets, label position, unit id."""
    doc: np.ndarray
    start: np.ndarray
    end: np.ndarray
    label: np.ndarray
    unit: np.ndarray

    @property
    def n(self) -> int:
        return len(self.doc)


def _columns(rows: list[dict], texts: Texts, labels: Optional[dict] = None, start="start", end="end") -> _Spans:
    positions, n = texts._ix()[1], len(rows)
    doc = np.fromiter((positions[r["doc_id"]] for r in rows), np.int64, n)
    starts = np.fromiter((r[start] for r in rows), np.int64, n)
    ends = np.fromiter((r[end] for r in rows), np.int64, n)
    label = np.fromiter((labels[r["label"]] for r in rows), np.int64, n) if labels is not None else np.zeros(n, np.int64)
    return _Spans(doc, starts, ends, label, texts._unit_ids(doc, starts))


def _chains(group_t: np.ndarray, t: _Spans, group_p: np.ndarray, p: _Spans) -> tuple[np.ndarray, np.ndarray, int]:
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


class _Grouping:
    """The chains of one grouping of the spans (by document, or by document and label), with the pairs of
    chains that hold one span of each side and the spans of the other chains."""

    def __init__(self, group_t, t: _Spans, group_p, p: _Spans) -> None:
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


def _scheme_values(kind: np.ndarray, scheme: str) -> np.ndarray:
    half = 0.5 if scheme in ("partial", "ent_type") else 0.0
    num = (kind == 0) + half * (kind == 2)
    return np.column_stack([num, np.ones(len(kind)), num, (kind != 4).astype(float)])


def _entity_tables(ref: list[dict], pred: list[dict], texts: Texts) -> dict:
    labels = sorted({r["label"] for r in ref} | {p["label"] for p in pred})
    position = {label: i for i, label in enumerate(labels)}
    t, p = _columns(ref, texts, position), _columns(pred, texts, position)
    tables: dict = {}
    if not t.n + p.n:
        return {"overlap": _sum_by(np.zeros(0, np.int64), np.zeros((0, 4)))}
    docs, first_unit = texts._ix()[0], texts._ix()[4]
    n_units, n_labels = int(first_unit[-1]), len(labels)
    by_doc = _Grouping(t.doc, t, p.doc, p)
    by_label = _Grouping(t.doc * n_labels + t.label, t, p.doc * n_labels + p.label, p)
    missed_row = np.array([[0.0, 0.0, 0.0, 1.0]])
    for scheme in SCHEMES:
        kind, missed = by_doc.outcomes(scheme)
        units, rows = _sum_by(np.concatenate([p.unit, t.unit[missed]]),
                              np.concatenate([_scheme_values(kind, scheme), np.repeat(missed_row, int(missed.sum()), axis=0)]))
        tables[scheme] = (units, rows)
        doc = np.searchsorted(first_unit, units, side="right") - 1
        cuts = np.flatnonzero(np.diff(doc)) + 1
        for lo, hi in zip(np.concatenate([[0], cuts]).tolist(), np.concatenate([cuts, [len(units)]]).tolist()):
            tables[f"{scheme}@{docs[doc[lo]]}"] = (units[lo:hi], rows[lo:hi])
        kind, missed = by_label.outcomes(scheme)
        keys = np.concatenate([p.label * n_units + p.unit, (t.label * n_units + t.unit)[missed]])
        keyed, rows = _sum_by(keys, np.concatenate([_scheme_values(kind, scheme), np.repeat(missed_row, int(missed.sum()), axis=0)]))
        label_of = keyed // n_units
        for n, label in enumerate(labels):
            chosen = label_of == n
            tables[f"{scheme}[{label}]"] = (keyed[chosen] - n * n_units, rows[chosen])
    matched_t, matched_p = by_doc.overlap_matched()
    tables["overlap"] = _sum_by(np.concatenate([p.unit, t.unit]), np.concatenate([
        np.column_stack([matched_p.astype(float), np.ones(p.n), np.zeros(p.n), np.zeros(p.n)]),
        np.column_stack([np.zeros(t.n), np.zeros(t.n), matched_t.astype(float), np.ones(t.n)])]))
    return tables


def _entity_clusterings(ref: list[dict], pred: list[dict], texts: Texts) -> dict:
    if pred and all(p.get("entity_id") is not None for p in pred):
        by_offsets = {(p["doc_id"], p["start"], p["end"]): p["entity_id"] for p in pred}
        key = {(r["doc_id"], r["start"], r["end"]): r["entity_id"] for r in ref if (r["doc_id"], r["start"], r["end"]) in by_offsets}
        return {"entity_id": (key, {m: by_offsets[m] for m in key}, {m: texts.unit(m[0], m[1]) for m in key})}
    return {}


def score_entities(ref: list[dict], pred: list[dict], texts: Texts) -> tuple[dict, dict]:
    """The four schemes overall, per label and per document; exact and overlap span matching; and the
    entity ids of exactly matched mentions as clusterings (MUC, B-cubed, CEAF-e)."""
    return _to_counts(_entity_tables(ref, pred, texts), texts), _entity_clusterings(ref, pred, texts)


def normalize_unit(unit: Optional[str]) -> Optional[str]:
    """Units compared after: lower case, a plural -s dropped, currency symbols and names to ISO 4217."""
    if unit is None:
        return None
    u = unit.strip().lower()
    if u in CURRENCY:
        return CURRENCY[u]
    if len(u) == 3 and u.isalpha() and unit.strip().isupper():
        return u.upper()  # an ISO 4217 code
    words = u.split()
    if words and len(words[-1]) > 3 and words[-1].endswith("s") and not words[-1].endswith("ss"):
        words[-1] = words[-1][:-1]
    return " ".join(words)


def _span_events(ref: list[dict], pred: list[dict], texts: Texts, events: _Events, prefix: str = "",
                 start: str = "start", end: str = "end") -> tuple[_Spans, _Spans, np.ndarray, np.ndarray]:
    """exact and overlap span matching per document; returns both sides' columns and the overlap-matched
    pairs (reference row, predicted row), by document in order of the reference row."""
    t, p = _columns(ref, texts, start=start, end=end), _columns(pred, texts, start=start, end=end)
    if not t.n + p.n:
        return t, p, np.zeros(0, np.int64), np.zeros(0, np.int64)
    span = int(max(t.end.max(initial=0), p.end.max(initial=0), t.start.max(initial=0), p.start.max(initial=0))) + 1
    if len(texts._ix()[0]) * span * span < 2 ** 62:
        key_t, key_p = (x.doc * span * span + x.start * span + x.end for x in (t, p))
        exact_p, exact_t = np.isin(key_p, key_t), np.isin(key_t, key_p)
    else:  # offsets too large to pack into one integer
        offsets = lambda x: list(zip(x.doc.tolist(), x.start.tolist(), x.end.tolist()))  # noqa: E731
        ot, op = offsets(t), offsets(p)
        st, sp = set(ot), set(op)
        exact_p, exact_t = np.array([o in st for o in op], bool), np.array([o in sp for o in ot], bool)
    events.add(prefix + "exact", p.unit, num_p=exact_p, den_p=1)
    events.add(prefix + "exact", t.unit, num_r=exact_t, den_r=1)
    grouping = _Grouping(t.doc, t, p.doc, p)
    matched_t, matched_p = grouping.overlap_matched()
    # each count in the unit of its own denominator: a resample never gives P or R above 1
    events.add(prefix + "overlap", p.unit, num_p=matched_p, den_p=1)
    events.add(prefix + "overlap", t.unit, num_r=matched_t, den_r=1)
    order = np.lexsort((grouping.pairs_t, t.doc[grouping.pairs_t]))
    return t, p, grouping.pairs_t[order], grouping.pairs_p[order]


def _agreement(events: _Events, name: str, units: list, same: list) -> None:
    """An attribute compared on matched pairs (None: not comparable, e.g. absent from the predictions)."""
    chosen = [(u, float(s)) for u, s in zip(units, same) if s is not None]
    if chosen:
        u, s = zip(*chosen)
        events.add(name, u, s, 1, s, 1)


def _figure_tables(ref: list[dict], pred: list[dict], texts: Texts, tolerance: float) -> dict:
    events = _Events()
    t, _, pairs_t, pairs_p = _span_events(ref, pred, texts, events)
    close = lambda a, b: (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=tolerance, abs_tol=0.0))  # noqa: E731
    units = t.unit[pairs_t].tolist()
    matched = [(ref[i], pred[j]) for i, j in zip(pairs_t.tolist(), pairs_p.tolist())]
    normalized: dict = {}
    norm = lambda u: normalized[u] if u in normalized else normalized.setdefault(u, normalize_unit(u))  # noqa: E731
    _agreement(events, "value", units, [close(r["value"], p["value"]) if "value" in p else None for r, p in matched])
    _agreement(events, "value_max", units, [close(r["value_max"], p["value_max"]) if "value_max" in p else None for r, p in matched])
    _agreement(events, "unit", units, [norm(r["unit"]) == norm(p["unit"]) if "unit" in p else None for r, p in matched])
    for name in ("approx", "kind"):
        _agreement(events, name, units, [r[name] == p[name] if name in p else None for r, p in matched])
    return events.tables()


def score_figures(ref: list[dict], pred: list[dict], texts: Texts, tolerance: float = 1e-6) -> tuple[dict, dict]:
    return _to_counts(_figure_tables(ref, pred, texts, tolerance), texts), {}


def _claim_tables(ref: list[dict], pred: list[dict], texts: Texts, entities: list[dict]) -> tuple[dict, dict]:
    events = _Events()
    t, p, pairs_t, pairs_p = _span_events(ref, pred, texts, events)
    if t.n + p.n:
        tokens = texts._token_arrays(np.concatenate([t.doc, p.doc]).tolist())
        events.add("token_overlap", p.unit, den_p=texts._token_counts(p.doc, p.start, p.end, tokens))
        events.add("token_overlap", t.unit, den_r=texts._token_counts(t.doc, t.start, t.end, tokens))
        shared = texts._token_counts(t.doc[pairs_t], np.maximum(t.start[pairs_t], p.start[pairs_p]),
                                     np.minimum(t.end[pairs_t], p.end[pairs_p]), tokens)
        events.add("token_overlap", p.unit[pairs_p], num_p=shared)
        events.add("token_overlap", t.unit[pairs_t], num_r=shared)
    if pred and all(p.get("cue_start") is not None for p in pred):
        cues = lambda rows: list({(r["doc_id"], r["cue_start"], r["cue_end"]): r for r in rows}.values())  # noqa: E731
        _span_events(cues(ref), cues(pred), texts, events, "cue_", "cue_start", "cue_end")
    mentions = defaultdict(list)  # (doc, entity_id) -> spans
    by_span_id = {e["span_id"]: e for e in entities}
    for e in entities:
        mentions[(e["doc_id"], e["entity_id"])].append((e["start"], e["end"]))
    groups_key, groups_response, group_units = {}, {}, {}
    claimant_units, claimant_rows = [], []
    attributes: dict = {"claim_kind": ([], []), "claimant_type": ([], [])}
    units, docs = texts._units(t.unit[pairs_t]), t.doc[pairs_t].tolist()
    n, previous = 0, None
    for (i, j), unit, doc_position in zip(zip(pairs_t.tolist(), pairs_p.tolist()), units, docs):
        n = n + 1 if doc_position == previous else 0  # the pair's place among its document's pairs
        previous = doc_position
        r, p = ref[i], pred[j]
        doc = r["doc_id"]
        gold_claimant = by_span_id.get(r.get("claimant_span_id"))
        if "claimant_start" in p:
            said = p["claimant_start"] is not None
            right = False
            if said and gold_claimant:
                spans = mentions[(doc, gold_claimant["entity_id"])]
                right = any(min(e, p["claimant_end"]) > max(s, p["claimant_start"]) for s, e in spans)
            claimant_units.append(unit)
            claimant_rows.append((float(right), float(said), float(right), float(gold_claimant is not None)))
        for name in ("claim_kind", "claimant_type"):
            if name in p:
                attributes[name][0].append(unit)
                attributes[name][1].append(r[name] == p[name])
        if "claim_group_id" in p:
            mention = (doc, r["start"], r["end"], n)
            groups_key[mention] = r["claim_group_id"] or ("alone", mention)
            groups_response[mention] = p["claim_group_id"] or ("alone", mention)
            group_units[mention] = unit
    tables = events.tables()
    ids = _unit_id_of(texts)
    if claimant_units:
        rows = np.array(claimant_rows)
        tables["claimant"] = _sum_by(ids(claimant_units), rows)
    for name, (u, same) in attributes.items():
        if u:
            s = np.array(same, float)
            tables[name] = _sum_by(ids(u), np.column_stack([s, np.ones(len(s)), s, np.ones(len(s))]))
    return tables, {"claim_group_id": (groups_key, groups_response, group_units)} if groups_key else {}


def _unit_id_of(texts: Texts) -> Callable:
    positions = texts._ix()[1]
    return lambda units: texts._unit_ids(np.array([positions[d] for d, _ in units], np.int64),
                                         np.zeros(len(units), np.int64)) + np.array([k for _, k in units], np.int64)


def score_claims(ref: list[dict], pred: list[dict], texts: Texts, entities: list[dict]) -> tuple[dict, dict]:
    """Span exact and overlap; token overlap of the content; cues; the claimant (right when it overlaps the
    gold claimant or another mention of its entity); kinds on matched claims; claim groups (B-cubed)."""
    tables, clusterings = _claim_tables(ref, pred, texts, entities)
    return _to_counts(tables, texts), clusterings


def score_tags(ref: list[dict], pred: list[dict], texts: Texts) -> tuple[dict, dict]:
    """Token level, as seqeval scores IOB2 in strict mode: entities read from each sentence's tags, exact
    (first token, last token, label) matches, micro average, and per label."""
    metrics: dict = defaultdict(Counts)
    tags_of = {p["span_id"]: p["ner_tags"] for p in pred}
    for r in ref:
        unit = texts.unit(r["doc_id"], r["start"])
        gold = set(iob2_entities(r["ner_tags"]))
        guess = set(iob2_entities(tags_of.get(r["span_id"], ["O"] * len(r["ner_tags"]))))
        for label in {x[2] for x in gold | guess} | {None}:
            g = {x for x in gold if label in (None, x[2])}
            h = {x for x in guess if label in (None, x[2])}
            metrics["seqeval_strict" if label is None else f"seqeval_strict[{label}]"].add(unit, len(g & h), len(h), len(g & h), len(g))
    return metrics, {}


# ---- intervals and the result ----

def resample_weights(units: list, resamples: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.multinomial(len(units), [1 / len(units)] * len(units), size=resamples).astype(float) if units else np.zeros((resamples, 0))


def _f1(p, r):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(p + r > 0, 2 * p * r / np.where(p + r > 0, p + r, 1), 0.0)


def _ratios(matrix: np.ndarray):
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(matrix[..., 1] > 0, matrix[..., 0] / np.where(matrix[..., 1] > 0, matrix[..., 1], 1), 0.0)
        r = np.where(matrix[..., 3] > 0, matrix[..., 2] / np.where(matrix[..., 3] > 0, matrix[..., 3], 1), 0.0)
    return p, r


class _Bootstrap:
    """F1 of every resample for many metrics, each given as (positions in the unit list, rows). A metric
    spread over many units is a column block of one matrix product with the weights; one on few units (a
    document's) sums its own units' weights only. Exact either way: integer weights times counts."""

    DENSE_BLOCK, SPARSE_BLOCK = 64, 256

    def __init__(self, weights: np.ndarray) -> None:
        self.weights, self._cache = weights, {}
        self.max_weight = float(weights.max()) if weights.size else 0.0

    def _weights(self, by_unit: bool, single: bool) -> np.ndarray:
        """The weights (resamples x units, or units x resamples), in float32 where every sum stays exact."""
        if (by_unit, single) not in self._cache:
            w = self.weights.T if by_unit else self.weights
            self._cache[(by_unit, single)] = np.ascontiguousarray(w, np.float32 if single else np.float64)
        return self._cache[(by_unit, single)]

    def _exact_in_single(self, rows: list) -> bool:
        """Integers and halves below 2**23 are exact in float32: every partial sum of a resample is below
        the largest weight times the metric's summed counts."""
        return all(not len(r) or self.max_weight * float(np.abs(r).sum(axis=0).max()) < 2 ** 22 for r in rows)

    def f1s(self, items: list) -> np.ndarray:
        """(metrics, resamples) F1s."""
        resamples, n_units = self.weights.shape
        out = np.zeros((len(items), resamples))
        dense = [k for k, (pos, _) in enumerate(items) if len(pos) * 8 > n_units]
        sparse = [k for k, (pos, _) in enumerate(items) if 0 < len(pos) * 8 <= n_units]
        empty = [k for k, (pos, _) in enumerate(items) if not len(pos)]
        for block in (dense[i:i + self.DENSE_BLOCK] for i in range(0, len(dense), self.DENSE_BLOCK)):
            single = self._exact_in_single([items[k][1] for k in block])
            matrix = np.zeros((n_units, 4 * len(block)), np.float32 if single else np.float64)
            for b, k in enumerate(block):
                pos, rows = items[k]
                matrix[pos, 4 * b:4 * b + 4] = rows
            summed = (self._weights(False, single) @ matrix).astype(float).reshape(resamples, len(block), 4).transpose(1, 0, 2)
            out[block] = _f1(*_ratios(summed))
        sparse.sort(key=lambda k: int(items[k][0].min()))  # metrics on neighbouring units (one document's) together
        start = 0
        while start < len(sparse):
            block, size = [], 0
            while start < len(sparse) and len(block) < 64 and (not block or size + len(items[sparse[start]][0]) <= self.SPARSE_BLOCK):
                block.append(sparse[start])
                size += len(items[sparse[start]][0])
                start += 1
            single = self._exact_in_single([items[k][1] for k in block])
            local, inverse = np.unique(np.concatenate([items[k][0] for k in block]), return_inverse=True)
            matrix = np.zeros((len(local), 4 * len(block)), np.float32 if single else np.float64)
            at = 0
            for b, k in enumerate(block):
                rows = items[k][1]
                matrix[inverse[at:at + len(rows)], 4 * b:4 * b + 4] = rows
                at += len(rows)
            summed = (self._weights(True, single)[local].T @ matrix).astype(float).reshape(resamples, len(block), 4).transpose(1, 0, 2)
            out[block] = _f1(*_ratios(summed))
        if empty:
            out[empty] = _f1(*_ratios(np.zeros((len(empty), resamples, 4))))
        return out


def _stats(p: float, r: float, f1s: np.ndarray, n_ref, n_pred) -> dict:
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    low, high = (float(x) for x in np.percentile(f1s, [2.5, 97.5])) if len(f1s) else (f1, f1)
    return _rounded(p, r, f1, low, high, n_ref, n_pred)


def _rounded(p, r, f1, low, high, n_ref, n_pred) -> dict:
    return {"precision": round(p, 6), "recall": round(r, 6), "f1": round(f1, 6), "ci_low": round(low, 6),
            "ci_high": round(high, 6), "n_reference": int(n_ref), "n_predicted": int(n_pred)}


def _items_of_counts(metrics: dict, units: list) -> dict:
    index = {u: i for i, u in enumerate(units)}
    items = {}
    for name, counts in metrics.items():
        per_unit = counts.per_unit
        items[name] = (np.fromiter((index[u] for u in per_unit), np.int64, len(per_unit)),
                       np.array(list(per_unit.values()), float).reshape(-1, 4))
    return items


def _summarize_items(items: dict, clusterings: dict, units: list, weights: np.ndarray, bootstrap: _Bootstrap) -> dict:
    out = {}
    names = sorted(items)
    resamples = weights.shape[0]
    for chunk in (names[i:i + 4096] for i in range(0, len(names), 4096)):
        f1s = bootstrap.f1s([items[n] for n in chunk])
        bounds = np.percentile(f1s, [2.5, 97.5], axis=1) if resamples else None
        for k, name in enumerate(chunk):
            totals = items[name][1].sum(axis=0) if len(items[name][1]) else np.zeros(4)
            p = float(totals[0]) / float(totals[1]) if totals[1] > 0 else 0.0  # as `_ratios`
            r = float(totals[2]) / float(totals[3]) if totals[3] > 0 else 0.0
            f1 = 2 * p * r / (p + r) if p + r else 0.0
            low, high = (float(bounds[0, k]), float(bounds[1, k])) if resamples else (f1, f1)
            out[name] = _rounded(p, r, f1, low, high, totals[3], totals[1])
    index = None
    for name, (key, response, mention_units) in clusterings.items():
        index = index or {u: i for i, u in enumerate(units)}
        for metric, (r, p), f1s in _coreference(key, response, mention_units, index, weights):
            out[f"{name}_{metric}"] = _stats(p, r, f1s, len(key), len(response))
    return out


def summarize(metrics: dict, clusterings: dict, units: list, weights: np.ndarray) -> dict:
    """{metric: {precision, recall, f1, ci_low, ci_high, n_reference, n_predicted}} with the bootstrap interval."""
    return _summarize_items(_items_of_counts(metrics, units), clusterings, units, weights, _Bootstrap(weights))


# ---- coreference, as counts of (key cluster, response cluster) pairs ----

def _factorize(values) -> np.ndarray:
    ids: dict = {}
    return np.fromiter((ids.setdefault(v, len(ids)) for v in values), np.int64)


def _coreference(key: dict, response: dict, mention_units: dict, index: dict, weights: np.ndarray) -> list:
    """[(metric, (recall, precision), bootstrap F1s)] for MUC, B-cubed and CEAF-e: `muc`, `b_cubed` and
    `ceaf_e` of `schemes` on the whole and on the mentions of the paragraphs each of the first 200 resamples
    draws, each paragraph once however often it is drawn (a copied mention would join its own cluster and
    bias MUC upwards)."""
    functions = (("muc", muc), ("b_cubed", b_cubed), ("ceaf_e", ceaf_e))
    if key.keys() != response.keys():  # not clusterings of the same mentions: the set-based definitions
        return [(metric, fn(key, response), _cluster_bootstrap(fn, key, response, mention_units, index, weights))
                for metric, fn in functions]
    pairs = _Pairs(key, response, mention_units, index)
    whole = pairs.scores(None)
    samples = [pairs.scores(row) for row in weights[:CLUSTER_RESAMPLES]]
    out = []
    for n, (metric, _) in enumerate(functions):
        f1s = [2 * p * r / (p + r) if p + r else 0.0 for r, p in (s[n] for s in samples)]
        out.append((metric, whole[n], np.array(f1s)))
    return out


class _Pairs:
    """Two clusterings of the same mentions as counts of (key cluster, response cluster) pairs per unit: a
    resample's scores come from the pairs' counts over the units it draws, never from sets of mentions."""

    def __init__(self, key: dict, response: dict, mention_units: dict, index: dict) -> None:
        mentions = list(key)
        kid, rid = _factorize(key[m] for m in mentions), _factorize(response[m] for m in mentions)
        unit = np.fromiter((index[mention_units[m]] for m in mentions), np.int64, len(mentions))
        self.n_k, self.n_r = (int(x.max()) + 1 if len(x) else 0 for x in (kid, rid))
        pair, pid = np.unique(kid * max(self.n_r, 1) + rid, return_inverse=True)
        self.pk, self.pr = pair // max(self.n_r, 1), pair % max(self.n_r, 1)
        entry, first, inverse = np.unique(unit * max(len(pair), 1) + pid, return_index=True, return_inverse=True)
        self.unit, self.pid = entry // max(len(pair), 1), entry % max(len(pair), 1)
        self.count = np.bincount(inverse, minlength=len(entry)).astype(float)
        self.first = first  # the first mention of each (unit, pair) entry, in the key's order
        # entries by pair, pairs by key cluster and by response cluster: minima per group by reduceat
        self.by_pair = np.argsort(self.pid, kind="stable")
        self.pair_starts = np.flatnonzero(np.r_[True, np.diff(self.pid[self.by_pair]) != 0]) if len(entry) else np.zeros(0, np.int64)

    def scores(self, row: Optional[np.ndarray]) -> tuple:
        """((recall, precision) of MUC, B-cubed, CEAF-e) on the mentions of the units `row` draws (None: all)."""
        drawn = np.ones(len(self.unit), bool) if row is None else row[self.unit] != 0
        together = np.bincount(self.pid, weights=self.count * drawn, minlength=len(self.pk)).astype(np.int64)
        n = int(together.sum())
        if not n:
            return (0.0, 0.0), (0.0, 0.0), (0.0, 0.0)
        big = len(self.first) + 1
        first = np.minimum.reduceat(np.where(drawn, self.first, big)[self.by_pair], self.pair_starts)
        present = np.flatnonzero(together)
        pk, pr, together, first = self.pk[present], self.pr[present], together[present], first[present]
        size_k, size_r = np.bincount(pk, weights=together, minlength=self.n_k), np.bincount(pr, weights=together, minlength=self.n_r)
        keys, responses, pairs = int(np.count_nonzero(size_k)), int(np.count_nonzero(size_r)), len(present)
        muc_scores = ((n - pairs) / (n - keys) if n - keys else 0.0, (n - pairs) / (n - responses) if n - responses else 0.0)
        sk, sr = size_k[pk].astype(np.int64), size_r[pr].astype(np.int64)
        b3 = (float(np.sum(together * (together / sk))) / n, float(np.sum(together * (together / sr))) / n)
        return muc_scores, b3, _ceaf_e(pk, pr, together, first, sk, sr, keys, responses)


def _ceaf_e(pk, pr, together, first, size_k, size_r, keys: int, responses: int) -> tuple[float, float]:
    """`schemes.ceaf_e` from the present pairs' counts: the clusters in the order of their first mention, the
    groups of clusters sharing mentions in the order of their first key cluster, each group's best
    assignment, added up in that order."""
    degree_k, degree_r = np.bincount(pk)[pk], np.bincount(pr)[pr]
    alone = (degree_k == 1) & (degree_r == 1)  # a key and a response cluster sharing mentions with no other
    order = [first[alone]]  # a cluster's first mention is its only pair's
    values = [2 * together[alone] / (size_k[alone] + size_r[alone])]
    rest = np.flatnonzero(~alone)
    if len(rest):
        parent: dict = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for a, b in zip(pk[rest].tolist(), pr[rest].tolist()):
            parent[find(("k", a))] = find(("r", b))
        groups: dict = defaultdict(list)
        for n in rest.tolist():
            groups[find(("k", int(pk[n])))].append(n)
        extra_order, extra_values = [], []
        for members in groups.values():
            k_first, r_first = {}, {}
            for n in members:
                k, r, f = int(pk[n]), int(pr[n]), int(first[n])
                k_first[k], r_first[r] = min(k_first.get(k, f), f), min(r_first.get(r, f), f)
            ks, rs = sorted(k_first, key=k_first.get), sorted(r_first, key=r_first.get)
            shared = {(int(pk[n]), int(pr[n])): int(together[n]) for n in members}
            size_of_k = {int(pk[n]): int(size_k[n]) for n in members}
            size_of_r = {int(pr[n]): int(size_r[n]) for n in members}
            weights = [[2 * shared.get((k, r), 0) / (size_of_k[k] + size_of_r[r]) for r in rs] for k in ks]
            extra_order.append(int(k_first[ks[0]]))
            extra_values.append(_best_assignment(weights))
        order.append(np.array(extra_order, np.int64))
        values.append(np.array(extra_values, float))
    order, values = np.concatenate(order), np.concatenate(values)
    total = float(np.cumsum(values[np.argsort(order, kind="stable")])[-1]) if len(values) else 0.0  # added one by one, in order
    return total / keys, total / responses


def _cluster_bootstrap(fn: Callable, key: dict, response: dict, mention_units: dict, index: dict, weights: np.ndarray,
                       resamples: int = CLUSTER_RESAMPLES) -> np.ndarray:
    """Coreference scores recomputed on the mentions of the paragraphs each resample draws, each paragraph
    once however often it is drawn (a copied mention would join its own cluster and bias MUC upwards);
    200 of the resamples, as each is a whole recomputation."""
    f1s = []
    for row in weights[:resamples]:
        drawn = [m for m in key if row[index[mention_units[m]]]]
        r, p = fn({m: key[m] for m in drawn}, {m: response[m] for m in drawn}) if drawn else (0.0, 0.0)
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
    return np.array(f1s)


SCORERS = {"entities": score_entities, "figures": score_figures, "claims": score_claims, "ner": score_tags}


def score(layer: str, reference: list[dict], predictions: list[dict], texts: dict[str, str], entities: list[dict] = (),
          resamples: int = RESAMPLES, seed: int = SEED, tolerance: float = 1e-6, compare: Optional[list[dict]] = None) -> dict:
    """{metric: stats} of predictions against the reference for one layer; with `compare`, also each
    metric's paired difference (compare minus predictions) with its interval under the same resamples."""
    t = Texts(texts)
    run = lambda rows: _tables(layer, reference, rows, t, entities, tolerance)  # noqa: E731
    tables, clusterings = run(predictions)
    other_tables, other_clusterings = run(compare) if compare is not None else ({}, {})
    units, position = every_unit(t)
    weights = resample_weights(units, resamples, seed)
    bootstrap = _Bootstrap(weights)
    items = {name: (position(ids), rows) for name, (ids, rows) in tables.items()}
    result = _summarize_items(items, clusterings, units, weights, bootstrap)
    if compare is not None:
        other_items = {name: (position(ids), rows) for name, (ids, rows) in other_tables.items()}
        other = _summarize_items(other_items, other_clusterings, units, weights, bootstrap)
        both = sorted(name for name in result.keys() & other.keys() if name in items and name in other_items)
        for chunk in (both[i:i + 4096] for i in range(0, len(both), 4096)):
            diff = bootstrap.f1s([other_items[n] for n in chunk]) - bootstrap.f1s([items[n] for n in chunk])
            bounds = np.percentile(diff, [2.5, 97.5], axis=1)
            for k, name in enumerate(chunk):
                result[name]["compare"] = {"f1": other[name]["f1"], "difference": round(other[name]["f1"] - result[name]["f1"], 6),
                                           "ci_low": round(float(bounds[0, k]), 6), "ci_high": round(float(bounds[1, k]), 6)}
    return result


def every_unit(texts: Texts) -> tuple[list, Callable]:
    """Every paragraph of every document, the bootstrap's units (in a stable order, whatever spans a system
    gives: two systems compared are resampled alike), and the function from unit ids to places in that list."""
    ids = np.arange(int(texts._ix()[4][-1]), dtype=np.int64)
    in_text_order = texts._units(ids)
    units = sorted(in_text_order, key=str)
    index = {u: i for i, u in enumerate(units)}
    place = np.fromiter((index[u] for u in in_text_order), np.int64, len(in_text_order))
    return units, lambda x: place[x]


def measure(layer: str, reference: list[dict], predictions: list[dict], texts: Texts, entities: list[dict] = (),
            tolerance: float = 1e-6) -> tuple[dict, dict]:
    """The counts of every metric per unit, and the clusterings, before any interval: what agreement adds up
    over annotator pairs before one `summarize`."""
    return _run(layer, reference, predictions, texts, entities, tolerance)


def _tables(layer, reference, predictions, texts, entities, tolerance) -> tuple[dict, dict]:
    """The counts as arrays (unit ids, rows) per metric, and the clusterings."""
    if layer == "entities":
        return _entity_tables(reference, predictions, texts), _entity_clusterings(reference, predictions, texts)
    if layer == "claims":
        return _claim_tables(reference, predictions, texts, list(entities))
    if layer == "figures":
        return _figure_tables(reference, predictions, texts, tolerance), {}
    metrics, clusterings = score_tags(reference, predictions, texts)
    ids = _unit_id_of(texts)
    return {name: _sum_by(ids(list(c.per_unit)), np.array(list(c.per_unit.values()), float).reshape(-1, 4))
            for name, c in metrics.items()}, clusterings


def _run(layer, reference, predictions, texts, entities, tolerance):
    if layer == "claims":
        return score_claims(reference, predictions, texts, list(entities))
    if layer == "figures":
        return score_figures(reference, predictions, texts, tolerance)
    return SCORERS[layer](reference, predictions, texts)
