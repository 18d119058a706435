"""The release's validation on Spark, with the same rules: the pandera schemas of schemas/tables.py run
unchanged on the executors, one batch of whole documents at a time.

Spark reads the published Parquet, gathers every table's rows by document (all spans of a document
travel together with its text, so every row check and every reference inside a document holds), and
`mapInArrow` runs `schemas.validation.validate` on each batch. The one rule that spans documents (one
canonical name per entity id) then runs, with the same registered check, on the distinct pairs.

    python -m scripts.scale.spark_validate RELEASE [RELEASE ...] [--master local[2]]

RELEASE is a folder or URL holding data/ (e.g. s3a://bucket/syria-news-spans with the hadoop-aws
package configured); several are validated in turn in one Spark session, each ending with its own
summary line. --master a cluster (spark://host:7077, yarn). It runs in its own venv (scripts/spark.sh),
as pyspark needs pandas < 3. Exit 1 and one line per failure when any check fails.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zipfile
from pathlib import Path

import pyarrow as pa

FAILURES = pa.schema([("failure", pa.string())])


def check_documents(batches):
    """mapInArrow: each input row is one document with the rows of every table; yields the failures."""
    import polars as pl

    from schemas.tables import TABLES, decode_labels, empty
    from schemas.validation import validate

    for batch in batches:
        tables = {}
        for table in TABLES:
            rows = batch.column(table).flatten()  # the list<struct> of every document in the batch, concatenated
            tables[table] = decode_labels(table, pl.from_arrow(pa.Table.from_struct_array(rows))) if len(rows) else empty(table)
        yield pa.RecordBatch.from_pydict({"failure": validate(tables)}, schema=FAILURES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.scale.spark_validate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("release", nargs="+", help="folder or URL holding data/<config>/*.parquet")
    parser.add_argument("--master", default="local[2]")
    args = parser.parse_args(argv)

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # local workers: this venv's Python
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    from schemas.tables import TABLES

    spark = (SparkSession.builder.master(args.master).appName("syria-news-spans validation")
             .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
             .config("spark.sql.shuffle.partitions", "8").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    with tempfile.TemporaryDirectory() as tmp:
        spark.sparkContext.addPyFile(str(_code_zip(Path(tmp))))  # the rules travel to the executors
        try:
            return max([_run(spark, F, TABLES, release, args.master) for release in args.release])
        finally:
            spark.stop()


def _code_zip(folder: Path) -> Path:
    """schemas/ and this module, for the executors to import."""
    root = Path(__file__).resolve().parents[2]
    path = folder / "syria_news_spans_rules.zip"
    with zipfile.ZipFile(path, "w") as zf:
        for file in [*sorted((root / "schemas").glob("*.py")), root / "scripts" / "__init__.py",
                     root / "scripts" / "scale" / "__init__.py", root / "scripts" / "core" / "lazy.py", Path(__file__).resolve()]:
            zf.write(file, file.relative_to(root).as_posix())
    return path


def _run(spark, F, TABLES, release: str, master: str) -> int:
    import polars as pl

    from schemas.validation import cross_document_failures

    from schemas.tables import DOCUMENT_KEY

    data = {t: spark.read.parquet(f"{release.rstrip('/')}/data/{t}") for t in TABLES}
    doc_ids = None
    for table, frame in data.items():
        ids = frame.select(F.col(DOCUMENT_KEY[table]).alias("doc_id")).distinct()
        doc_ids = ids if doc_ids is None else doc_ids.union(ids).distinct()
    packed = doc_ids  # one row per document, with a list of the rows of every table
    for table, frame in data.items():
        grouped = frame.groupBy(F.col(DOCUMENT_KEY[table]).alias("doc_id")).agg(F.collect_list(F.struct(*frame.columns)).alias(table))
        packed = packed.join(grouped, "doc_id", "left")
    packed = packed.select("doc_id", *(F.coalesce(F.col(t), F.array().cast(packed.schema[t].dataType)).alias(t) for t in TABLES))
    failures = [r["failure"] for r in packed.mapInArrow(check_documents, "failure string").orderBy("failure").collect()]
    failures += cross_document_failures(pl.from_arrow(data["entities"].select("entity_id", "canonical_name").distinct().toArrow()))
    print("\n".join(failures))
    print(f"validated {doc_ids.count()} document(s) on Spark ({master}): {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
