"""The O(n log n) span questions against brute force on random spans, and a maximum matching."""
from __future__ import annotations

import random

import pytest

from scripts.core.intervals import contained, innermost_containers, overlap_matching


def random_spans(rng: random.Random, n: int) -> list[tuple[int, int]]:
    return [(s, s + rng.randint(1, 8)) for s in (rng.randint(0, 20) for _ in range(n))]


def maximum_matching(a, b) -> int:
    adjacent = [[j for j, y in enumerate(b) if min(x[1], y[1]) > max(x[0], y[0])] for x in a]
    match: dict = {}

    def augment(i, seen):
        for j in adjacent[i]:
            if j not in seen:
                seen.add(j)
                if j not in match or augment(match[j], seen):
                    match[j] = i
                    return True
        return False
    return sum(augment(i, set()) for i in range(len(a)))


@pytest.mark.parametrize("seed", range(300))
def test_against_brute_force(seed):
    rng = random.Random(seed)
    spans, queries = random_spans(rng, rng.randint(0, 12)), random_spans(rng, rng.randint(0, 12))
    for q, found in zip(queries + spans, innermost_containers(queries + spans, spans)):
        around = [i for i, (s, e) in enumerate(spans) if s <= q[0] and q[1] <= e and (s, e) != q]
        assert found == min(around, key=lambda i: (spans[i][1] - spans[i][0], spans[i][0], i), default=None)
    for (s, e), inside in zip(spans, contained(spans, queries)):
        assert sorted(inside) == [i for i, (a, b) in enumerate(queries) if s <= a and b <= e]
        assert [queries[i] for i in inside] == sorted(queries[i] for i in inside)
    pairs = overlap_matching(spans, queries)
    assert len({i for i, _ in pairs}) == len({j for _, j in pairs}) == len(pairs) == maximum_matching(spans, queries)
    assert all(min(spans[i][1], queries[j][1]) > max(spans[i][0], queries[j][0]) for i, j in pairs)
