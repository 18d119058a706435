"""`python -m scripts.evaluate` (with only `datasets` installed) and `python -m scripts evaluate`: a model's
predictions scored against the gold of a release, with 95% intervals; README "Evaluation"."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from scripts.core.files import write_atomic
from scripts.evaluate.inputs import (
    CONFIGS,
    BadPredictions,
    check,
    read_config,
    read_predictions,
    vocabularies,
    vocabulary,
)
from scripts.evaluate.scorer import RESAMPLES, score


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, choices=CONFIGS, help="the layer the predictions are for")
    parser.add_argument("--predictions", required=True, type=Path, help="JSON Lines (.jsonl) or Parquet, with the gold config's columns")
    parser.add_argument("--release", type=Path, default=Path(__file__).resolve().parents[2],
                        help="the release folder holding data/ (default: the one this scorer came with)")
    parser.add_argument("--compare", type=Path, help="a second system's predictions: their paired difference with an interval")
    parser.add_argument("--json", type=Path, help="also write the scores as JSON here")
    parser.add_argument("--tolerance", type=float, default=1e-6, help="figures: relative tolerance of values (default 1e-6)")
    parser.add_argument("--resamples", type=int, default=RESAMPLES, help=f"bootstrap resamples (default {RESAMPLES})")
    parser.add_argument("--all", action="store_true", help="the table shows per-label and per-document rows too")


def evaluate(args) -> dict:
    """{config: {metric: stats}, "notes": [...]}; BadPredictions or FileNotFoundError on bad input."""
    texts = {d["doc_id"]: d["text"] for d in read_config(args.release, "documents")}
    reference = read_config(args.release, args.config)
    entities = read_config(args.release, "entities") if args.config == "claims" else []
    labels = vocabulary(args.release, "entities", "label") if args.config == "entities" else []
    sentences = {r["span_id"]: len(r["tokens"]) for r in reference} if args.config == "ner" else None
    choices = vocabularies(args.release, args.config)
    predictions, notes = check(args.config, read_predictions(args.predictions), texts, labels, sentences, choices)
    try:
        compare = check(args.config, read_predictions(args.compare), texts, labels, sentences, choices)[0] if args.compare else None
    except BadPredictions as err:
        raise BadPredictions([f"--compare {args.compare}: {p}" for p in err.problems]) from err
    result = score(args.config, reference, predictions, texts, entities, resamples=args.resamples, tolerance=args.tolerance,
                   compare=compare)
    if compare is not None:
        only = sorted(set().union(*(r.keys() for r in compare)) - set().union(*(r.keys() for r in predictions)) if predictions and compare else set())
        if only:
            notes.append(f"only --compare gives {', '.join(only)}: the metrics on them are compared for neither system")
    return {args.config: result, "notes": notes}


def table(result: dict, config: str, everything: bool = False) -> str:
    rows = [(m, s) for m, s in result[config].items() if everything or not any(c in m for c in "[@")]
    lines = [f"{config}: {'metric':<24} {'P':>6} {'R':>6} {'F1':>6}  95% interval    n ref  n pred"]
    for name, s in rows:
        lines.append(f"{'':<{len(config) + 2}}{name:<24} {s['precision']:6.3f} {s['recall']:6.3f} {s['f1']:6.3f}  "
                     f"[{s['ci_low']:.3f}, {s['ci_high']:.3f}] {s['n_reference']:6d} {s['n_predicted']:7d}"
                     + (f"  compare: {s['compare']['f1']:.3f} ({s['compare']['difference']:+.3f} "
                        f"[{s['compare']['ci_low']:+.3f}, {s['compare']['ci_high']:+.3f}])" if "compare" in s else ""))
    return "\n".join(lines + [f"note: {n}" for n in result["notes"]])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.evaluate", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def run(args) -> int:
    try:
        result = evaluate(args)
    except BadPredictions as err:
        print(f"evaluate refused {len(err.problems)} problem(s) in the predictions:", *err.problems, sep="\n", file=sys.stderr)
        return 2
    except (OSError, ValueError) as err:
        print(f"evaluate failed: {err}", file=sys.stderr)
        return 2
    if args.json:  # before the table: a reader that goes away (`| head`) never costs the file
        write_atomic(args.json, json.dumps(result, indent=1, sort_keys=True) + "\n")
    try:
        print(table(result, args.config, args.all))
    except BrokenPipeError:
        sys.stderr.close()  # nothing to say, and no one to say it to
        return 141
    return 0
