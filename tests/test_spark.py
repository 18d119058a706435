"""The same validation rules on Spark (local[2], its own venv), in one Spark session: the committed release
passes, a copy with planted errors fails with the failures the local validation finds."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest

from conftest import ROOT
from schemas.validation import validate
from scripts.build.pipeline import read_release

SPARK_SH = ROOT / "scripts" / "spark.sh"


@pytest.fixture(scope="module")
def spark_python() -> Path:
    done = subprocess.run(["bash", str(SPARK_SH), "--setup-only"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return Path(done.stdout.strip()) / "bin" / "python"


def plant(path: Path, column: str, row: int, value) -> None:
    frame = pl.read_parquet(path)
    frame.with_columns(pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)).write_parquet(path)


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    """A copy of the committed release with three errors planted."""
    copy = tmp_path_factory.mktemp("planted") / "release"
    shutil.copytree(ROOT / "data", copy / "data")
    entities, claims = (copy / f"data/{t}/test-00000-of-00001.parquet" for t in ("entities", "claims"))
    plant(entities, "text", 0, "Alepo")
    plant(claims, "claimant_span_id", 0, "d000:e1-2")
    russia_in_d002 = pl.read_parquet(entities).with_row_index().filter((pl.col("entity_id") == "russia") & (pl.col("doc_id") == "d002"))["index"][0]
    plant(entities, "canonical_name", russia_in_d002, "Russian Federation")
    return copy


@pytest.fixture(scope="module")
def spark_run(spark_python, planted) -> tuple[subprocess.CompletedProcess, list[list[str]]]:
    """One Spark session (starting one takes longer than a validation) for both releases, the committed one
    first: the run, and each release's lines (its failures, then its summary line)."""
    done = subprocess.run([str(spark_python), "-m", "scripts.scale.spark_validate", str(ROOT), str(planted), "--master", "local[2]"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    sections, lines = [], []
    for line in filter(None, done.stdout.splitlines()):
        lines.append(line)
        if line.startswith("validated "):
            sections.append(lines)
            lines = []
    assert len(sections) == 2 and not lines, done.stdout[-3000:] + done.stderr[-3000:]
    return done, sections


def test_the_committed_release_passes_on_spark(spark_run):
    done, (committed, _) = spark_run
    assert committed == ["validated 3 document(s) on Spark (local[2]): 0 failure(s)"], done.stderr[-3000:]


def test_planted_errors_are_found_on_spark_as_locally(spark_run, planted):
    done, (_, found) = spark_run
    assert done.returncode == 1, done.stderr[-3000:]
    assert "entities: doc d000, span d000:e0-6: span_text_matches_document failed (start=0, end=6, text='Alepo'; the document has 'Aleppo' there)" in found
    assert "claims: doc d000, span d000:c128-211: reference_exists failed (claimant_span_id='d000:e1-2'; no such row in the referenced table)" in found
    assert "entities: entity_id 'russia': one_value_per_key failed (several canonical names across documents)" in found
    local = set(validate(read_release(planted)))
    per_document = [line for line in found[:-1] if "several canonical names across documents" not in line]
    assert set(per_document) <= local  # the same rules: nothing Spark reports that the local run does not
    assert found[-1].endswith("failure(s)") and f"{len(found) - 1} failure(s)" in found[-1]
