"""Property-based tests (Hypothesis): random valid documents and annotations, written as Label Studio
exports, come back exactly from import -> validation -> Parquet (and `load_dataset`); random
corruptions of a valid export never crash the build and a refused build never changes a byte."""
from __future__ import annotations

import copy
import json
import shutil
import string
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from conftest import FIXTURE_CORPUS, load_fixture_export, release_root, tree_digest
from schemas import vocab
from scripts.__main__ import main
from scripts.core.corpus import sha256_text
from scripts.core.export_write import to_result
from scripts.core.model import AnnotatedDocument, Claim, Document, Entity, Figure, Span
from schemas.tables import TABLES
from scripts.build.pipeline import build, read_release
from scripts.core.tokens import _pipeline

# Letters of several scripts, non-BMP characters (two UTF-16 units each), spaces and newlines.
WORD_CHARS = string.ascii_letters + "éüğışçñÅØ" + "سوريا" + "Ωλ" + "🚀𝔘😀"
SEPARATORS = [" ", " ", " ", "\n", ", ", ". ", "\n\n", " – "]


@st.composite
def texts(draw) -> str:
    words = draw(st.lists(st.text(WORD_CHARS, min_size=1, max_size=9), min_size=3, max_size=40))
    seps = draw(st.lists(st.sampled_from(SEPARATORS), min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps)).strip() or "x"


def spans(draw, length: int, n: int) -> list[tuple[int, int]]:
    cuts = sorted(draw(st.lists(st.integers(0, length), min_size=2 * n, max_size=2 * n, unique=True))) if length >= 2 * n else []
    return [(cuts[i], cuts[i + 1]) for i in range(0, len(cuts) - 1, 2)]


@st.composite
def documents(draw, doc_id: str) -> AnnotatedDocument:
    text = draw(texts())
    doc = Document(doc_id, text, sha256_text(text), None, None, None, "en", f"{doc_id}.txt", "test text")
    tokens = [t for t in _pipeline()(text) if not t.is_space]
    # Entities: runs of whole tokens, never overlapping, never crossing a blank line or a sentence end.
    entities, taken = [], -1
    for i, token in enumerate(tokens):
        if i <= taken or not draw(st.booleans()):
            continue
        j = min(len(tokens) - 1, i + draw(st.integers(0, 2)))
        start, end = token.idx, tokens[j].idx + len(tokens[j])
        if "\n\n" in text[start:end] or any(t.is_sent_start for t in tokens[i + 1:j + 1]) or "." in text[start:end]:
            continue
        label = draw(st.sampled_from(vocab.ENTITY_LABELS))
        entity_id = draw(st.sampled_from(["alpha", "beta", "gamma"]))
        entities.append(Entity(start, end, None, label=label, entity_id=entity_id, canonical_name=entity_id.title()))
        taken = j
    figures = []
    for s, e in spans(draw, len(text), draw(st.integers(0, 3))):
        value = draw(st.floats(0, 1e12, allow_nan=False))
        figures.append(Figure(s, e, None, value=value, value_max=draw(st.none() | st.floats(value, 2e12, allow_nan=False)),
                              unit=draw(st.sampled_from(["people", "USD", "km", "%"])), approx=draw(st.sampled_from(vocab.FIGURE_APPROX)),
                              kind=draw(st.sampled_from(vocab.FIGURE_KINDS))))
    claims = []
    for s, e in spans(draw, len(text), draw(st.integers(0, 2))):
        claimant = draw(st.sampled_from([None, *entities]))
        cue = draw(st.sampled_from(spans(draw, len(text), 1) or [(s, e)]))
        claims.append(Claim(s, e, None, claim_kind=draw(st.sampled_from(vocab.CLAIM_KINDS)), cue=Span(*cue, None),
                            claimant=Span(claimant.start, claimant.end, None) if claimant else None,
                            claimant_type="named" if claimant else draw(st.sampled_from(["unnamed", "none"])),
                            claim_group_id=draw(st.sampled_from([None, "group-1"]))))
    return AnnotatedDocument(doc, entities=entities, claims=claims, figures=figures)


def write_inputs(folder: Path, docs: list[AnnotatedDocument]) -> tuple[Path, Path]:
    """A corpus folder and a Label Studio snapshot export (one task and one annotation per document)."""
    corpus = folder / "corpus"
    corpus.mkdir(parents=True)
    entries = []
    for a in docs:
        (corpus / f"{a.doc.doc_id}.txt").write_bytes(a.doc.text.encode("utf-8"))
        entries.append({"doc_id": a.doc.doc_id, "source_file": a.doc.source_file, "title": None, "publisher": None, "published": None,
                        "language": "en", "text_sha256": a.doc.text_sha256, "n_chars": a.doc.n_chars, "rights": a.doc.rights})
    (corpus / "documents.yaml").write_text(yaml.safe_dump({"documents": entries}), encoding="utf-8")
    tasks = [{"id": n, "data": {"text": a.doc.text, "doc_id": a.doc.doc_id, "text_sha256": a.doc.text_sha256},
              "annotations": [{"id": 100 + n, "completed_by": {"id": 1, "pseudonym": "annotator-1"}, "ground_truth": False,
                               "was_cancelled": False, "result": to_result(a)}]}
             for n, a in enumerate(docs, start=1)]
    export = folder / "export.json"
    export.write_text(json.dumps(tasks, ensure_ascii=False), encoding="utf-8")
    return corpus, export


def expected_rows(docs: list[AnnotatedDocument]) -> dict[str, list[tuple]]:
    rows = {"documents": [(a.doc.doc_id, a.doc.text, a.doc.text_sha256, a.doc.n_chars) for a in docs],
            "entities": [], "claims": [], "figures": []}
    for a in docs:
        d, t = a.doc.doc_id, a.doc.text
        rows["entities"] += [(d, e.start, e.end, t[e.start:e.end], e.label, e.entity_id, e.canonical_name) for e in a.entities]
        rows["figures"] += [(d, f.start, f.end, t[f.start:f.end], f.value, f.value_max, f.unit, f.approx, f.kind) for f in a.figures]
        rows["claims"] += [(d, c.start, c.end, t[c.start:c.end], t[c.cue.start:c.cue.end], c.claim_kind, c.claimant_type,
                            f"{d}:e{c.claimant.start}-{c.claimant.end}" if c.claimant else None, c.claim_group_id) for c in a.claims]
    return {k: sorted(v) for k, v in rows.items()}


def published_rows(tables) -> dict[str, list[tuple]]:
    return {
        "documents": sorted(tables["documents"].select("doc_id", "text", "text_sha256", "n_chars").rows()),
        "entities": sorted(tables["entities"].select("doc_id", "start", "end", "text", "label", "entity_id", "canonical_name").rows()),
        "figures": sorted(tables["figures"].select("doc_id", "start", "end", "text", "value", "value_max", "unit", "approx", "kind").rows()),
        "claims": sorted(tables["claims"].select("doc_id", "start", "end", "text", "cue_text", "claim_kind", "claimant_type",
                                                 "claimant_span_id", "claim_group_id").rows()),
    }


corpora = st.tuples(documents("p0"), documents("p1")).map(list)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


@settings(max_examples=30, **SETTINGS)
@given(docs=corpora)
def test_random_annotations_come_back_exactly(docs, tmp_path_factory):
    folder = tmp_path_factory.mktemp("prop")
    corpus, export = write_inputs(folder, docs)
    root = release_root(folder / "release")
    build(corpus, export, root)
    expected = expected_rows(docs)
    event(f"entities {min(len(expected['entities']), 5)}+, claims {min(len(expected['claims']), 2)}+, figures {min(len(expected['figures']), 2)}+")
    assert published_rows(read_release(root)) == expected


@pytest.mark.slow
@settings(max_examples=3, **SETTINGS)
@given(docs=corpora)
def test_random_annotations_load_exactly_with_load_dataset(docs, tmp_path_factory, datasets_only_python):
    from test_load_dataset import load

    folder = tmp_path_factory.mktemp("prop-load")
    corpus, export = write_inputs(folder, docs)
    root = release_root(folder / "release")
    build(corpus, export, root)
    configs = [t for t in TABLES if (root / "data" / t).is_dir()]
    event(f"configs loaded: {len(configs)}")
    loaded = load(datasets_only_python, root, folder / "cache", configs)
    for table in configs:
        parquet = pq.read_table(root / "data" / table).to_pylist()  # every row, as another reader sees it
        assert loaded[table]["rows"] == json.loads(json.dumps(parquet, default=str, ensure_ascii=False))


# ---- corruptions of a valid export ----

def leaves(node, path=()):
    """Every (path, value) in a JSON tree."""
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaves(v, (*path, i))


JSON_VALUES = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True), st.text(max_size=8),
                        st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))


@st.composite
def corruptions(draw):
    tasks = load_fixture_export()
    for _ in range(draw(st.integers(1, 4))):
        paths = [p for p, _ in leaves(tasks) if p]
        path = draw(st.sampled_from(paths))
        parent = tasks
        for key in path[:-1]:
            parent = parent[key]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(JSON_VALUES)
    return tasks


@pytest.fixture(scope="module")
def corrupted_release(fixture_release, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("corrupt") / "release"
    shutil.copytree(fixture_release, root)
    return root


@settings(max_examples=80, **SETTINGS)
@given(tasks=corruptions())
def test_corrupted_exports_never_crash_and_a_refusal_changes_nothing(tasks, corrupted_release, tmp_path_factory, capsys):
    export = tmp_path_factory.mktemp("corrupt-export") / "export.json"
    export.write_text(json.dumps(copy.deepcopy(tasks)), encoding="utf-8")
    before = tree_digest(corrupted_release)
    code = main(["build", "--corpus", str(FIXTURE_CORPUS), "--export", str(export), "--out", str(corrupted_release)])
    err = capsys.readouterr().err
    assert code in (0, 1, 2)
    event(f"exit code {code}")
    if code:
        assert "nothing was written" in err
        assert tree_digest(corrupted_release) == before
