"""The scorer as a practitioner runs it: `python -m scripts.evaluate` in the venv that has only `datasets`,
against the committed release, on prediction files; and its refusals of malformed predictions."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from conftest import ROOT
from scripts.build.pipeline import read_release

GOLD = read_release(ROOT)


def write_jsonl(path: Path, rows) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


def predictions(config: str) -> list[dict]:
    """The gold itself as predictions, in the columns a model gives (no span ids, no provenance)."""
    if config == "claims":
        by_id = {r["span_id"]: r for r in GOLD["entities"].iter_rows(named=True)}
        return [{"doc_id": r["doc_id"], "start": r["start"], "end": r["end"], "cue_start": r["cue_start"], "cue_end": r["cue_end"],
                 "claim_kind": r["claim_kind"], "claimant_type": r["claimant_type"], "claim_group_id": r["claim_group_id"],
                 "claimant_start": by_id[r["claimant_span_id"]]["start"] if r["claimant_span_id"] else None,
                 "claimant_end": by_id[r["claimant_span_id"]]["end"] if r["claimant_span_id"] else None}
                for r in GOLD["claims"].iter_rows(named=True)]
    columns = {"entities": ["doc_id", "start", "end", "label", "entity_id"],
               "figures": ["doc_id", "start", "end", "value", "value_max", "unit", "approx", "kind"]}[config]
    return GOLD[config].select(columns).to_dicts()


def evaluate(python, *args, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-m", "scripts.evaluate", "--release", str(ROOT), "--resamples", "200", *args],
                          capture_output=True, text=True, cwd=cwd)


@pytest.mark.parametrize("config", ["entities", "claims", "figures"])
def test_the_gold_scores_one_in_the_datasets_only_venv(datasets_only_python, tmp_path, config):
    done = evaluate(datasets_only_python, "--config", config, "--predictions", str(write_jsonl(tmp_path / "p.jsonl", predictions(config))),
                    "--json", str(tmp_path / "scores.json"))
    assert done.returncode == 0, done.stderr
    scores = json.loads((tmp_path / "scores.json").read_text())[config]
    perfect = {"entities": ["strict", "exact", "partial", "ent_type", "overlap", "entity_id_muc", "entity_id_b_cubed", "entity_id_ceaf_e"],
               "claims": ["exact", "overlap", "token_overlap", "cue_exact", "cue_overlap", "claimant", "claim_kind", "claimant_type",
                          "claim_group_id_b_cubed"],
               "figures": ["exact", "overlap", "value", "value_max", "unit", "approx", "kind"]}[config]
    for metric in perfect:
        assert scores[metric]["f1"] == 1.0, (metric, scores[metric])
    assert set(scores["exact"]) == {"precision", "recall", "f1", "ci_low", "ci_high", "n_reference", "n_predicted"}
    assert scores["exact"]["n_reference"] == scores["exact"]["n_predicted"] == GOLD[config].height


def test_a_weaker_system_compared_with_the_gold(datasets_only_python, tmp_path):
    gold = predictions("entities")
    weaker = [r for i, r in enumerate(gold) if i % 4]
    done = evaluate(datasets_only_python, "--config", "entities", "--predictions", str(write_jsonl(tmp_path / "w.jsonl", weaker)),
                    "--compare", str(write_jsonl(tmp_path / "g.jsonl", gold)), "--json", str(tmp_path / "s.json"))
    assert done.returncode == 0, done.stderr
    strict = json.loads((tmp_path / "s.json").read_text())["entities"]["strict"]
    assert strict["precision"] == 1.0 and strict["recall"] == pytest.approx(len(weaker) / len(gold), abs=1e-6)
    assert strict["ci_low"] < strict["f1"] < strict["ci_high"]
    assert strict["compare"]["difference"] > 0 and strict["compare"]["ci_low"] > 0  # the gold is better, and the interval says so


def test_malformed_predictions_get_one_message_per_row(datasets_only_python, tmp_path):
    rows = [{"doc_id": "d000", "start": 0, "end": 6, "label": "GPE"}, {"doc_id": "d009", "start": 0, "end": 6, "label": "GPE"},
            {"doc_id": "d000", "start": 5, "end": 99999, "label": "GPE"}, {"doc_id": "d000", "start": 0, "end": 6, "label": "CITY"},
            {"doc_id": "d000", "start": 0, "end": 6, "label": "CARDINAL"}]
    done = evaluate(datasets_only_python, "--config", "entities", "--predictions", str(write_jsonl(tmp_path / "p.jsonl", rows)))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [
        "evaluate refused 3 problem(s) in the predictions:",
        "row 1: doc_id 'd009' is not a document of the corpus",
        "row 2 (doc d000): offsets start=5, end=99999 are not within 0 <= start < end <= 2450",
        "row 3 (doc d000, 0-6): label 'CITY' is not one of the corpus's (DATE, EVENT, FAC, GPE, LANGUAGE, LAW, LOC, NORP, ORG, PERSON, "
        "PRODUCT, TIME, WORK_OF_ART; CARDINAL, ORDINAL, QUANTITY, MONEY, PERCENT are left out)"]
    missing = evaluate(datasets_only_python, "--config", "figures", "--predictions", str(write_jsonl(tmp_path / "f.jsonl", [{"doc_id": "d000"}])))
    assert missing.returncode == 2 and "missing column(s) start, end" in missing.stderr


def test_the_published_files_alone_score_a_model(datasets_only_python, tmp_path):
    """What `publish` uploads (data, card, the scorer) is all a practitioner needs, with only `datasets`."""
    from scripts.release.hub import plan

    hub = tmp_path / "hub"
    for upload in plan(ROOT):
        (hub / upload.path_in_repo).parent.mkdir(parents=True, exist_ok=True)
        (hub / upload.path_in_repo).write_bytes(upload.local.read_bytes())
    rows = write_jsonl(tmp_path / "p.jsonl", predictions("figures"))
    done = subprocess.run([str(datasets_only_python), "-m", "scripts.evaluate", "--config", "figures", "--predictions", str(rows),
                           "--resamples", "100"], capture_output=True, text=True, cwd=hub)
    assert done.returncode == 0, done.stderr
    assert "exact" in done.stdout and " 1.000  1.000  1.000" in done.stdout


def test_every_interval_holds_its_estimate(tmp_path):
    """An imperfect system on claims (some dropped, some shifted, some groups changed): each metric's 95%
    interval contains its F1 (a mention drawn twice once joined its own cluster and lifted MUC above it)."""
    from scripts.evaluate.scorer import score

    texts = {r["doc_id"]: r["text"] for r in GOLD["documents"].iter_rows(named=True)}
    rows = []
    for i, r in enumerate(predictions("claims")):
        if i % 5 == 0:
            continue
        if i % 7 == 0:
            r = {**r, "start": r["start"] + 3}
        if i % 3 == 0:
            r = {**r, "claim_group_id": None if r["claim_group_id"] else f"group-{i % 4}"}
        rows.append(r)
    result = score("claims", GOLD["claims"].to_dicts(), rows, texts, GOLD["entities"].to_dicts(), resamples=300)
    for metric, s in result.items():
        assert s["ci_low"] <= s["f1"] <= s["ci_high"], (metric, s)
