"""croissant.json: what the build writes is a fresh generation from the release, its FileObjects' sha256 are
the files', and mlcroissant (in a venv of its own, made from scripts/croissant.lock) validates it
and loads every record set with the Parquet's row counts and the label names."""
from __future__ import annotations

import hashlib
import json
import re
import subprocess

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, locked_python
from schemas.tables import SPLIT, TABLES, class_label_of
from scripts.build.croissant import CROISSANT, RECORD_SETS, render, vocabulary_id
from scripts.build.pipeline import dataset_version
from scripts.core.addresses import addresses_in

CROISSANT_LOCK = ROOT / "scripts" / "croissant.lock"
# Run in the Croissant venv: validation issues, and every record set's records (bytes decoded), as JSON.
PROBE = """
import importlib.metadata, json, sys
import mlcroissant as mlc
ds = mlc.Dataset(jsonld=sys.argv[1])
issues = ds.metadata.ctx.issues
out = {"mlcroissant": importlib.metadata.version("mlcroissant"), "errors": sorted(issues.errors),
       "warnings": sorted(issues.warnings), "counts": {}, "first": {}}
for record_set in ds.metadata.record_sets:
    rows = list(ds.records(record_set.uuid))
    out["counts"][record_set.uuid] = len(rows)
    out["first"][record_set.uuid] = rows[0] if rows else None
print(json.dumps(out, default=lambda v: v.decode("utf-8") if isinstance(v, bytes) else str(v), ensure_ascii=False))
"""
DATE_PUBLISHED = '[Metadata(syria-news-spans)] Property "https://schema.org/datePublished" is recommended, but does not exist.'


def committed() -> dict:
    return json.loads((ROOT / CROISSANT).read_text(encoding="utf-8"))


def test_the_committed_croissant_is_a_fresh_generation():
    assert (ROOT / CROISSANT).read_text(encoding="utf-8") == render(ROOT, dataset_version())


def test_the_build_writes_croissant_json_from_what_it_released(fixture_release):
    text = (fixture_release / CROISSANT).read_text(encoding="utf-8")
    assert text == render(fixture_release, dataset_version())
    assert {f["contentUrl"] for f in json.loads(text)["distribution"]} == {
        p.relative_to(fixture_release).as_posix() for p in (fixture_release / "data").rglob("*.parquet")}


def test_every_file_object_is_a_parquet_file_with_its_sha256():
    objects = [d for d in committed()["distribution"] if d["@type"] == "cr:FileObject"]
    assert sorted(o["contentUrl"] for o in objects) == sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "data").rglob("*.parquet"))
    for o in objects:
        data = (ROOT / o["contentUrl"]).read_bytes()
        assert o["sha256"] == hashlib.sha256(data).hexdigest(), o["contentUrl"]
        assert o["contentSize"] == f"{len(data)} B"


def test_the_metadata_is_the_release_s_and_names_no_one():
    meta = committed()
    assert meta["conformsTo"] == "http://mlcommons.org/croissant/1.0" and meta["version"] == dataset_version()
    assert [r["@id"] for r in meta["recordSet"]][:len(RECORD_SETS)] == RECORD_SETS == [t for t in TABLES if t not in ("documents_nested", "bigbio_kb")]
    for key in ("rai:dataCollection", "rai:dataAnnotationProtocol", "rai:dataAnnotationPlatform", "rai:annotationsPerItem",
                "rai:machineAnnotationTools", "rai:dataAnnotationAnalysis", "rai:dataLimitations", "rai:dataBiases",
                "rai:personalSensitiveInformation", "rai:dataUseCases"):
        assert meta[key], key
    assert "exact 0.981 (0.965–0.993)" in meta["rai:dataAnnotationAnalysis"][0]
    text = (ROOT / CROISSANT).read_text(encoding="utf-8")
    assert addresses_in(text) == [] and "annotator-" not in text.replace("annotator-N", "")
    assert not re.search(r"hf_[A-Za-z0-9]{8,}|api[_-]?key|password|credentials", text, re.IGNORECASE)


@pytest.fixture(scope="module")
def croissant_python():
    return locked_python("croissant", CROISSANT_LOCK)


@pytest.mark.slow
def test_mlcroissant_validates_it(croissant_python):
    done = subprocess.run([str(croissant_python.parent / "mlcroissant"), "validate", "--jsonld", str(ROOT / CROISSANT)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done." in done.stderr and "error" not in done.stderr.lower(), done.stderr[-3000:]


@pytest.mark.slow
def test_mlcroissant_loads_every_record_set_with_the_label_names(croissant_python):
    done = subprocess.run([str(croissant_python), "-c", PROBE, str(ROOT / CROISSANT)], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout)
    assert got["mlcroissant"] == "1.1.1"
    assert got["errors"] == [] and got["warnings"] == [DATE_PUBLISHED]
    want = {t: sum(pq.ParquetFile(p).metadata.num_rows for p in (ROOT / "data" / t).glob(f"{SPLIT}-*.parquet")) for t in RECORD_SETS}
    want |= {vocabulary_id(t, c.name): len(class_label_of(c.feature).names) for t in RECORD_SETS for c in TABLES[t] if class_label_of(c.feature)}
    assert got["counts"] == want
    assert got["counts"]["entities"] == 471 and got["counts"]["annotations_raw"] == 2152
    assert got["first"]["entities"] == {
        "entities/doc_id": "d000", "entities/span_id": "d000:e0-6", "entities/start": 0, "entities/end": 6, "entities/text": "Aleppo",
        "entities/label": 4, "entities/label_name": "GPE", "entities/entity_id": "aleppo", "entities/canonical_name": "Aleppo",
        "entities/ls_task_id": 1, "entities/ls_annotation_id": 7, "entities/ls_region_id": "e0_6"}
    assert got["first"]["claims"]["claims/claimant_type_name"] == "named" and got["first"]["figures"]["figures/approx_name"] == "exact"
    assert got["first"]["ner"]["ner/ner_tags"][:3] == [9, 9, 0]
    assert got["first"]["entities_label_names"] == {"entities_label_names/key": 0, "entities_label_names/name": "PERSON"}
