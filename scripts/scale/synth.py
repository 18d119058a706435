"""Synthetic corpora for the benchmark: realistic Label Studio snapshot exports at any size, seeded.

Each document is a news-length text (about 3,000 characters in paragraphs, with non-ASCII names,
non-BMP characters and newlines) carrying about 100 gold spans: entities on token boundaries,
figures, and claims with a cue, a claimant relation and per-region attributes, written through the
project's own Label Studio writer. One task in ten has a second, partial annotation and a ground
truth. The export is written task by task, so a 5M-span export never sits in memory.
"""
from __future__ import annotations

import json
import random
import unicodedata
from pathlib import Path

import yaml

from scripts.core.corpus import sha256_text
from scripts.core.export_write import to_result
from scripts.core.model import AnnotatedDocument, Claim, Document, Entity, Figure, Span

SPANS_PER_DOC = 100
NAMES = [("Aleppo", "GPE"), ("Idlib", "GPE"), ("Türkiye", "GPE"), ("Russia", "GPE"), ("Davutoğlu", "PERSON"),
         ("Konashenkov", "PERSON"), ("Ḥalab", "GPE"), ("SOHR", "ORG"), ("Interfax", "ORG"), ("Kurdish", "NORP"),
         ("Syrian", "NORP"), ("Hreitan", "GPE"), ("Gaziantep", "GPE"), ("Reuters", "ORG"), ("Ankara", "GPE")]
WORDS = ("forces advanced towards the border while civilians fled north through the countryside and "
         "officials warned of a humanitarian crisis as aid convoys waited at the crossing for hours").split()
FIGURES = [("more than {n} sites", "sites", "lower_bound"), ("nearly {n} people", "people", "approximate"),
           ("{n} troops", "troops", "exact"), ("up to {n} km", "km", "upper_bound")]
EXTRAS = ["é", "ü", "—", "🚀", "“", "”"]


def slug(name: str) -> str:
    """An entity id of the pattern of ids (ASCII, lower case)."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()


class _Writer:
    """Appends text and records offsets in code points."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0

    def add(self, piece: str) -> tuple[int, int]:
        start = self.length
        self.parts.append(piece)
        self.length += len(piece)
        return start, self.length

    @property
    def text(self) -> str:
        return "".join(self.parts)


def document(doc_id: str, rng: random.Random) -> AnnotatedDocument:
    w, entities, figures, claims = _Writer(), [], [], []

    def entity() -> Span:
        name, label = rng.choice(NAMES)
        start, end = w.add(name)
        entities.append(Entity(start, end, None, label=label, entity_id=slug(name), canonical_name=name))
        return Span(start, end, None)

    spans = 0
    while spans < SPANS_PER_DOC:
        for _ in range(rng.randint(2, 4)):  # a paragraph of sentences
            claimant = entity()
            w.add(" ")
            cue = Span(*w.add(rng.choice(["said", "reported", "claimed"])), None)
            w.add(" that ")
            claim_start = w.length
            entity()
            w.add(" " + " ".join(rng.sample(WORDS, 4)) + " ")
            pattern, unit, approx = rng.choice(FIGURES)
            n = rng.randint(2, 90_000)
            start, end = w.add(pattern.format(n=f"{n:,}"))
            figures.append(Figure(start, end, None, value=float(n), value_max=None, unit=unit, approx=approx,
                                  kind="distance" if unit == "km" else "count"))
            w.add(" near ")
            entity()
            claim_end = w.length
            claims.append(Claim(claim_start, claim_end, None, claim_kind="indirect", cue=cue, claimant=claimant,
                                claimant_type="named", claim_group_id=None))
            w.add(f" {rng.choice(EXTRAS)} " + " ".join(rng.sample(WORDS, 6)) + ". ")
            spans += 6
        w.add("\n\n")
    text = w.text
    doc = Document(doc_id, text, sha256_text(text), None, None, None, "en", f"{doc_id}.txt", "Synthetic text (benchmark).")
    return AnnotatedDocument(doc, entities=entities, claims=claims, figures=figures)


def generate(folder: Path, spans: int, seed: int = 0) -> tuple[Path, Path]:
    """Writes folder/corpus/ and folder/export.json with about `spans` gold spans; returns their paths."""
    corpus, export = folder / "corpus", folder / "export.json"
    corpus.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    entries = []
    with export.open("w", encoding="utf-8") as out:
        out.write("[")
        for n in range(max(1, spans // SPANS_PER_DOC)):
            annotated = document(f"s{n:07d}", rng)
            doc = annotated.doc
            (corpus / f"{doc.doc_id}.txt").write_text(doc.text, encoding="utf-8")
            entries.append({"doc_id": doc.doc_id, "source_file": doc.source_file, "title": None, "publisher": None,
                            "published": None, "language": "en", "text_sha256": doc.text_sha256, "n_chars": doc.n_chars,
                            "rights": doc.rights})
            gold = {"id": 2 * n + 1, "completed_by": {"id": 1, "pseudonym": "annotator-1"}, "was_cancelled": False,
                    "ground_truth": n % 10 == 0, "result": to_result(annotated)}
            annotations = [gold]
            if n % 10 == 0:  # a second annotator, who did the first half of the spans
                half = AnnotatedDocument(doc, entities=annotated.entities[: len(annotated.entities) // 2],
                                         claims=[], figures=annotated.figures[: len(annotated.figures) // 2])
                annotations.append({"id": 2 * n + 2, "completed_by": {"id": 2, "pseudonym": "annotator-2"},
                                    "was_cancelled": False, "ground_truth": False, "result": to_result(half)})
            task = {"id": n + 1, "data": {"text": doc.text, "doc_id": doc.doc_id, "text_sha256": doc.text_sha256},
                    "annotations": annotations, "predictions": []}
            out.write(("," if n else "") + "\n" + json.dumps(task, ensure_ascii=False))
        out.write("\n]\n")
    (corpus / "documents.yaml").write_text(yaml.safe_dump({"documents": entries}, sort_keys=False, allow_unicode=True),
                                           encoding="utf-8")
    return corpus, export


def nested(folder: Path, claims: int, depth: int = 3) -> tuple[Path, Path]:
    """One document holding `claims` claims, nested `depth` deep ("A said that B said that C said that 12 troops
    advanced."), each with its claimant and cue and a figure inside, annotated twice (the gold and a second
    annotator's identical copy): what is quadratic in one document's spans shows here. (Nesting all of them in
    one chain would make the published claims' texts themselves quadratic.)"""
    w, entities, figures, claim_list = _Writer(), [], [], []
    for group in range(-(-claims // depth)):
        chain = []
        for k in range(min(depth, claims - group * depth)):
            name, label = NAMES[(group + k) % len(NAMES)]
            start, end = w.add(name)
            entities.append(Entity(start, end, None, label=label, entity_id=slug(name), canonical_name=name))
            w.add(" ")
            cue = Span(*w.add("said"), None)
            chain.append((cue, Span(start, end, None), w.add(" that ")[1]))
        start, end = w.add(f"{group + 2} troops")
        figures.append(Figure(start, end, None, value=float(group + 2), value_max=None, unit="troops", approx="exact", kind="count"))
        claim_list += [Claim(claim_start, end, None, claim_kind="indirect", cue=cue, claimant=claimant, claimant_type="named",
                             claim_group_id=None) for cue, claimant, claim_start in chain]
        w.add(" advanced.\n\n" if group % 10 == 9 else " advanced. ")
    text = w.text
    doc = Document("n0000000", text, sha256_text(text), None, None, None, "en", "n0000000.txt", "Synthetic text (benchmark).")
    annotated = AnnotatedDocument(doc, entities=entities, claims=claim_list, figures=figures)
    corpus, export = folder / "corpus", folder / "export.json"
    corpus.mkdir(parents=True, exist_ok=True)
    (corpus / doc.source_file).write_text(text, encoding="utf-8")
    annotations = [{"id": n, "completed_by": {"id": n, "pseudonym": f"annotator-{n}"}, "was_cancelled": False,
                    "ground_truth": n == 1, "result": to_result(annotated)} for n in (1, 2)]
    task = {"id": 1, "data": {"text": text, "doc_id": doc.doc_id, "text_sha256": doc.text_sha256}, "annotations": annotations}
    export.write_text(json.dumps([task], ensure_ascii=False), encoding="utf-8")
    entry = {"doc_id": doc.doc_id, "source_file": doc.source_file, "title": None, "publisher": None, "published": None,
             "language": "en", "text_sha256": doc.text_sha256, "n_chars": doc.n_chars, "rights": doc.rights}
    (corpus / "documents.yaml").write_text(yaml.safe_dump({"documents": [entry]}, sort_keys=False), encoding="utf-8")
    return corpus, export
