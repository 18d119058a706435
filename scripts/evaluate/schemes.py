"""The matching schemes the scorer counts with, on the spans of one document.

- The four SemEval-2013 schemes (strict, exact, partial, ent_type) exactly as `nervaluate` 1.2
  defines them: each prediction, in order, takes an unmatched reference span (a perfect match
  anywhere first, else the first overlapping one; ent_type prefers the same label at the closest
  boundaries), and the counts are correct, incorrect, partial, missed and spurious. The candidates are
  found through a segment tree, so a document costs O((n + k) log n), not n x m.
- IOB2 sequences to entities as seqeval's strict mode reads them.
- MUC, B-cubed and CEAF-e (entity-based) of two clusterings of the same mentions.

Only the standard library: this runs beside `datasets` alone.
"""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from dataclasses import dataclass, field
from typing import Iterable, Sequence

SCHEMES = ("strict", "exact", "partial", "ent_type")
MIN_OVERLAP_PERCENT = 1.0  # nervaluate's default


@dataclass(frozen=True)
class Mention:
    start: int  # code points, end exclusive
    end: int
    label: str
    unit: object = None  # what the bootstrap resamples (a paragraph)


@dataclass
class Outcome:
    """Counts of one scheme; `units` keeps them per resampling unit."""
    correct: int = 0
    incorrect: int = 0
    partial: int = 0
    missed: int = 0
    spurious: int = 0
    units: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0, 0, 0, 0]))

    def add(self, kind: str, unit) -> None:
        position = ("correct", "incorrect", "partial", "missed", "spurious").index(kind)
        setattr(self, kind, getattr(self, kind) + 1)
        self.units[unit][position] += 1


class _Candidates:
    """The reference spans in (start, end, label) order; `overlapping` yields, in that order, the unmatched
    ones sharing a character with a span (nervaluate's inclusive-end overlap), each in O(log n)."""

    def __init__(self, spans: Sequence[Mention]) -> None:
        self.spans = spans
        self.size = 1
        while self.size < max(len(spans), 1):
            self.size *= 2
        self.tree = [-1] * (2 * self.size)  # the largest end below each node; a matched span counts -1
        for i, s in enumerate(spans):
            self.tree[self.size + i] = s.end
        for node in range(self.size - 1, 0, -1):
            self.tree[node] = max(self.tree[2 * node], self.tree[2 * node + 1])
        self.starts = [s.start for s in spans]

    def remove(self, i: int) -> None:
        node = self.size + i
        self.tree[node] = -1
        while node > 1:
            node //= 2
            self.tree[node] = max(self.tree[2 * node], self.tree[2 * node + 1])

    def overlapping(self, span: Mention) -> Iterable[int]:
        from bisect import bisect_left

        limit = bisect_left(self.starts, span.end)  # only spans starting before this one ends
        yield from self._walk(1, 0, self.size, limit, span.start)

    def _walk(self, node: int, lo: int, hi: int, limit: int, after: int):
        if lo >= limit or self.tree[node] <= after:
            return
        if node >= self.size:
            yield lo
            return
        mid = (lo + hi) // 2
        yield from self._walk(2 * node, lo, mid, limit, after)
        yield from self._walk(2 * node + 1, mid, hi, limit, after)


def _sufficient(pred: Mention, true: Mention) -> bool:
    overlap = min(pred.end, true.end) - max(pred.start, true.start)
    return overlap > 0 and 100.0 * overlap / (true.end - true.start) >= MIN_OVERLAP_PERCENT


def evaluate(scheme: str, true: Sequence[Mention], pred: Sequence[Mention], outcome: Outcome) -> None:
    """One document's counts under a scheme, added to `outcome` (nervaluate's StrictEvaluation,
    ExactEvaluation, PartialEvaluation and EntityTypeEvaluation)."""
    true = sorted(true, key=lambda m: (m.start, m.end, m.label))
    candidates, matched = _Candidates(true), set()
    perfect = defaultdict(list)  # unmatched reference indices by the key a perfect match needs
    for i, t in enumerate(true):
        perfect[(t.start, t.end, t.label) if scheme == "strict" else (t.start, t.end)].append(i)
    for p in sorted(pred, key=lambda m: (m.start, m.end, m.label)):
        key = (p.start, p.end, p.label) if scheme == "strict" else (p.start, p.end)
        chosen, kind = None, "spurious"
        if scheme != "ent_type":
            waiting = [i for i in perfect.get(key, ()) if i not in matched]
            if waiting:
                chosen, kind = waiting[0], "correct"
            else:
                first = next((i for i in candidates.overlapping(p) if _sufficient(p, true[i])), None)
                if first is not None:
                    chosen, kind = first, "partial" if scheme == "partial" else "incorrect"
        else:
            best = other = None
            for i in candidates.overlapping(p):
                if not _sufficient(p, true[i]):
                    continue
                t = true[i]
                if t.label == p.label:
                    distance = abs(p.start - t.start) + abs(p.end - t.end)
                    if best is None or distance < best[0]:
                        best = (distance, i)
                elif other is None:
                    other = i
            chosen, kind = (best[1], "correct") if best else (other, "incorrect") if other is not None else (None, "spurious")
        if chosen is not None:
            matched.add(chosen)
            candidates.remove(chosen)
        outcome.add(kind, p.unit)
    for i, t in enumerate(true):
        if i not in matched:
            outcome.add("missed", t.unit)


def iob2_entities(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first token, end token exclusive, label) of each entity of an IOB2 sequence, as seqeval's strict
    mode reads it: an entity starts at B-X and runs over I-X; an I- without its B- opens nothing."""
    found, current = [], None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, label = tag.partition("-")
        if current and not (prefix == "I" and label == current[1]):
            found.append((current[0], i, current[1]))
            current = None
        if prefix == "B":
            current = (i, label)
    return found


# ---- coreference: clusterings of the same mentions ----

def _clusters(assignment: dict) -> list[set]:
    groups = defaultdict(set)
    for mention, cluster in assignment.items():
        groups[cluster].add(mention)
    return list(groups.values())


def muc(key: dict, response: dict) -> tuple[float, float]:
    """(recall, precision): links kept, Vilain et al. (1995); mentions are dict keys, clusters the values."""
    def score(a: dict, b: dict) -> float:
        num = den = 0
        for cluster in _clusters(a):
            partitions = {b.get(m, ("alone", m)) for m in cluster}
            num += len(cluster) - len(partitions)
            den += len(cluster) - 1
        return num / den if den else 0.0
    return score(key, response), score(response, key)


def b_cubed(key: dict, response: dict) -> tuple[float, float]:
    """(recall, precision) averaged over mentions, Bagga and Baldwin (1998)."""
    def score(a: dict, b: dict) -> float:
        of_b = defaultdict(set)
        for m, c in b.items():
            of_b[c].add(m)
        total = 0.0
        for cluster in _clusters(a):
            for m in cluster:
                other = of_b.get(b.get(m), set()) if m in b else {m}
                total += len(cluster & other) / len(cluster)
        return total / len(a) if a else 0.0
    return score(key, response), score(response, key)


def ceaf_e(key: dict, response: dict) -> tuple[float, float]:
    """(recall, precision) of the best one-to-one alignment of clusters by phi4 = 2|K&R| / (|K| + |R|),
    Luo (2005); the alignment is solved per connected group of overlapping clusters."""
    keys, responses = _clusters(key), _clusters(response)
    if not keys or not responses:
        return 0.0, 0.0
    where = {m: j for j, r in enumerate(responses) for m in r}
    total = 0.0
    for group_k, group_r in _components(keys, responses, where):
        weights = [[2 * len(keys[i] & responses[j]) / (len(keys[i]) + len(responses[j])) for j in group_r] for i in group_k]
        total += best_assignment(weights)
    return total / len(keys), total / len(responses)


def _components(keys, responses, where):
    """Groups of key and response clusters connected by shared mentions."""
    seen_k, seen_r, out = set(), set(), []
    by_response = defaultdict(set)
    for i, k in enumerate(keys):
        for m in k:
            if m in where:
                by_response[where[m]].add(i)
    for start in range(len(keys)):
        if start in seen_k:
            continue
        stack, group_k, group_r = [start], [], []
        seen_k.add(start)
        while stack:
            i = stack.pop()
            group_k.append(i)
            for j in {where[m] for m in keys[i] if m in where}:
                if j not in seen_r:
                    seen_r.add(j)
                    group_r.append(j)
                    for other in by_response[j] - seen_k:
                        seen_k.add(other)
                        stack.append(other)
        if group_r:
            out.append((sorted(group_k), sorted(group_r)))
    return out


def best_assignment(weights: list[list[float]]) -> float:
    """The largest total weight of a one-to-one assignment (Hungarian algorithm, O(n^3) on the group)."""
    return sum(weights[i][j] for i, j in assignment(weights))


def assignment(weights: list[list[float]]) -> list[tuple[int, int]]:
    """The (row, column) pairs of a one-to-one assignment of the largest total weight."""
    n, m = len(weights), len(weights[0])
    size = max(n, m)
    cost = [[-(weights[i][j] if i < n and j < m else 0.0) for j in range(size)] for i in range(size)]
    u, v, p, way = [0.0] * (size + 1), [0.0] * (size + 1), [0] * (size + 1), [0] * (size + 1)
    for i in range(1, size + 1):
        p[0], j0 = i, 0
        minv, used = [float("inf")] * (size + 1), [False] * (size + 1)
        while True:
            used[j0] = True
            i0, delta, j1 = p[j0], float("inf"), 0
            for j in range(1, size + 1):
                if not used[j]:
                    current = cost[i0 - 1][j - 1] - u[i0] - v[j]
                    if current < minv[j]:
                        minv[j], way[j] = current, j0
                    if minv[j] < delta:
                        delta, j1 = minv[j], j
            for j in range(size + 1):
                if used[j]:
                    u[p[j]] += delta
                    v[j] -= delta
                else:
                    minv[j] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    return sorted((p[j] - 1, j - 1) for j in range(1, size + 1) if p[j] and p[j] - 1 < n and j - 1 < m)


def contributions(key: dict, response: dict) -> dict[str, dict]:
    """`shares` of mentions given as dicts (mention -> cluster): {metric: {mention: [num_p, den_p, num_r, den_r]}}."""
    mentions = list({**key, **response})
    rows = shares(*cluster_codes(mentions, key), *cluster_codes(mentions, response))
    return {name: {m: list(map(float, table[i])) for i, m in enumerate(mentions)} for name, table in rows.items()}


def cluster_codes(mentions: list, clusters: dict) -> tuple[np.ndarray, np.ndarray]:
    """Each mention's cluster as an integer (a mention the side leaves out: a cluster of its own), and which it has."""
    ids: dict = {}
    codes = [ids.setdefault(("in", clusters[m]), len(ids)) if m in clusters else ids.setdefault(("alone", m), len(ids)) for m in mentions]
    return np.array(codes, np.int64), np.array([m in clusters for m in mentions], bool)


def shares(key: np.ndarray, in_key: np.ndarray, response: np.ndarray, in_response: np.ndarray) -> dict[str, np.ndarray]:
    """MUC, B-cubed and CEAF-e as sums over mentions: per metric an array of rows [num_p, den_p, num_r, den_r],
    one per mention, whose totals give exactly `muc`, `b_cubed` and `ceaf_e`. What a cluster adds (a link kept,
    an aligned pair's phi4) is shared equally by its mentions, so each metric is kept per paragraph like any
    other and its interval comes from the same bootstrap, the clusterings held fixed. Mentions are given
    by their cluster codes on each side; linear in the mentions but for CEAF-e's alignment, solved per
    connected group of overlapping clusters."""
    n = len(key)
    out = {name: np.zeros((n, 4)) for name in ("muc", "b_cubed", "ceaf_e")}
    if not n:
        return out
    pair_ids, pair_of = np.unique(key * (int(response.max()) + 1) + response, return_inverse=True)
    together = np.bincount(pair_of)  # |K & R| of every pair of clusters that meet
    pair_key, pair_response = pair_ids // (int(response.max()) + 1), pair_ids % (int(response.max()) + 1)
    for side, mine, present, pair_mine in ((2, key, in_key, pair_key), (0, response, in_response, pair_response)):
        size = np.bincount(mine[present], minlength=int(mine.max()) + 1).astype(float)
        parts = np.bincount(pair_mine, minlength=len(size)).astype(float)  # the clusters of the other side it is cut into
        k = mine[present]
        out["muc"][present, side] = (size[k] - parts[k]) / size[k]
        out["muc"][present, side + 1] = (size[k] - 1) / size[k]
        out["b_cubed"][present, side] = together[pair_of[present]] / size[k]
        out["b_cubed"][present, side + 1] = 1.0
    if in_key.any() and in_response.any():
        size_k = np.bincount(key[in_key], minlength=int(key.max()) + 1).astype(float)
        size_r = np.bincount(response[in_response], minlength=int(response.max()) + 1).astype(float)
        both = np.zeros(len(pair_ids), bool)
        both[pair_of[in_key & in_response]] = True
        value_k, value_r = np.zeros(len(size_k)), np.zeros(len(size_r))
        for ks, rs, counts in _groups(pair_key[both], pair_response[both], together[both]):
            phi = [[2 * counts.get((a, b), 0) / (size_k[a] + size_r[b]) for b in rs] for a in ks]
            for i, j in ([(0, 0)] if len(ks) == len(rs) == 1 else assignment(phi)):
                value_k[ks[i]], value_r[rs[j]] = phi[i][j], phi[i][j]
        for side, mine, present, size, value in ((2, key, in_key, size_k, value_k), (0, response, in_response, size_r, value_r)):
            k = mine[present]
            out["ceaf_e"][present, side] = value[k] / size[k]
            out["ceaf_e"][present, side + 1] = 1 / size[k]
    return out


def _groups(keys: np.ndarray, responses: np.ndarray, counts: np.ndarray):
    """The connected groups of key and response clusters that share mentions: (keys, responses, {(k, r): |K & R|})."""
    parent: dict = {}

    def root(x):
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in zip(keys.tolist(), responses.tolist()):
        parent[root(("k", a))] = root(("r", b))
    groups: dict = {}
    for a, b, c in zip(keys.tolist(), responses.tolist(), counts.tolist()):
        ks, rs, met = groups.setdefault(root(("k", a)), ({}, {}, {}))
        ks[a], rs[b], met[(a, b)] = None, None, c
    for ks, rs, met in groups.values():
        yield list(ks), list(rs), met
