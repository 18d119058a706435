"""Against a real Label Studio server, started with `up` in its own venv and stopped with `down`.

Outside CI these tests are skipped (with the reason shown) until Label Studio's venv exists;
in CI they always run, and fail if the server cannot start.
"""
from __future__ import annotations

import json
import os
import shutil
import socket

import polars as pl
import pytest

from conftest import FIXTURE_CORPUS, ROOT, load_fixture_export, release_root
from schemas.tables import TABLES
from scripts import annotate
from scripts.core.addresses import EMAIL
from scripts.evaluate.agreement import against_gold, inter_annotator
from scripts.annotate.push_tasks import task_payload
from scripts.core.export_read import read_all_annotations
from scripts.core.corpus import load_corpus
from scripts.core.model import InputError
from scripts.build.pipeline import build

CONFIG = (ROOT / "annotations" / "labeling_config.xml").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((annotate.HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.environ.get("CI") and not (annotate.LS_VENV / ".complete").exists():
        pytest.skip(f"Label Studio is not installed in {annotate.LS_VENV}: `python -m scripts up` installs it; CI always runs these")
    home = tmp_path_factory.mktemp("label-studio")
    port = free_port()
    try:
        yield annotate.up(port, home)
    finally:
        annotate.down(home)
        assert annotate.port_is_free(port), "down left the server running"


def test_labeling_config_is_accepted_by_the_server(server):
    assert annotate.validate_config(server, CONFIG) is None


def test_invalid_config_is_reported_with_the_servers_message(server):
    broken = CONFIG.replace('<Labels name="span" toName="text"', '<Labels name="span" toName="txt"')
    message = annotate.validate_config(server, broken)
    assert message is not None and message.startswith('toName="txt" not found in names: [')


def test_up_twice_reuses_the_running_server(server):
    again = annotate.up(int(server.url.rsplit(":", 1)[1]), server.home)
    assert again.url == server.url


def test_token_is_not_in_the_server_log(server):
    assert server.credentials.token not in (server.home / "server.log").read_text(errors="replace")


def test_a_busy_port_is_refused_not_moved(tmp_path):
    with socket.socket() as sock:
        sock.bind((annotate.HOST, 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(annotate.ServerError, match=f"port {port} on 127.0.0.1 is busy"):
            annotate.up(port, tmp_path)
    assert not (tmp_path / "server.json").exists()


# ---- the round trip: push, annotate as two users through the API, pull, build ----

def fixture_results() -> dict[int, list]:
    """The fixture export's annotation results by annotation id (1: fx1 gold, 2: fx1 second, 4: fx2)."""
    return {a["id"]: a["result"] for t in load_fixture_export() for a in t["annotations"]}


@pytest.fixture(scope="module")
def round_trip(server, tmp_path_factory):
    """Pushes the fixture corpus, annotates it as admin and a second user, pulls the export."""
    corpus = load_corpus(FIXTURE_CORPUS)
    tasks = annotate.push(server, corpus, None)
    assert annotate.push(server, corpus, None) == tasks  # pushing twice adds no task
    admin = annotate.sdk(server)
    token = annotate.sign_up(server, "@".join(["second.annotator", "example.org"]), "second-password-1")
    second = annotate.as_user(server, token)
    results = fixture_results()
    admin.annotations.create(id=tasks["fx1"], result=results[1], ground_truth=True)
    second.annotations.create(id=tasks["fx1"], result=results[2])
    second.annotations.create(id=tasks["fx2"], result=results[4])
    folder = tmp_path_factory.mktemp("pulled")
    export, mapping = folder / "export.json", folder / "pseudonyms.json"
    assert annotate.pull(server, export, mapping, corpus_dir=FIXTURE_CORPUS) == []
    return tasks, export, mapping


def test_push_makes_one_task_per_document_with_its_hash(server, round_trip):
    tasks, _, _ = round_trip
    assert sorted(tasks) == ["fx1", "fx2"]
    data = {t.data["doc_id"]: t.data for t in annotate.sdk(server).tasks.list(project=annotate.project_id(annotate.sdk(server), False))}
    corpus = load_corpus(FIXTURE_CORPUS)
    assert {d: v["text_sha256"] for d, v in data.items()} == {d: doc.text_sha256 for d, doc in corpus.items()}


def test_pulled_export_has_pseudonyms_and_no_email(round_trip):
    _, export, mapping = round_trip
    text = export.read_text(encoding="utf-8")
    assert not EMAIL.search(text)
    who = {(t["data"]["doc_id"], a["completed_by"]["pseudonym"]) for t in json.loads(text) for a in t["annotations"]}
    assert who == {("fx1", "annotator-1"), ("fx1", "annotator-2"), ("fx2", "annotator-2")}
    assert sorted(json.loads(mapping.read_text()).values()) == ["annotator-1", "annotator-2"]


def test_every_annotation_arrives_in_the_tables_exactly(round_trip, fixture_release, tmp_path):
    _, export, _ = round_trip
    root = release_root(tmp_path / "release")
    build(FIXTURE_CORPUS, export, root)
    # The server's ids differ from the fixture's, and so do the users (the fixture has one, annotator-1).
    provenance = {"ls_task_id", "ls_annotation_id", "annotator"}

    def without_provenance(value):  # the nested configs hold the rows as structs in lists
        if isinstance(value, dict):
            return {k: without_provenance(v) for k, v in value.items() if k not in provenance}
        return [without_provenance(v) for v in value] if isinstance(value, list) else value

    for table in TABLES:
        got = pl.read_parquet(root / f"data/{table}/test-00000-of-00001.parquet").to_dicts()
        want = pl.read_parquet(fixture_release / f"data/{table}/test-00000-of-00001.parquet").to_dicts()
        assert without_provenance(got) == without_provenance(want), table


def test_pull_refuses_to_lose_an_annotation(server, round_trip, tmp_path):
    tasks, export, mapping = round_trip
    committed = tmp_path / "export.json"
    shutil.copy(export, committed)
    before = committed.read_bytes()
    ls = annotate.sdk(server)
    second_on_fx1 = [a for a in ls.annotations.list(id=tasks["fx1"]) if not a.ground_truth][0]
    ls.annotations.delete(id=second_on_fx1.id)
    with pytest.raises(annotate.ServerError, match=r"doc fx1: 2 annotation\(s\) \(\d+, \d+\) would become 1"):
        annotate.pull(server, committed, mapping, corpus_dir=FIXTURE_CORPUS)
    assert committed.read_bytes() == before
    lost = annotate.pull(server, committed, mapping, allow_removals=True, corpus_dir=FIXTURE_CORPUS)
    assert len(lost) == 2 and lost[0].startswith("doc fx1:") and lost[1].endswith("span(s) of committed annotations")
    assert len(json.loads(committed.read_text())[0]["annotations"]) == 1


def test_pull_refuses_a_text_edited_on_the_server_and_writes_nothing(server, round_trip, tmp_path):
    """The build would refuse the stale task; so does pull, before it writes anything."""
    tasks, export, mapping = round_trip
    committed = tmp_path / "export.json"
    shutil.copy(export, committed)
    before, mapping_before = committed.read_bytes(), mapping.read_bytes()
    with server.client() as client:
        task = client.get(f"/api/tasks/{tasks['fx2']}/").json()
        edited = {**task["data"], "text": task["data"]["text"].replace("Ankara", "Ankaraa")}
        assert client.patch(f"/api/tasks/{tasks['fx2']}/", json={"data": edited}).status_code == 200
    try:
        with pytest.raises(InputError) as refused:
            annotate.pull(server, committed, mapping, allow_removals=True, corpus_dir=FIXTURE_CORPUS)
        assert any(f"task {tasks['fx2']} (doc fx2): stale task" in line for line in refused.value.problems), refused.value.problems
        assert committed.read_bytes() == before and mapping.read_bytes() == mapping_before
    finally:
        with server.client() as client:
            client.patch(f"/api/tasks/{tasks['fx2']}/", json={"data": task["data"]})


def test_agreement_between_the_two_users(round_trip):
    _, export, _ = round_trip
    annotations = read_all_annotations(export, load_corpus(FIXTURE_CORPUS))
    assert inter_annotator(annotations)["pairs"] == []  # the admin's annotation is the ground truth
    result = against_gold(annotations)["annotator-2"]
    assert result["pairs"] == [{"doc_id": "fx1", "reference": "annotator-1", "other": "annotator-2", "window": [0, 234]}]
    assert result["layers"]["entities"]["exact"]["f1"] == round(4 / 9, 6)
    assert {k: result["layers"]["figures"]["unit"][k] for k in ("f1", "n_reference", "n_predicted")} == {"f1": 0.0, "n_reference": 1, "n_predicted": 1}


def test_push_attached_the_rule_based_pre_annotations(round_trip):
    _, export, _ = round_trip
    corpus = load_corpus(FIXTURE_CORPUS)
    for task in json.loads(export.read_text(encoding="utf-8")):
        [prediction] = task["predictions"]
        assert prediction["model_version"] == "rules"
        assert prediction["result"] == task_payload(corpus[task["data"]["doc_id"]], {}, {})["predictions"][0]["result"]
