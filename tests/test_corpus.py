"""The stored texts are the seeds, byte for byte, and their metadata is what the texts support."""
from __future__ import annotations

import hashlib
import os

import pytest
import yaml

from conftest import ROOT
from scripts.core.corpus import load_corpus

SEEDS = ROOT.parent / "shared" / "seeds"
ENTRIES = yaml.safe_load((ROOT / "corpus" / "documents.yaml").read_text(encoding="utf-8"))["documents"]


def test_corpus_has_the_three_seed_articles():
    assert [e["doc_id"] for e in ENTRIES] == ["d000", "d001", "d002"]
    assert sorted(p.name for p in (ROOT / "corpus").glob("*.txt")) == ["d000.txt", "d001.txt", "d002.txt"]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["doc_id"])
def test_text_is_byte_identical_to_its_seed(entry):
    if not SEEDS.is_dir():
        assert not os.environ.get("CI"), f"CI must have the seed folder {SEEDS} beside the checkout"
        pytest.skip(f"seed folder {SEEDS} is not beside this checkout")
    stored = (ROOT / "corpus" / f"{entry['doc_id']}.txt").read_bytes()
    assert stored == (SEEDS / entry["source_file"]).read_bytes()


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["doc_id"])
def test_hash_and_length_match_the_text(entry):
    raw = (ROOT / "corpus" / f"{entry['doc_id']}.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == entry["text_sha256"]
    assert len(raw.decode("utf-8")) == entry["n_chars"]


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e["doc_id"])
def test_metadata_is_supported_by_the_text(entry):
    text = (ROOT / "corpus" / f"{entry['doc_id']}.txt").read_text(encoding="utf-8")
    if entry["title"] is not None:
        assert entry["title"] == text.splitlines()[0]
    if entry["publisher"] is not None:
        assert entry["publisher"] in text
    if entry["published"] is not None:
        d = entry["published"]
        assert f"{d:%B} {d.day}, {d.year}" in text
    assert entry["language"] == "en" and "not licensed by this project" in entry["rights"]


def test_corpus_loads_with_expected_titles_and_dates():
    docs = load_corpus(ROOT / "corpus")
    assert [(d.title is None, str(d.published)) for d in docs.values()] == [(True, "None"), (False, "None"), (False, "2016-02-04")]
    assert [d.n_chars for d in docs.values()] == [2450, 2349, 17016]
