"""Pre-annotations and the Label Studio writer: what push gives annotators to correct."""
from __future__ import annotations

from dataclasses import replace

from conftest import FIXTURE_CORPUS, FIXTURE_EXPORT, ROOT
from scripts.annotate.push_tasks import task_payload
from scripts.core.corpus import load_corpus
from scripts.core.export_read import Problems, read_export, read_result
from scripts.core.export_write import to_result
from scripts.core.model import Span
from scripts.annotate.preannotate import figure_mentions, known_entities, preannotate

CORPUS = load_corpus(FIXTURE_CORPUS)
GOLD = read_export(FIXTURE_EXPORT, CORPUS)


def unsourced(x):
    """The spans without provenance (a round trip through Label Studio gives new region ids)."""
    if isinstance(x, list):
        return [unsourced(v) for v in x]
    if isinstance(x, Span):
        nested = {name: unsourced(getattr(x, name)) for name in ("cue", "claimant") if hasattr(x, name)}
        return replace(x, source=None, **nested)
    return x


def read_back(annotated):
    problems = Problems()
    back = read_result("round trip", to_result(annotated), annotated.doc, problems)
    assert problems.items == []
    return back


def test_the_writer_round_trips_the_gold_exactly():
    for annotated in GOLD.values():
        back = read_back(annotated)
        for layer in ("entities", "claims", "figures"):
            assert unsourced(getattr(back, layer)) == unsourced(getattr(annotated, layer)), layer


def test_known_entities_are_found_again_as_whole_words():
    known = known_entities(GOLD)
    assert known["Ankara"] == ("GPE", "ankara", "Ankara")
    found = preannotate(CORPUS["fx2"], known).entities
    assert [(e.start, e.end, e.label, e.entity_id) for e in found] == [
        (0, 6, "GPE", "russia"), (46, 52, "GPE", "turkey"), (58, 64, "GPE", "ankara")]


def test_figures_with_qualifier_and_counted_noun():
    doc = load_corpus(ROOT / "corpus")["d001"]
    figures = {f.text_in(doc): (f.value, f.unit, f.approx, f.kind) for f in figure_mentions(doc)}
    assert figures["more than 30 sites"] == (30.0, "sites", "lower_bound", "count")
    assert figures["within 10 km"] == (10.0, "kilometre", "upper_bound", "distance")
    assert figures["more than 1 million people"] == (1e6, "people", "lower_bound", "count")
    assert figures["nearly 800,000"] == (800000.0, "dimensionless", "approximate", "count")
    assert not any("2011" in text for text in figures)  # a year is not a figure


def test_dates_and_times_are_not_figures():
    doc = load_corpus(ROOT / "corpus")["d002"]
    texts = [f.text_in(doc) for f in figure_mentions(doc)]
    assert "up to 50 miles" in texts and "224 people" in texts
    assert not {"4", "2016", "04", "14", "19"} & set(texts)


def test_task_payload_prefers_gold_then_rules():
    gold_task = task_payload(CORPUS["fx1"], GOLD, {})
    assert gold_task["data"] == {"text": CORPUS["fx1"].text, "doc_id": "fx1", "text_sha256": CORPUS["fx1"].text_sha256}
    assert gold_task["predictions"][0]["model_version"] == "gold"
    assert gold_task["predictions"][0]["result"] == to_result(GOLD["fx1"])
    rules = task_payload(CORPUS["fx2"], {}, known_entities({"fx1": GOLD["fx1"]}))["predictions"][0]
    assert rules["model_version"] == "rules"
    regions = {(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in rules["result"] if r["type"] == "labels"}
    assert {(0, 6, "GPE"), (46, 52, "GPE")} <= regions  # Russia and Turkey, known from fx1
