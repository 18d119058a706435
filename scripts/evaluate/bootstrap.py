"""The 95% intervals: a seeded cluster bootstrap over paragraphs. Each metric is counts per paragraph
(integers, halves, or a cluster's shares); a resample's sums are a matrix product with its weights."""
from __future__ import annotations


import numpy as np




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


def summarize_items(items: dict, units: list, weights: np.ndarray, bootstrap: Bootstrap) -> dict:
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
    return out


def summarize(metrics: dict, units: list, weights: np.ndarray) -> dict:
    """{metric: {precision, recall, f1, ci_low, ci_high, n_reference, n_predicted}} with the bootstrap interval."""
    return summarize_items(_items_of_counts(metrics, units), units, weights, Bootstrap(weights))
