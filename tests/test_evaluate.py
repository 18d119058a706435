"""The scorer as a practitioner runs it: `python -m scripts.evaluate` in the venv that has only `datasets`,
against the committed release, on prediction files; and its refusals of malformed predictions."""
from __future__ import annotations

import json
import subprocess
import sys
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
    result = score("claims", GOLD["claims"].to_dicts(), rows, texts, GOLD["entities"].to_dicts(), resamples=300,
                   compare=predictions("claims"))
    for metric, s in result.items():
        assert s["ci_low"] <= s["f1"] <= s["ci_high"], (metric, s)
    for metric in ("claim_group_id_muc", "claim_group_id_b_cubed", "claim_group_id_ceaf_e"):  # compared like every metric
        assert result[metric]["compare"]["f1"] == 1.0 and result[metric]["compare"]["difference"] > 0, metric


def test_a_practitioners_claim_groups_keep_their_estimate_inside_the_interval():
    """Few predicted groups over many claims (an outside practitioner's case): the estimate once fell
    outside its interval, when each resample recomputed B-cubed on the mentions it drew."""
    from scripts.evaluate.scorer import score

    texts = {r["doc_id"]: r["text"] for r in GOLD["documents"].iter_rows(named=True)}
    rows = [{**r, "claim_group_id": f"g{i % 3}"} for i, r in enumerate(predictions("claims"))]
    result = score("claims", GOLD["claims"].to_dicts(), rows, texts, GOLD["entities"].to_dicts(), resamples=500)
    for metric in ("claim_group_id_muc", "claim_group_id_b_cubed", "claim_group_id_ceaf_e"):
        s = result[metric]
        assert s["ci_low"] <= s["f1"] <= s["ci_high"], (metric, s)


# An outside practitioner's findings: each attribute column is checked as strictly as the offsets.
BAD_ATTRIBUTES = [
    ("figures", {"value": "three"}, "value must be a finite number or null, found 'three'"),
    ("figures", {"value": float("nan")}, "value must be a finite number or null, found nan"),
    ("figures", {"value": 3, "value_max": 1}, "value_max 1 is below value 3"),
    ("figures", {"unit": 5}, "unit must be a string or null, found 5"),
    ("figures", {"approx": "about"}, "approx 'about' is not one of"),
    ("claims", {"claim_kind": "rumour"}, "claim_kind 'rumour' is not one of"),
    ("claims", {"cue_start": 0}, "cue_start, cue_end must both be null or integers within 0 <= cue_start < cue_end <= 2450, found 0 and None"),
    ("claims", {"cue_start": 0, "cue_end": 99999}, "cue_start, cue_end must both be null or integers within 0 <= cue_start < cue_end <= 2450, found 0 and 99999"),
    ("entities", {"label": "GPE", "entity_id": 5}, "entity_id must be a string or null, found 5"),
]


@pytest.mark.parametrize("config, fields, message", BAD_ATTRIBUTES, ids=[m.split(" ")[0] + "-" + c for c, _, m in BAD_ATTRIBUTES])
def test_a_wrong_attribute_value_is_refused_naming_the_row(tmp_path, capsys, config, fields, message):
    from scripts.__main__ import main

    row = {"doc_id": "d000", "start": 0, "end": 6, **fields}
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    assert main(["evaluate", "--config", config, "--predictions", str(path), "--resamples", "10"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"row 0 (doc d000, 0-6): {message}" in err


def test_ner_tags_as_classlabel_numbers_are_refused_with_the_way_to_names(tmp_path, capsys):
    from scripts.__main__ import main

    sentence = GOLD["ner"].row(0, named=True)
    path = write_jsonl(tmp_path / "p.jsonl", [{"span_id": sentence["span_id"], "ner_tags": [0] * len(sentence["tokens"])}])
    assert main(["evaluate", "--config", "ner", "--predictions", str(path), "--resamples", "10"]) == 2
    err = capsys.readouterr().err
    assert "tag 0 is not one of the IOB2 tags" in err and "int2str(n)" in err


def test_compare_with_columns_the_first_system_lacks(tmp_path, capsys):
    """A second system with cues the first does not give: the same resamples for both, no crash."""
    from scripts.__main__ import main

    a = write_jsonl(tmp_path / "a.jsonl", [{"doc_id": "d002", "start": 0, "end": 10}])
    b = write_jsonl(tmp_path / "b.jsonl", [{"doc_id": "d002", "start": 0, "end": 10, "cue_start": 0, "cue_end": 4}])
    out = tmp_path / "scores.json"
    assert main(["evaluate", "--config", "claims", "--predictions", str(a), "--compare", str(b), "--resamples", "50", "--json", str(out)]) == 0
    scores = json.loads(out.read_text())["claims"]
    assert "compare" in scores["overlap"] and scores["overlap"]["ci_low"] <= scores["overlap"]["f1"] <= scores["overlap"]["ci_high"]
    assert json.loads(out.read_text())["notes"][-1] == "only --compare gives cue_end, cue_start: the metrics on them are compared for neither system"
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"doc_id": "d999", "start": 0, "end": 10}])
    assert main(["evaluate", "--config", "claims", "--predictions", str(a), "--compare", str(bad), "--resamples", "10"]) == 2
    assert f"--compare {bad}: row 0: doc_id 'd999'" in capsys.readouterr().err


def test_every_row_that_is_not_an_object_is_named(tmp_path, capsys):
    from scripts.__main__ import main

    path = tmp_path / "p.jsonl"
    path.write_text('{"doc_id": "d000", "start": 0, "end": 6, "label": "GPE"}\n"hello"\nnull\n42\n', encoding="utf-8")
    assert main(["evaluate", "--config", "entities", "--predictions", str(path)]) == 2
    assert capsys.readouterr().err.splitlines()[1:] == ["row 1: not an object with the config's columns, found 'hello'",
                                                        "row 2: not an object with the config's columns, found None",
                                                        "row 3: not an object with the config's columns, found 42"]


def test_a_row_without_a_column_the_others_have_says_so(tmp_path, capsys):
    from scripts.__main__ import main

    rows = [{"doc_id": "d000", "start": 0, "end": 6, "label": "GPE"}, {"doc_id": "d000", "start": 0, "end": 6}]
    assert main(["evaluate", "--config", "entities", "--predictions", str(write_jsonl(tmp_path / "p.jsonl", rows))]) == 2
    assert "row 1: no label (every row needs doc_id, start, end, label)" in capsys.readouterr().err


def test_the_json_is_written_when_the_reader_of_the_table_goes_away(tmp_path):
    rows = write_jsonl(tmp_path / "p.jsonl", [{"doc_id": "d000", "start": 0, "end": 6, "label": "GPE"}])
    out = tmp_path / "scores.json"
    done = subprocess.run(f"{sys.executable} -m scripts.evaluate --config entities --predictions {rows} --json {out} "
                          f"--resamples 20 --all | head -1", shell=True, capture_output=True, text=True, cwd=ROOT)
    assert "Traceback" not in done.stderr and done.stdout.startswith("entities:")
    assert set(json.loads(out.read_text())) == {"entities", "notes"}
