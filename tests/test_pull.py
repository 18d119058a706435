"""pull's pieces without a server: pseudonyms and the refusal of lossy exports."""
from __future__ import annotations

import json

from scripts.core.addresses import EMAIL

from scripts.annotate.pull_export import pseudonymize, removals

ADDRESS = "@".join(["reem.h", "example.org"])  # built here so no address stands in the repository


def task(doc_id, task_id, n):
    return {"id": task_id, "data": {"doc_id": doc_id}, "annotations": [{"id": task_id * 10 + i} for i in range(n)]}


def test_user_objects_and_stray_addresses_become_pseudonyms():
    tasks = [{"annotations": [{"completed_by": {"id": 7, "email": ADDRESS, "first_name": "Reem", "last_name": "H"}}],
              "drafts": [{"user": ADDRESS.upper(), "note": f"ask {ADDRESS} later"}]}]
    mapping = {}
    out = pseudonymize(tasks, mapping)
    assert out[0]["annotations"][0]["completed_by"] == {"id": 7, "pseudonym": "annotator-1"}
    assert out[0]["drafts"][0] == {"user": "annotator-1", "note": "ask annotator-1 later"}
    assert mapping == {ADDRESS: "annotator-1"}
    assert not EMAIL.search(json.dumps(out)) and "Reem" not in json.dumps(out)
    assert pseudonymize(tasks, mapping)[0]["annotations"][0]["completed_by"]["pseudonym"] == "annotator-1"  # stable


def test_removals_lists_tasks_gone_and_annotations_lost():
    committed = [task("d000", 1, 2), task("d001", 2, 1), task("d002", 3, 1)]
    pulled = [task("d000", 1, 1), task("d002", 3, 3)]
    assert removals(committed, pulled) == [
        "doc d000: 2 annotation(s) (10, 11) would become 1",
        "doc d001: task 2 with 1 annotation(s) is gone",
    ]
    assert removals(committed, committed + [task("d003", 4, 1)]) == []


def test_texts_that_quote_an_address_are_never_rewritten():
    """An article may quote an address ("Write to tips@…"): data and region values stay as they are."""
    quoted = "@".join(["tips", "news.example"])
    region = {"id": "a1", "type": "labels", "value": {"start": 9, "end": 9 + len(quoted), "text": quoted, "labels": ["ORG"]}}
    tasks = [{"data": {"text": f"Write to {quoted} today", "doc_id": "d9"},
              "annotations": [{"completed_by": {"id": 3, "email": ADDRESS}, "result": [region]}],
              "predictions": [{"result": [region]}]}]
    out = pseudonymize(tasks, {})
    assert out[0]["data"] == tasks[0]["data"]
    assert out[0]["annotations"][0]["result"] == [region] and out[0]["predictions"][0]["result"] == [region]
    assert out[0]["annotations"][0]["completed_by"] == {"id": 3, "pseudonym": "annotator-1"}
