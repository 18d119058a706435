"""Questions about spans of one document in O(n log n), whatever their nesting: which span contains
another (innermost first), which spans lie inside each, and a one-to-one matching of overlapping spans.

Spans are (start, end) pairs, end exclusive. Only the standard library: the scorer that runs beside
`datasets` alone uses it too.
"""
from __future__ import annotations

from bisect import bisect_left, bisect_right
from itertools import groupby
from typing import Optional, Sequence

Pair = tuple[int, int]


class _MinTree:
    """Fenwick tree over positions 1..n of the minimum of the values set at or before a position."""

    def __init__(self, n: int) -> None:
        self.n, self.best = n, [None] * (n + 1)

    def set(self, position: int, value) -> None:
        while position <= self.n:
            if self.best[position] is None or value < self.best[position]:
                self.best[position] = value
            position += position & -position

    def min_up_to(self, position: int):
        found = None
        while position > 0:
            if self.best[position] is not None and (found is None or self.best[position] < found):
                found = self.best[position]
            position -= position & -position
        return found


def innermost_containers(queries: Sequence[Pair], spans: Sequence[Pair]) -> list[Optional[int]]:
    """For each query, the index of the shortest span that contains it and is not at the same offsets
    (ties: the earlier start, then the earlier index), or None."""
    neg_ends = sorted({-e for _, e in spans})  # position of an end in the tree: 1 for the largest
    tree, order = _MinTree(len(neg_ends)), sorted(range(len(spans)), key=lambda i: spans[i][0])
    by_start = {s: sorted((spans[i][1], i) for i in group) for s, group in groupby(order, key=lambda i: spans[i][0])}
    found: list[Optional[int]] = [None] * len(queries)
    inserted = 0
    for q in sorted(range(len(queries)), key=lambda q: queries[q][0]):
        start, end = queries[q]
        while inserted < len(order) and spans[order[inserted]][0] < start:  # spans starting strictly before
            i = order[inserted]
            tree.set(bisect_left(neg_ends, -spans[i][1]) + 1, (spans[i][1] - spans[i][0], spans[i][0], i))
            inserted += 1
        best = tree.min_up_to(bisect_right(neg_ends, -end))  # the spans ending at or after the query's end
        same_start = by_start.get(start, [])
        k = bisect_right(same_start, (end, len(spans)))  # the same start and a strictly later end
        if k < len(same_start):
            e, i = same_start[k]
            candidate = (e - start, start, i)
            best = candidate if best is None or candidate < best else best
        found[q] = None if best is None else best[2]
    return found


def contained(outer: Sequence[Pair], inner: Sequence[Pair]) -> list[list[int]]:
    """For each outer span, the indices of the inner spans inside it (start and end within), in
    (start, end) order: O((n + k) log n) for k pairs reported."""
    order = sorted(range(len(inner)), key=lambda i: inner[i])
    starts = [inner[i][0] for i in order]
    size = 1
    while size < max(len(order), 1):
        size *= 2
    tree = [float("inf")] * (2 * size)  # minimum end below each node, leaves in start order
    for leaf, i in enumerate(order):
        tree[size + leaf] = inner[i][1]
    for node in range(size - 1, 0, -1):
        tree[node] = min(tree[2 * node], tree[2 * node + 1])

    def report(node: int, lo: int, hi: int, left: int, right: int, end: int, out: list[int]) -> None:
        if hi <= left or right <= lo or tree[node] > end:
            return
        if node >= size:
            out.append(order[node - size])
            return
        mid = (lo + hi) // 2
        report(2 * node, lo, mid, left, right, end, out)
        report(2 * node + 1, mid, hi, left, right, end, out)

    result = []
    for start, end in outer:
        out: list[int] = []
        report(1, 0, size, bisect_left(starts, start), bisect_left(starts, end), end, out)
        result.append(out)
    return result


class _Available:
    """Fenwick tree of which positions 1..n are still free, finding the first free one at or after a position."""

    def __init__(self, n: int) -> None:
        self.n, self.count = n, [0] * (n + 1)
        self.step = 1 << max(n.bit_length() - 1, 0)

    def add(self, position: int, delta: int) -> None:
        while position <= self.n:
            self.count[position] += delta
            position += position & -position

    def _prefix(self, position: int) -> int:
        total = 0
        while position > 0:
            total += self.count[position]
            position -= position & -position
        return total

    def first_at_or_after(self, position: int) -> Optional[int]:
        target, at, step = self._prefix(position - 1) + 1, 0, self.step  # the target-th free position
        while step:
            if at + step <= self.n and self.count[at + step] < target:
                at += step
                target -= self.count[at]
            step >>= 1
        return at + 1 if at + 1 <= self.n else None


def overlap_matching(reference: Sequence[Pair], other: Sequence[Pair]) -> list[tuple[int, int]]:
    """A maximum one-to-one matching of overlapping spans (sharing at least one character): each
    reference span, in order of end, takes the overlapping other span that ends first (greedy, and
    maximum for intervals). (index in reference, index in other) pairs, sorted; O(n log n)."""
    if not reference or not other:
        return []
    left = sorted(range(len(other)), key=lambda j: (other[j][1], other[j][0], j))
    ends = [other[j][1] for j in left]
    rank = {j: n + 1 for n, j in enumerate(left)}
    by_start = sorted(left, key=lambda j: other[j][0])
    available, added, pairs = _Available(len(left)), 0, []
    for i in sorted(range(len(reference)), key=lambda i: (reference[i][1], reference[i][0], i)):
        start, end = reference[i]
        while added < len(by_start) and other[by_start[added]][0] < end:  # others starting before this span ends
            available.add(rank[by_start[added]], 1)
            added += 1
        position = available.first_at_or_after(bisect_right(ends, start) + 1)  # the first one ending after it starts
        if position is not None:
            available.add(position, -1)
            pairs.append((i, left[position - 1]))
    return sorted(pairs)
