"""`python -m scripts export`: each format of the committed release (the repo root's data/) read back by a
reader we did not write and compared span by span with the gold (pie-datasets style: exact counts and a
literal first example). brat: pybrat (T, R, N lines) and bratly (A and # lines, brat's grammar); spaCy: its
own DocBin; CoNLL: NLTK's ConllCorpusReader; Label Studio: label-studio-sdk's LabelInterface validator
and our strict reader."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from conftest import tree_digest
from schemas import vocab
from scripts.__main__ import main
from scripts.build.pipeline import read_release
from scripts.core.formats import FORMATS, brat, spacy_docbin
from scripts.core.formats.gold import gold_documents
from scripts.core.model import AnnotatedDocument, Claim, Document, Entity, Span

ROOT = Path(__file__).resolve().parents[1]
TABLES = read_release(ROOT)
GOLD = gold_documents(TABLES)
N = {layer: TABLES[layer].height for layer in ("entities", "claims", "figures", "ner")}
TEXTS = {d: a.doc.text for d, a in GOLD.items()}


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("exports")
    for name in FORMATS:
        assert main(["export", "--format", name, "--out", str(out / name)]) == 0
    return out


def test_the_gold_reads_as_the_release_counts():
    assert list(GOLD) == sorted(TABLES["documents"]["doc_id"].to_list())
    assert sum(len(a.entities) for a in GOLD.values()) == N["entities"] == 471
    assert sum(len(a.claims) for a in GOLD.values()) == N["claims"] == 101
    assert sum(len(a.figures) for a in GOLD.values()) == N["figures"] == 56


def _expected_t(annotated: AnnotatedDocument) -> Counter:
    spans = [(e.label, e.start, e.end) for e in annotated.entities] + [(vocab.FIGURE, f.start, f.end) for f in annotated.figures]
    spans += [(vocab.CLAIM, c.start, c.end) for c in annotated.claims]
    spans += [(vocab.CUE, s, e) for s, e in {(c.cue.start, c.cue.end) for c in annotated.claims}]
    return Counter(spans)


def test_brat_reads_back_span_by_span_with_pybrat(exported):
    from pybrat.parser import BratParser

    examples = {ex.id: ex for ex in BratParser(error="raise").parse(exported / "brat")}
    assert sorted(examples) == list(GOLD)
    counts, multi = Counter(), 0
    for doc_id, ex in examples.items():
        text = (exported / "brat" / f"{doc_id}.txt").read_text(encoding="utf-8")
        assert ex.text == text == TEXTS[doc_id]
        got = Counter()
        for t in ex.entities:
            frags = [(s.start, s.end) for s in t.spans]
            multi += len(frags) > 1
            assert t.mention == " ".join(text[s:e] for s, e in frags)  # text == text[start:end] per fragment
            assert all(brat.LINE_BREAK.fullmatch(text[a_end:b_start]) for (_, a_end), (b_start, _) in zip(frags, frags[1:]))
            assert frags == brat.fragments(text, frags[0][0], frags[-1][1])
            got[(t.type, frags[0][0], frags[-1][1])] += 1
            counts[t.type] += 1
        assert got == _expected_t(GOLD[doc_id])
        by_id = {t.id: (t.type, t.spans[0].start, t.spans[-1].end) for t in ex.entities}
        relations = Counter((r.type, by_id[r.arg1.id], by_id[r.arg2.id]) for r in ex.relations)
        claims = GOLD[doc_id].claims
        expected = Counter((vocab.CUE_RELATION, (vocab.CLAIM, c.start, c.end), (vocab.CUE, c.cue.start, c.cue.end)) for c in claims)
        expected += Counter((vocab.CLAIMANT_RELATION, (vocab.CLAIM, c.start, c.end), (e.label, e.start, e.end))
                            for c in claims if c.claimant for e in GOLD[doc_id].entities if (e.start, e.end) == (c.claimant.start, c.claimant.end))
        assert relations == expected
        refs = Counter((by_id[t.id], r.rid, r.eid, r.entry) for t in ex.entities for r in t.references)
        expected = Counter(((e.label, e.start, e.end), "entity", e.entity_id, e.canonical_name) for e in GOLD[doc_id].entities)
        expected += Counter(((vocab.CLAIM, c.start, c.end), "claim_group", c.claim_group_id, c.claim_group_id) for c in claims if c.claim_group_id)
        assert refs == expected
    assert sum(v for k, v in counts.items() if k in vocab.ENTITY_LABELS) == N["entities"]
    assert (counts[vocab.CLAIM], counts[vocab.FIGURE]) == (N["claims"], N["figures"])
    assert multi > 0  # spans across a line break, as discontinuous fragments
    first = examples["d000"]
    assert [(t.id, t.type, [(s.start, s.end) for s in t.spans], t.mention) for t in first.entities[:1]] == [("T1", "GPE", [(0, 6)], "Aleppo")]
    claim = next(t for t in first.entities if t.type == vocab.CLAIM)
    assert (claim.id, claim.spans[0].start, claim.spans[0].end) == ("T9", 128, 211)
    assert sorted((r.type, r.arg2.mention) for r in first.relations if r.arg1 is claim) == [("claimant", "Russia"), ("cue", "said")]
    assert [(r.rid, r.eid, r.entry) for r in first.entities[0].references] == [("entity", "aleppo", "Aleppo")]


@pytest.mark.filterwarnings("ignore:Support for class-based `config` is deprecated:DeprecationWarning")  # bratly's pydantic models
def test_brat_attributes_and_notes_read_back_with_bratly(exported):
    from bratly import AttributeAnnotation, EntityAnnotation, NoteAnnotation
    from bratly.io.file_read_src import parse_and_fix_ann_grammar, parse_ann_file

    seen = Counter()
    for doc_id, annotated in GOLD.items():
        ann = (exported / "brat" / f"{doc_id}.ann").read_text(encoding="utf-8")
        # bratly's grammar takes `\w+` ids only in N lines (pybrat reads those above); every other line must pass it
        kept = "\n".join(line for line in ann.splitlines() if not line.startswith("N"))
        assert parse_and_fix_ann_grammar(kept) == kept
        parsed = parse_ann_file(kept, f"{doc_id}.ann", no_duplicates=False, sorting=False, renumerotize=False).annotations
        assert len(parsed) == len(kept.splitlines())  # bratly skips a line it cannot parse: none skipped
        spans = {a.id: (a.label, a.get_start(), a.get_end()) for a in parsed if isinstance(a, EntityAnnotation)}
        attrs = {(spans[a.component.id], a.label): a.values for a in parsed if isinstance(a, AttributeAnnotation)}
        notes = {spans[a.component.id]: json.loads(a.value) for a in parsed if isinstance(a, NoteAnnotation)}
        for c in annotated.claims:
            key = (vocab.CLAIM, c.start, c.end)
            assert attrs[(key, "claim_kind")] == [c.claim_kind] and attrs[(key, "claimant_type")] == [c.claimant_type]
            seen["claims"] += 1
        for f in annotated.figures:
            key = (vocab.FIGURE, f.start, f.end)
            assert attrs[(key, "approx")] == [f.approx] and attrs[(key, "figure_kind")] == [f.kind]
            assert notes[key] == {"value": f.value, "value_max": f.value_max, "unit": f.unit}
            seen["figures"] += 1
        assert len(attrs) == 2 * (len(annotated.claims) + len(annotated.figures)) and len(notes) == len(annotated.figures)
    assert seen == {"claims": N["claims"], "figures": N["figures"]}
    conf = (exported / "brat" / "annotation.conf").read_text(encoding="utf-8")
    assert all(f"\n{label}\n" in conf for label in (*vocab.ENTITY_LABELS, vocab.CLAIM, vocab.CUE, vocab.FIGURE))


def test_spacy_docbin_reads_back_with_spacy(exported):
    import runpy

    import spacy
    from spacy.tokens import DocBin

    docs = list(DocBin().from_disk(exported / "spacy" / "test.spacy").get_docs(spacy.blank("en").vocab))
    assert [d.user_data["doc_id"] for d in docs] == list(GOLD)
    nlp = runpy.run_path(str(exported / "spacy" / "tokenizer.py"))["load"]()  # the rule, as shipped
    sentences = TABLES["ner"].sort("doc_id", "start").to_dicts()
    counts = Counter()
    for doc in docs:
        gold = GOLD[doc.user_data["doc_id"]]
        assert doc.text == gold.doc.text
        assert [t.text for t in doc] == [t.text for t in nlp.make_doc(doc.text)]
        ner_tokens = [(s, e) for row in sentences if row["doc_id"] == gold.doc.doc_id for s, e in zip(row["token_starts"], row["token_ends"])]
        assert [(t.idx, t.idx + len(t)) for t in doc if not t.is_space] == ner_tokens  # the `ner` config's tokens
        assert [(e.start_char, e.end_char, e.label_, e.kb_id_) for e in doc.ents] == [(e.start, e.end, e.label, e.entity_id) for e in gold.entities]
        assert all(doc.user_data["canonical_names"][e.entity_id] == e.canonical_name for e in gold.entities)
        claims, figures = doc.spans["claims"], doc.spans["figures"]
        assert [(s.start_char, s.end_char, s.label_, s.kb_id_ or None) for s in claims] == [(c.start, c.end, "CLAIM", c.claim_group_id) for c in gold.claims]
        assert claims.attrs["rows"] == [spacy_docbin._values("claims", c) for c in gold.claims]
        assert sorted((s.start_char, s.end_char) for s in doc.spans["cues"]) == sorted({(c.cue.start, c.cue.end) for c in gold.claims})
        assert [(s.start_char, s.end_char, s.label_) for s in figures] == [(f.start, f.end, "FIGURE") for f in gold.figures]
        assert figures.attrs["rows"] == [{"value": f.value, "value_max": f.value_max, "unit": f.unit, "approx": f.approx, "kind": f.kind} for f in gold.figures]
        assert list(doc.user_data["unaligned"]) == []  # msgpack gives user_data lists back as tuples
        counts.update(entities=len(doc.ents), claims=len(claims), figures=len(figures))
    assert counts == {k: N[k] for k in ("entities", "claims", "figures")}
    first = docs[0]
    assert (first.ents[0].text, first.ents[0].label_, first.ents[0].kb_id_) == ("Aleppo", "GPE", "aleppo")
    assert first.spans["claims"].attrs["rows"][0] == {"claim_kind": "indirect", "claimant_type": "named", "claimant_start": 116,
                                                       "claimant_end": 122, "cue_start": 123, "cue_end": 127,
                                                       "claim_group_id": "russia-accuses-turkey-invasion-preparations"}


def test_a_span_off_the_tokens_is_reported_and_kept_not_dropped(tmp_path):
    text = "Aleppo-based groups said it.\nAnd then"
    doc = Document("x1", text, "", None, None, None, "en", "x1.txt", "")
    annotated = AnnotatedDocument(doc, entities=[Entity(0, 3, None, label="GPE", entity_id="a", canonical_name="A")],
                                  claims=[Claim(20, 37, None, claim_kind="direct", cue=Span(20, 24, None), claimant=None,
                                                claimant_type="none", claim_group_id=None)])
    problems = []
    made = spacy_docbin.to_doc(spacy_docbin.tokens._pipeline(), annotated, problems)
    assert len(problems) == 1 and "entities 0-3 'Ale' does not start and end on token boundaries" in problems[0]
    assert made.user_data["unaligned"] == [{"layer": "entities", "start": 0, "end": 3, "label": "GPE"}]
    assert [(s.start_char, s.end_char) for s in made.spans["claims"]] == [(20, 37)]
    problems = []
    starts_on_break = AnnotatedDocument(doc, claims=[Claim(28, 37, None, claim_kind="direct", cue=Span(20, 24, None), claimant=None,
                                                           claimant_type="none", claim_group_id=None)])
    assert "T1\tCUE 20 24\tsaid" in brat.ann(starts_on_break, problems)
    assert problems == ["doc x1: claims 28-37 '\\nAnd then' starts or ends on a line break: not written (brat)"]


def test_conll_reads_back_token_by_token_with_nltk(exported, monkeypatch):
    import nltk
    from nltk.corpus.reader import ConllCorpusReader

    monkeypatch.setattr(nltk.data, "path", [*nltk.data.path, str(exported / "conll")])  # NLTK reads only from its data paths

    # CoNLL-2003's columns: word, POS, chunk, NER; NLTK reads the NER column as its "chunk" column (as for conll2002)
    reader = ConllCorpusReader(str(exported / "conll"), ["test.conll"], columntypes=("words", "pos", "ignore", "chunk"))
    sentences = [s for s in reader.iob_sents() if s]  # a -DOCSTART- block is read as an empty sentence
    rows = TABLES["ner"].sort("doc_id", "start").to_dicts()
    assert len(sentences) == len(rows) == N["ner"] == 177
    for got, row in zip(sentences, rows):
        assert [w for w, _, _ in got] == row["tokens"] and [t for _, _, t in got] == row["ner_tags"]
    assert sum(t.startswith("B-") for s in sentences for _, _, t in s) == N["entities"]
    raw = (exported / "conll" / "test.conll").read_text(encoding="utf-8")
    assert raw.count("-DOCSTART- -X- -X- O\n\n") == len(GOLD)
    assert raw.startswith("-DOCSTART- -X- -X- O\n\nAleppo _ _ B-GPE\nSyria _ _ B-GPE\nSmoke _ _ O\n")
    assert sentences[0][:2] == [("Aleppo", "_", "B-GPE"), ("Syria", "_", "B-GPE")]


def _bare(span):
    """The span without provenance (the release keeps no cue's region), to compare values."""
    if isinstance(span, Claim):
        return replace(span, source=None, cue=replace(span.cue, source=None),
                       claimant=span.claimant and replace(span.claimant, source=None))
    return replace(span, source=None)


def test_label_studio_tasks_pass_the_sdk_validator_and_read_back(exported):
    from label_studio_sdk.label_interface import LabelInterface

    from scripts.core.export_read import Problems, read_result

    tasks = json.loads((exported / "labelstudio" / "tasks.json").read_text(encoding="utf-8"))
    config = LabelInterface((exported / "labelstudio" / "labeling_config.xml").read_text(encoding="utf-8"))
    assert [t["data"]["doc_id"] for t in tasks] == list(GOLD)
    regions = Counter()
    for task in tasks:
        assert config.validate_task({"data": task["data"]})
        [prediction] = task["predictions"]
        assert config.validate_prediction(prediction, return_errors=True) == []
        doc = GOLD[task["data"]["doc_id"]].doc
        assert task["data"]["text"] == doc.text
        for item in prediction["result"]:
            if item["type"] == "labels":
                value = item["value"]
                assert value["text"] == doc.text[value["start"]:value["end"]].replace("\n", "\\n")
                regions[value["labels"][0] if value["labels"][0] in vocab.SPAN_LABELS else "entity"] += 1
        problems = Problems()
        back = read_result(doc.doc_id, prediction["result"], doc, problems)
        assert problems.items == []
        for layer in ("entities", "claims", "figures"):
            assert sorted(map(_bare, getattr(back, layer)), key=repr) == sorted(map(_bare, getattr(GOLD[doc.doc_id], layer)), key=repr)
    assert (regions["entity"], regions[vocab.CLAIM], regions[vocab.FIGURE]) == (N["entities"], N["claims"], N["figures"])
    first = tasks[0]["predictions"][0]["result"][0]
    assert first == {"id": "e0_6", "from_name": "entity", "to_name": "text", "type": "labels",
                     "value": {"start": 0, "end": 6, "text": "Aleppo", "labels": ["GPE"]}}


def test_every_export_is_byte_reproducible(exported, tmp_path):
    for name in FORMATS:
        assert main(["export", "--format", name, "--out", str(tmp_path / name)]) == 0
        before = tree_digest(tmp_path / name)
        assert main(["export", "--format", name, "--out", str(tmp_path / name)]) == 0  # again, into the same folder
        assert tree_digest(tmp_path / name) == before == tree_digest(exported / name)
        assert not [p for p in (tmp_path / name).iterdir() if p.name.endswith(".tmp")]


def test_bad_input_fails_with_a_message_not_a_traceback(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_text("x")
    assert main(["export", "--format", "brat", "--out", str(afile)]) == 2
    assert "export refused: --out" in capsys.readouterr().err and afile.read_text() == "x"
    with pytest.raises(SystemExit) as stop:
        main(["export", "--format", "pdf", "--out", str(tmp_path / "o")])
    assert stop.value.code == 2 and "invalid choice: 'pdf'" in capsys.readouterr().err
    assert main(["export", "--format", "conll", "--out", str(tmp_path / "o"), "--release", str(tmp_path)]) == 2
    assert "holds no release" in capsys.readouterr().err
    assert main(["export", "--format", "conll", "--out", str(afile / "below")]) != 0
    err = capsys.readouterr().err
    assert "export failed" in err and "Traceback" not in err
