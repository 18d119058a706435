"""`load_dataset` in a venv with only `datasets` installed reads every config as the build declared it."""
from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pyarrow.parquet as pq
from datasets import Features
from huggingface_hub import DatasetCard

from conftest import FIXTURE_CORPUS, FIXTURE_EXPORT, ROOT, load_fixture_export, release_root
from schemas.tables import TABLES, features
from scripts.build.pipeline import build, dataset_version

PROBE = Path(__file__).parent / "load_probe.py"


def load(python: Path, release: Path, cache: Path, configs) -> dict:
    done = subprocess.run([str(python), str(PROBE), str(release), str(cache), *configs],
                          capture_output=True, text=True, cwd=cache.parent)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_every_config_loads_with_the_declared_features(datasets_only_python, fixture_release, tmp_path):
    loaded = load(datasets_only_python, fixture_release, tmp_path / "cache", TABLES)
    assert loaded["ours_importable"] == []
    readme = (fixture_release / "README.md").read_text(encoding="utf-8")
    declared = {i["config_name"]: i for i in DatasetCard.load(fixture_release / "README.md").data.to_dict()["dataset_info"]}
    for table in TABLES:
        got = loaded[table]
        parquet = fixture_release / f"data/{table}/test-00000-of-00001.parquet"
        assert Features.from_dict(got["features"]) == features(table)
        assert got["splits"] == {"test": pq.read_metadata(parquet).num_rows}
        assert declared[table]["splits"] == [{"name": "test", "num_bytes": declared[table]["dataset_size"],
                                              "num_examples": got["splits"]["test"]}]
        assert Features._from_yaml_list(declared[table]["features"]) == features(table)
        assert got["version"] == dataset_version()
        assert got["repr"] in readme  # the card shows what load_dataset really prints
        first = pq.read_table(parquet).slice(0, 1).to_pylist()[0]
        assert got["first"] == json.loads(json.dumps(first, default=str, ensure_ascii=False))


def test_fixture_first_figure_literally(datasets_only_python, fixture_release, tmp_path):
    got = load(datasets_only_python, fixture_release, tmp_path / "cache", ["figures"])["figures"]
    assert got["splits"] == {"test": 4}
    assert got["first"] == {
        "doc_id": "fx1", "span_id": "fx1:f174-206", "start": 174, "end": 206,
        "text": "more than 2100 military\nvehicles", "value": 2100.0, "value_max": None,
        "unit": "military vehicles", "approx": 2, "kind": 0, "claim_span_id": "fx1:c174-233",
        "ls_task_id": 1, "ls_annotation_id": 1, "ls_region_id": "a12",
    }


def test_a_rebuilt_release_is_not_served_stale_from_the_cache(datasets_only_python, tmp_path):
    root = release_root(tmp_path / "syria-news-spans")
    export = tmp_path / "export.json"
    tasks = load_fixture_export()
    export.write_text(json.dumps(tasks), encoding="utf-8")
    build(FIXTURE_CORPUS, export, root)
    cache = tmp_path / "cache"
    assert load(datasets_only_python, root, cache, ["entities"])["entities"]["first"]["label"] == 4  # GPE
    # Same row count and size, one label changed: only the content hash in the card tells.
    next(r for r in tasks[0]["annotations"][0]["result"] if r["id"] == "a1")["value"]["labels"] = ["LOC"]
    export.write_text(json.dumps(tasks), encoding="utf-8")
    build(FIXTURE_CORPUS, export, root)
    assert load(datasets_only_python, root, cache, ["entities"])["entities"]["first"]["label"] == 5  # LOC


def test_the_committed_release_loads(datasets_only_python, tmp_path):
    copy = tmp_path / "syria-news-spans"
    shutil.copytree(ROOT / "data", copy / "data")
    shutil.copy(ROOT / "README.md", copy / "README.md")
    everything = load(datasets_only_python, copy, tmp_path / "cache", TABLES)
    loaded = everything["documents"]
    assert loaded["splits"] == {"test": 3}
    assert loaded["first"]["doc_id"] == "d000" and loaded["first"]["n_chars"] == 2450
    assert loaded["first"]["text"] == (ROOT / "corpus" / "d000.txt").read_text(encoding="utf-8")
    assert {t: everything[t]["splits"]["test"] for t in TABLES} == {
        "documents": 3, "entities": 471, "claims": 101, "figures": 56, "ner": 177, "annotations_raw": 2152,
        "documents_nested": 3, "bigbio_kb": 3}
    nested = everything["documents_nested"]
    assert {layer: sum(len(doc[layer]) for doc in nested["rows"]) for layer in ("entities", "claims", "figures")} == {
        "entities": 471, "claims": 101, "figures": 56}
    assert [doc["doc_id"] for doc in nested["rows"]] == ["d000", "d001", "d002"]
    assert nested["first"]["entities"][0] == {  # the first entity of the first document, literally
        "span_id": "d000:e0-6", "start": 0, "end": 6, "text": "Aleppo", "label": 4, "entity_id": "aleppo",
        "canonical_name": "Aleppo", "ls_task_id": 1, "ls_annotation_id": 7, "ls_region_id": "e0_6"}
    assert Features.from_dict(nested["features"])["entities"].feature["label"].int2str(4) == "GPE"
    kb = everything["bigbio_kb"]["first"]
    assert (kb["id"], kb["document_id"], kb["passages"][0]["offsets"], kb["events"]) == ("d000", "d000", [[0, 2450]], [])
    assert kb["entities"][0] == {"id": "d000:e0-6", "type": "GPE", "text": ["Aleppo"], "offsets": [[0, 6]],
                                 "normalized": [{"db_name": "syria-news-spans", "db_id": "aleppo"}]}
    assert kb["relations"][:2] == [
        {"id": "d000:c128-211:claimant", "type": "claimant", "arg1_id": "d000:c128-211", "arg2_id": "d000:e116-122", "normalized": []},
        {"id": "d000:c128-211:cue", "type": "cue", "arg1_id": "d000:c128-211", "arg2_id": "d000:cue123-127", "normalized": []}]
    ner = everything["ner"]
    assert Features.from_dict(ner["features"]) == features("ner")
    tags = features("ner")["ner_tags"].feature.int2str(ner["first"]["ner_tags"])
    assert (ner["first"]["span_id"], ner["first"]["tokens"][:3], tags[:3]) == (
        "d000:s0-114", ["Aleppo", "Syria", "Smoke"], ["B-GPE", "B-GPE", "O"])


def test_fixture_first_sentence_of_ner_literally(datasets_only_python, fixture_release, tmp_path):
    got = load(datasets_only_python, fixture_release, tmp_path / "cache", ["ner"])["ner"]
    names = Features.from_dict(got["features"])["ner_tags"].feature.names
    first = got["first"]
    assert {k: first[k] for k in ("doc_id", "span_id", "start", "end", "tokens")} == {
        "doc_id": "fx1", "span_id": "fx1:s0-32", "start": 0, "end": 32,
        "tokens": ["Turkey", "warns", "Russia", "🚀", "over", "Idlib"],
    }
    assert [names[t] for t in first["ner_tags"]] == ["B-GPE", "O", "B-GPE", "O", "O", "B-GPE"]
    text = (FIXTURE_CORPUS / "fx1.txt").read_text(encoding="utf-8")
    assert [text[s:e] for s, e in zip(first["token_starts"], first["token_ends"])] == first["tokens"]


def test_a_sharded_release_loads_every_shard(datasets_only_python, fixture_release, tmp_path):
    root = release_root(tmp_path / "sharded")
    build(FIXTURE_CORPUS, FIXTURE_EXPORT, root, shard_rows=3)
    shards = sorted(p.name for p in (root / "data" / "entities").iterdir())
    assert shards == [f"test-0000{i}-of-00004.parquet" for i in range(4)]  # 10 entities, 3 per file
    loaded = load(datasets_only_python, root, tmp_path / "cache", ["entities"])["entities"]
    assert loaded["splits"] == {"test": 10}
    whole = pq.read_table(fixture_release / "data/entities/test-00000-of-00001.parquet")
    assert pq.read_table(root / "data/entities").to_pylist() == whole.to_pylist()
