"""Rule-based pre-annotations for documents without gold, for annotators to correct rather than start over:
figures found by a quantity parser (quantulum3) with their qualifier and counted noun, and mentions of the
entities the gold already knows (same surface text, whole words)."""
from __future__ import annotations

import re
import warnings
from collections import Counter

from scripts.core.model import AnnotatedDocument, Document, Entity, Figure

with warnings.catch_warnings():  # it warns that its optional unit classifier is not installed
    warnings.simplefilter("ignore")
    from quantulum3 import parser as quantities

QUALIFIERS = {
    "more than": "lower_bound", "over": "lower_bound", "at least": "lower_bound",
    "nearly": "approximate", "almost": "approximate", "about": "approximate", "around": "approximate",
    "roughly": "approximate", "approximately": "approximate", "some": "approximate", "as many as": "approximate",
    "up to": "upper_bound", "within": "upper_bound", "less than": "upper_bound", "fewer than": "upper_bound",
}
QUALIFIER_BEFORE = re.compile(r"\b(" + "|".join(sorted(QUALIFIERS, key=len, reverse=True)) + r")\s+$", re.I)
COUNTED_NOUN = re.compile(r"\s+([a-z][a-z-]*)")
NOT_A_NOUN = {"to", "on", "out", "of", "in", "at", "after", "before", "by", "for", "from", "and", "or", "the",
              "a", "an", "newly", "per", "into", "with", "as", "more", "were", "was", "are", "is"}
MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
DATE_OR_TIME = [re.compile(MONTH + r"\s+$", re.I), re.compile(r"[:\-/]$")]  # before the number
DATE_OR_TIME_AFTER = re.compile(r"^(,\s*\d{4}|:\d|-\d|\s+" + MONTH + r")", re.I)
KINDS = {"currency": "money", "length": "distance", "time": "duration"}
NUMBER = re.compile(r"(\d[\d,]*(?:\.\d+)?)(?:\s*-?\s*(thousand|million|billion))?", re.I)
SCALE = {None: 1, "thousand": 1e3, "million": 1e6, "billion": 1e9}


def known_entities(gold: dict[str, AnnotatedDocument]) -> dict[str, tuple[str, str, str]]:
    """Surface text -> (label, entity_id, canonical_name), the most frequent reading where the gold varies."""
    readings: dict[str, Counter] = {}
    for annotated in gold.values():
        for e in annotated.entities:
            readings.setdefault(e.text_in(annotated.doc), Counter())[(e.label, e.entity_id, e.canonical_name)] += 1
    return {surface: counts.most_common(1)[0][0] for surface, counts in readings.items()}


def entity_mentions(doc: Document, known: dict[str, tuple[str, str, str]]) -> list[Entity]:
    if not known:
        return []
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(s) for s in sorted(known, key=len, reverse=True)) + r")(?!\w)")
    return [Entity(m.start(), m.end(), None, *known[m.group(0)]) for m in pattern.finditer(doc.text)]


def _is_date_or_time(text: str, start: int, end: int, surface: str, value: float) -> bool:
    before, after = text[max(0, start - 12):start], text[end:end + 12]
    year = surface.isdigit() and len(surface) == 4 and 1900 <= value <= 2100
    return year or any(p.search(before) for p in DATE_OR_TIME) or bool(DATE_OR_TIME_AFTER.match(after))


def figure_mentions(doc: Document) -> list[Figure]:
    text, figures = doc.text, []
    for q in quantities.parse(text):
        start, end = q.span
        surface = text[start:end]
        if not any(c.isdigit() for c in surface) and q.unit.entity.name == "dimensionless" and q.value < 10:
            continue  # "two", "a": too often not a figure
        if _is_date_or_time(text, start, end, surface, q.value):
            continue
        number = NUMBER.search(surface)
        value = float(number.group(1).replace(",", "")) * SCALE[(number.group(2) or "").lower() or None] if number else q.value
        kind = "percent" if q.unit.name == "percentage" else KINDS.get(q.unit.entity.name, "count")
        unit = "USD" if kind == "money" and ("$" in surface or "dollar" in surface) else q.unit.name
        noun = COUNTED_NOUN.match(text, end)
        if unit == "dimensionless" and noun and noun.group(1) not in NOT_A_NOUN:
            end, unit = noun.end(), noun.group(1)
        approx = "exact"
        if qualifier := QUALIFIER_BEFORE.search(text, 0, start):
            start, approx = qualifier.start(), QUALIFIERS[qualifier.group(1).lower()]
        figures.append(Figure(start, end, None, value=value, value_max=None, unit=unit, approx=approx, kind=kind))
    return figures


def preannotate(doc: Document, known: dict[str, tuple[str, str, str]]) -> AnnotatedDocument:
    return AnnotatedDocument(doc, entities=entity_mentions(doc, known), figures=figure_mentions(doc))
