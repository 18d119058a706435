"""The build's cost at growing sizes, against a floor measured in the same run on the same data.

    python -m scripts benchmark --sizes 100000 1000000 5000000 [--runs 3] [--work .bench]

For each size a seeded synthetic corpus and Label Studio export (scripts/scale/synth.py) is made, then, each
measurement in a fresh process (so peak memory is its own), `runs` times, keeping the medians:
- pipeline-1 / pipeline-all: the real build (`build.build`) with the export read in its own process, and
  with a worker process per core; seconds and CPU seconds by stage: import (the corpus and the export into the
  tables), validate (the pandera rules, in one pass per bucket), write (Parquet shards, card, datasheet, Croissant);
- floor: scripts/scale/floor.py, the same work the plain way (the same Parquet, byte for byte, every schema
  rule in plain polars), in one process;
- reference: the plain script a user would otherwise write (orjson, `datasets.Dataset.from_list().to_parquet()`,
  no checks), up to `reference_max` spans;
- loading: `load_dataset` cold and warm against `pyarrow.parquet.read_table` on the release;
- scorer: `size` gold entity spans (with the claims and figures of the same synthetic documents) and a
  seeded system's predictions (most exact, some shifted, relabelled, linked to another entity, missed or
  spurious), scored by `scripts.evaluate.score` layer by layer with its 1,000-resample intervals, against
  a plain polars join of the same spans on (doc_id, start, end) giving exact-match precision, recall and F1,
  up to `scorer_max` gold spans.
And the single-worker build of one document holding many nested claims (`synth.nested`), at each of `nested`.
The report gives the ratios to the floor in CPU seconds (the headline) and in wall seconds, peak memory (PSS
of the process and its workers), the parallel speed-up, and scaling exponents (1.0 = linear).
"""
from __future__ import annotations

import json
import math
import os
import resource
import shutil
import statistics
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


def _timed(stages: dict, name: str, fn, *args, cpu: dict | None = None):
    """fn(*args), its wall seconds added to stages[name] (and this process's CPU seconds to cpu[name])."""
    start, process, _CURRENT["stage"] = time.perf_counter(), time.process_time(), name
    try:
        return fn(*args)
    finally:
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - start
        if cpu is not None:
            cpu[name] = cpu.get(name, 0.0) + time.process_time() - process
        _CURRENT["stage"] = None


_CURRENT: dict = {"stage": None}  # the stage `_timed` is running, for TreeMemory


def measure_pipeline(folder: Path, workers: int | None = None) -> dict:
    """The real build; `workers` as in `importer.chunks` (0: the export read in the build's own process)."""
    from scripts.build import Stopwatch
    from scripts.build import workers_for
    from scripts.build import build

    root = folder / ("release" if workers == 0 else "release-all-cores")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    for name in ("README.md", "DATASHEET.md"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    stopwatch, export = Stopwatch(), folder / "export.json"
    with TreeMemory(lambda: stopwatch.stage) as memory:
        releases = {r.name: r.num_rows for r in build(folder / "corpus", export, root, "0.0.0", workers=workers, stopwatch=stopwatch)}
    workers = workers_for(export) if workers is None else workers
    return {"stages": dict(stopwatch.seconds), "stage_cpu_s": dict(stopwatch.cpu) if not workers else {},
            "spans": sum(releases.get(t, 0) for t in ("entities", "claims", "figures")),
            "raw_spans": releases.get("annotations_raw", 0), "workers": workers, "cpu_s": _cpu_seconds(),
            "peak_mb": memory.peak_mb, "peak_mb_by_stage": memory.by_stage, "peak_rss_bound_mb": _peak_rss_mb(workers)}


def measure_floor(folder: Path) -> dict:
    """scripts/scale/floor.py on the same corpus and export, in one process; its Parquet compared, file by
    file, with the single-worker build's (measured before it)."""
    from scripts.scale import floor

    out, stages, cpu = folder / "floor", {}, {}
    shutil.rmtree(out, ignore_errors=True)
    with TreeMemory(lambda: _CURRENT["stage"]) as memory:
        tables = _timed(stages, "import", floor.build_tables, folder / "corpus", folder / "export.json", cpu=cpu)
        failed = _timed(stages, "validate", floor.check, tables, cpu=cpu)
        _timed(stages, "write", floor.write, tables, out, cpu=cpu)
    release = folder / "release" / "data"
    same = {t: [p.read_bytes() for p in sorted((out / t).glob("*.parquet"))] == [p.read_bytes() for p in sorted((release / t).glob("*.parquet"))]
            for t in tables}
    return {"stages": stages, "stage_cpu_s": cpu, "cpu_s": _cpu_seconds(), "peak_mb": memory.peak_mb,
            "peak_mb_by_stage": memory.by_stage, "failed_rules": failed, "same_parquet": same}


def measure_reference(folder: Path) -> dict:
    """What a user would otherwise write, with no checks: the whole export parsed with orjson, each annotation's
    regions with their attributes as rows (one list per layer), and `datasets.Dataset.from_list(rows).to_parquet()`."""
    import orjson
    from datasets import Dataset, disable_progress_bars

    disable_progress_bars()
    out, stages = folder / "reference", {}
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()

    def rows_of(tasks: list) -> dict[str, list[dict]]:
        rows: dict[str, list[dict]] = {}
        for task in tasks:
            text = task["data"]["text"]
            for annotation in task["annotations"]:
                regions, attributes = {}, {}
                for item in annotation["result"]:
                    if item.get("type") == "labels":
                        regions[item["id"]] = item["value"]
                    elif item.get("type") in ("textarea", "choices", "number"):
                        value = item["value"]
                        attributes.setdefault(item["id"], {})[item["from_name"]] = str(value.get("number", (value.get("text") or value.get("choices") or [None])[0]))
                for rid, v in regions.items():
                    rows.setdefault(v["labels"][0], []).append({"doc_id": task["data"]["doc_id"], "annotation": annotation["id"], "region": rid,
                                                                "start": v["start"], "end": v["end"], "text": text[v["start"]:v["end"]],
                                                                **attributes.get(rid, {})})
        return rows

    cpu: dict = {}
    with TreeMemory(lambda: _CURRENT["stage"]) as memory:
        tasks = _timed(stages, "parse", orjson.loads, (folder / "export.json").read_bytes(), cpu=cpu)
        rows = _timed(stages, "rows", rows_of, tasks, cpu=cpu)
        del tasks
        for label, layer_rows in rows.items():
            _timed(stages, "datasets", lambda: Dataset.from_list(layer_rows).to_parquet(str(out / f"{label}.parquet")), cpu=cpu)
    return {"stages": stages, "stage_cpu_s": cpu, "peak_mb": memory.peak_mb, "rows": sum(len(r) for r in rows.values())}


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


MEASURES = {"pipeline-1": lambda folder: measure_pipeline(folder, workers=0),  # first: the floor compares its Parquet with it
            "pipeline-all": lambda folder: measure_pipeline(folder, workers=os.cpu_count() or 1),
            "floor": measure_floor, "reference": measure_reference, "loading": measure_loading, "scorer": measure_scorer}


def _in_fresh_process(kind: str, folder: Path) -> dict:
    done = subprocess.run([sys.executable, "-m", "scripts.scale.benchmark", kind, str(folder)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"benchmark stage {kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def median(runs: list):
    """The runs' median of every number (recursively through dicts); a flag holds if it held in every run;
    anything else as the first run has it."""
    first = runs[0]
    if isinstance(first, dict):
        return {k: median([r[k] for r in runs]) for k in first}
    if isinstance(first, bool):
        return all(runs)
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return statistics.median(runs)
    return first


def run(sizes: list[int], work: Path, seed: int = 0, runs: int = 3, reference_max: int = 1_000_000,
        scorer_max: int = 1_000_000, all_cores_max: int = 1_000_000, nested: tuple[int, ...] = (1_000, 10_000)) -> dict:
    """Every measurement `runs` times in fresh processes, medians kept: per size of synthetic corpus, and per
    number of claims in the one document of `synth.nested`. The plain-user reference, the scorer and the
    all-cores build run up to their own maximum sizes (at 5M spans the reference would need about 25 GB)."""
    from scripts.scale.synth import generate, nested as nested_document

    results: dict = {"runs": runs, "cores": os.cpu_count(), "load_average": [os.getloadavg()[0]], "sizes": [], "nested": []}
    largest = {"reference": reference_max, "scorer": scorer_max, "pipeline-all": all_cores_max}
    for size in sizes:
        folder = work / f"spans-{size}"
        if not (folder / "export.json").exists():
            shutil.rmtree(folder, ignore_errors=True)
            generate(folder, size, seed)
        kinds = [k for k in MEASURES if size <= largest.get(k, size)]
        if "scorer" in kinds:
            scorer_data(folder, size, seed)
        measured = [{kind: _in_fresh_process(kind, folder) for kind in kinds} for _ in range(runs)]
        results["sizes"].append({"size": size, "export_mb": (folder / "export.json").stat().st_size / 1e6, **median(measured)})
    for claims in nested:
        folder = work / f"nested-{claims}"
        if not (folder / "export.json").exists():
            shutil.rmtree(folder, ignore_errors=True)
            nested_document(folder, claims)
        results["nested"].append({"claims": claims, **median([_in_fresh_process("pipeline-1", folder) for _ in range(runs)])})
    results["load_average"].append(os.getloadavg()[0])
    return results


def _exponent(a: float, b: float, na: float, nb: float) -> str:
    return f"{math.log(b / a) / math.log(nb / na):.2f}"


def _spans(run: dict) -> int:
    return run["spans"] + run["raw_spans"]


def report(results: dict) -> str:
    sizes = results["sizes"]
    lines = [f"Medians of {results['runs']} run(s), each measurement in a fresh process; {results['cores']} cores; load average "
             f"{results['load_average'][0]:.1f} before, {results['load_average'][1]:.1f} after.", "",
             "The build with one worker against the floor (scripts/scale/floor.py: the same Parquet, every rule in plain polars), "
             "in CPU seconds, wall seconds beside:", "",
             "| spans (gold + raw) | export MB | stage | build CPU s | floor CPU s | ratio (CPU) | build s | floor s | ratio (wall) | peak MB (build / floor) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in sizes:
        p, f = r["pipeline-1"], r["floor"]

        def mb(run: dict, stage: str) -> str:  # "–": the stage never ran at a sampling time
            peak = run["peak_mb"] if stage == "whole build" else run["peak_mb_by_stage"].get(stage)
            return "–" if peak is None else f"{peak:.0f}"

        for stage in ("import", "validate", "write", "whole build"):
            pick = (lambda d: sum(d.values())) if stage == "whole build" else (lambda d: d[stage])  # noqa: E731
            cpu, floor_cpu, wall, floor_wall = pick(p["stage_cpu_s"]), pick(f["stage_cpu_s"]), pick(p["stages"]), pick(f["stages"])
            lines.append(f"| {_spans(p):,} | {r['export_mb']:.0f} | {stage} | {cpu:.2f} | {floor_cpu:.2f} | {cpu / floor_cpu:.2f} | "
                         f"{wall:.2f} | {floor_wall:.2f} | {wall / floor_wall:.2f} | {mb(p, stage)} / {mb(f, stage)} |")
    same = [f"{_spans(r['pipeline-1']):,}: " + (", ".join(t for t, ok in r["floor"]["same_parquet"].items() if not ok) or "yes") for r in sizes]
    failing = sorted({x for r in sizes for x in r["floor"]["failed_rules"]})
    lines += ["", f"The floor's Parquet is the build's, byte for byte (or the configs that differ): {'; '.join(same)}. "
              f"Rules the floor found failing: {', '.join(failing) or 'none'}."]
    lines += ["", "One worker against all cores (the export read in worker processes), and the plain script a user would write "
              "(orjson, then `datasets.Dataset.from_list(rows).to_parquet()`, no checks):", "",
              "| spans (gold + raw) | build s, 1 worker | build s, all cores | speed-up | CPU s, all cores | peak MB, 1 worker / all cores "
              "| plain script s | plain script CPU s | plain script peak MB |", "|---|---|---|---|---|---|---|---|---|"]
    for r in sizes:
        one, every, ref = r["pipeline-1"], r.get("pipeline-all"), r.get("reference")
        wall_one = sum(one["stages"].values())
        plain = f"{sum(ref['stages'].values()):.2f} | {sum(ref['stage_cpu_s'].values()):.1f} | {ref['peak_mb']:.0f}" if ref else "not run | | "
        parallel = (f"{sum(every['stages'].values()):.2f} ({every['workers']} workers) | {wall_one / sum(every['stages'].values()):.2f} | "
                    f"{every['cpu_s']:.1f} | {one['peak_mb']:.0f} / {every['peak_mb']:.0f}") if every else f"not run | | | {one['peak_mb']:.0f} / –"
        lines.append(f"| {_spans(one):,} | {wall_one:.2f} | {parallel} | {plain} |")
    lines += ["", "| spans (gold + raw) | load_dataset cold s | warm s | pyarrow read_table s | cold / read_table | warm / read_table |",
              "|---|---|---|---|---|---|"]
    for r in sizes:
        load = r["loading"]["stages"]
        cold, warm, read = load["load_dataset cold"], load["load_dataset warm"], load["pyarrow read_table"]
        lines.append(f"| {_spans(r['pipeline-1']):,} | {cold:.2f} | {warm:.2f} | {read:.3f} | {cold / read:.1f} | {warm / read:.1f} |")
    if scored := [r for r in sizes if "scorer" in r]:
        lines += ["", "| gold spans | predicted spans | layer | scorer s | predicted spans/s | polars join s | ratio |", "|---|---|---|---|---|---|---|"]
        for r in scored:
            scorer = r["scorer"]
            for layer, seconds in scorer["stages"].items():
                n = scorer["spans"][layer]
                lines.append(f"| {n['gold']:,} | {n['predicted']:,} | {layer} | {seconds:.2f} | {n['predicted'] / seconds:,.0f} | "
                             f"{scorer['floor'][layer]:.3f} | {seconds / scorer['floor'][layer]:.0f} |")
    if nested := results["nested"]:
        lines += ["", "One document of nested claims (synth.nested: three deep, each with its claimant, cue and a figure; two annotators), "
                  "the build with one worker:", "", "| claims in the document | spans (gold + raw) | build s | build CPU s | µs CPU per span |",
                  "|---|---|---|---|---|"]
        for r in nested:
            cpu = sum(r["stage_cpu_s"].values())
            lines.append(f"| {r['claims']:,} | {_spans(r):,} | {sum(r['stages'].values()):.2f} | {cpu:.2f} | {1e6 * cpu / _spans(r):.0f} |")
        lines += [f"Exponent of the build's CPU seconds in the spans of one document, {a['claims']:,} to {b['claims']:,} claims: "
                  f"{_exponent(sum(a['stage_cpu_s'].values()), sum(b['stage_cpu_s'].values()), _spans(a), _spans(b))}"
                  for a, b in zip(nested, nested[1:])]
    lines.append("")
    for a, b in list(zip(sizes, sizes[1:])) + [(a, sizes[-1]) for a in sizes[:-2]]:
        ca, cb = (sum(x["pipeline-1"]["stage_cpu_s"].values()) for x in (a, b))
        lines.append(f"Scaling exponent of the build's CPU seconds (one worker) from {_spans(a['pipeline-1']):,} to "
                     f"{_spans(b['pipeline-1']):,} spans: {_exponent(ca, cb, _spans(a['pipeline-1']), _spans(b['pipeline-1']))}")
    return "\n".join(lines)


if __name__ == "__main__":  # one measurement in this (fresh) process: KIND FOLDER
    print(json.dumps(MEASURES[sys.argv[1]](Path(sys.argv[2]))))
