"""Agreement figures on the fixture export: fx1 has a ground truth and a second, partial annotation by the same user."""
from __future__ import annotations

import json

import pytest

from conftest import FIXTURE_CORPUS, FIXTURE_EXPORT
from scripts.__main__ import main
from scripts.agreement import against_gold, agreement, table
from scripts.corpus import load_corpus
from scripts.labelstudio import read_all_annotations


@pytest.fixture(scope="module")
def result():
    return against_gold(read_all_annotations(FIXTURE_EXPORT, load_corpus(FIXTURE_CORPUS)))["annotator-1"]


def test_only_documents_with_a_ground_truth_and_another_annotation_are_compared(result):
    assert result["pairs"] == [{"doc_id": "fx1", "reference": "annotator-1", "other": "annotator-1", "window": [0, 234]}]


def test_the_ground_truth_is_no_annotator_of_inter_annotator_agreement():
    annotations = read_all_annotations(FIXTURE_EXPORT, load_corpus(FIXTURE_CORPUS))
    assert agreement(annotations)["pairs"] == []
    for a in annotations:  # without the flag, fx1's two annotations form a pair
        a.ground_truth = False
    assert agreement(annotations)["pairs"] == []  # of one annotator: only the latest counts, and no one agrees with themselves
    next(a for a in annotations if a.doc.doc_id == "fx1" and a.annotation_id == 1).annotator = "annotator-2"
    assert [p["doc_id"] for p in agreement(annotations)["pairs"]] == ["fx1"]


def test_a_partial_annotation_is_compared_over_its_coverage_only():
    annotations = read_all_annotations(FIXTURE_EXPORT, load_corpus(FIXTURE_CORPUS))
    second = next(a for a in annotations if a.doc.doc_id == "fx1" and not a.ground_truth)
    second.coverage = (0, 40)  # the gold's entities beyond 40 no longer count as missed
    scores = against_gold(annotations)["annotator-1"]
    assert scores["pairs"][0]["window"] == [0, 40]
    assert scores["layers"]["entities"]["spans"] == {"reference": 3, "other": 2, "exact_matches": 2, "overlap_matches": 2}


def test_span_scores(result):
    layers = result["layers"]
    assert layers["entities"]["spans"] == {"reference": 7, "other": 2, "exact_matches": 2, "overlap_matches": 2}
    assert layers["entities"]["exact"] == {"precision": 1.0, "recall": 2 / 7, "f1": 4 / 9}
    assert layers["claims"]["exact"] == {"precision": None, "recall": 0.0, "f1": 0.0}
    assert layers["figures"]["overlap"] == {"precision": 1.0, "recall": 0.5, "f1": 2 / 3}


def test_attribute_agreement_on_matched_spans(result):
    figures = result["layers"]["figures"]["attributes"]
    assert {k: v["agreement"] for k, v in figures.items()} == {"approx": 0.0, "kind": 1.0, "unit": 0.0, "value": 1.0}
    assert result["layers"]["entities"]["attributes"]["label"] == {"agreement": 1.0, "compared": 2}
    assert result["layers"]["claims"]["attributes"]["claimant"] == {"agreement": None, "compared": 0}


def test_table(result):
    assert "| figures | 2/1 | 1.000 | 0.500 | 0.667 | 0.667 | approx 0.000 (n=1), kind 1.000 (n=1), unit 0.000 (n=1), value 1.000 (n=1) |" in table(result)


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
