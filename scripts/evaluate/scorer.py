"""One scorer for models and for annotators: the reference is the gold (a model's score) or one annotator
(agreement), the prediction a model's spans or another annotator's. Rows are dicts with the columns of the
gold configs; see README "Evaluation".

Every score comes with a 95% interval from a seeded cluster bootstrap over paragraphs (three documents are
too few to resample): each metric is kept as counts per paragraph, paragraphs are drawn with replacement
1,000 times, and the 2.5th and 97.5th percentiles of the F1 are the interval. Only the standard library
and numpy (which `datasets` installs).
"""
from __future__ import annotations

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
    SCHEMES,
    Mention,
    Outcome,
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
    """The documents' texts: paragraphs (the bootstrap's units) and tokens (claims' token overlap)."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts = texts
        self.breaks = {d: [m.end() for m in PARAGRAPH_BREAK.finditer(t)] for d, t in texts.items()}
        self.tokens = {d: [(m.start(), m.end()) for m in TOKEN.finditer(t)] for d, t in texts.items()}
        self.token_starts = {d: [s for s, _ in toks] for d, toks in self.tokens.items()}

    def unit(self, doc: str, start: int) -> tuple[str, int]:
        return doc, bisect_right(self.breaks[doc], start)

    def token_count(self, doc: str, start: int, end: int) -> int:
        """Tokens wholly inside start-end."""
        starts, toks = self.token_starts[doc], self.tokens[doc]
        lo, hi = bisect_left(starts, start), bisect_left(starts, end)
        return sum(1 for s, e in toks[lo:hi] if e <= end)


def _by_doc(rows):
    out = defaultdict(list)
    for r in rows:
        out[r["doc_id"]].append(r)
    return out


def _prf_from_outcome(outcome: Outcome, scheme: str, counts: Counts) -> None:
    half = 0.5 if scheme in ("partial", "ent_type") else 0.0
    for unit, (cor, inc, par, mis, spu) in outcome.units.items():
        num = cor + half * par
        counts.add(unit, num, cor + inc + par + spu, num, cor + inc + par + mis)


def _matched(ref: list[dict], pred: list[dict]) -> list[tuple[dict, dict]]:
    return [(ref[i], pred[j]) for i, j in overlap_matching([(r["start"], r["end"]) for r in ref], [(p["start"], p["end"]) for p in pred])]


def _span_metrics(ref_docs, pred_docs, texts: Texts, metrics: dict) -> dict[str, list[tuple[dict, dict]]]:
    """exact and overlap span matching per document; returns the overlap-matched pairs per document."""
    pairs = {}
    for doc in ref_docs.keys() | pred_docs.keys():
        ref, pred = ref_docs.get(doc, []), pred_docs.get(doc, [])
        exact = {(r["start"], r["end"]) for r in ref}
        pred_exact = {(p["start"], p["end"]) for p in pred}
        for p in pred:
            metrics["exact"].add(texts.unit(doc, p["start"]), num_p=(p["start"], p["end"]) in exact, den_p=1)
            metrics["overlap"].add(texts.unit(doc, p["start"]), den_p=1)
        for r in ref:
            metrics["exact"].add(texts.unit(doc, r["start"]), num_r=(r["start"], r["end"]) in pred_exact, den_r=1)
            metrics["overlap"].add(texts.unit(doc, r["start"]), den_r=1)
        pairs[doc] = _matched(ref, pred)
        for r, p in pairs[doc]:  # each count in the unit of its own denominator: a resample never gives P or R above 1
            metrics["overlap"].add(texts.unit(doc, p["start"]), num_p=1)
            metrics["overlap"].add(texts.unit(doc, r["start"]), num_r=1)
    return pairs


def _agreement(metrics: dict, name: str, unit, same: Optional[bool]) -> None:
    """An attribute compared on a matched pair (None: not comparable, e.g. absent from the predictions)."""
    if same is not None:
        metrics[name].add(unit, float(same), 1, float(same), 1)


def score_entities(ref: list[dict], pred: list[dict], texts: Texts) -> tuple[dict, dict]:
    """The four schemes overall, per label and per document; exact and overlap span matching; and the
    entity ids of exactly matched mentions as clusterings (MUC, B-cubed, CEAF-e)."""
    metrics: dict = defaultdict(Counts)
    ref_docs, pred_docs = _by_doc(ref), _by_doc(pred)
    labels = sorted({r["label"] for r in ref} | {p["label"] for p in pred})
    for doc in ref_docs.keys() | pred_docs.keys():
        mention = lambda r: Mention(r["start"], r["end"], r["label"], texts.unit(doc, r["start"]))  # noqa: E731
        true, guess = [mention(r) for r in ref_docs.get(doc, [])], [mention(p) for p in pred_docs.get(doc, [])]
        for scheme in SCHEMES:
            outcome = Outcome()
            evaluate(scheme, true, guess, outcome)
            _prf_from_outcome(outcome, scheme, metrics[scheme])
            _prf_from_outcome(outcome, scheme, metrics[f"{scheme}@{doc}"])
            for label in labels:
                outcome = Outcome()
                evaluate(scheme, [m for m in true if m.label == label], [m for m in guess if m.label == label], outcome)
                _prf_from_outcome(outcome, scheme, metrics[f"{scheme}[{label}]"])
    spans: dict = defaultdict(Counts)  # its "exact" is the exact scheme's; the one-to-one overlap matching is new
    _span_metrics(ref_docs, pred_docs, texts, spans)
    metrics["overlap"] = spans["overlap"]
    clusters = None
    if pred and all(p.get("entity_id") is not None for p in pred):
        by_offsets = {(p["doc_id"], p["start"], p["end"]): p["entity_id"] for p in pred}
        key = {(r["doc_id"], r["start"], r["end"]): r["entity_id"] for r in ref if (r["doc_id"], r["start"], r["end"]) in by_offsets}
        clusters = (key, {m: by_offsets[m] for m in key}, {m: texts.unit(m[0], m[1]) for m in key})
    return metrics, {"entity_id": clusters} if clusters else {}


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


def score_figures(ref: list[dict], pred: list[dict], texts: Texts, tolerance: float = 1e-6) -> tuple[dict, dict]:
    metrics: dict = defaultdict(Counts)
    pairs = _span_metrics(_by_doc(ref), _by_doc(pred), texts, metrics)
    close = lambda a, b: (a is None and b is None) or (a is not None and b is not None and math.isclose(a, b, rel_tol=tolerance, abs_tol=0.0))  # noqa: E731
    for doc, matched in pairs.items():
        for r, p in matched:
            unit = texts.unit(doc, r["start"])
            _agreement(metrics, "value", unit, close(r["value"], p["value"]) if "value" in p else None)
            _agreement(metrics, "value_max", unit, close(r["value_max"], p["value_max"]) if "value_max" in p else None)
            _agreement(metrics, "unit", unit, normalize_unit(r["unit"]) == normalize_unit(p["unit"]) if "unit" in p else None)
            for name in ("approx", "kind"):
                _agreement(metrics, name, unit, r[name] == p[name] if name in p else None)
    return metrics, {}


def score_claims(ref: list[dict], pred: list[dict], texts: Texts, entities: list[dict]) -> tuple[dict, dict]:
    """Span exact and overlap; token overlap of the content; cues; the claimant (right when it overlaps the
    gold claimant or another mention of its entity); kinds on matched claims; claim groups (B-cubed)."""
    metrics: dict = defaultdict(Counts)
    ref_docs, pred_docs = _by_doc(ref), _by_doc(pred)
    pairs = _span_metrics(ref_docs, pred_docs, texts, metrics)
    for doc in ref_docs.keys() | pred_docs.keys():
        for p in pred_docs.get(doc, []):
            metrics["token_overlap"].add(texts.unit(doc, p["start"]), den_p=texts.token_count(doc, p["start"], p["end"]))
        for r in ref_docs.get(doc, []):
            metrics["token_overlap"].add(texts.unit(doc, r["start"]), den_r=texts.token_count(doc, r["start"], r["end"]))
        for r, p in pairs.get(doc, []):
            shared = texts.token_count(doc, max(r["start"], p["start"]), min(r["end"], p["end"]))
            metrics["token_overlap"].add(texts.unit(doc, p["start"]), num_p=shared)
            metrics["token_overlap"].add(texts.unit(doc, r["start"]), num_r=shared)
    if pred and all(p.get("cue_start") is not None for p in pred):
        cue = lambda rows: _by_doc([{**c, "start": c["cue_start"], "end": c["cue_end"]}  # noqa: E731
                                    for c in {(r["doc_id"], r["cue_start"], r["cue_end"]): r for r in rows}.values()])
        cues: dict = defaultdict(Counts)
        _span_metrics(cue(ref), cue(pred), texts, cues)
        metrics["cue_exact"], metrics["cue_overlap"] = cues["exact"], cues["overlap"]
    mentions = defaultdict(list)  # (doc, entity_id) -> spans
    by_span_id = {e["span_id"]: e for e in entities}
    for e in entities:
        mentions[(e["doc_id"], e["entity_id"])].append((e["start"], e["end"]))
    groups_key, groups_response, group_units = {}, {}, {}
    for doc, matched in pairs.items():
        for n, (r, p) in enumerate(matched):
            unit = texts.unit(doc, r["start"])
            gold_claimant = by_span_id.get(r.get("claimant_span_id"))
            if "claimant_start" in p:
                said = p["claimant_start"] is not None
                right = False
                if said and gold_claimant:
                    spans = mentions[(doc, gold_claimant["entity_id"])]
                    right = any(min(e, p["claimant_end"]) > max(s, p["claimant_start"]) for s, e in spans)
                metrics["claimant"].add(unit, float(right), float(said), float(right), float(gold_claimant is not None))
            for name in ("claim_kind", "claimant_type"):
                _agreement(metrics, name, unit, r[name] == p[name] if name in p else None)
            if "claim_group_id" in p:
                mention = (doc, r["start"], r["end"], n)
                groups_key[mention] = r["claim_group_id"] or ("alone", mention)
                groups_response[mention] = p["claim_group_id"] or ("alone", mention)
                group_units[mention] = unit
    return metrics, {"claim_group_id": (groups_key, groups_response, group_units)} if groups_key else {}


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


def summarize(metrics: dict, clusterings: dict, units: list, weights: np.ndarray) -> dict:
    """{metric: {precision, recall, f1, ci_low, ci_high, n_reference, n_predicted}} with the bootstrap interval."""
    index = {u: i for i, u in enumerate(units)}
    out = {}
    for name in sorted(metrics):
        per_unit = metrics[name].per_unit
        counts = np.zeros((len(units), 4))
        for unit, row in per_unit.items():
            counts[index[unit]] = row
        p, r = _ratios(counts.sum(axis=0))
        resampled = weights @ counts
        bp, br = _ratios(resampled)
        f1s = _f1(bp, br)
        out[name] = _stats(float(p), float(r), f1s, counts[:, 3].sum(), counts[:, 1].sum())
    for name, (key, response, mention_units) in clusterings.items():
        for metric, fn in (("muc", muc), ("b_cubed", b_cubed), ("ceaf_e", ceaf_e)):
            r, p = fn(key, response)
            f1s = _cluster_bootstrap(fn, key, response, mention_units, index, weights)
            out[f"{name}_{metric}"] = _stats(p, r, f1s, len(key), len(response))
    return out


def _stats(p: float, r: float, f1s: np.ndarray, n_ref, n_pred) -> dict:
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    low, high = (float(x) for x in np.percentile(f1s, [2.5, 97.5])) if len(f1s) else (f1, f1)
    return {"precision": round(p, 6), "recall": round(r, 6), "f1": round(f1, 6), "ci_low": round(low, 6),
            "ci_high": round(high, 6), "n_reference": int(n_ref), "n_predicted": int(n_pred)}


def _cluster_bootstrap(fn: Callable, key: dict, response: dict, mention_units: dict, index: dict, weights: np.ndarray,
                       resamples: int = 200) -> np.ndarray:
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
    run = lambda rows: _run(layer, reference, rows, t, entities, tolerance)  # noqa: E731
    metrics, clusterings = run(predictions)
    units = units_of(metrics, clusterings, t, texts)
    weights = resample_weights(units, resamples, seed)
    result = summarize(metrics, clusterings, units, weights)
    if compare is not None:
        other_metrics, other_clusterings = run(compare)
        other = summarize(other_metrics, other_clusterings, units, weights)
        for name in result.keys() & other.keys():
            if name in metrics and name in other_metrics:
                diff = _f1_samples(other_metrics[name], units, weights) - _f1_samples(metrics[name], units, weights)
                low, high = np.percentile(diff, [2.5, 97.5])
                result[name]["compare"] = {"f1": other[name]["f1"], "difference": round(other[name]["f1"] - result[name]["f1"], 6),
                                           "ci_low": round(float(low), 6), "ci_high": round(float(high), 6)}
    return result


def _f1_samples(counts: Counts, units: list, weights: np.ndarray) -> np.ndarray:
    index = {u: i for i, u in enumerate(units)}
    matrix = np.zeros((len(units), 4))
    for unit, row in counts.per_unit.items():
        matrix[index[unit]] = row
    return _f1(*_ratios(weights @ matrix))


def measure(layer: str, reference: list[dict], predictions: list[dict], texts: Texts, entities: list[dict] = (),
            tolerance: float = 1e-6) -> tuple[dict, dict]:
    """The counts of every metric per unit, and the clusterings, before any interval: what agreement adds up
    over annotator pairs before one `summarize`."""
    return _run(layer, reference, predictions, texts, entities, tolerance)


def units_of(metrics: dict, clusterings: dict, texts: Texts, doc_ids) -> list:
    """Every bootstrap unit the counts touch, and each document's first paragraph, in a stable order."""
    return sorted({u for m in metrics.values() for u in m.per_unit} | {texts.unit(d, 0) for d in doc_ids}
                  | {u for _, _, mu in clusterings.values() for u in mu.values()}, key=str)


def _run(layer, reference, predictions, texts, entities, tolerance):
    if layer == "claims":
        return score_claims(reference, predictions, texts, list(entities))
    if layer == "figures":
        return score_figures(reference, predictions, texts, tolerance)
    return SCORERS[layer](reference, predictions, texts)
