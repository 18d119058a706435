"""The hostile-input catalogue: broken or hostile exports, corpora and tables. Each is refused with a
message naming where the problem is (file, task, document, annotation, region), no e-mail address is
echoed, and the release (data/, README.md, DATASHEET.md) and the export are left byte-identical."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from conftest import FIXTURE_CORPUS, load_fixture_export, tree_digest
from scripts.__main__ import main
from scripts.core.addresses import EMAIL
from scripts.build import buckets


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
        "{export}: task 1 (doc fx1), annotation 1, region a1: unknown label 'CITY' for 'entity' (expected one of PERSON, NORP, FAC, ORG, GPE, "
        "LOC, PRODUCT, EVENT, WORK_OF_ART, LAW, LANGUAGE, DATE, TIME)"),
    "offset past the end": (
        lambda t: set_(region(t, 1, 1, "a13")["value"], "end", 999),
        "{export}: task 1 (doc fx1), annotation 1, region a13: offsets 224-999 are not within 0 <= start < end <= 234 (text length)"),
    "negative offset": (
        lambda t: set_(region(t, 1, 1, "a1")["value"], "start", -1),
        "{export}: task 1 (doc fx1), annotation 1, region a1: offsets -1-6 are not within 0 <= start < end <= 234 (text length)"),
    "span text mismatch": (
        lambda t: set_(region(t, 1, 1, "a1")["value"], "text", "Turkei"),
        "{export}: task 1 (doc fx1), annotation 1, region a1: value.text 'Turkei' differs from the corpus text 'Turkey' at 0-6"),
    "UTF-16 offsets after an emoji": (
        lambda t: region(t, 1, 1, "a3")["value"].update(start=28, end=33),
        "{export}: task 1 (doc fx1), annotation 1, region a3: value.text 'Idlib' differs from the corpus text 'dlib\\n' at 28-33 "
        "(the offsets look like UTF-16 code units; they must be code points)"),
    "two annotations without ground truth": (
        lambda t: set_(annotations(t, 1)[0], "ground_truth", False),
        "{export}: task 1 (doc fx1): 2 annotations and none is the ground truth (annotation 1 by annotator-1, 11 spans, annotation 2 "
        "by annotator-1, 3 spans); review them with `python -m scripts review fx1`, then choose one with "
        "`python -m scripts adjudicate fx1 ANNOTATOR`"),
    "two ground truths": (
        lambda t: set_(annotations(t, 1)[1], "ground_truth", True),
        "{export}: task 1 (doc fx1): 2 annotations marked ground truth (1, 2): keep one"),
    "cancelled-only task": (
        lambda t: set_(annotations(t, 2)[1], "was_cancelled", True),
        "{export}: task 2 (doc fx2): every annotation is cancelled: nothing to take as gold (delete or redo them)"),
    "stale document hash": (
        lambda t: set_(t[0]["data"], "text", t[0]["data"]["text"].replace("Idlib", "Idleb")),
        "{export}: task 1 (doc fx1): stale task: its text (sha256 81fed4bfd27506ef7747c063fd6cc4162e13fd2052b009573fcf96f7bbbeedaf, recorded "
        "f587a82027b63d7ec4d76b44decdfe9905b819aec8c255616dd73054dd56f7f1) is not the corpus text (sha256 "
        "f587a82027b63d7ec4d76b44decdfe9905b819aec8c255616dd73054dd56f7f1); re-push the document and re-annotate"),
    "task without text": (
        lambda t: t[1]["data"].pop("text"),
        "{export}: task 2 (doc fx2): data: missing required field text"),
    "duplicated task": (
        lambda t: t.append({**copy.deepcopy(t[0]), "id": 99}),
        "{export}: task 99 (doc fx1): a second task for the document (first: task 1)"),
    "unknown from_name": (
        lambda t: set_(region(t, 1, 1, "a1"), "from_name", "ner"),
        "{export}: task 1 (doc fx1), annotation 1, region a1: unknown from_name 'ner' (expected one of ['entity', 'span'])"),
    "relation to a missing region": (
        lambda t: next(r for r in annotations(t, 1)[0]["result"] if r["type"] == "relation").update(to_id="zz"),
        "{export}: task 1 (doc fx1), annotation 1, relation a10 -> zz: relation points to a region that is not in the annotation"),
    "attribute without its region": (
        lambda t: set_(region(t, 1, 1, "a1", "textarea"), "id", "zz"),
        "{export}: task 1 (doc fx1), annotation 1, region zz: attribute 'entity_id' belongs to no span region with this id"),
    "figure value not a number": (
        lambda t: set_(region(t, 1, 1, "a12", "textarea")["value"], "text", ["2,100+"]),
        "{export}: task 1 (doc fx1), annotation 1, region a12 [FIGURE 174-206]: value '2,100+' is not a finite number (write digits, e.g. 1400000000)"),
    "value_max below value": (
        lambda t: annotations(t, 1)[0]["result"].append(
            {"id": "a12", "from_name": "value_max", "to_name": "text", "type": "textarea", "value": {"text": ["10"]}}),
        "{export}: task 1 (doc fx1), annotation 1, region a12 [FIGURE 174-206]: value_max 10.0 is below value 2100.0"),
    "claim without cue": (
        lambda t: annotations(t, 1)[0]["result"].remove(
            next(r for r in annotations(t, 1)[0]["result"] if r.get("to_id") == "a8")),
        "{export}: task 1 (doc fx1), annotation 1, region a10 [CLAIM 35-74]: a claim needs exactly one cue relation, found 0"),
    "duplicate span id": (
        lambda t: annotations(t, 1)[0]["result"].append({**copy.deepcopy(region(t, 1, 1, "a1")), "id": "a99"})
        or annotations(t, 1)[0]["result"].extend(
            {**copy.deepcopy(region(t, 1, 1, "a1", "textarea")), "id": "a99", "from_name": n} for n in ("entity_id", "canonical_name")),
        "entities: doc fx1, span fx1:e0-6: span_id field_uniqueness failed (value 'fx1:e0-6')"),
    "entity not on token boundaries": (
        lambda t: region(t, 1, 1, "a4")["value"].update(end=88, text="Turkis"),
        "doc fx1, task 1, region a4: entity NORP 82-88 'Turkis' does not start and end on token boundaries (the `ner` tokens); fix the gold span"),
    "reversed offsets": (
        lambda t: region(t, 1, 1, "a1")["value"].update(start=6, end=0),
        "{export}: task 1 (doc fx1), annotation 1, region a1: offsets 6-0 are not within 0 <= start < end <= 234 (text length)"),
    "export from another project's config": (
        lambda t: [item.update(from_name="label") for item in annotations(t, 1)[0]["result"] if item.get("type") == "labels"],
        "{export}: task 1 (doc fx1), annotation 1, region a1: unknown from_name 'label' (expected one of ['entity', 'span'])"),
    "annotator e-mails in the export": (
        lambda t: set_(annotations(t, 1)[0], "completed_by", {"id": 7, "email": "@".join(["annotator", "example.org"])}),
        "{export}: holds 1 e-mail address(es) of annotators (task(s) 1); an export must be pseudonymized: take it with "
        "`python -m scripts pull`"),
    "wrong top-level type": (
        lambda t: {"tasks": t},
        "{export}: a Label Studio export is a JSON list of tasks, found dict"),
}


@pytest.fixture
def release(fixture_release, tmp_path) -> Path:
    copied = tmp_path / "release"
    shutil.copytree(fixture_release, copied)
    return copied


def run_build(release: Path, export: Path, corpus: Path = FIXTURE_CORPUS) -> int:
    return main(["build", "--corpus", str(corpus), "--export", str(export), "--out", str(release)])


def assert_refused(release: Path, export: Path, expected: str, capsys, corpus: Path = FIXTURE_CORPUS) -> None:
    """The build exits non-zero, one line of its report is exactly `expected` (with the export's and the
    corpus's paths), no e-mail address is echoed, and the release and the export are byte-identical."""
    before, export_before = tree_digest(release), export.read_bytes()
    assert run_build(release, export, corpus) != 0
    err = capsys.readouterr().err
    assert expected.replace("{export}", str(export)).replace("{corpus}", str(corpus)) in err.splitlines(), err
    assert "nothing was written" in err
    assert not EMAIL.search(err)
    assert tree_digest(release) == before
    assert export.read_bytes() == export_before


@pytest.mark.parametrize("case", EXPORT_ERRORS, ids=str)
def test_export_error_is_refused(case, release, tmp_path, capsys):
    mutate, expected = EXPORT_ERRORS[case]
    tasks = load_fixture_export()
    replaced = mutate(tasks)
    export = tmp_path / "export.json"
    export.write_text(json.dumps(replaced if isinstance(replaced, dict) else tasks), encoding="utf-8")
    assert_refused(release, export, expected, capsys)


def huge_task() -> bytes:
    """The fixture export plus a 100 MB task: a text of 100 million characters claiming to be fx1."""
    tasks = load_fixture_export()
    big = copy.deepcopy(tasks[0])
    big.update(id=999, annotations=[])
    big["data"]["text"] = "x" * 100_000_000
    return json.dumps([*tasks, big]).encode()


# Exports that are not well-formed JSON lists of tasks (bytes, and the expected line).
RAW_EXPORTS = {
    "truncated export": (lambda: json.dumps(load_fixture_export())[:5000].encode(),
                         "{export}: not a readable JSON export: the file ends inside a string (truncated?)"),
    "not JSON at all": (lambda: b"\x89PNG\r\n\x1a\n",
                        "{export}: not a readable JSON export: 'utf-8' codec can't decode byte 0x89 in position 0: invalid start byte"),
    "deeply nested JSON": (lambda: b"[" * 200_000 + b"]" * 200_000,
                           "{export}: JSON nested too deeply to be a Label Studio export (depth 200000 > 64)"),
    "100 MB export": (huge_task, "{export}: task 999 (doc fx1): stale task: its text (sha256 9031c1664d8691097a77580cb1141ba470054f87d48af18bd18ecc5ca0121adb, "
                                 "recorded f587a82027b63d7ec4d76b44decdfe9905b819aec8c255616dd73054dd56f7f1) is not the corpus text "
                                 "(sha256 f587a82027b63d7ec4d76b44decdfe9905b819aec8c255616dd73054dd56f7f1); re-push the document and re-annotate"),
}


@pytest.mark.parametrize("case", RAW_EXPORTS, ids=str)
def test_raw_export_is_refused(case, release, tmp_path, capsys):
    make, expected = RAW_EXPORTS[case]
    export = tmp_path / "export.json"
    export.write_bytes(make())
    assert_refused(release, export, expected, capsys)


CORPUS_ERRORS = {
    "edited text under old annotations": (lambda d: (d / "fx1.txt").write_text("Turkey warns Russia", encoding="utf-8"),
                                          "{corpus}/fx1.txt (doc fx1): text changed: sha256 b7299a383fcbada77961a7840bc9477706e61553495891766b66999575b7ab4f "
                                          "but documents.yaml records f587a82027b63d7ec4d76b44decdfe9905b819aec8c255616dd73054dd56f7f1; "
                                          "annotated texts must never be edited"),
    "missing corpus file": (lambda d: (d / "fx2.txt").unlink(), "{corpus}/fx2.txt (doc fx2): corpus file is missing"),
    "control characters in text": (lambda d: (d / "fx2.txt").write_text("Ankara\x07 warns\x1b[31m", encoding="utf-8"),
                                   "{corpus}/fx2.txt (doc fx2): control character U+0007 at offset 6; a text may hold printable "
                                   "characters, spaces, tabs and newlines only"),
    "corpus file not UTF-8": (lambda d: (d / "fx2.txt").write_bytes("Ankara déclare".encode("latin-1")),
                              "{corpus}/fx2.txt (doc fx2): not UTF-8 (invalid continuation byte at byte 8)"),
}


@pytest.mark.parametrize("case", CORPUS_ERRORS, ids=str)
def test_corpus_error_is_refused(case, release, tmp_path, capsys):
    mutate, expected = CORPUS_ERRORS[case]
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    mutate(corpus)
    assert_refused(release, Path(__file__).parent / "fixtures" / "export.json", expected, capsys, corpus)


def plant(table: str, column: str, row: int, value):
    """Wraps the buckets' sorted_tables so that one cell of the built tables is wrong (what the importer cannot produce)."""
    real = buckets.sorted_tables

    def planted(parts, documents):
        tables = real(parts, documents)
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
                      "entities: doc fx1, span fx1:e0-6: label isin(['PERSON', 'NORP', 'FAC', 'ORG', 'GPE', 'LOC', 'PRODUCT', 'EVENT', "
                      "'WORK_OF_ART', 'LAW', 'LANGUAGE', 'DATE', 'TIME']) failed (value 'CITY')"),
    "span text mismatch": (("entities", "text", 0, "Turkei"),
                           "entities: doc fx1, span fx1:e0-6: span_text_matches_document failed (start=0, end=6, text='Turkei'; the document has 'Turkey' there)"),
    "offset past the end": (("figures", "end", 0, 9999),
                            "figures: doc fx1, span fx1:f174-206: span_within_document failed (start=174, end=9999; the document has "
                            "'more than 2100 military\\nvehicles entered Idlib in two weeks.' there)"),
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
    monkeypatch.setattr(buckets, "sorted_tables", plant(table, column, row, value))
    export = Path(__file__).parent / "fixtures" / "export.json"
    before, export_before = tree_digest(release), export.read_bytes()
    assert run_build(release, export) == 1
    err = capsys.readouterr().err
    assert "validation failed" in err and expected in err.splitlines(), err
    assert tree_digest(release) == before and export.read_bytes() == export_before


# The kinds of hostile input the catalogue must cover, each by the name of its case.
REQUIRED_KINDS = [
    "truncated export", "not JSON at all", "wrong top-level type", "task without text", "edited text under old annotations",
    "stale document hash", "negative offset", "reversed offsets", "offset past the end", "UTF-16 offsets after an emoji",
    "span text mismatch", "unknown from_name", "unknown label", "relation to a missing region", "attribute without its region",
    "figure value not a number", "value_max below value", "duplicated task", "two annotations without ground truth",
    "two ground truths", "cancelled-only task", "export from another project's config", "annotator e-mails in the export",
    "100 MB export", "deeply nested JSON", "control characters in text", "corpus file not UTF-8", "missing corpus file",
]


def test_the_catalogue_covers_every_kind():
    catalogue = {*EXPORT_ERRORS, *RAW_EXPORTS, *CORPUS_ERRORS, *(f"table: {k}" for k in TABLE_ERRORS)}
    assert [kind for kind in REQUIRED_KINDS if kind not in catalogue] == []
    assert len(catalogue) >= 25
