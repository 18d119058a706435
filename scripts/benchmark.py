"""The build's cost at growing sizes, against a floor measured in the same run on the same data.

    python -m scripts benchmark --sizes 10000 100000 1000000 [--work .bench]

For each size a seeded synthetic corpus and Label Studio export (scripts/synth.py) is made, then, each
in a fresh process (so peak RSS is the stage's own):
- pipeline: import (stream the export into the document model and the tables), validate (pandera),
  write (Parquet shards, card, datasheet);
- floor: the same export parsed whole with orjson, the same span tables built by a minimal
  converter with no checks (the `ner` view with the same tokenizer), written with pyarrow;
- checks floor: the pipeline's checks as plain polars expressions, without pandera;
- loading: `load_dataset` cold and warm against `pyarrow.parquet.read_table` on the release.
It prints seconds, spans per second and peak RSS per stage, the ratios to the floor, and the
scaling exponent of the whole build between sizes (1.0 = linear).
"""
from __future__ import annotations

import json
import math
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scripts.release import PROJECT_ROOT


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(stages: dict, name: str, fn, *args):
    start = time.perf_counter()
    out = fn(*args)
    stages[name] = time.perf_counter() - start
    return out


def measure_pipeline(folder: Path) -> dict:
    from schemas.validation import validate
    from scripts.release import assemble, publish_locally

    stages: dict = {}
    tables, compared = _timed(stages, "import", assemble, folder / "corpus", folder / "export.json")
    report = _timed(stages, "validate", validate, tables)
    assert not report, report[:5]
    root = folder / "release"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    for name in ("README.md", "DATASHEET.md"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    _timed(stages, "write", publish_locally, tables, compared, root, "0.0.0")
    spans = sum(tables[t].height for t in ("entities", "claims", "figures"))
    return {"stages": stages, "spans": spans, "raw_spans": tables["annotations_raw"].height, "peak_rss_mb": _peak_rss_mb()}


def measure_floor(folder: Path) -> dict:
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq

    from scripts.model import AnnotatedDocument, Document, Entity
    from scripts.tokens import sentence_rows

    stages: dict = {}
    tasks = _timed(stages, "parse", lambda: orjson.loads((folder / "export.json").read_bytes()))

    def convert():
        columns: dict[str, dict[str, list]] = {}
        for task in tasks:
            text, doc_id = task["data"]["text"], task["data"]["doc_id"]
            annotations = [a for a in task["annotations"] if not a["was_cancelled"]]
            gold = next((a for a in annotations if a["ground_truth"]), annotations[0])
            for annotation in annotations:
                regions, attributes = {}, {}
                for item in annotation["result"]:
                    if item.get("type") == "labels":
                        regions[item["id"]] = item
                    elif item.get("type") in ("textarea", "choices"):
                        value = item["value"].get("text") or item["value"].get("choices")
                        attributes.setdefault(item["id"], {})[item["from_name"]] = value[0]
                table = "gold" if annotation is gold else "raw"
                for rid, item in regions.items():
                    v = item["value"]
                    row = columns.setdefault(f"{table}-{v['labels'][0]}", {})
                    for key, value in (("doc_id", doc_id), ("start", v["start"]), ("end", v["end"]),
                                       ("text", text[v["start"]:v["end"]]), *attributes.get(rid, {}).items()):
                        row.setdefault(key, []).append(value)
            entities = [Entity(s, e, None, label=lab, entity_id="", canonical_name="")
                        for s, e, lab in ((r["value"]["start"], r["value"]["end"], r["value"]["labels"][0])
                                          for r in gold["result"] if r.get("from_name") == "entity")]
            doc = Document(doc_id, text, "", None, None, None, "en", "", "")
            rows = sentence_rows(AnnotatedDocument(doc, entities=entities))
            ner = columns.setdefault("ner", {})
            for row in rows:
                for key, value in row.items():
                    ner.setdefault(key, []).append(value)
        return {name: pa.table({k: v for k, v in cols.items() if len(v) == len(next(iter(cols.values())))})
                for name, cols in columns.items()}

    tables = _timed(stages, "tables", convert)
    out = folder / "floor"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    _timed(stages, "write", lambda: [pq.write_table(t, out / f"{name}.parquet", compression="zstd") for name, t in tables.items()])
    return {"stages": stages, "peak_rss_mb": _peak_rss_mb()}


def measure_checks(folder: Path) -> dict:
    """The pipeline's checks, as plain polars, on the release the pipeline wrote (against pandera on the same)."""
    import polars as pl

    from schemas.validation import validate
    from scripts.release import read_release

    tables = read_release(folder / "release")
    stages: dict = {}
    _timed(stages, "pandera", validate, tables)

    def plain():
        docs = tables["documents"].select("doc_id", pl.col("text").alias("doc_text"))
        failures = 0
        for name in ("entities", "claims", "figures", "ner", "annotations_raw"):
            view = tables[name].join(docs, on="doc_id", how="left")
            ok = ((pl.col("start") >= 0) & (pl.col("start") < pl.col("end")) & (pl.col("end") <= pl.col("doc_text").str.len_chars())
                  & (pl.col("doc_text").str.slice(pl.col("start"), pl.col("end") - pl.col("start")) == pl.col("text")))
            failures += view.filter(~ok.fill_null(False)).height
        for name in ("entities", "claims", "figures", "ner"):
            failures += tables[name].height - tables[name]["span_id"].n_unique()
        claims, entities = tables["claims"], tables["entities"]
        failures += claims.filter(pl.col("claimant_span_id").is_not_null() & ~pl.col("claimant_span_id").is_in(entities["span_id"].implode())).height
        failures += (entities.sort("doc_id", "start").with_columns(pl.col("end").cum_max().shift(1).over("doc_id").alias("reached"))
                     .filter(pl.col("start") < pl.col("reached")).height)
        return failures

    assert _timed(stages, "polars", plain) == 0
    return {"stages": stages}


def measure_loading(folder: Path) -> dict:
    import pyarrow.parquet as pq
    from datasets import load_dataset

    from schemas.tables import TABLES

    root, stages = folder / "release", {}
    with tempfile.TemporaryDirectory() as cache:
        _timed(stages, "load_dataset cold", lambda: [load_dataset(str(root), t, cache_dir=cache) for t in TABLES])
        _timed(stages, "load_dataset warm", lambda: [load_dataset(str(root), t, cache_dir=cache) for t in TABLES])
    _timed(stages, "pyarrow read_table", lambda: [pq.read_table(root / "data" / t) for t in TABLES])
    return {"stages": stages}


MEASURES = {"pipeline": measure_pipeline, "floor": measure_floor, "checks": measure_checks, "loading": measure_loading}


def _in_fresh_process(kind: str, folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "scripts.benchmark", kind, str(folder)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"benchmark stage {kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def run(sizes: list[int], work: Path, seed: int = 0) -> list[dict]:
    from scripts.synth import generate

    results = []
    for size in sizes:
        folder = work / f"spans-{size}"
        if not (folder / "export.json").exists():
            shutil.rmtree(folder, ignore_errors=True)
            generate(folder, size, seed)
        result = {"size": size, "export_mb": (folder / "export.json").stat().st_size / 1e6}
        for kind in MEASURES:
            result[kind] = _in_fresh_process(kind, folder)
        results.append(result)
    return results


def report(results: list[dict]) -> str:
    lines = ["| spans (gold + raw) | export MB | stage | pipeline s | spans/s | floor s | ratio | peak RSS MB (pipeline / floor) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        p, f = r["pipeline"], r["floor"]
        spans = p["spans"] + p["raw_spans"]
        floor_total, total = sum(f["stages"].values()), sum(p["stages"].values())
        pairs = [("import", p["stages"]["import"], f["stages"]["parse"] + f["stages"]["tables"]),
                 ("validate", p["stages"]["validate"], r["checks"]["stages"]["polars"]),
                 ("write", p["stages"]["write"], f["stages"]["write"]), ("whole build", total, floor_total)]
        for stage, seconds, floor in pairs:
            lines.append(f"| {spans:,} | {r['export_mb']:.0f} | {stage} | {seconds:.2f} | {spans / seconds:,.0f} | {floor:.2f} | "
                         f"{seconds / floor:.2f} | " + (f"{p['peak_rss_mb']:.0f} / {f['peak_rss_mb']:.0f} |" if stage == "whole build" else "|"))
        load = r["loading"]["stages"]
        lines.append(f"| {spans:,} | | load_dataset cold / warm | {load['load_dataset cold']:.2f} / {load['load_dataset warm']:.2f} | | "
                     f"{load['pyarrow read_table']:.2f} (read_table) | {load['load_dataset cold'] / load['pyarrow read_table']:.1f} / "
                     f"{load['load_dataset warm'] / load['pyarrow read_table']:.1f} | |")
    for a, b in zip(results, results[1:]):
        ta, tb = (sum(x["pipeline"]["stages"].values()) for x in (a, b))
        na, nb = (x["pipeline"]["spans"] + x["pipeline"]["raw_spans"] for x in (a, b))
        lines.append(f"\nScaling exponent of the whole build from {na:,} to {nb:,} spans: {math.log(tb / ta) / math.log(nb / na):.2f}")
    return "\n".join(lines)


if __name__ == "__main__":  # one measurement in this (fresh) process: KIND FOLDER
    print(json.dumps(MEASURES[sys.argv[1]](Path(sys.argv[2]))))
