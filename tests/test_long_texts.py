"""Text checks on long documents: the same verdict as Python's slicing, at a cost linear in the spans."""
from __future__ import annotations

import random

import polars as pl
import pytest

from schemas.tables import LONG_TEXT, _slice_matches

ALPHABET = ["a", " ", "é", "—", "🚀", "\n", "Ḥ", "z"]


@pytest.mark.parametrize("length", [200, LONG_TEXT + 5000])  # a short text (sliced as strings) and a long one (as bytes)
def test_slice_matches_is_python_slicing(length):
    rng = random.Random(length)
    texts = {f"d{i}": "".join(rng.choice(ALPHABET) for _ in range(length + i)) for i in range(3)}
    rows = []
    for _ in range(3000):
        doc = rng.choice(sorted(texts))
        text = texts[doc]
        start = rng.randint(-3, len(text) + 3)
        end = start + rng.randint(-2, 40)
        sliced = text[max(start, 0):max(end, 0)] if 0 <= start <= end <= len(text) else "x"
        if rng.random() < 0.3:
            sliced = sliced[:-1] + "b" if sliced else "b"
        want = 0 <= start <= end <= len(text) and text[start:end] == sliced
        rows.append({"doc_id": doc, "doc_text": text, "start": start, "end": end, "text": sliced, "want": want})
    frame = pl.DataFrame(rows, schema_overrides={"start": pl.Int32, "end": pl.Int32})
    got = _slice_matches(frame.lazy(), "start", "end", "text", "doc_text").collect().to_series()
    assert got.to_list() == frame["want"].to_list()
    assert sum(frame["want"]) > 1000  # most spans are right, some are not


def test_a_missing_document_text_never_matches():
    frame = pl.DataFrame({"doc_id": ["d", "e"], "doc_text": ["a" * (LONG_TEXT + 1), None], "start": [0, 0], "end": [1, 1], "text": ["a", "a"]},
                         schema_overrides={"start": pl.Int32, "end": pl.Int32})
    assert _slice_matches(frame.lazy(), "start", "end", "text", "doc_text").collect().to_series().to_list() == [True, False]
