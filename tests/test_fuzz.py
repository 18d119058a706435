"""A fuzzer of our own (issue 11): every field of a valid export and of documents.yaml is mutated with type
confusion, escapes, control characters, our own markers and huge values. Each mutated input is either
refused (a message, no traceback, no address echoed, the published release byte-identical) or accepted
with a release whose rows are exactly what the input says (read by a plain oracle below), and no
e-mail address ever reaches data/ or the card. Bounded to about a minute."""
from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import FIXTURE_CORPUS, load_fixture_export, tree_digest
from schemas import vocab
from scripts.__main__ import main
from scripts.core.addresses import addresses_in

HOSTILE = [
    "false", "true", "1", "", " ", "null", 0, 1, -1, 2**31, 2**63, 2**64, 1.5, -0.0, 1e308, None, True, False, {}, {"x": 1},
    [], [None], [[[]]], "@".join(["jane.doe", "example.org"]), "jane.doe\uff20example.org", "x\x1b[31m", "\u202egpe", "a\nb", "\x00",
    "<!-- /generated:usage -->", "<!-- generated:fields -->", "---", "../../etc/passwd", "x" * 5000, "GPE", "CLAIM", "annotator-1",
    "d000", "fx2", "e0_6", "CITY", ["GPE", "LOC"], ["x"], "\ud7ff", "🚀",
]
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck), database=None)


def paths(node, prefix=()):
    """Every place in a JSON value: (path, value), containers included."""
    yield prefix, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from paths(v, (*prefix, i))


def mutated(base, path, op, value):
    out = copy.deepcopy(base)
    if not path:
        return value if op == "set" else out
    parent = out
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    if op == "set":
        parent[key] = value
    elif op == "delete":
        del parent[key]
    elif op == "duplicate" and isinstance(parent, list):
        parent.insert(key, copy.deepcopy(parent[key]))
    return out


values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=12), st.integers(min_value=-2**70, max_value=2**70),
                   st.floats(allow_nan=False), st.booleans())
ops = st.sampled_from(["set", "set", "set", "delete", "duplicate"])
EXPORT = load_fixture_export()
META = yaml.safe_load((FIXTURE_CORPUS / "documents.yaml").read_text(encoding="utf-8"))


def places(base, keep=lambda p: True) -> st.SearchStrategy:
    """A place in `base`, drawn field name first (every field is attacked as often, however often it occurs)."""
    by_name: dict = {}
    for p, _ in paths(base):
        if keep(p):
            by_name.setdefault(p[-1] if p and isinstance(p[-1], str) else "[item]", []).append(p)
    return st.sampled_from(sorted(by_name)).flatmap(lambda name: st.sampled_from(by_name[name]))


EXPORT_PLACES = places(EXPORT)
META_PLACES = places(META, lambda p: p[:1] == ("documents",))


@pytest.fixture(scope="module")
def published(fixture_release):
    return fixture_release


def attempt(fixture_release: Path, tmp: Path, export, meta, capsys) -> None:
    release = tmp / "release"
    if release.exists():
        shutil.rmtree(release)
    shutil.copytree(fixture_release, release)
    corpus = tmp / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (corpus / "documents.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    path = tmp / "export.json"
    path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8", errors="surrogatepass")
    before = tree_digest(release)
    capsys.readouterr()
    code = main(["build", "--corpus", str(corpus), "--export", str(path), "--out", str(release), "--allow-removals"])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if code:
        assert err.strip() and not addresses_in(err), err
        assert tree_digest(release) == before
        return
    assert_rows_are_the_input(release, export, meta)
    assert_no_address(release)


def assert_no_address(release: Path) -> None:
    for name in ("README.md", "DATASHEET.md"):
        assert not addresses_in((release / name).read_text(encoding="utf-8"))
    for f in (release / "data").rglob("*.parquet"):
        for column in pq.read_table(f).columns:
            if pa.types.is_string(column.type):
                for value in column.to_pylist():
                    assert value is None or not addresses_in(value), (f, value)


def gold_of(task):
    live = [a for a in task.get("annotations") or [] if a.get("was_cancelled") is not True]
    truths = [a for a in live if a.get("ground_truth") is True]
    return truths[0] if truths else live[0] if len(live) == 1 else None


def oracle(export) -> dict:
    """What a plain reading of the export says the release holds: the gold spans, and every annotator's count of spans."""
    want = {"entities": set(), "claims": set(), "figures": set(), "raw": {}}
    for task in export:
        doc, gold = task["data"]["doc_id"], gold_of(task)
        for annotation in task.get("annotations", []):
            if annotation.get("was_cancelled") is True:
                continue
            items = annotation["result"]
            regions = {r["id"]: r for r in items if r.get("type") == "labels"}
            attrs = {(r["id"], r["from_name"]): (r["value"].get("text") or r["value"].get("choices") or [r["value"].get("number")])[0]
                     for r in items if r.get("type") in ("textarea", "choices", "number")}
            spans = [r for r in regions.values() if r["value"]["labels"][0] != vocab.CUE]
            who = annotation["completed_by"]["pseudonym"]
            want["raw"][(doc, who)] = want["raw"].get((doc, who), 0) + len(spans)
            if annotation is not gold:
                continue
            for r in spans:
                v, label, a = r["value"], r["value"]["labels"][0], lambda name: attrs.get((r["id"], name))
                if r["from_name"] == "entity":
                    want["entities"].add((doc, v["start"], v["end"], label, a("entity_id").strip(), a("canonical_name").strip()))
                elif label == vocab.CLAIM:
                    want["claims"].add((doc, v["start"], v["end"], a("claim_kind")))
                else:
                    want["figures"].add((doc, v["start"], v["end"], float(a("value")), a("unit").strip(), a("approx"), a("figure_kind")))
    return want


def assert_rows_are_the_input(release: Path, export, meta) -> None:
    from scripts.build.pipeline import read_release

    tables, want = read_release(release), oracle(export)
    got = {
        "entities": set(tables["entities"].select("doc_id", "start", "end", "label", "entity_id", "canonical_name").iter_rows()),
        "claims": set(tables["claims"].select("doc_id", "start", "end", "claim_kind").iter_rows()),
        "figures": set(tables["figures"].select("doc_id", "start", "end", "value", "unit", "approx", "kind").iter_rows()),
    }
    for layer in ("entities", "claims", "figures"):
        assert got[layer] == want[layer], layer
    raw = tables["annotations_raw"].group_by("doc_id", "annotator").len()
    assert {(d, a): n for d, a, n in raw.iter_rows()} == {k: n for k, n in want["raw"].items() if n}
    docs = {r["doc_id"]: r for r in tables["documents"].iter_rows(named=True)}
    for entry in meta["documents"]:
        row = docs[entry["doc_id"]]
        assert {k: row[k] for k in ("title", "publisher", "published", "language", "source_file", "rights")} == {
            k: entry.get(k) for k in ("title", "publisher", "published", "language", "source_file", "rights")}


@SETTINGS
@given(data=st.data())
def test_every_field_of_the_export(data, published, tmp_path_factory, capsys):
    path = data.draw(EXPORT_PLACES, label="path")
    export = mutated(EXPORT, path, data.draw(ops, label="op"), data.draw(values, label="value"))
    attempt(published, tmp_path_factory.mktemp("fuzz"), export, META, capsys)


@SETTINGS
@given(data=st.data())
def test_every_field_of_the_corpus_metadata(data, published, tmp_path_factory, capsys):
    path = data.draw(META_PLACES, label="path")
    meta = mutated(META, path, data.draw(ops, label="op"), data.draw(values, label="value"))
    attempt(published, tmp_path_factory.mktemp("fuzz"), EXPORT, meta, capsys)
