"""The fixture export (genuine Label Studio snapshot output) reads into the document model exactly."""
from __future__ import annotations

from conftest import FIXTURE_CORPUS, FIXTURE_EXPORT
from scripts.core.corpus import load_corpus
from scripts.core.export_read import read_all_annotations, read_export
from scripts.core.model import Claim, Entity, Figure, Provenance, Span
from scripts.build.tables import build_tables

CORPUS = load_corpus(FIXTURE_CORPUS)
DOCS = read_export(FIXTURE_EXPORT, CORPUS)


def test_counts_per_document_and_layer():
    assert {d: (len(a.entities), len(a.claims), len(a.figures)) for d, a in DOCS.items()} == {
        "fx1": (7, 2, 2), "fx2": (3, 2, 2),
    }


def test_ground_truth_wins_and_cancelled_annotations_are_skipped():
    # task 1 has a ground truth (1) and a second annotation (2); task 2 a cancelled one (3) and one live (4).
    assert {s.source.annotation_id for s in DOCS["fx1"].entities} == {1}
    assert {s.source.annotation_id for s in DOCS["fx2"].entities} == {4}


def test_first_entity_claim_and_figure_literally():
    fx1 = DOCS["fx1"]
    assert fx1.entities[0] == Entity(0, 6, Provenance(1, 1, "a1"), label="GPE", entity_id="turkey", canonical_name="Turkey")
    assert fx1.claims[0] == Claim(
        35, 74, Provenance(1, 1, "a10"), claim_kind="direct",
        cue=Span(77, 81, Provenance(1, 1, "a8")), claimant=Span(107, 118, Provenance(1, 1, "a5")),
        claimant_type="named", claim_group_id=None,
    )
    assert fx1.figures[0] == Figure(174, 206, Provenance(1, 1, "a12"), value=2100.0, value_max=None,
                                    unit="military vehicles", approx="lower_bound", kind="count")


def test_offsets_are_code_points_after_an_emoji_and_across_a_newline():
    doc = CORPUS["fx1"]
    assert "🚀" in doc.text[:27]  # non-BMP: one code point, two UTF-16 units
    entity = DOCS["fx1"].entities[2]
    assert entity.text_in(doc) == "Idlib" and (entity.start, entity.end) == (27, 32)
    assert DOCS["fx1"].figures[0].text_in(doc) == "more than 2100 military\nvehicles"


def test_money_figure_inside_a_claim():
    fx2 = DOCS["fx2"]
    money = [f for f in fx2.figures if f.kind == "money"]
    assert [(f.text_in(CORPUS["fx2"]), f.value, f.unit) for f in money] == [("$1.4-billion", 1.4e9, "USD")]
    claim = fx2.claims[1]
    assert claim.start <= money[0].start and money[0].end <= claim.end
    assert claim.claimant and claim.claimant.text_in(CORPUS["fx2"]) == "Ankara"


def test_tables_hold_every_span_with_stable_ids():
    tables = build_tables(CORPUS, DOCS, read_all_annotations(FIXTURE_EXPORT, CORPUS))
    assert {t: f.height for t, f in tables.items()} == {
        "documents": 2, "entities": 10, "claims": 4, "figures": 4, "ner": 4, "annotations_raw": 10 + 4 + 4 + 3,
        "documents_nested": 2, "bigbio_kb": 2,
    }
    claims = tables["claims"]
    assert claims.row(0, named=True) == {
        "doc_id": "fx1", "span_id": "fx1:c35-74", "start": 35, "end": 74,
        "text": "We will not leave this without reaction", "claimant_span_id": "fx1:e107-118", "claimant_type": "named",
        "cue_start": 77, "cue_end": 81, "cue_text": "said", "claim_kind": "direct", "claim_group_id": None,
        "parent_claim_span_id": None, "figure_span_ids": [],
        "ls_task_id": 1, "ls_annotation_id": 1, "ls_region_id": "a10",
    }
    assert set(claims["claimant_span_id"]) <= set(tables["entities"]["span_id"])


def test_figures_and_claims_link_by_containment():
    tables = build_tables(CORPUS, DOCS)
    figures = dict(tables["figures"].select("span_id", "claim_span_id").iter_rows())
    assert figures["fx1:f174-206"] == "fx1:c174-233"  # "more than 2100 military vehicles" inside the SOHR report
    figure_lists = dict(tables["claims"].select("span_id", "figure_span_ids").iter_rows())
    assert figure_lists["fx1:c174-233"] == ["fx1:f174-206", "fx1:f224-233"]
    assert {k: v for k, v in figures.items() if v is None} == {}


def test_an_annotation_in_parts_reads_as_one(tmp_path):
    """A long document annotated in parts (`push --parts`): the parts of one annotator, whose coverages tile
    the text, give the same gold as one annotation of the whole."""
    import json

    from conftest import FIXTURE_CORPUS, load_fixture_export
    from scripts.core.corpus import load_corpus
    from scripts.core.export_read import read_export
    from scripts.core.export_write import to_result
    from dataclasses import replace

    corpus = load_corpus(FIXTURE_CORPUS)
    whole = read_export(FIXTURE_EXPORT, corpus)["fx1"]
    tasks = load_fixture_export()
    gold = next(a for a in tasks[0]["annotations"] if a["ground_truth"])
    cut, n = 100, corpus["fx1"].n_chars
    parts = []
    for k, (start, end) in enumerate([(0, cut), (cut, n)]):
        inside = {layer: [s for s in getattr(whole, layer) if start <= s.start < end] for layer in ("entities", "claims", "figures")}
        claimants = {(c.claimant.start, c.claimant.end) for c in inside["claims"] if c.claimant}
        inside["entities"] += [e for e in whole.entities if (e.start, e.end) in claimants and not start <= e.start < end]
        parts.append({**gold, "id": 100 + k, "result": to_result(replace(whole, **inside, coverage=(start, end)))})
    tasks[0]["annotations"] = [parts[0], parts[1], *[a for a in tasks[0]["annotations"] if not a["ground_truth"]]]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    assembled = read_export(export, corpus)["fx1"]
    for layer in ("entities", "claims", "figures"):
        assert [(s.start, s.end) for s in getattr(assembled, layer)] == [(s.start, s.end) for s in getattr(whole, layer)], layer
    assert assembled.coverage is None and assembled.annotation_id == 100
