"""The data contract: the schema gate on the working tree (what CI enforces), each class of schema change
made by a real edit of a copy of the project, `release`, `annotation-diff` and `publish --dry-run`."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, tree_digest
from schemas import contract
from scripts.build.pipeline import dataset_version
from scripts.release.versions import bump

VERSION = dataset_version()
MINOR, MAJOR, PATCH = bump(VERSION, "minor"), bump(VERSION, "breaking"), bump(VERSION, "patch")


def run(project: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scripts", *args], cwd=project, capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})})


def test_the_working_schema_passes_the_gate():
    assert contract.gate(dataset_version(), (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")) == []


def test_the_current_version_has_its_snapshot_and_changelog_entry():
    version = dataset_version()
    assert contract.latest_snapshot()[0] == version
    assert contract.classify(contract.latest_snapshot()[1], contract.snapshot())[0] == "none"
    assert contract.changelog_has((ROOT / "CHANGELOG.md").read_text(encoding="utf-8"), version)


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the code, schemas, snapshots and changelog: what the gate reads."""
    copy = tmp_path / "project"
    for name in ("schemas", "scripts"):
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "CHANGELOG.md"):
        shutil.copy(ROOT / name, copy / name)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def set_version(project: Path, version: str) -> None:
    edit(project / "pyproject.toml", f'version = "{dataset_version(project)}"', f'version = "{version}"')


def add_entry(project: Path, version: str) -> None:
    changelog = project / "CHANGELOG.md"
    changelog.write_text(changelog.read_text(encoding="utf-8").replace("\n## ", f"\n## {version} — test\n\nSchema change.\n\n## ", 1))


SCHEMA_EDITS = {
    "column renamed": ("schemas/tables.py", '_string("unit", "Unit', '_string("units", "Unit',
                       "breaking", "figures: column unit removed"),
    "vocabulary label removed": ("schemas/vocab.py", '"duration", "rate")', '"duration")',
                                 "breaking", "column kind: values removed from the vocabulary: ['rate']"),
    "nullability tightened": ("schemas/tables.py", '"Upper end of a range, else null; never below `value`.", nullable=True)',
                              '"Upper end of a range, else null; never below `value`.")',
                              "breaking", "figures: column value_max: nullable True -> False"),
    "check tightened": ("schemas/tables.py", '_string("unit", "Unit or counted noun (people, USD, km, %); money: the ISO 4217 currency code.")',
                        '_string("unit", "Unit or counted noun (people, USD, km, %); money: the ISO 4217 currency code.", checks=(pa.Check.str_length(1, 40),))',
                        "breaking", "figures: column unit: check str_length added"),
    "config removed": ("schemas/tables.py", 'SPAN_LAYERS = ("entities", "claims", "figures")',
                       'del TABLES["ner"]\nSPAN_LAYERS = ("entities", "claims", "figures")',
                       "breaking", "ner: config removed"),
    "dtype changed": ("schemas/tables.py", '_int("n_chars", "Length of `text` in code points.")',
                      'Column("n_chars", Value("int64"), "Length of `text` in code points.", checks=(pa.Check.ge(0),))',
                      "breaking", "documents: column n_chars: dtype Int32 -> Int64"),
    "uniqueness tightened": ("schemas/tables.py", '"Cross-document entity id: the same real-world entity has the same id in every document.")',
                             '"Cross-document entity id: the same real-world entity has the same id in every document.", unique=True)',
                             "breaking", "entities: column entity_id: unique False -> True"),
    "new config": ("schemas/tables.py", "def arrow_type(column: Column)",
                   'TABLES["sources"] = [_string("doc_id", "Document."), _string("outlet", "Outlet.", nullable=True)]\n'
                   'TABLE_CHECKS["sources"], VIEW_COLUMNS["sources"] = [], {}\n\n\ndef arrow_type(column: Column)',
                   "minor", "sources: new config"),
    "new nullable column": ("schemas/tables.py", '        _string("claim_span_id", "The innermost claim',
                            '        _string("source_note", "Free note.", nullable=True),\n        _string("claim_span_id", "The innermost claim',
                            "minor", "figures: new nullable column source_note"),
    "vocabulary grows": ("schemas/vocab.py", '"duration", "rate")', '"duration", "rate", "speed")',
                         "minor", "column kind: ClassLabel names appended: ['speed']"),
    "description only": ("schemas/tables.py", '"Kind of quantity."', '"Kind of quantity (count, money, …)."',
                         "patch", "figures: column kind: description changed"),
}


@pytest.mark.parametrize("case", SCHEMA_EDITS, ids=str)
def test_schema_diff_classifies_a_real_edit(case, project):
    path, old, new, level, change = SCHEMA_EDITS[case]
    edit(project / path, old, new)
    done = run(project, "schema-diff")
    assert done.returncode == 0, done.stderr
    assert f"schema change since v{dataset_version()}: {level}" in done.stdout
    assert change in done.stdout


def test_the_gate_blocks_a_breaking_change_without_a_major_bump_and_passes_it_with_one(project):
    path, old, new, *_ = SCHEMA_EDITS["column renamed"]
    edit(project / path, old, new)
    refused = run(project, "schema-diff", "--gate")
    assert refused.returncode == 1 and f"the schema changed (breaking) since v{VERSION} but the version is still {VERSION}" in refused.stderr
    set_version(project, MINOR)
    add_entry(project, MINOR)
    minor_only = run(project, "schema-diff", "--gate")
    assert minor_only.returncode == 1 and f"a breaking schema change needs a major version above v{VERSION}, found {MINOR}" in minor_only.stderr
    set_version(project, MAJOR)
    no_entry = run(project, "schema-diff", "--gate")
    assert no_entry.returncode == 1 and f"CHANGELOG.md has no entry '## {MAJOR}'" in no_entry.stderr
    add_entry(project, MAJOR)
    passed = run(project, "schema-diff", "--gate")
    assert passed.returncode == 0, passed.stderr
    assert f"schema gate: passed at version {MAJOR}" in passed.stdout


def test_the_gate_passes_a_minor_change_with_a_minor_bump(project):
    path, old, new, *_ = SCHEMA_EDITS["new nullable column"]
    edit(project / path, old, new)
    assert run(project, "schema-diff", "--gate").returncode == 1
    set_version(project, MINOR)
    add_entry(project, MINOR)
    assert run(project, "schema-diff", "--gate").returncode == 0


# ---- release and annotation-diff on a clone of the real history ----

@pytest.fixture
def clone(tmp_path) -> Path:
    """A git clone of the project at its last commit, with the tags."""
    target = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


def change_one_gold_label(export: Path, label: str = "LOC") -> None:
    tasks = json.loads(export.read_text(encoding="utf-8"))
    gold = next(a for a in tasks[0]["annotations"] if a["ground_truth"])
    region = next(r for r in gold["result"] if r["id"] == "e0_6" and r["type"] == "labels")
    region["value"]["labels"] = [label]  # d000 "Aleppo" GPE -> LOC
    export.write_text(json.dumps(tasks, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def test_annotation_diff_of_the_committed_release_and_export_is_empty(clone):
    done = run(clone, "annotation-diff", "git:HEAD", "annotations/export.json", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {}


def test_annotation_diff_lists_a_changed_label(clone):
    change_one_gold_label(clone / "annotations" / "export.json")
    text = run(clone, "annotation-diff", "git:HEAD")
    assert text.stdout.splitlines()[:2] == [
        "d000: entities +0 -0 ~1",
        "  ~ d000 entities d000:e0-6 'Aleppo' label: 'GPE' -> 'LOC'",
    ]
    as_json = json.loads(run(clone, "annotation-diff", "git:HEAD", "--json").stdout)
    assert as_json == {"d000": {"entities": {"added": [], "removed": [], "changed": [
        {"span_id": "d000:e0-6", "text": "Aleppo", "changes": {"label": ["GPE", "LOC"]}}]}}}


def test_annotation_diff_refuses_an_unknown_ref(clone):
    done = run(clone, "annotation-diff", "git:no-such-tag")
    assert done.returncode == 2 and "git:no-such-tag" in done.stderr


def test_release_of_a_corrected_label_is_a_patch(clone):
    change_one_gold_label(clone / "annotations" / "export.json")
    done = run(clone, "release", "--since", "git:HEAD")
    assert done.returncode == 0, done.stderr
    version = PATCH
    assert f"git tag v{version}" in done.stdout and f'revision="v{version}"' in done.stdout
    assert dataset_version(clone) == version
    assert (clone / "schemas" / "snapshots" / f"v{version}.json").exists()
    changelog = (clone / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog.split(f"## {version} — ")[1].split("\n## ")[0]
    assert f"Schema: none change since v{VERSION}." in entry
    assert "- d000: entities +0 -0 ~1" in entry
    assert f"version: {version}" in (clone / "README.md").read_text(encoding="utf-8")
    after = run(clone, "schema-diff", "--gate")
    assert after.returncode == 0 and f"passed at version {version}" in after.stdout


def test_release_refused_by_a_broken_export_leaves_everything(clone):
    change_one_gold_label(clone / "annotations" / "export.json", "CITY")
    before = tree_digest(clone / "data") | {"pyproject.toml": (clone / "pyproject.toml").read_text()}
    done = run(clone, "release", "--since", "git:HEAD")
    assert done.returncode == 2 and "release refused" in done.stderr and "unknown label 'CITY'" in done.stderr
    assert tree_digest(clone / "data") | {"pyproject.toml": (clone / "pyproject.toml").read_text()} == before
    assert not (clone / "schemas" / "snapshots" / f"v{PATCH}.json").exists()


def test_release_without_since_diffs_against_the_last_release(clone):
    """The last release is its tag when there is one, else the last commit that wrote its schema snapshot."""
    snapshot_commit = subprocess.run(["git", "-C", str(clone), "log", "-1", "--format=%H", "--",
                                      f"schemas/snapshots/v{VERSION}.json"], capture_output=True, text=True, check=True).stdout.split()[0]
    change_one_gold_label(clone / "annotations" / "export.json")
    done = run(clone, "release")
    assert done.returncode == 0, done.stderr
    entry = (clone / "CHANGELOG.md").read_text(encoding="utf-8").split(f"## {PATCH} — ")[1].split("\n## ")[0]
    assert f"Annotations (gold, against git:{snapshot_commit}):" in entry
    assert "- d000: entities +0 -0 ~1" in entry


# ---- publish ----

def test_publish_dry_run_lists_the_release_without_network(clone):
    done = run(clone, "publish", "someone/syria-news-spans", "--dry-run")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("would upload 53 file(s), ") and lines[0].endswith(
        f"to https://huggingface.co/datasets/someone/syria-news-spans (main), then tag v{VERSION}:")
    assert [line.split()[0] for line in lines[1:]] == [
        *(f"data/{t}/test-00000-of-00001.parquet" for t in sorted(["annotations_raw", "bigbio_kb", "claims", "documents", "documents_nested",
                                                                    "entities", "figures", "ner"])),
        "README.md", "DATASHEET.md", "croissant.json", "CHANGELOG.md",
        # every file the card and the datasheet link to, read from their links
        "LICENSE.md", "annotations/GUIDELINES.md", "annotations/adjudication.json", "annotations/corrections-rev3.json",
        "annotations/export.json", "annotations/labeling_config.xml", "docs/annotating.md", "docs/bad-input.md",
        "docs/benchmark-2026-11-30.json", "docs/how-it-is-built.md", "docs/performance.md", "docs/versions.md",
        # the scorer and what it imports, read from its imports
        "scripts/__init__.py", "scripts/core/__init__.py", "scripts/core/files.py", "scripts/core/intervals.py", "scripts/core/lazy.py",
        "scripts/core/model.py", "scripts/core/tokens.py", "scripts/evaluate/__init__.py", "scripts/evaluate/__main__.py",
        "scripts/evaluate/agreement.py", "scripts/evaluate/baselines.py", "scripts/evaluate/bootstrap.py", "scripts/evaluate/cli.py",
        "scripts/evaluate/counting.py", "scripts/evaluate/inputs.py", "scripts/evaluate/schemes.py", "scripts/evaluate/scorer.py",
        # every export of the release, made for the upload (`python -m scripts export`)
        *(f"exports/brat/{f}" for f in ("annotation.conf", "d000.ann", "d000.txt", "d001.ann", "d001.txt", "d002.ann", "d002.txt")),
        "exports/conll/test.conll", "exports/labelstudio/labeling_config.xml", "exports/labelstudio/tasks.json",
        "exports/spacy/test.spacy", "exports/spacy/tokenizer.py"]


def test_publish_refuses_data_that_is_not_the_release_of_the_card(clone):
    import polars as pl

    path = clone / "data" / "entities" / "test-00000-of-00001.parquet"
    table = pl.read_parquet(path)
    table.with_columns(pl.when(pl.int_range(pl.len()) == 0).then(pl.lit("Alepo")).otherwise(pl.col("text")).alias("text")).write_parquet(path)
    done = run(clone, "publish", "someone/syria-news-spans", "--dry-run")
    assert done.returncode == 2
    assert "publish refused: the data is not the release the card describes" in done.stderr
    assert "README.md: configs differs from what the build writes for data/" in done.stderr
