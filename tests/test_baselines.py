"""The baselines of README "Baselines": the card's table is what a fresh run gives, to the last digit; a card
that differs is refused; the claims rule and the entity label filter on literal sentences."""
from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import ROOT
from schemas.vocab import ENTITY_LABELS
from scripts.evaluate.baselines import claims_in, entity_predictions, load_model

OPENING, CLOSING = "<!-- generated:baselines -->", "<!-- /generated:baselines -->"


def baselines(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "scripts", "baselines", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.fixture(scope="module")
def nlp():
    return load_model()


def spans(text: str, rows: list[dict]) -> list[tuple]:
    """Each claim as (kind, content, cue, claimant, claimant_type), the spans as the text they cover."""
    cut = lambda s, e: None if s is None else text[s:e]  # noqa: E731
    return [(r["claim_kind"], cut(r["start"], r["end"]), cut(r["cue_start"], r["cue_end"]),
             cut(r["claimant_start"], r["claimant_end"]), r["claimant_type"]) for r in rows]


def test_the_card_holds_what_a_fresh_run_gives():
    done = baselines("--check")
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[-1] == f"{ROOT / 'README.md'}: the baselines block matches a fresh run"
    card = (ROOT / "README.md").read_text(encoding="utf-8")
    block = card[card.index(OPENING) + len(OPENING) + 1:card.index(CLOSING)]
    assert block == done.stdout  # the table printed is the table in the card


def test_the_build_leaves_the_block_as_it_was(fixture_release):
    block = lambda text: text[text.index(OPENING):text.index(CLOSING)]  # noqa: E731
    built = (fixture_release / "README.md").read_text(encoding="utf-8")
    assert block(built) == block((ROOT / "README.md").read_text(encoding="utf-8"))
    assert "| entities | spaCy en_core_web_sm 3.8.0 NER | `strict` |" in block(built)


def test_a_tampered_card_is_refused_and_left_as_it_was(tmp_path):
    card = (ROOT / "README.md").read_text(encoding="utf-8")
    original = next(line for line in card[card.index(OPENING):].split("\n") if "| `strict` |" in line)
    f1 = original.split(" | ")[3]  # "0.739 (0.696–0.779)"
    tampered = original.replace(f1, f"{(int(f1[2:5]) + 1) % 1000:03d}".join([f1[:2], f1[5:]]))
    readme = tmp_path / "README.md"
    readme.write_text(card.replace(original, tampered), encoding="utf-8")
    before = readme.read_bytes()
    done = baselines("--check", "--readme", str(readme))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    lines = done.stderr.splitlines()
    assert lines[1] == (f"baselines check failed: the block 'baselines' of {readme} differs from a fresh run "
                        "(run `python -m scripts baselines` to rewrite it):")
    assert lines[3:] == [f"-{tampered}", f"+{original}"]
    assert readme.read_bytes() == before


def test_a_card_without_the_block_is_refused(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# A card\n\nno block here\n", encoding="utf-8")
    done = baselines("--readme", str(readme))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (f"{readme}: needs exactly one line '{OPENING}' and, after it, one line "
                                            f"'{CLOSING}' (found 0 and 0); restore them from git")
    assert readme.read_text(encoding="utf-8") == "# A card\n\nno block here\n"


def test_the_claims_rule_on_a_quotation_holding_reported_speech(nlp):
    text = '"The army said that 12 soldiers died," the report added.'
    assert spans(text, claims_in(nlp(text), ENTITY_LABELS)) == [
        ("direct", "The army said that 12 soldiers died", "added", "the report", "unnamed"),
        ("indirect", "12 soldiers died", "said", "The army", "unnamed"),
    ]
    assert [(r["start"], r["end"], r["cue_start"], r["cue_end"], r["claimant_start"], r["claimant_end"])
            for r in claims_in(nlp(text), ENTITY_LABELS)] == [(1, 36, 50, 55, 39, 49), (20, 36, 10, 14, 1, 9)]


@pytest.mark.parametrize("text, expected", [
    ("Erdogan said on Monday that Turkey would not wait.", [("indirect", "Turkey would not wait", "said", "Erdogan", "named")]),
    ("Reuters reported that 30 sites were seized.", [("reported", "30 sites were seized", "reported", "Reuters", "named")]),
    ("It was reported that the town had fallen.", [("reported", "the town had fallen", "reported", None, "none")]),
    ("The town fell on Sunday.", []),
])
def test_the_claims_rule_names_the_claimant_and_the_kind(nlp, text, expected):
    assert spans(text, claims_in(nlp(text), ENTITY_LABELS)) == expected


def test_numeric_entity_types_are_left_out_and_counted(nlp):
    text = "Turkey sent 7000 troops to Idlib on Sunday."
    rows, notes = entity_predictions({"d000": nlp(text)}, ENTITY_LABELS)
    assert rows == [{"doc_id": "d000", "start": 0, "end": 6, "label": "GPE"}, {"doc_id": "d000", "start": 27, "end": 32, "label": "GPE"},
                    {"doc_id": "d000", "start": 36, "end": 42, "label": "DATE"}]
    assert notes == ["left out 1 prediction(s) labelled CARDINAL (a numeric type: the corpus's figures layer)"]
