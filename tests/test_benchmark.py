"""A small run of the benchmark, so its code never rots (the big sizes are run by hand; docs/performance.md)."""
from __future__ import annotations

import json

from scripts.__main__ import main
from scripts.scale.synth import SPANS_PER_DOC, generate

STAGES = {"import", "validate", "write"}


def test_synthetic_exports_are_seeded_and_build_cleanly(tmp_path):
    a, b = (generate(tmp_path / name, 500, seed=7)[1].read_bytes() for name in ("a", "b"))
    assert a == b
    tasks = json.loads(a)
    assert len(tasks) == 500 // SPANS_PER_DOC
    assert sum(len(t["annotations"]) for t in tasks) == len(tasks) + 1  # task 1 has a second, partial annotation
    assert any(ord(ch) > 0xFFFF for ch in tasks[0]["data"]["text"]) and "\n" in tasks[0]["data"]["text"]


def test_benchmark_runs_every_measurement_and_reports_ratios(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["benchmark", "--sizes", "500", "1000", "--runs", "1", "--nested", "30", "90", "--work", str(tmp_path / "work"),
                 "--json", str(out)]) == 0
    table = capsys.readouterr().out
    results = json.loads(out.read_text())
    assert results["runs"] == 1 and [r["size"] for r in results["sizes"]] == [500, 1000]
    for r in results["sizes"]:
        one, every, floor = r["pipeline-1"], r["pipeline-all"], r["floor"]
        assert set(one["stages"]) == set(one["stage_cpu_s"]) == set(floor["stages"]) == set(floor["stage_cpu_s"]) == STAGES
        assert one["workers"] == 0 and every["workers"] >= 1 and every["stage_cpu_s"] == {}  # the workers' CPU is in cpu_s only
        assert one["spans"] == every["spans"] >= 0.9 * r["size"] and one["peak_mb"] > 0 and floor["peak_mb"] > 0
        assert all(floor["same_parquet"].values()) and len(floor["same_parquet"]) == 8 and floor["failed_rules"] == []
        assert r["reference"]["rows"] > one["raw_spans"] and r["reference"]["peak_mb"] > 0  # every annotation's spans, and its cues
        assert set(r["loading"]["stages"]) == {"load_dataset cold", "load_dataset warm", "pyarrow read_table"}
        assert set(r["loading"]["rows"]) == {"documents", "entities", "claims", "figures", "ner", "annotations_raw", "documents_nested", "bigbio_kb"}
        scorer = r["scorer"]
        assert set(scorer["stages"]) == set(scorer["floor"]) == set(scorer["spans"]) == {"entities", "figures", "claims"}
        assert scorer["spans"]["entities"]["gold"] == r["size"] and scorer["spans"]["entities"]["predicted"] > 0.9 * r["size"]
        assert scorer["same_exact_scores"] == {"figures": True, "claims": True}  # the scorer's exact match is the join's
    assert [(n["claims"], n["spans"]) for n in results["nested"]] == [(30, 30 + 30 + 10), (90, 90 + 90 + 30)]
    assert table.count("| whole build |") == 2 and table.count("(2 workers)") + table.count("(1 workers)") == 2
    assert "Scaling exponent of the build's CPU seconds (one worker) from " in table
    assert "in the spans of one document, 30 to 90 claims" in table
    assert table.count("| entities |") == 2 and "| polars join s |" in table


def test_median_of_runs():
    from scripts.scale.benchmark import median

    runs = [{"a": 1.0, "b": {"c": 5, "ok": True}, "l": ["x"]}, {"a": 3.0, "b": {"c": 1, "ok": True}, "l": ["y"]},
            {"a": 2.0, "b": {"c": 2, "ok": False}, "l": ["z"]}]
    assert median(runs) == {"a": 2.0, "b": {"c": 2, "ok": False}, "l": ["x"]}
