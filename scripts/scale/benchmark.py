"""The build's cost at growing sizes, against a floor measured in the same run on the same data.

    python -m scripts benchmark --sizes 10000 100000 1000000 [--work .bench]

For each size a seeded synthetic corpus and Label Studio export (scripts/scale/synth.py) is made, then, each
in a fresh process (so peak RSS is the stage's own):
- pipeline: the real build (`release.build`), its seconds split by stage: import (read the export
  into the document model and the tables, in worker processes for a large export), validate
  (the pandera rules in one pass per bucket), write (Parquet shards, card, datasheet);
- floor: each task parsed with orjson, the same span tables built by a minimal converter with no
  checks (the `ner` view with the same tokenizer) and written with pyarrow, in one process;
- checks floor: the pipeline's checks as plain polars expressions, without pandera;
- loading: `load_dataset` cold and warm against `pyarrow.parquet.read_table` on the release;
- scorer: `size` gold entity spans (with the claims and figures of the same synthetic documents) and a
  seeded system's predictions (most exact, some shifted, relabelled, linked to another entity, missed or
  spurious), scored by `scripts.evaluate.score` layer by layer with its 1,000-resample intervals, against
  the floor of a plain polars join of the same gold and predicted spans on (doc_id, start, end) giving
  exact-match precision, recall and F1.
It prints seconds, spans per second, CPU seconds and peak RSS (with the workers'), the ratios to the
floor, and the scaling exponent of the whole build between sizes (1.0 = linear).
"""
from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from scripts.core.files import PROJECT_ROOT


def _peak_rss_mb(workers: int = 0) -> float:
    """This process's peak RSS, plus `workers` times the largest child's: a bound of their sum (the peaks
    may not coincide, and RSS counts shared library pages once per process)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return (own + workers * resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024


class TreeMemory(threading.Thread):
    """Samples, every 0.1 s, the memory of this process and all its descendants (PSS: pages shared by
    several processes split between them) and keeps the largest sum, overall and per stage (`stage()`
    tells the stage under way). Linux /proc only."""

    def __init__(self, stage=lambda: None) -> None:
        super().__init__(daemon=True)
        self.stage, self.peak_mb, self.by_stage, self._stop_event = stage, 0.0, {}, threading.Event()

    def sample(self) -> None:
        stage, mb = self.stage(), sum(_pss_kb(pid) for pid in _process_tree(os.getpid())) / 1024
        self.peak_mb = max(self.peak_mb, mb)
        if stage:
            self.by_stage[stage] = max(self.by_stage.get(stage, 0.0), mb)

    def run(self) -> None:
        while not self._stop_event.wait(0.1):
            self.sample()

    def __enter__(self) -> "TreeMemory":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop_event.set()
        self.join()
        self.sample()


def _process_tree(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for children in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo += [int(c) for c in children.read_text().split()]
            except OSError:  # the process ended meanwhile
                pass
    return found


def _pss_kb(pid: int) -> int:
    try:
        rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in rollup.splitlines() if line.startswith("Pss:")), 0)


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and its finished children."""
    return sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
               for f in ("ru_utime", "ru_stime"))


def _timed(stages: dict, name: str, fn, *args):
    start, _CURRENT["stage"] = time.perf_counter(), name
    try:
        return fn(*args)
    finally:
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - start
        _CURRENT["stage"] = None


_CURRENT: dict = {"stage": None}  # the stage `_timed` is running, for TreeMemory


def measure_pipeline(folder: Path) -> dict:
    from scripts.build import Stopwatch
    from scripts.build import workers_for
    from scripts.build import build

    root = folder / "release"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    for name in ("README.md", "DATASHEET.md"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    stopwatch, export = Stopwatch(), folder / "export.json"
    with TreeMemory(lambda: stopwatch.stage) as memory:
        releases = {r.name: r.num_rows for r in build(folder / "corpus", export, root, "0.0.0", stopwatch=stopwatch)}
    workers = workers_for(export)
    return {"stages": dict(stopwatch.seconds), "spans": sum(releases.get(t, 0) for t in ("entities", "claims", "figures")),
            "raw_spans": releases.get("annotations_raw", 0), "workers": workers, "cpu_s": _cpu_seconds(),
            "peak_mb": memory.peak_mb, "peak_mb_by_stage": memory.by_stage, "peak_rss_bound_mb": _peak_rss_mb(workers)}


def measure_floor(folder: Path) -> dict:
    """The least the build must do: each task parsed with orjson (the synthetic export holds one task per
    line), its regions' values gathered into rows with no checks, the `ner` view made with the same
    tokenizer, and the rows written with pyarrow, in batches; in one process."""
    import orjson
    import pyarrow as pa
    import pyarrow.parquet as pq

    from scripts.build import fewer_collections
    from scripts.core.model import AnnotatedDocument, Document, Entity
    from scripts.core.tokens import sentence_rows

    stages: dict = {}
    out = folder / "floor"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    rows: dict[str, list[dict]] = {}
    writers: dict[str, pq.ParquetWriter] = {}

    def write(name: str, table: pa.Table) -> None:
        if name not in writers:
            writers[name] = pq.ParquetWriter(out / f"{name}.parquet", table.schema, compression="zstd")
        writers[name].write_table(table)

    def flush(name: str) -> None:
        batch = rows.pop(name)
        table = _timed(stages, "tables", pa.Table.from_pylist, batch, writers[name].schema if name in writers else None)
        _timed(stages, "write", write, name, table)

    def convert(task: dict) -> None:
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
                elif item.get("type") == "number":
                    attributes.setdefault(item["id"], {})[item["from_name"]] = str(item["value"].get("number"))
            table = "gold" if annotation is gold else "raw"
            for rid, item in regions.items():
                v = item["value"]
                rows.setdefault(f"{table}-{v['labels'][0]}", []).append(
                    {"doc_id": doc_id, "start": v["start"], "end": v["end"], "text": text[v["start"]:v["end"]], **attributes.get(rid, {})})
        entities = [Entity(r["value"]["start"], r["value"]["end"], None, label=r["value"]["labels"][0], entity_id="", canonical_name="")
                    for r in gold["result"] if r.get("from_name") == "entity"]
        doc = Document(doc_id, text, "", None, None, None, "en", "", "")
        rows.setdefault("ner", []).extend(sentence_rows(AnnotatedDocument(doc, entities=entities)))

    with TreeMemory(lambda: _CURRENT["stage"]) as memory, fewer_collections(), (folder / "export.json").open("rb") as f:
        for line in f:
            line = line.rstrip(b",\n")
            if not line.startswith(b"{"):
                continue
            task = _timed(stages, "parse", orjson.loads, line)
            _timed(stages, "tables", convert, task)
            for name in [n for n, r in rows.items() if len(r) >= 100_000]:
                flush(name)
        for name in list(rows):
            flush(name)
        _timed(stages, "write", lambda: [w.close() for w in writers.values()])
    return {"stages": stages, "cpu_s": _cpu_seconds(), "peak_mb": memory.peak_mb, "peak_mb_by_stage": memory.by_stage,
            "peak_rss_bound_mb": _peak_rss_mb()}


def measure_checks(folder: Path) -> dict:
    """The pipeline's checks as plain polars against pandera, on the release the pipeline wrote, read back
    bucket by bucket of documents as the build validates it."""
    import polars as pl

    from schemas.tables import DOCUMENT_KEY, SPLIT, TABLES, decode_labels
    from schemas.validation import validate
    from scripts.build import DOCS_PER_BUCKET

    def plain(tables: dict[str, pl.DataFrame]) -> int:
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

    data = folder / "release" / "data"
    doc_ids = pl.scan_parquet(data / "documents" / f"{SPLIT}-*.parquet").select("doc_id").collect()["doc_id"].sort().to_list()
    stages = {"pandera": 0.0, "polars": 0.0}
    for i in range(0, len(doc_ids), DOCS_PER_BUCKET):
        ids = pl.Series(doc_ids[i:i + DOCS_PER_BUCKET])
        tables = {t: decode_labels(t, pl.scan_parquet(data / t / f"{SPLIT}-*.parquet").filter(pl.col(DOCUMENT_KEY[t]).is_in(ids.implode())).collect())
                  for t in TABLES}
        assert not _timed(stages, "pandera", validate, tables)
        assert _timed(stages, "polars", plain, tables) == 0
    return {"stages": stages}


def measure_loading(folder: Path) -> dict:
    import pyarrow.parquet as pq
    from datasets import load_dataset

    from schemas.tables import TABLES

    root, stages = folder / "release", {}
    with tempfile.TemporaryDirectory() as cache:
        _timed(stages, "load_dataset cold", lambda: [load_dataset(str(root), t, cache_dir=cache) for t in TABLES])
        loaded = _timed(stages, "load_dataset warm", lambda: [load_dataset(str(root), t, cache_dir=cache)["test"].num_rows for t in TABLES])
    read = _timed(stages, "pyarrow read_table", lambda: [pq.read_table(root / "data" / t).num_rows for t in TABLES])
    assert loaded == read, (loaded, read)  # every shard of every config loaded
    return {"stages": stages, "rows": dict(zip(TABLES, loaded))}


SCORED_LAYERS = ("entities", "figures", "claims")


def scorer_data(folder: Path, spans: int, seed: int = 0) -> Path:
    """Gold and predicted spans for the scorer (Parquet, made once per folder): the synthetic documents of
    `synth` until they hold `spans` gold entities, and a seeded system's predictions of every layer."""
    import random

    import pyarrow as pa
    import pyarrow.parquet as pq

    from scripts.scale.synth import NAMES, document, slug

    out = folder / "scorer"
    if (out / "done").exists():
        return out
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    rng, texts = random.Random(seed), []
    gold: dict = {layer: [] for layer in SCORED_LAYERS}
    pred: dict = {layer: [] for layer in SCORED_LAYERS}
    labels, ids = sorted({label for _, label in NAMES}), sorted({slug(name) for name, _ in NAMES})

    def predicted(row: dict, length: int) -> list[dict]:
        """The system's prediction of a gold span: exact, shifted, relabelled, missed, or with a spurious one beside."""
        draw = rng.random()
        if draw < 0.05:
            return []
        row = dict(row)
        if draw < 0.11:
            row["start"] = max(0, row["start"] + rng.choice((-2, -1, 1, 2)))
            row["end"] = min(length, max(row["start"] + 1, row["end"] + rng.choice((-2, -1, 0, 1, 2))))
        elif draw < 0.17 and "label" in row:
            row["label"] = rng.choice(labels)
        if "entity_id" in row and rng.random() < 0.1:
            row["entity_id"] = rng.choice(ids)
        if draw > 0.97:
            start = rng.randrange(0, length - 12)
            return [row, {**row, "start": start, "end": start + rng.randint(3, 12)}]
        return [row]

    n = 0
    while len(gold["entities"]) < spans:
        annotated = document(f"s{n:07d}", rng)
        doc, n = annotated.doc.doc_id, n + 1
        text = annotated.doc.text
        texts.append({"doc_id": doc, "text": text})
        span_id = lambda s: f"{doc}:e{s.start}-{s.end}"  # noqa: E731
        for e in annotated.entities[: spans - len(gold["entities"])]:
            row = {"doc_id": doc, "start": e.start, "end": e.end, "label": e.label, "entity_id": e.entity_id, "span_id": span_id(e)}
            gold["entities"].append(row)
            pred["entities"] += [{k: v for k, v in r.items() if k != "span_id"} for r in predicted(row, len(text))]
        for f in annotated.figures:
            row = {"doc_id": doc, "start": f.start, "end": f.end, "value": f.value, "value_max": f.value_max, "unit": f.unit,
                   "approx": f.approx, "kind": f.kind}
            gold["figures"].append(row)
            pred["figures"] += [{**r, "unit": r["unit"].upper() if rng.random() < 0.1 else r["unit"]} for r in predicted(row, len(text))]
        for c in annotated.claims:
            row = {"doc_id": doc, "start": c.start, "end": c.end, "cue_start": c.cue.start, "cue_end": c.cue.end,
                   "claim_kind": c.claim_kind, "claimant_type": c.claimant_type, "claim_group_id": c.claim_group_id,
                   "claimant_span_id": span_id(c.claimant)}
            gold["claims"].append(row)
            pred["claims"] += [{**{k: v for k, v in r.items() if k != "claimant_span_id"}, "claimant_start": c.claimant.start,
                                "claimant_end": c.claimant.end} for r in predicted(row, len(text))]
    pq.write_table(pa.Table.from_pylist(texts), out / "texts.parquet")
    for layer in SCORED_LAYERS:
        pq.write_table(pa.Table.from_pylist(gold[layer]), out / f"{layer}_gold.parquet")
        pq.write_table(pa.Table.from_pylist(pred[layer]), out / f"{layer}_pred.parquet")
    (out / "done").write_text("")
    return out


def measure_scorer(folder: Path) -> dict:
    """Each layer scored by the scorer (from its rows, as a practitioner calls it) and the floor: a polars
    join of the same spans, already in data frames, on (doc_id, start, end) giving exact-match P/R/F1."""
    import polars as pl
    import pyarrow.parquet as pq

    from scripts.evaluate import score

    data = folder / "scorer"
    texts = {r["doc_id"]: r["text"] for r in pq.read_table(data / "texts.parquet").to_pylist()}
    stages, floor, spans, checks = {}, {}, {}, {}
    entities = pq.read_table(data / "entities_gold.parquet").to_pylist()
    for layer in SCORED_LAYERS:
        gold, pred = (pq.read_table(data / f"{layer}_{side}.parquet").to_pylist() for side in ("gold", "pred"))
        spans[layer] = {"gold": len(gold), "predicted": len(pred)}
        result = _timed(stages, layer, score, layer, gold, pred, texts, entities if layer == "claims" else ())
        del gold, pred
        frames = [pl.read_parquet(data / f"{layer}_{side}.parquet", columns=["doc_id", "start", "end"]) for side in ("gold", "pred")]
        exact = _timed(floor, layer, _polars_exact, *frames)
        if layer != "entities":  # the entities' `exact` is nervaluate's scheme (a shifted span may take a gold one first)
            checks[layer] = [result["exact"][k] for k in ("precision", "recall")] == [round(x, 6) for x in exact[:2]]
    return {"stages": stages, "floor": floor, "spans": spans, "same_exact_scores": checks, "documents": len(texts),
            "cpu_s": _cpu_seconds()}


def _polars_exact(gold, pred) -> tuple[float, float, float]:
    """Exact-match precision, recall and F1 of predicted spans: a join on (doc_id, start, end) each way."""
    on = ["doc_id", "start", "end"]
    hit_p = pred.join(gold.unique(on), on=on, how="semi").height
    hit_r = gold.join(pred.unique(on), on=on, how="semi").height
    p, r = hit_p / pred.height if pred.height else 0.0, hit_r / gold.height if gold.height else 0.0
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


MEASURES = {"pipeline": measure_pipeline, "floor": measure_floor, "checks": measure_checks, "loading": measure_loading,
            "scorer": measure_scorer}


def _in_fresh_process(kind: str, folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "scripts.scale.benchmark", kind, str(folder)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"benchmark stage {kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def run(sizes: list[int], work: Path, seed: int = 0) -> list[dict]:
    from scripts.scale.synth import generate

    results = []
    for size in sizes:
        folder = work / f"spans-{size}"
        if not (folder / "export.json").exists():
            shutil.rmtree(folder, ignore_errors=True)
            generate(folder, size, seed)
        scorer_data(folder, size, seed)
        result = {"size": size, "export_mb": (folder / "export.json").stat().st_size / 1e6}
        for kind in MEASURES:
            result[kind] = _in_fresh_process(kind, folder)
        results.append(result)
    return results


def report(results: list[dict]) -> str:
    lines = ["| spans (gold + raw) | export MB | stage | pipeline s | spans/s | floor s | ratio | CPU s (pipeline / floor) | peak memory MB (pipeline / floor) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        p, f = r["pipeline"], r["floor"]
        spans = p["spans"] + p["raw_spans"]
        floor_total, total = sum(f["stages"].values()), sum(p["stages"].values())
        def mb(by_stage: dict, *stages: str) -> str:  # "–": the stage never ran at a sampling time
            peaks = [by_stage[s] for s in stages if s in by_stage]
            return f"{max(peaks):.0f}" if peaks else "–"

        memory, floor_memory = p["peak_mb_by_stage"], f["peak_mb_by_stage"]
        rows = [("import", p["stages"]["import"], f["stages"]["parse"] + f["stages"]["tables"], "",
                 f"{mb(memory, 'import')} / {mb(floor_memory, 'parse', 'tables')}"),
                ("validate", p["stages"]["validate"], r["checks"]["stages"]["polars"], "", f"{mb(memory, 'validate')} / –"),
                ("write", p["stages"]["write"], f["stages"]["write"], "", f"{mb(memory, 'write')} / {mb(floor_memory, 'write')}"),
                ("whole build", total, floor_total, f"{p['cpu_s']:.1f} / {f['cpu_s']:.1f}", f"{p['peak_mb']:.0f} / {f['peak_mb']:.0f}")]
        for stage, seconds, floor, cpu, peak in rows:
            lines.append(f"| {spans:,} | {r['export_mb']:.0f} | {stage} | {seconds:.2f} | {spans / seconds:,.0f} | {floor:.2f} | "
                         f"{seconds / floor:.2f} | {cpu} | {peak} |")
        load = r["loading"]["stages"]
        lines.append(f"| {spans:,} | | load_dataset cold / warm | {load['load_dataset cold']:.2f} / {load['load_dataset warm']:.2f} | | "
                     f"{load['pyarrow read_table']:.2f} (read_table) | {load['load_dataset cold'] / load['pyarrow read_table']:.1f} / "
                     f"{load['load_dataset warm'] / load['pyarrow read_table']:.1f} | | |")
    lines += ["", "| gold spans | predicted spans | layer | scorer s | predicted spans/s | polars join s | ratio |", "|---|---|---|---|---|---|---|"]
    for r in results:
        scorer = r["scorer"]
        for layer, seconds in scorer["stages"].items():
            n = scorer["spans"][layer]
            lines.append(f"| {n['gold']:,} | {n['predicted']:,} | {layer} | {seconds:.2f} | {n['predicted'] / seconds:,.0f} | "
                         f"{scorer['floor'][layer]:.3f} | {seconds / scorer['floor'][layer]:.0f} |")
    lines.append("")
    lines += [f"Worker processes of the pipeline at {r['pipeline']['spans'] + r['pipeline']['raw_spans']:,} spans: "
              f"{r['pipeline']['workers']} (the floor runs in one process)." for r in results]
    pairs = list(zip(results, results[1:])) + [(a, results[-1]) for a in results[:-2]]
    for a, b in pairs:
        ta, tb = (sum(x["pipeline"]["stages"].values()) for x in (a, b))
        na, nb = (x["pipeline"]["spans"] + x["pipeline"]["raw_spans"] for x in (a, b))
        lines.append(f"Scaling exponent of the whole build from {na:,} to {nb:,} spans: {math.log(tb / ta) / math.log(nb / na):.2f}")
    return "\n".join(lines)


if __name__ == "__main__":  # one measurement in this (fresh) process: KIND FOLDER
    print(json.dumps(MEASURES[sys.argv[1]](Path(sys.argv[2]))))
