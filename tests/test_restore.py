"""Against a real Label Studio server started empty: `up`'s push restores the committed export, a pull right
after it gives the committed export back and the release does not change by a byte; a blind pass holds no
gold; review and adjudicate work through the API. Outside CI skipped until Label Studio's venv exists."""
from __future__ import annotations

import json
import os
import shutil
import stat

import msgspec
import pytest

from conftest import ROOT, release_root, tree_digest
from scripts import annotate
from scripts.annotate.adjudication import adjudicate, review
from scripts.core.corpus import load_corpus
from scripts.core.export_model import Task
from scripts.core.addresses import EMAIL
from scripts.core.export_write import to_result
from scripts.build.pipeline import build
from test_label_studio_server import free_port

EXPORT = ROOT / "annotations" / "export.json"
CORPUS = load_corpus(ROOT / "corpus")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.environ.get("CI") and not (annotate.LS_VENV / ".complete").exists():
        pytest.skip(f"Label Studio is not installed in {annotate.LS_VENV}: `python -m scripts up` installs it; CI always runs these")
    home = tmp_path_factory.mktemp("label-studio")
    try:
        yield annotate.up(free_port(), home)
    finally:
        annotate.down(home)


@pytest.fixture(scope="module")
def restored(server, tmp_path_factory):
    """The committed export restored by push into the empty server, then pulled."""
    tasks = annotate.push(server, CORPUS, EXPORT)
    folder = tmp_path_factory.mktemp("pulled")
    export, mapping = folder / "export.json", folder / "pseudonyms.json"
    assert annotate.pull(server, export, mapping, allow_removals=False) == []
    return tasks, export, mapping


def comparable(path) -> list:
    """The export as the strict model reads it, less what only the server decides (its user ids)."""
    tasks = msgspec.to_builtins(msgspec.json.decode(path.read_bytes(), type=list[Task]))
    for task in tasks:
        for annotation in task["annotations"]:
            annotation["completed_by"].pop("id")
            annotation.pop("created_at", None), annotation.pop("updated_at", None)
    return tasks


def test_a_pull_after_a_restore_gives_the_committed_export_back(restored):
    _, export, mapping = restored
    assert comparable(export) == comparable(EXPORT)
    assert not EMAIL.search(export.read_text(encoding="utf-8").replace("@annotators.invalid", ""))
    assert json.loads(mapping.read_text()) == {}  # restored annotators map to themselves, nothing to keep
    assert stat.S_IMODE(mapping.stat().st_mode) == 0o600


def test_the_release_does_not_change_by_a_byte(restored, tmp_path):
    _, export, _ = restored
    root = release_root(tmp_path / "release")
    shutil.copytree(ROOT / "data", root / "data")
    before = tree_digest(root / "data")
    build(ROOT / "corpus", export, root)
    assert tree_digest(root / "data") == before
    assert (root / "README.md").read_bytes() == (ROOT / "README.md").read_bytes()


def test_a_blind_pass_holds_no_gold_and_its_annotator_gets_the_next_pseudonym(server, restored, tmp_path):
    _, export, mapping = restored
    blind = annotate.push(server, CORPUS, EXPORT, blind="annotator-new")
    ls = annotate.sdk(server)
    pid = annotate.project_id(ls, create=False, title=annotate.blind_title("annotator-new"))
    for task in ls.tasks.list(project=pid):
        for prediction in ls.predictions.list(task=task.id):
            labels = {tuple(r["value"]["labels"]) for r in prediction.result if r["type"] == "labels"}
            assert labels <= {("FIGURE",)}, labels  # no entity, no claim: nothing of the gold
    token = annotate.sign_up(server, "@".join(["new.person", "example.org"]), "a-long-password-1")
    person = annotate.as_user(server, token)
    doc = CORPUS["d000"]
    from scripts.core.model import AnnotatedDocument, Entity
    mine = AnnotatedDocument(doc, entities=[Entity(0, 6, None, label="GPE", entity_id="aleppo", canonical_name="Aleppo")])
    person.annotations.create(id=blind["d000"], result=to_result(mine))
    copy = tmp_path / "export.json"
    shutil.copy(export, copy)
    assert annotate.pull(server, copy, mapping) == []
    tasks = {t["data"]["doc_id"]: t for t in json.loads(copy.read_text(encoding="utf-8"))}
    committed = {t["data"]["doc_id"]: t for t in json.loads(EXPORT.read_text(encoding="utf-8"))}
    new = [a for a in tasks["d000"]["annotations"] if a["id"] not in {c["id"] for c in committed["d000"]["annotations"]}]
    assert len(new) == 1 and new[0]["completed_by"]["pseudonym"] == "annotator-5"  # 1-4 are the committed annotators
    assert new[0]["id"] == max(a["id"] for t in committed.values() for a in t["annotations"]) + 1
    assert tasks["d000"]["id"] == committed["d000"]["id"]
    first = comparable(copy)
    assert annotate.pull(server, copy, mapping) == [] and comparable(copy) == first  # ids and pseudonyms stay


def test_review_and_adjudicate(server, restored):
    _, _, mapping = restored
    mapping = json.loads(mapping.read_text())
    lines = review(server, CORPUS["d001"], mapping)
    assert lines[0].startswith("doc d001: 4 annotation(s); reference: annotation") and "(ground truth)" in lines[0]
    assert any(" only annotator-" in line or " vs " in line for line in lines[1:]), lines
    before = {a["annotator"]: a for a in _annotations(server, "d001", mapping)}
    other = next(name for name, a in before.items() if not a["ground_truth"])
    message = adjudicate(server, "d001", other, mapping)
    assert message.startswith(f"doc d001: annotation {before[other]['id']} by {other} is the ground truth (cleared on ")
    after = {a["annotator"]: a["ground_truth"] for a in _annotations(server, "d001", mapping)}
    assert [name for name, flag in after.items() if flag] == [other]


def _annotations(server, doc_id, mapping):
    from scripts.annotate.adjudication import annotations_of
    return annotations_of(server, doc_id, mapping)


def test_allow_removals_lists_every_span_that_goes_and_asks(server, restored, tmp_path):
    _, export, mapping = restored
    copy = tmp_path / "export.json"
    shutil.copy(export, copy)
    before = copy.read_bytes()
    ls = annotate.sdk(server)
    d002 = next(t for t in ls.tasks.list(project=annotate.project_id(ls, False)) if t.data["doc_id"] == "d002")
    gone = next(a for a in ls.annotations.list(id=d002.id) if not a.ground_truth)
    ls.annotations.delete(id=gone.id)
    with pytest.raises(annotate.ServerError, match="if this server started empty, restore the committed annotations first"):
        annotate.pull(server, copy, mapping)
    asked = []
    with pytest.raises(annotate.ServerError, match="pull cancelled; nothing was written"):
        annotate.pull(server, copy, mapping, allow_removals=True, confirm=lambda spans: asked.append(spans) or False)
    assert copy.read_bytes() == before
    [spans] = asked
    n_spans = len({("entity" if r["from_name"] == "entity" else r["value"]["labels"][0], r["value"]["start"], r["value"]["end"])
                   for r in gone.result if r["type"] == "labels" and r["value"]["labels"] != ["CUE"]})
    assert len(spans) == n_spans and all(line.startswith("doc d002, annotator-") for line in spans), spans[:3]
    assert annotate.pull(server, copy, mapping, allow_removals=True, confirm=lambda spans: True)
    assert copy.read_bytes() != before


def test_an_annotators_own_project_of_the_same_title_is_never_ours(server, restored):
    ours = annotate.project_id(annotate.sdk(server), create=False)
    token = annotate.sign_up(server, "@".join(["mallory", "example.org"]), "a-long-password-2")
    theirs = annotate.as_user(server, token).projects.create(title=annotate.PROJECT_TITLE, label_config="<View></View>").id
    assert theirs != ours
    assert annotate.project_id(annotate.sdk(server), create=False) == ours and theirs not in annotate.our_projects(annotate.sdk(server))
