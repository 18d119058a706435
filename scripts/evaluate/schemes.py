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

from collections import Counter, defaultdict
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
    """MUC, B-cubed and CEAF-e as sums over mentions: {metric: {mention: [num_p, den_p, num_r, den_r]}}, whose
    totals give exactly `muc`, `b_cubed` and `ceaf_e`. What a cluster adds (a link kept, an aligned pair's
    phi4) is shared equally by its mentions, so each metric is kept per paragraph like any other and its
    interval comes from the same bootstrap, the clusterings held fixed. Linear in the mentions but for
    CEAF-e's alignment, solved per connected group of overlapping clusters."""
    out: dict[str, dict] = {name: defaultdict(lambda: [0.0, 0.0, 0.0, 0.0]) for name in ("muc", "b_cubed", "ceaf_e")}
    alone = lambda m: ("alone", m)  # noqa: E731 - a mention one side leaves out is a cluster of its own there
    of_key = {m: key[m] if m in key else alone(m) for m in {**key, **response}}
    of_response = {m: response[m] if m in response else alone(m) for m in of_key}
    together = Counter((of_key[m], of_response[m]) for m in of_key)  # |K & R| of every pair that meets
    for side, present, mine, theirs in ((2, key, of_key, of_response), (0, response, of_response, of_key)):
        met = Counter({(mine_c, their_c): n for (k, r), n in together.items() for mine_c, their_c in [(k, r) if side == 2 else (r, k)]})
        size = Counter(mine[m] for m in present)
        parts = Counter(c for c, _ in met if c in size)  # how many clusters of the other side a cluster is cut into
        for m in present:
            c, n = mine[m], size[mine[m]]
            row = out["muc"][m]
            row[side] += (n - parts[c]) / n
            row[side + 1] += (n - 1) / n
            row = out["b_cubed"][m]
            row[side] += met[(c, theirs[m])] / n
            row[side + 1] += 1
    if key and response:
        keys, responses = _clusters(key), _clusters(response)
        for clusters, side in ((keys, 2), (responses, 0)):
            for cluster in clusters:
                for m in cluster:
                    out["ceaf_e"][m][side + 1] += 1 / len(cluster)
        where = {m: j for j, r in enumerate(responses) for m in r}
        for group_k, group_r in _components(keys, responses, where):
            phi = [[2 * len(keys[i] & responses[j]) / (len(keys[i]) + len(responses[j])) for j in group_r] for i in group_k]
            for a, b in assignment(phi):
                for cluster, side in ((keys[group_k[a]], 2), (responses[group_r[b]], 0)):
                    for m in cluster:
                        out["ceaf_e"][m][side] += phi[a][b] / len(cluster)
    return {name: dict(rows) for name, rows in out.items()}
