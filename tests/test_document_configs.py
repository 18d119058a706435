"""The configs of one row per document: `documents_nested` holds exactly the flat configs' rows, and `bigbio_kb`
passes the checks BigBIO's own harness makes (bigscience-workshop/biomedical, tests/test_bigbio_hub.py)."""
from __future__ import annotations

import re
from collections import Counter

import polars as pl
import pytest
from datasets import load_dataset

from conftest import ROOT
from schemas.bigbio import KB_FEATURES
from schemas.tables import SPAN_LAYERS, SPLIT, TABLES, features
from schemas.validation import validate
from scripts.build.pipeline import read_release


def published(table: str) -> pl.DataFrame:
    """The committed Parquet rows as stored (ClassLabels as their ints)."""
    return pl.read_parquet(ROOT / "data" / table / f"{SPLIT}-*.parquet")


# ---- documents_nested ----

@pytest.mark.parametrize("layer", SPAN_LAYERS)
def test_the_nested_rows_are_the_flat_rows_each_once(layer):
    nested = published("documents_nested").select("doc_id", layer).explode(layer).drop_nulls(layer).unnest(layer)
    flat = published(layer)
    assert nested.columns == flat.columns
    assert nested.equals(flat)  # the same rows, each once, in the flat config's order (document, then offsets)


def test_the_nested_documents_are_the_documents():
    nested = published("documents_nested")
    assert nested.select(c.name for c in TABLES["documents"]).equals(published("documents"))
    counts = nested.select(pl.col(layer).list.len().sum() for layer in SPAN_LAYERS).row(0)
    assert counts == (471, 101, 56)


def test_every_nested_span_text_is_the_document_text_at_its_offsets():
    for doc in published("documents_nested").iter_rows(named=True):
        for layer in SPAN_LAYERS:
            assert all(doc["text"][s["start"]:s["end"]] == s["text"] for s in doc[layer]), (doc["doc_id"], layer)


def test_the_nested_class_labels_are_the_flat_configs():
    nested = features("documents_nested")
    for layer in SPAN_LAYERS:
        assert {k: v for k, v in nested[layer].feature.items()} == {n: f for n, f in features(layer).items() if n != "doc_id"}


def tampered(table: str, column: str, change) -> list[str]:
    tables = read_release(ROOT)
    tables[table] = tables[table].with_columns(change(pl.col(column)).alias(column))
    return validate(tables)


def test_validation_refuses_a_nested_row_that_is_not_the_flat_rows():
    relabelled = tampered("documents_nested", "entities", lambda col: col.list.eval(
        pl.element().struct.with_fields(pl.when(pl.field("span_id") == "d000:e0-6").then(pl.lit("LOC")).otherwise(pl.field("label")).alias("label"))))
    assert relabelled == ["documents_nested: doc d000: holds failed (derived_from_flat=False)"]
    dropped = tampered("bigbio_kb", "relations", lambda col: col.list.slice(1))
    assert dropped == [f"bigbio_kb: doc {d}: holds failed (derived_from_flat=False)" for d in ("d000", "d001", "d002")]


def test_validation_refuses_a_missing_nested_row():
    tables = read_release(ROOT)
    tables["documents_nested"] = tables["documents_nested"].filter(pl.col("doc_id") != "d001")
    assert "documents_nested: doc d001: holds failed (derived_from_flat=False)" in validate(tables)


# ---- bigbio_kb: the checks of BigBIO's harness (there most only log a warning; here each one fails) ----

CONNECTORS = re.compile(r"\+|\,|\||\;")  # the harness's _CONNECTORS


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    return load_dataset(str(ROOT), "bigbio_kb", cache_dir=str(tmp_path_factory.mktemp("cache")))[SPLIT]


def example_text(example: dict) -> str:
    """The harness's _get_example_text: what every offset indexes."""
    return " ".join(t for p in example["passages"] for t in p["text"])


def ids(value) -> list[str]:
    """Every `id` value at any depth (the harness's _assert_ids_globally_unique walks the same way)."""
    if isinstance(value, dict):
        return [v for k, v in value.items() if k == "id" and not isinstance(v, (dict, list))] + [
            i for v in value.values() if isinstance(v, (dict, list)) for i in ids(v)]
    return [i for item in value for i in ids(item)] if isinstance(value, list) else []


def test_kb_features_are_bigbio_s(kb):
    assert kb.info.features == KB_FEATURES == features("bigbio_kb")  # the harness: split.info.features == kb_features


def test_kb_ids_are_unique_across_the_split(kb):
    every = [i for example in kb for i in ids(example)]
    assert len(every) == len(set(every))


def test_kb_references_exist(kb):
    for example in kb:
        entities = {e["id"] for e in example["entities"]}
        referable = entities | {e["id"] for e in example["events"]}
        assert all(r["arg1_id"] in entities and r["arg2_id"] in entities for r in example["relations"]), example["id"]
        assert all(i in entities for c in example["coreferences"] for i in c["entity_ids"]), example["id"]
        assert all(a["ref_id"] in referable for e in example["events"] for a in e["arguments"]), example["id"]


def test_kb_passage_offsets_give_the_passage_text(kb):
    for example in kb:
        text = example_text(example)
        for p in example["passages"]:
            assert len(p["text"]) == len(p["offsets"]) == 1
            assert [text[s:e] for s, e in p["offsets"]] == p["text"]


def test_kb_entity_and_trigger_offsets_give_their_text(kb):
    for example in kb:
        text = example_text(example)
        for span in [*example["entities"], *(e["trigger"] for e in example["events"])]:
            assert len(span["text"]) == len(span["offsets"]) and all(len(o) == 2 for o in span["offsets"])
            assert [text[s:e] for s, e in span["offsets"]] == span["text"], span


def test_kb_has_no_multi_label_types_or_normalizations(kb):
    for example in kb:
        for feature in ("passages", "entities", "relations", "events"):
            assert not [f["type"] for f in example[feature] if CONNECTORS.search(f["type"])]
        links = [v for e in example["entities"] + example["relations"] for n in e["normalized"] for v in n.values()]
        assert not [v for v in links if CONNECTORS.search(v)]


def test_kb_has_every_task_s_features(kb):
    """NER, NED, RE and COREF: the harness requires each one's features to have instances."""
    count = {f: sum(len(example[f]) for example in kb) for f in ("entities", "relations", "coreferences")}
    count["normalized"] = sum(len(e["normalized"]) for example in kb for e in example["entities"])
    assert all(count.values()), count


def test_kb_holds_every_span_of_the_flat_configs(kb):
    kinds = Counter(e["type"] if e["type"] in ("CLAIM", "CUE", "FIGURE") else "mention" for example in kb for e in example["entities"])
    claims = published("claims")
    assert kinds == {"mention": 471, "CLAIM": 101, "FIGURE": 56, "CUE": claims.select("doc_id", "cue_start", "cue_end").n_unique()}
    relations = Counter(r["type"] for example in kb for r in example["relations"])
    assert relations == {"cue": 101, "claimant": claims["claimant_span_id"].is_not_null().sum()}
