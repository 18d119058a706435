"""One scorer for models and for annotators: the reference is the gold (a model's score) or one annotator
(agreement), the prediction a model's spans or another annotator's. Rows are dicts with the columns of the
gold configs; see README "Evaluation".

Every score comes with a 95% interval from a seeded cluster bootstrap over paragraphs (three documents are
too few to resample): each metric is kept as counts per paragraph, paragraphs are drawn with replacement
1,000 times, and the 2.5th and 97.5th percentiles of the F1 are the interval. Only the standard library
and numpy (which `datasets` installs).

How it stays fast at a million spans (docs/performance.md, "Scoring a million spans"; counting.py,
bootstrap.py): spans are columns (numpy arrays), not rows. The matchers see one document (or one document's spans of one label) at a time, and two spans interact
only through a chain of spans that overlap or touch; so the spans of each group are cut into such chains,
a chain of one reference and one predicted span (most of them) is decided by a few array comparisons, and
only the other chains go through the matchers of `schemes` (all of them in one call, each chain shifted
apart from the others). Each scheme runs once per grouping, and per-document rows are the overall rows
split by document. The sums over paragraphs are matrix products (per-document metrics: only their own
paragraphs). The coreference metrics (MUC, B-cubed, CEAF-e) are per-mention shares of what each cluster
adds (`schemes.shares`), counted per paragraph like every other metric.
"""
from __future__ import annotations

import math
from bisect import bisect_left
from collections import defaultdict
from itertools import accumulate
from typing import Callable, Optional

import numpy as np

from scripts.evaluate.bootstrap import Bootstrap, resample_weights, summarize_items
from scripts.evaluate.counting import (
    Counts,
    Events,
    Grouping,
    Spans,
    Texts,
    columns_of,
    sum_by,
    to_counts,
)
from scripts.evaluate.schemes import SCHEMES, cluster_codes, iob2_entities, shares

RESAMPLES = 1000
SEED = 13
CURRENCY = {"$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "€": "EUR", "euro": "EUR", "£": "GBP", "pound": "GBP",
            "¥": "JPY", "yen": "JPY", "₺": "TRY", "lira": "TRY", "₽": "RUB", "rouble": "RUB", "ruble": "RUB", "c$": "CAD"}


def _scheme_values(kind: np.ndarray, scheme: str) -> np.ndarray:
    half = 0.5 if scheme in ("partial", "ent_type") else 0.0
    num = (kind == 0) + half * (kind == 2)
    return np.column_stack([num, np.ones(len(kind)), num, (kind != 4).astype(float)])


def _entity_tables(ref: list[dict], pred: list[dict], texts: Texts) -> dict:
    labels = sorted({r["label"] for r in ref} | {p["label"] for p in pred})
    position = {label: i for i, label in enumerate(labels)}
    t, p = columns_of(ref, texts, position), columns_of(pred, texts, position)
    tables: dict = {}
    if not t.n + p.n:
        return {"overlap": sum_by(np.zeros(0, np.int64), np.zeros((0, 4)))}
    docs, first_unit = texts._ix()[0], texts._ix()[4]
    n_units, n_labels = int(first_unit[-1]), len(labels)
    by_doc = Grouping(t.doc, t, p.doc, p)
    by_label = Grouping(t.doc * n_labels + t.label, t, p.doc * n_labels + p.label, p)
    missed_row = np.array([[0.0, 0.0, 0.0, 1.0]])
    for scheme in SCHEMES:
        kind, missed = by_doc.outcomes(scheme)
        units, rows = sum_by(np.concatenate([p.unit, t.unit[missed]]),
                              np.concatenate([_scheme_values(kind, scheme), np.repeat(missed_row, int(missed.sum()), axis=0)]))
        tables[scheme] = (units, rows)
        doc = np.searchsorted(first_unit, units, side="right") - 1
        cuts = np.flatnonzero(np.diff(doc)) + 1
        for lo, hi in zip(np.concatenate([[0], cuts]).tolist(), np.concatenate([cuts, [len(units)]]).tolist()):
            tables[f"{scheme}@{docs[doc[lo]]}"] = (units[lo:hi], rows[lo:hi])
        kind, missed = by_label.outcomes(scheme)
        keys = np.concatenate([p.label * n_units + p.unit, (t.label * n_units + t.unit)[missed]])
        keyed, rows = sum_by(keys, np.concatenate([_scheme_values(kind, scheme), np.repeat(missed_row, int(missed.sum()), axis=0)]))
        label_of = keyed // n_units
        for n, label in enumerate(labels):
            chosen = label_of == n
            tables[f"{scheme}[{label}]"] = (keyed[chosen] - n * n_units, rows[chosen])
    matched_t, matched_p = by_doc.overlap_matched()
    tables["overlap"] = sum_by(np.concatenate([p.unit, t.unit]), np.concatenate([
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
    return to_counts(_entity_tables(ref, pred, texts), texts), _entity_clusterings(ref, pred, texts)


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


def _span_events(ref: list[dict], pred: list[dict], texts: Texts, events: Events, prefix: str = "",
                 start: str = "start", end: str = "end") -> tuple[Spans, Spans, np.ndarray, np.ndarray]:
    """exact and overlap span matching per document; returns both sides' columns and the overlap-matched
    pairs (reference row, predicted row), by document in order of the reference row."""
    t, p = columns_of(ref, texts, start=start, end=end), columns_of(pred, texts, start=start, end=end)
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
    grouping = Grouping(t.doc, t, p.doc, p)
    matched_t, matched_p = grouping.overlap_matched()
    # each count in the unit of its own denominator: a resample never gives P or R above 1
    events.add(prefix + "overlap", p.unit, num_p=matched_p, den_p=1)
    events.add(prefix + "overlap", t.unit, num_r=matched_t, den_r=1)
    order = np.lexsort((grouping.pairs_t, t.doc[grouping.pairs_t]))
    return t, p, grouping.pairs_t[order], grouping.pairs_p[order]


def _agreement(events: Events, name: str, units: list, same: list) -> None:
    """An attribute compared on matched pairs (None: not comparable, e.g. absent from the predictions)."""
    chosen = [(u, float(s)) for u, s in zip(units, same) if s is not None]
    if chosen:
        u, s = zip(*chosen)
        events.add(name, u, s, 1, s, 1)


def _figure_tables(ref: list[dict], pred: list[dict], texts: Texts, tolerance: float) -> dict:
    events = Events()
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
    return to_counts(_figure_tables(ref, pred, texts, tolerance), texts), {}


def _claim_tables(ref: list[dict], pred: list[dict], texts: Texts, entities: list[dict]) -> tuple[dict, dict]:
    events = Events()
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
    by_span_id = {e["span_id"]: e for e in entities}
    mentions = _Mentions(entities)
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
                right = mentions.overlapped((doc, gold_claimant["entity_id"]), p["claimant_start"], p["claimant_end"])
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
        tables["claimant"] = sum_by(ids(claimant_units), rows)
    for name, (u, same) in attributes.items():
        if u:
            s = np.array(same, float)
            tables[name] = sum_by(ids(u), np.column_stack([s, np.ones(len(s)), s, np.ones(len(s))]))
    return tables, {"claim_group_id": (groups_key, groups_response, group_units)} if groups_key else {}


class _Mentions:
    """The mentions of each (doc, entity id), and whether one shares a character with a span: O(log n) a question."""

    def __init__(self, entities: list[dict]) -> None:
        spans = defaultdict(list)
        for e in entities:
            spans[(e["doc_id"], e["entity_id"])].append((e["start"], e["end"]))
        self.starts, self.reach = {}, {}  # per key: starts in order, and the largest end up to each
        for key, pairs in spans.items():
            pairs.sort()
            self.starts[key] = [s for s, _ in pairs]
            self.reach[key] = list(accumulate((e for _, e in pairs), max))

    def overlapped(self, key: tuple, start: int, end: int) -> bool:
        before = bisect_left(self.starts.get(key, ()), end)  # the mentions starting before the span ends
        return before > 0 and self.reach[key][before - 1] > start


def _unit_id_of(texts: Texts) -> Callable:
    positions = texts._ix()[1]
    return lambda units: texts._unit_ids(np.array([positions[d] for d, _ in units], np.int64),
                                         np.zeros(len(units), np.int64)) + np.array([k for _, k in units], np.int64)


def score_claims(ref: list[dict], pred: list[dict], texts: Texts, entities: list[dict]) -> tuple[dict, dict]:
    """Span exact and overlap; token overlap of the content; cues; the claimant (right when it overlaps the
    gold claimant or another mention of its entity); kinds on matched claims; claim groups (B-cubed)."""
    tables, clusterings = _claim_tables(ref, pred, texts, entities)
    return to_counts(tables, texts), clusterings


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


SCORERS = {"entities": score_entities, "figures": score_figures, "claims": score_claims, "ner": score_tags}


def score(layer: str, reference: list[dict], predictions: list[dict], texts: dict[str, str], entities: list[dict] = (),
          resamples: int = RESAMPLES, seed: int = SEED, tolerance: float = 1e-6, compare: Optional[list[dict]] = None) -> dict:
    """{metric: stats} of predictions against the reference for one layer; with `compare`, also each
    metric's paired difference (compare minus predictions) with its interval under the same resamples."""
    t = Texts(texts)
    run = lambda rows: _tables(layer, reference, rows, t, entities, tolerance)  # noqa: E731
    tables = run(predictions)
    other_tables = run(compare) if compare is not None else {}
    units, position = every_unit(t)
    weights = resample_weights(units, resamples, seed)
    bootstrap = Bootstrap(weights)
    items = {name: (position(ids), rows) for name, (ids, rows) in tables.items()}
    result = summarize_items(items, units, weights, bootstrap)
    if compare is not None:
        other_items = {name: (position(ids), rows) for name, (ids, rows) in other_tables.items()}
        other = summarize_items(other_items, units, weights, bootstrap)
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
            tolerance: float = 1e-6) -> dict[str, Counts]:
    """The counts of every metric per unit before any interval: what agreement adds up over annotator pairs
    before one `summarize`."""
    return _run(layer, reference, predictions, texts, entities, tolerance)


def coreference_shares(clusterings: dict) -> dict[str, tuple[list, np.ndarray]]:
    """Each clustering's MUC, B-cubed and CEAF-e as {metric: (each mention's unit, rows)} (`schemes.shares`:
    what a cluster adds is shared by its mentions), so they are resampled, summed and compared like every metric."""
    out = {}
    for name, (key, response, mention_units) in clusterings.items():
        mentions = list({**key, **response})
        units = [mention_units[m] for m in mentions]
        for metric, rows in shares(*cluster_codes(mentions, key), *cluster_codes(mentions, response)).items():
            out[f"{name}_{metric}"] = (units, rows)
    return out


def _counts_of(units: list, rows: np.ndarray) -> Counts:
    index: dict = {}
    ids = np.fromiter((index.setdefault(u, len(index)) for u in units), np.int64, len(units))
    keys, summed = sum_by(ids, rows)
    counts, by_id = Counts(), list(index)
    for k, row in zip(keys.tolist(), summed.tolist()):
        counts.per_unit[by_id[k]] = row
    return counts


def _as_table(counts: Counts, unit_ids: Callable) -> tuple[np.ndarray, np.ndarray]:
    return sum_by(unit_ids(list(counts.per_unit)), np.array(list(counts.per_unit.values()), float).reshape(-1, 4))


def _tables(layer, reference, predictions, texts, entities, tolerance) -> dict:
    """The counts as arrays (unit ids, rows) per metric."""
    ids = _unit_id_of(texts)
    if layer == "entities":
        tables, clusterings = _entity_tables(reference, predictions, texts), _entity_clusterings(reference, predictions, texts)
    elif layer == "claims":
        tables, clusterings = _claim_tables(reference, predictions, texts, list(entities))
    elif layer == "figures":
        tables, clusterings = _figure_tables(reference, predictions, texts, tolerance), {}
    else:
        tables = {name: _as_table(c, ids) for name, c in score_tags(reference, predictions, texts)[0].items()}
        clusterings = {}
    return {**tables, **{name: sum_by(ids(units), rows) for name, (units, rows) in coreference_shares(clusterings).items()}}


def _run(layer, reference, predictions, texts, entities, tolerance) -> dict:
    if layer == "claims":
        metrics, clusterings = score_claims(reference, predictions, texts, list(entities))
    elif layer == "figures":
        metrics, clusterings = score_figures(reference, predictions, texts, tolerance)
    else:
        metrics, clusterings = SCORERS[layer](reference, predictions, texts)
    return {**metrics, **{name: _counts_of(units, rows) for name, (units, rows) in coreference_shares(clusterings).items()}}
