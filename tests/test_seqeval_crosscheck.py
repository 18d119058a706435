"""The `ner` score against seqeval itself: seqeval 1.2.2 in its own venv (made from scripts/seqeval.lock;
its scikit-learn breaks quantulum3's pickle in .venv), on random IOB2 sequences, invalid ones included."""
from __future__ import annotations

import json
import random
import subprocess

import pytest

from conftest import ROOT, locked_python
from scripts.evaluate.scorer import score

SEQEVAL_LOCK = ROOT / "scripts" / "seqeval.lock"
TAGS = ["O", "O", "O", "B-PER", "I-PER", "B-LOC", "I-LOC", "B-ORG", "I-ORG", "I-GPE"]  # I-GPE never has its B-
REPORT = """
import json, sys
from seqeval.metrics import classification_report
from seqeval.scheme import IOB2
true, pred = json.load(sys.stdin)
print(json.dumps(classification_report(true, pred, mode="strict", scheme=IOB2, output_dict=True, zero_division=0), default=float))
"""


@pytest.fixture(scope="module")
def seqeval_python():
    return locked_python("seqeval", SEQEVAL_LOCK)


def sequences(seed: int, n: int = 400) -> tuple[list[list[str]], list[list[str]]]:
    """Gold and predicted tag sequences: random tags (so I- after O and I- of another type are common), the
    prediction either the gold with some tags changed or random of its own."""
    rng = random.Random(seed)
    true, pred = [], []
    for _ in range(n):
        gold = [rng.choice(TAGS) for _ in range(rng.randint(1, 14))]
        guess = [rng.choice(TAGS) if rng.random() < 0.2 else tag for tag in gold] if rng.random() < 0.7 else \
            [rng.choice(TAGS) for _ in gold]
        true.append(gold)
        pred.append(guess)
    return true, pred


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_seqeval_strict_is_seqevals_classification_report(seqeval_python, seed):
    true, pred = sequences(seed)
    done = subprocess.run([str(seqeval_python), "-c", REPORT], input=json.dumps([true, pred]), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    expected = json.loads(done.stdout)
    texts = {"d": "\n\n".join("w" for _ in range(20))}  # paragraphs to resample: each sentence in one of them
    reference = [{"doc_id": "d", "span_id": f"s{i}", "start": 3 * (i % 20), "ner_tags": tags} for i, tags in enumerate(true)]
    predictions = [{"span_id": f"s{i}", "ner_tags": tags} for i, tags in enumerate(pred)]
    ours = score("ner", reference, predictions, texts, resamples=20)
    labels = {name[len("seqeval_strict["):-1] for name in ours if name.startswith("seqeval_strict[")}
    assert labels == set(expected) - {"micro avg", "macro avg", "weighted avg"}
    assert "GPE" not in labels  # an I- without its B- opens no entity in strict mode
    for name, theirs in [("seqeval_strict", expected["micro avg"])] + [(f"seqeval_strict[{label}]", expected[label]) for label in labels]:
        mine = ours[name]
        assert (mine["precision"], mine["recall"], mine["f1"]) == tuple(round(theirs[k], 6) for k in ("precision", "recall", "f1-score")), name
        assert mine["n_reference"] == theirs["support"], name
