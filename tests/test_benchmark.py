"""A small run of the benchmark, so its code never rots (the big sizes are run by hand; docs/performance.md)."""
from __future__ import annotations

import json

from scripts.__main__ import main
from scripts.scale.synth import SPANS_PER_DOC, generate


def test_synthetic_exports_are_seeded_and_build_cleanly(tmp_path):
    a, b = (generate(tmp_path / name, 500, seed=7)[1].read_bytes() for name in ("a", "b"))
    assert a == b
    tasks = json.loads(a)
    assert len(tasks) == 500 // SPANS_PER_DOC
    assert sum(len(t["annotations"]) for t in tasks) == len(tasks) + 1  # task 1 has a second, partial annotation
    assert any(ord(ch) > 0xFFFF for ch in tasks[0]["data"]["text"]) and "\n" in tasks[0]["data"]["text"]


def test_benchmark_runs_every_stage_and_reports_ratios(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["benchmark", "--sizes", "1000", "2000", "--work", str(tmp_path / "work"), "--json", str(out)]) == 0
    table = capsys.readouterr().out
    results = json.loads(out.read_text())
    assert [r["size"] for r in results] == [1000, 2000]
    for r in results:
        assert set(r["pipeline"]["stages"]) == {"import", "validate", "write"}
        assert set(r["floor"]["stages"]) == {"parse", "tables", "write"}
        assert set(r["checks"]["stages"]) == {"pandera", "polars"}
        assert set(r["loading"]["stages"]) == {"load_dataset cold", "load_dataset warm", "pyarrow read_table"}
        assert set(r["pipeline"]["peak_mb_by_stage"]) <= {"import", "validate", "write"}
        assert set(r["loading"]["rows"]) == {"documents", "entities", "claims", "figures", "ner", "annotations_raw", "documents_nested", "bigbio_kb"}
        assert r["pipeline"]["peak_mb"] > 0 and r["floor"]["peak_mb"] > 0 and r["pipeline"]["spans"] > 0.9 * r["size"]
        assert r["pipeline"]["cpu_s"] > 0 and r["pipeline"]["workers"] == 0  # a small export is read in the build's process
        scorer = r["scorer"]
        assert set(scorer["stages"]) == set(scorer["floor"]) == set(scorer["spans"]) == {"entities", "figures", "claims"}
        assert scorer["spans"]["entities"]["gold"] == r["size"] and scorer["spans"]["entities"]["predicted"] > 0.9 * r["size"]
        assert scorer["same_exact_scores"] == {"figures": True, "claims": True}  # the scorer's exact match is the join's
    assert table.count("| whole build |") == 2
    assert "Scaling exponent of the whole build from " in table
    assert table.count("| entities |") == 2 and "| polars join s |" in table
