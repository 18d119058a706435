"""Agreement figures on the fixture export: fx1 has a ground truth and a second, partial annotation by the same user."""
from __future__ import annotations

import json

import pytest

from conftest import FIXTURE_CORPUS, FIXTURE_EXPORT
from scripts.__main__ import main
from scripts.evaluate.agreement import against_gold, inter_annotator, table
from scripts.core.corpus import load_corpus
from scripts.core.export_read import read_all_annotations


@pytest.fixture(scope="module")
def result():
    return against_gold(read_all_annotations(FIXTURE_EXPORT, load_corpus(FIXTURE_CORPUS)))["annotator-1"]


def test_only_documents_with_a_ground_truth_and_another_annotation_are_compared(result):
    assert result["pairs"] == [{"doc_id": "fx1", "reference": "annotator-1", "other": "annotator-1", "window": [0, 234]}]


def test_the_ground_truth_is_no_annotator_of_inter_annotator_agreement():
    annotations = read_all_annotations(FIXTURE_EXPORT, load_corpus(FIXTURE_CORPUS))
    assert inter_annotator(annotations)["pairs"] == []
    for a in annotations:  # without the flag, fx1's two annotations form a pair
        a.ground_truth = False
    assert inter_annotator(annotations)["pairs"] == []  # of one annotator: only the latest counts, and no one agrees with themselves
    next(a for a in annotations if a.doc.doc_id == "fx1" and a.annotation_id == 1).annotator = "annotator-2"
    assert [p["doc_id"] for p in inter_annotator(annotations)["pairs"]] == ["fx1"]


def test_a_partial_annotation_is_compared_over_its_coverage_only():
    annotations = read_all_annotations(FIXTURE_EXPORT, load_corpus(FIXTURE_CORPUS))
    second = next(a for a in annotations if a.doc.doc_id == "fx1" and not a.ground_truth)
    second.coverage = (0, 40)  # the gold's entities beyond 40 no longer count as missed
    scores = against_gold(annotations)["annotator-1"]
    assert scores["pairs"][0]["window"] == [0, 40]
    exact = scores["layers"]["entities"]["exact"]
    assert (exact["n_reference"], exact["n_predicted"], exact["precision"], exact["recall"]) == (3, 2, 1.0, 0.666667)


def test_agreement_is_the_scorer_with_an_annotator_as_reference(result):
    """The same numbers as scoring the annotation as a model's predictions against the ground truth."""
    from scripts.evaluate.agreement import rows
    from scripts.evaluate.scorer import score

    annotations = read_all_annotations(FIXTURE_EXPORT, load_corpus(FIXTURE_CORPUS))
    truth = next(a for a in annotations if a.doc.doc_id == "fx1" and a.ground_truth)
    other = next(a for a in annotations if a.doc.doc_id == "fx1" and not a.ground_truth)
    texts = {"fx1": truth.doc.text}
    for layer in ("entities", "claims", "figures"):
        entities = rows(truth, "entities", 0, len(truth.doc.text))
        as_model = score(layer, rows(truth, layer, 0, len(truth.doc.text)), rows(other, layer, 0, len(truth.doc.text)), texts, entities)
        assert {k: v for k, v in as_model.items() if "@" not in k} == result["layers"][layer]


def test_span_scores(result):
    layers = result["layers"]
    assert {k: layers["entities"]["exact"][k] for k in ("precision", "recall", "f1", "n_reference", "n_predicted")} == {
        "precision": 1.0, "recall": 0.285714, "f1": 0.444444, "n_reference": 7, "n_predicted": 2}
    assert layers["claims"]["exact"]["recall"] == 0.0 and layers["claims"]["exact"]["n_predicted"] == 0
    assert (layers["figures"]["overlap"]["precision"], layers["figures"]["overlap"]["recall"]) == (1.0, 0.5)
    for stats in layers["entities"].values():  # every figure with its interval
        assert stats["ci_low"] <= stats["f1"] <= stats["ci_high"] or stats["n_reference"] + stats["n_predicted"] == 0


def test_attributes_on_matched_spans(result):
    figures = result["layers"]["figures"]
    assert {k: figures[k]["f1"] for k in ("approx", "kind", "unit", "value")} == {"approx": 0.0, "kind": 1.0, "unit": 0.0, "value": 1.0}
    assert figures["kind"]["n_reference"] == 1
    assert "claimant" not in result["layers"]["claims"]  # no claim of the other annotation matched


def test_table(result):
    assert "| figures | overlapping span | 1.000 | 0.500 | 0.667 | 0.000–0.667 | 2/1 |" in table(result)


def test_command_prints_the_table_and_writes_json(tmp_path, capsys, result):
    out = tmp_path / "agreement.json"
    assert main(["agreement", "--export", str(FIXTURE_EXPORT), "--corpus", str(FIXTURE_CORPUS), "--json", str(out)]) == 0
    assert table(result) in capsys.readouterr().out
    assert json.loads(out.read_text())["against_gold"]["annotator-1"] == json.loads(json.dumps(result))


def test_command_refuses_a_broken_export(tmp_path, capsys):
    broken = tmp_path / "export.json"
    broken.write_text("[{", encoding="utf-8")
    assert main(["agreement", "--export", str(broken), "--corpus", str(FIXTURE_CORPUS), "--json", str(tmp_path / "a.json")]) == 2
    assert f"{broken}: not a readable JSON export" in capsys.readouterr().err
    assert not (tmp_path / "a.json").exists()
