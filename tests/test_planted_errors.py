"""Planted errors: each is refused with a message naming where it is, and the release is left byte-identical."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

import scripts.release
from conftest import FIXTURE_CORPUS, load_fixture_export, tree_digest
from scripts.__main__ import main


def region(tasks, task_id, annotation_id, region_id, type_="labels"):
    annotation = next(a for t in tasks if t["id"] == task_id for a in t["annotations"] if a["id"] == annotation_id)
    return next(r for r in annotation["result"] if r.get("id") == region_id and r["type"] == type_)


def annotations(tasks, task_id):
    return next(t for t in tasks if t["id"] == task_id)["annotations"]


def set_(obj, key, value):
    obj[key] = value


EXPORT_ERRORS = {
    "unknown label": (
        lambda t: set_(region(t, 1, 1, "a1")["value"], "labels", ["CITY"]),
        "task 1 (doc fx1), annotation 1, region a1: unknown label 'CITY' for 'entity'"),
    "offset past the end": (
        lambda t: set_(region(t, 1, 1, "a13")["value"], "end", 999),
        "task 1 (doc fx1), annotation 1, region a13: offsets 224-999 are not within 0 <= start < end <= 234"),
    "negative offset": (
        lambda t: set_(region(t, 1, 1, "a1")["value"], "start", -1),
        "region a1: offsets -1-6 are not within"),
    "span text mismatch": (
        lambda t: set_(region(t, 1, 1, "a1")["value"], "text", "Turkei"),
        "region a1: value.text 'Turkei' differs from the corpus text 'Turkey' at 0-6"),
    "UTF-16 offsets after an emoji": (
        lambda t: region(t, 1, 1, "a3")["value"].update(start=28, end=33),
        "region a3: value.text 'Idlib' differs from the corpus text 'dlib\\n' at 28-33 (the offsets look like UTF-16 code units"),
    "two annotations without ground truth": (
        lambda t: set_(annotations(t, 1)[0], "ground_truth", False),
        "several non-cancelled annotations and no ground truth in task(s) 1: mark one annotation as ground truth"),
    "two ground truths": (
        lambda t: set_(annotations(t, 1)[1], "ground_truth", True),
        "task 1 (doc fx1): 2 annotations marked ground truth (1, 2): keep one"),
    "cancelled-only task": (
        lambda t: set_(annotations(t, 2)[1], "was_cancelled", True),
        "task 2 (doc fx2): every annotation is cancelled"),
    "stale document hash": (
        lambda t: set_(t[0]["data"], "text", t[0]["data"]["text"].replace("Idlib", "Idleb")),
        "task 1 (doc fx1): stale task: its text"),
    "task without text": (
        lambda t: t[1]["data"].pop("text"),
        "task 2: task has no text (data.text)"),
    "duplicated task": (
        lambda t: t.append({**copy.deepcopy(t[0]), "id": 99}),
        "task 99 (doc fx1): a second task for the document (first: task 1)"),
    "unknown from_name": (
        lambda t: set_(region(t, 1, 1, "a1"), "from_name", "ner"),
        "region a1: unknown from_name 'ner'"),
    "relation to a missing region": (
        lambda t: next(r for r in annotations(t, 1)[0]["result"] if r["type"] == "relation").update(to_id="zz"),
        "annotation 1, relation a10 -> zz: relation points to a region that is not in the annotation"),
    "attribute without its region": (
        lambda t: set_(region(t, 1, 1, "a1", "textarea"), "id", "zz"),
        "annotation 1, region zz: attribute 'entity_id' belongs to no span region with this id"),
    "figure value not a number": (
        lambda t: set_(region(t, 1, 1, "a12", "textarea")["value"], "text", ["2,100+"]),
        "region a12 [FIGURE 174-206]: value '2,100+' is not a finite number"),
    "value_max below value": (
        lambda t: annotations(t, 1)[0]["result"].append(
            {"id": "a12", "from_name": "value_max", "to_name": "text", "type": "textarea", "value": {"text": ["10"]}}),
        "region a12 [FIGURE 174-206]: value_max 10.0 is below value 2100.0"),
    "claim without cue": (
        lambda t: annotations(t, 1)[0]["result"].remove(
            next(r for r in annotations(t, 1)[0]["result"] if r.get("to_id") == "a8")),
        "region a10 [CLAIM 35-74]: a claim needs exactly one cue relation, found 0"),
    "duplicate span id": (
        lambda t: annotations(t, 1)[0]["result"].append({**copy.deepcopy(region(t, 1, 1, "a1")), "id": "a99"})
        or annotations(t, 1)[0]["result"].extend(
            {**copy.deepcopy(region(t, 1, 1, "a1", "textarea")), "id": "a99", "from_name": n} for n in ("entity_id", "canonical_name")),
        "entities: doc fx1, span fx1:e0-6: span_id field_uniqueness failed"),
    "entity not on token boundaries": (
        lambda t: region(t, 1, 1, "a4")["value"].update(end=88, text="Turkis"),
        "doc fx1, task 1, region a4: entity NORP 82-88 'Turkis' does not start and end on token boundaries (the `ner` tokens); fix the gold span"),
    "wrong top-level type": (
        lambda t: {"tasks": t},
        "a Label Studio export is a JSON list of tasks, found dict"),
}


@pytest.fixture
def release(fixture_release, tmp_path) -> Path:
    copied = tmp_path / "release"
    shutil.copytree(fixture_release, copied)
    return copied


def run_build(release: Path, export: Path, corpus: Path = FIXTURE_CORPUS) -> int:
    return main(["build", "--corpus", str(corpus), "--export", str(export), "--out", str(release)])


def assert_refused(release: Path, export: Path, expected: str, capsys, corpus: Path = FIXTURE_CORPUS) -> None:
    before = tree_digest(release)
    assert run_build(release, export, corpus) != 0
    err = capsys.readouterr().err
    for line in (expected,) if isinstance(expected, str) else expected:
        assert line in err, err
    assert "nothing was written" in err
    assert tree_digest(release) == before


@pytest.mark.parametrize("case", EXPORT_ERRORS, ids=str)
def test_export_error_is_refused(case, release, tmp_path, capsys):
    mutate, expected = EXPORT_ERRORS[case]
    tasks = load_fixture_export()
    replaced = mutate(tasks)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(replaced if isinstance(replaced, dict) else tasks), encoding="utf-8")
    assert_refused(release, export, expected, capsys)


def test_truncated_export_is_refused(release, tmp_path, capsys):
    export = tmp_path / "export.json"
    export.write_text(json.dumps(load_fixture_export())[:5000], encoding="utf-8")
    assert_refused(release, export, f"{export}: not a readable JSON export", capsys)


CORPUS_ERRORS = {
    "edited text under old annotations": (lambda d: (d / "fx1.txt").write_text("Turkey warns Russia", encoding="utf-8"),
                                          "fx1.txt (doc fx1): text changed: sha256"),
    "missing corpus file": (lambda d: (d / "fx2.txt").unlink(), "fx2.txt (doc fx2): corpus file is missing"),
    "corpus file not UTF-8": (lambda d: (d / "fx2.txt").write_bytes("Ankara déclare".encode("latin-1")),
                              "fx2.txt (doc fx2): not UTF-8 (invalid continuation byte at byte 8)"),
}


@pytest.mark.parametrize("case", CORPUS_ERRORS, ids=str)
def test_corpus_error_is_refused(case, release, tmp_path, capsys):
    mutate, expected = CORPUS_ERRORS[case]
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    mutate(corpus)
    assert_refused(release, Path(__file__).parent / "fixtures" / "export.json", expected, capsys, corpus)


def plant(table: str, column: str, row: int, value):
    """Wraps build_tables so that one cell of the built tables is wrong (what the importer cannot produce)."""
    real = scripts.release.build_tables

    def planted(*args):
        tables = real(*args)
        frame = tables[table]
        tables[table] = frame.with_columns(
            pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))
        return tables
    return planted


TABLE_ERRORS = {
    "dangling claimant": (("claims", "claimant_span_id", 0, "fx1:e1-2"),
                          "claims: doc fx1, span fx1:c35-74: reference_exists failed (claimant_span_id='fx1:e1-2'; no such row in the referenced table)"),
    "duplicate span id": (("entities", "span_id", 1, "fx1:e0-6"),
                          "entities: doc fx1, span fx1:e0-6: span_id field_uniqueness failed (value 'fx1:e0-6')"),
    "unknown label": (("entities", "label", 0, "CITY"),
                      "entities: doc fx1, span fx1:e0-6: label isin("),
    "span text mismatch": (("entities", "text", 0, "Turkei"),
                           "entities: doc fx1, span fx1:e0-6: span_text_matches_document failed (start=0, end=6, text='Turkei'; the document has 'Turkey' there)"),
    "offset past the end": (("figures", "end", 0, 9999),
                            "figures: doc fx1, span fx1:f174-206: span_within_document failed (start=174, end=9999"),
    "span of a missing document": (("figures", "doc_id", 0, "fx9"),
                                   "figures: doc fx9, span fx1:f174-206: reference_exists failed (doc_id='fx9'; no such row in the referenced table)"),
    "overlapping entities": (("entities", "start", 1, 3),
                             "entities: doc fx1, span fx1:e13-19: no_overlap failed (doc_id='fx1', start=3, end=19)"),
    "value_max below value": (("figures", "value_max", 0, 1.0),
                              "figures: doc fx1, span fx1:f174-206: not_below failed (value=2100.0, value_max=1.0)"),
}


@pytest.mark.parametrize("case", TABLE_ERRORS, ids=str)
def test_table_error_is_refused(case, release, monkeypatch, capsys):
    (table, column, row, value), expected = TABLE_ERRORS[case]
    monkeypatch.setattr(scripts.release, "build_tables", plant(table, column, row, value))
    before = tree_digest(release)
    assert run_build(release, Path(__file__).parent / "fixtures" / "export.json") == 1
    err = capsys.readouterr().err
    assert "validation failed" in err and expected in err, err
    assert tree_digest(release) == before
