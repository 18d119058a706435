"""The release: byte-reproducible, readable by other Parquet readers, typed by the declared features."""
from __future__ import annotations

import json
import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest
from datasets import Features

from conftest import FIXTURE_CORPUS, FIXTURE_EXPORT, ROOT, load_fixture_export, release_root, tree_digest
from schemas.tables import TABLES, features
from schemas.validation import validate
from scripts.build.pipeline import build, read_release

PARQUET = "data/{}/test-00000-of-00001.parquet"


def test_build_is_byte_reproducible(fixture_release, tmp_path):
    again = release_root(tmp_path / "again")
    build(FIXTURE_CORPUS, FIXTURE_EXPORT, again)
    first, second = tree_digest(fixture_release), tree_digest(again)
    assert sorted(first) == ["DATASHEET.md", "README.md", "croissant.json", *sorted(PARQUET.format(t) for t in TABLES)]
    assert first == second


@pytest.mark.parametrize("table", TABLES)
def test_parquet_embeds_the_declared_features(fixture_release, table):
    schema = pq.read_schema(fixture_release / PARQUET.format(table))
    embedded = json.loads(schema.metadata[b"huggingface"])["info"]["features"]
    assert Features.from_dict(embedded) == features(table)
    assert pq.read_metadata(fixture_release / PARQUET.format(table)).created_by.startswith("parquet-cpp-arrow version 26.0.1")


@pytest.mark.parametrize("table", TABLES)
def test_polars_and_duckdb_read_the_same_rows(fixture_release, table):
    path = fixture_release / PARQUET.format(table)
    arrow_rows = pq.read_table(path).to_pylist()
    assert pl.read_parquet(path).to_dicts() == arrow_rows
    con = duckdb.connect()
    cursor = con.execute(f"SELECT * FROM read_parquet('{path}')")
    names = [d[0] for d in cursor.description]
    assert [dict(zip(names, r)) for r in cursor.fetchall()] == arrow_rows
    assert names == [c.name for c in TABLES[table]]


def test_class_labels_are_stored_as_their_indices(fixture_release):
    entities = pl.read_parquet(fixture_release / PARQUET.format("entities"))
    names = features("entities")["label"].names
    assert [names[i] for i in entities["label"]] == ["GPE", "GPE", "GPE", "NORP", "PERSON", "ORG", "GPE", "GPE", "GPE", "GPE"]


def test_published_tables_pass_their_schemas(fixture_release):
    tables = read_release(fixture_release)  # ClassLabel ints back to names, as the build validated them
    assert {t: f.height for t, f in tables.items()} == {
        "documents": 2, "entities": 10, "claims": 4, "figures": 4, "ner": 4, "annotations_raw": 21, "documents_nested": 2, "bigbio_kb": 2}
    assert validate(tables) == []


def test_span_ids_survive_a_rebuild(fixture_release, tmp_path):
    """Relabel one entity and delete another: every other span keeps its id."""
    tasks = load_fixture_export()
    gold = tasks[1]["annotations"][1]["result"]
    next(r for r in gold if r["id"] == "c3" and r["type"] == "labels")["value"]["labels"] = ["ORG"]
    gold[:] = [r for r in gold if r.get("id") != "c2"]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    root = release_root(tmp_path / "rebuilt")
    build(FIXTURE_CORPUS, export, root)
    before = pl.read_parquet(fixture_release / PARQUET.format("entities"))
    after = pl.read_parquet(root / PARQUET.format("entities"))
    assert set(before["span_id"]) - set(after["span_id"]) == {"fx2:e46-52"}
    assert set(after["span_id"]) < set(before["span_id"])
    changed = before.join(after, on="span_id").filter(pl.col("label") != pl.col("label_right"))
    assert changed["span_id"].to_list() == ["fx2:e58-64"]


def test_committed_release_is_what_the_committed_inputs_build(tmp_path):
    """data/, README.md, DATASHEET.md (its counts included) and croissant.json are current: a stale card fails here."""
    root = release_root(tmp_path / "repo")
    export = ROOT / "annotations" / "export.json"
    build(ROOT / "corpus", export if export.exists() else None, root)
    committed = {k: v for k, v in tree_digest(ROOT).items() if k.startswith("data/") or k in ("README.md", "DATASHEET.md", "croissant.json")}
    assert tree_digest(root) == committed, "run scripts/build.sh and commit the result"
