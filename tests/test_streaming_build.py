"""The streaming build: however the export is cut into chunks, read by worker processes or not, its
documents grouped in buckets, its tasks ordered or its waiting rows spilled to disk, the release is
the same bytes; and what goes wrong in a worker is reported as it would be in the build's own process."""
from __future__ import annotations

import json
import random

import pytest

from conftest import release_root, tree_digest
from scripts.build import buckets, importer
from scripts.__main__ import main
from scripts.build.pipeline import build
from scripts.scale.synth import generate


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """30 synthetic documents (about 3,000 gold spans) and the release the plain build makes of them."""
    folder = tmp_path_factory.mktemp("synthetic")
    corpus, export = generate(folder, 3_000, seed=3)
    root = release_root(folder / "plain")
    build(corpus, export, root, workers=0)
    return corpus, export, tree_digest(root)


def test_workers_chunks_and_buckets_do_not_change_a_byte(synthetic, tmp_path, monkeypatch):
    corpus, export, plain = synthetic
    monkeypatch.setattr(importer, "CHUNK_BYTES", 60_000)  # a dozen chunks
    monkeypatch.setattr(buckets, "DOCS_PER_BUCKET", 4)  # eight buckets
    root = release_root(tmp_path / "parallel")
    build(corpus, export, root, workers=2)
    assert tree_digest(root) == plain


def test_tasks_in_any_order_and_spilled_rows_do_not_change_a_byte(synthetic, tmp_path, monkeypatch):
    corpus, export, plain = synthetic
    tasks = json.loads(export.read_text(encoding="utf-8"))
    random.Random(5).shuffle(tasks)
    shuffled = tmp_path / "shuffled.json"
    shuffled.write_text(json.dumps(tasks, indent=2, ensure_ascii=False), encoding="utf-8")  # another layout too
    monkeypatch.setattr(buckets, "DOCS_PER_BUCKET", 3)
    monkeypatch.setattr(buckets, "SPILL_ROWS", 500)  # rows wait on disk
    monkeypatch.setattr(importer, "CHUNK_BYTES", 60_000)
    spilled = []
    real_spill = buckets.Buckets._spill
    monkeypatch.setattr(buckets.Buckets, "_spill", lambda self: (spilled.append(self.waiting_rows), real_spill(self)))
    root = release_root(tmp_path / "shuffled")
    build(corpus, shuffled, root, workers=0)
    assert len(spilled) > 3
    assert tree_digest(root) == plain


def refused_by_workers(corpus, export, root, capsys, monkeypatch) -> list[str]:
    """Builds with worker processes, as for a large export; the build must refuse and change nothing.
    Returns the lines it printed."""
    monkeypatch.setattr(importer, "PARALLEL_BYTES", 0)
    monkeypatch.setattr(importer, "CHUNK_BYTES", 60_000)
    before = tree_digest(root)
    assert main(["build", "--corpus", str(corpus), "--export", str(export), "--out", str(root)]) == 2
    err = capsys.readouterr().err
    assert "nothing was written" in err and tree_digest(root) == before
    return err.splitlines()


def test_a_problem_found_in_a_worker_is_reported_with_its_place(synthetic, tmp_path, capsys, monkeypatch):
    corpus, export, _ = synthetic
    tasks = json.loads(export.read_text(encoding="utf-8"))
    region = next(r for r in tasks[17]["annotations"][0]["result"] if r["type"] == "labels")
    region["value"]["labels"] = ["CITY"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(tasks), encoding="utf-8")
    lines = refused_by_workers(corpus, broken, release_root(tmp_path / "release"), capsys, monkeypatch)
    assert (f"{broken}: task 18 (doc s0000017), annotation 35, region {region['id']}: unknown label 'CITY' for 'entity' "
            "(expected one of PERSON, NORP, FAC, ORG, GPE, LOC, PRODUCT, EVENT, WORK_OF_ART, LAW, LANGUAGE, DATE, TIME)") in lines


def test_a_truncated_large_export_is_refused(synthetic, tmp_path, capsys, monkeypatch):
    corpus, export, _ = synthetic
    truncated = tmp_path / "truncated.json"
    truncated.write_bytes(b"\n".join(export.read_bytes().split(b"\n")[:11]))  # "[" and ten whole tasks (one per line)
    lines = refused_by_workers(corpus, truncated, release_root(tmp_path / "release"), capsys, monkeypatch)
    assert [line for line in lines if line.startswith(f"{truncated}: ")] == [
        f"{truncated}: not a readable JSON export: the file ends inside a list or an object (truncated?)"]
