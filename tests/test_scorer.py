"""The scorer's schemes against the libraries that define them, and the coreference metrics on the
examples of the papers that define them."""
from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nervaluate import Evaluator

from scripts.evaluate.schemes import SCHEMES, Mention, Outcome, b_cubed, ceaf_e, evaluate, iob2_entities, muc
from scripts.evaluate.scorer import normalize_unit, score

LABELS = ["A", "B", "C"]


def random_documents(rng: random.Random) -> tuple[list, list]:
    def spans(n):
        out = []
        for _ in range(n):
            start = rng.randint(0, 40)
            out.append({"label": rng.choice(LABELS), "start": start, "end": start + rng.randint(0, 6)})  # nervaluate: end inclusive
        return sorted(out, key=lambda e: (e["start"], e["end"], e["label"]))
    docs = [(spans(rng.randint(0, 7)), spans(rng.randint(0, 7))) for _ in range(3)]
    return [t for t, _ in docs], [p for _, p in docs]


@pytest.mark.parametrize("seed", range(200))
def test_the_four_schemes_count_as_nervaluate_does(seed):
    true, pred = random_documents(random.Random(seed))
    expected = Evaluator(true, pred, tags=LABELS, loader="dict").evaluate()["overall"]
    mention = lambda e: Mention(e["start"], e["end"] + 1, e["label"])  # noqa: E731
    for scheme in SCHEMES:
        outcome = Outcome()
        for t, p in zip(true, pred):
            evaluate(scheme, [mention(e) for e in t], [mention(e) for e in p], outcome)
        want = expected[scheme]
        assert (outcome.correct, outcome.incorrect, outcome.partial, outcome.missed, outcome.spurious) == (
            want.correct, want.incorrect, want.partial, want.missed, want.spurious), scheme


def test_iob2_entities_as_seqeval_strict_reads_them():
    # seqeval's strict IOB2 mode: an I- without its B- opens no entity; a B- of another type ends the one before
    tags = ["B-PER", "I-PER", "O", "I-LOC", "B-LOC", "B-ORG", "I-ORG", "I-PER", "B-GPE"]
    assert iob2_entities(tags) == [(0, 2, "PER"), (4, 5, "LOC"), (5, 7, "ORG"), (8, 9, "GPE")]


def test_muc_and_b_cubed_on_the_classic_example():
    """Two key clusters merged by the response (Bagga and Baldwin 1998, figure 2)."""
    key = {m: "k1" for m in "12345"} | {m: "k2" for m in "67"} | {m: "k3" for m in "89ABC"}
    response = {m: "r1" for m in "12345"} | {m: "r2" for m in "6789ABC"}
    r, p = muc(key, response)
    assert (r, p) == pytest.approx((1.0, 0.9))  # Vilain et al.: merging two key clusters costs precision only
    r, p = b_cubed(key, response)
    assert r == pytest.approx(1.0) and p == pytest.approx((5 + 2 * 2 / 7 + 5 * 5 / 7) / 12)
    r, p = ceaf_e(key, response)
    assert (r, p) == pytest.approx(((1 + 2 * 5 / 12) / 3, (1 + 2 * 5 / 12) / 2))  # phi4: k1-r1 = 1, k3-r2 = 10/12


def test_units_are_compared_after_normalization():
    assert normalize_unit("$") == normalize_unit("USD") == "USD"
    assert normalize_unit("Refugees") == normalize_unit("refugee") == "refugee"
    assert normalize_unit("km") == "km" and normalize_unit("miles") == "mile"


def test_a_perfect_prediction_scores_one_with_a_tight_interval():
    texts = {"d1": "Aleppo fell.\n\nIdlib held. Ankara said so.", "d2": "Turkey and Russia met."}
    gold = [{"doc_id": "d1", "start": 0, "end": 6, "label": "GPE", "entity_id": "aleppo"},
            {"doc_id": "d1", "start": 14, "end": 19, "label": "GPE", "entity_id": "idlib"},
            {"doc_id": "d2", "start": 0, "end": 6, "label": "GPE", "entity_id": "turkey"}]
    result = score("entities", gold, [dict(g) for g in gold], texts, resamples=200)
    for metric in ("strict", "exact", "partial", "ent_type", "overlap", "entity_id_b_cubed"):
        assert (result[metric]["f1"], result[metric]["ci_low"], result[metric]["ci_high"]) == (1.0, 1.0, 1.0), metric
    wrong = [{**g, "label": "LOC"} for g in gold]
    result = score("entities", gold, wrong, texts, resamples=200, compare=[dict(g) for g in gold])
    assert result["strict"]["f1"] == 0.0 and result["exact"]["f1"] == 1.0
    assert result["strict"]["compare"]["difference"] == 1.0 and result["strict"]["compare"]["ci_low"] == 1.0


@pytest.mark.parametrize("seed", range(20))
def test_no_resample_scores_above_one_when_matched_spans_start_in_different_paragraphs(seed):
    """A match's precision count sits in the prediction's paragraph and its recall count in the reference's."""
    rng = random.Random(seed)
    text = "\n\n".join(" ".join("word" for _ in range(8)) for _ in range(12))
    ref, pred = [], []
    for n in range(30):
        start = rng.randrange(0, len(text) - 60)
        ref.append({"doc_id": "d", "start": start, "end": start + 50, "label": "GPE", "entity_id": f"e{n}"})
        shift = rng.randrange(1, 45)
        pred.append({"doc_id": "d", "start": start + shift, "end": start + shift + 10, "label": "GPE", "entity_id": f"e{n}"})
    claims_ref = [{**r, "cue_start": r["start"], "cue_end": r["start"] + 4, "claim_kind": "statement", "claimant_type": "none",
                   "claim_group_id": None, "claimant_span_id": None} for r in ref]
    claims_pred = [{**p, "cue_start": p["start"], "cue_end": p["start"] + 4} for p in pred]
    for layer, r, p in (("entities", ref, pred), ("claims", claims_ref, claims_pred)):
        result = score(layer, r, p, {"d": text}, resamples=300, seed=seed)
        assert all(0.0 <= s["ci_low"] <= s["ci_high"] <= 1.0 for s in result.values()), layer


@pytest.mark.parametrize("seed", range(100))
def test_coreference_shares_add_up_to_muc_b_cubed_and_ceaf_e(seed):
    """Per-mention shares (what the bootstrap resamples) total exactly the published definitions."""
    from scripts.evaluate.schemes import contributions

    rng = random.Random(seed)
    mentions = list(range(rng.randint(1, 30)))
    key = {m: rng.randint(0, 6) for m in mentions}
    response = {m: rng.randint(0, 6) for m in mentions if rng.random() < 0.9}
    if seed % 3 == 0:  # mentions only one side has
        response.update({100 + m: rng.randint(0, 6) for m in range(rng.randint(1, 4))})
    shares = contributions(key, response)
    for name, fn in (("muc", muc), ("b_cubed", b_cubed), ("ceaf_e", ceaf_e)):
        rows = list(shares[name].values())
        num_p, den_p, num_r, den_r = (sum(r[i] for r in rows) for i in range(4))
        recall, precision = fn(key, response)
        assert (num_p / den_p if den_p else 0.0) == pytest.approx(precision, abs=1e-12)
        assert (num_r / den_r if den_r else 0.0) == pytest.approx(recall, abs=1e-12)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 30), st.integers(1, 8)), max_size=12), st.integers(0, 30), st.integers(1, 8))
def test_a_claimant_is_right_when_any_mention_of_its_entity_overlaps(mentions, start, length):
    from scripts.evaluate.scorer import _Mentions

    rows = [{"doc_id": "d", "entity_id": "x", "start": s, "end": s + n} for s, n in mentions]
    brute = any(min(s + n, start + length) > max(s, start) for s, n in mentions)
    assert _Mentions(rows).overlapped(("d", "x"), start, start + length) == brute
    assert not _Mentions(rows).overlapped(("d", "y"), start, start + length)
