"""The 95% intervals: a seeded cluster bootstrap over paragraphs. Counts are integers or halves and the
weights integers, so the resampled sums are exact in any order (matrix products); the coreference
metrics of a resample come from counts of (key cluster, response cluster) pairs."""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Optional

import numpy as np

from scripts.evaluate.schemes import (
    b_cubed,
    best_assignment,
    ceaf_e,
    muc,
)

CLUSTER_RESAMPLES = 200  # coreference scores are recomputed on this many of the resamples


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


class Bootstrap:
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


def summarize_items(items: dict, clusterings: dict, units: list, weights: np.ndarray, bootstrap: Bootstrap) -> dict:
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
    return summarize_items(_items_of_counts(metrics, units), clusterings, units, weights, Bootstrap(weights))


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
            extra_values.append(best_assignment(weights))
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


