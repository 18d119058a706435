"""The same validation rules on Spark (local[2], its own venv): the committed release passes, a copy with
planted errors fails with the failures the local validation finds."""
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
    return ROOT / ".venvs" / "spark" / "bin" / "python"


def run_spark(python: Path, release: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "scripts.scale.spark_validate", str(release), "--master", "local[2]"],
                          cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_the_committed_release_passes_on_spark(spark_python):
    done = run_spark(spark_python, ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("validated 3 document(s) on Spark (local[2]): 0 failure(s)")


def plant(path: Path, column: str, row: int, value) -> None:
    frame = pl.read_parquet(path)
    frame.with_columns(pl.when(pl.int_range(pl.len()) == row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column)).write_parquet(path)


def test_planted_errors_are_found_on_spark_as_locally(spark_python, tmp_path):
    copy = tmp_path / "release"
    shutil.copytree(ROOT / "data", copy / "data")
    entities, claims = (copy / f"data/{t}/test-00000-of-00001.parquet" for t in ("entities", "claims"))
    plant(entities, "text", 0, "Alepo")
    plant(claims, "claimant_span_id", 0, "d000:e1-2")
    russia_in_d002 = pl.read_parquet(entities).with_row_index().filter((pl.col("entity_id") == "russia") & (pl.col("doc_id") == "d002"))["index"][0]
    plant(entities, "canonical_name", russia_in_d002, "Russian Federation")
    done = run_spark(spark_python, copy)
    assert done.returncode == 1, done.stderr[-3000:]
    found = done.stdout.strip().splitlines()
    assert "entities: doc d000, span d000:e0-6: span_text_matches_document failed (start=0, end=6, text='Alepo'; the document has 'Aleppo' there)" in found
    assert "claims: doc d000, span d000:c128-211: reference_exists failed (claimant_span_id='d000:e1-2'; no such row in the referenced table)" in found
    assert "entities: entity_id 'russia': one_value_per_key failed (several canonical names across documents)" in found
    local = set(validate(read_release(copy)))
    per_document = [line for line in found[:-1] if "several canonical names across documents" not in line]
    assert set(per_document) <= local  # the same rules: nothing Spark reports that the local run does not
    assert found[-1].endswith("failure(s)") and f"{len(found) - 1} failure(s)" in found[-1]
