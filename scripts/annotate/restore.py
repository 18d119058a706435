"""Restore and stable identities: a server that lacks our project gets the committed export back, and a
pull gives every task and annotation the id it has in the export, whatever server it came from.

Every annotator of the export becomes a Label Studio user named after its pseudonym, at a reserved
domain (annotator-3@annotators.invalid), so `pull` maps it back to the same pseudonym. Tasks are imported
with their annotations (each under its annotator, with its ground-truth and cancelled flags) and their
predictions. Label Studio keeps an imported annotation's export id as its `import_id`, and a task's as
`meta.export_task_id`; `pull` writes those ids, so a restored server renumbering its database changes
nothing in the export or the release. An annotation made after the restore gets the next free export id
at its first pull, recorded on the server the same way.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Optional

from scripts.core.addresses import (
    RESERVED_DOMAIN,  # RFC 2606's .invalid: never a real address
)
from scripts.core.export_model import is_id
from scripts.core.model import Document


def address_of(pseudonym: str) -> str:
    return f"{pseudonym}@{RESERVED_DOMAIN}"


def pseudonym_of(address: str) -> Optional[str]:
    """The pseudonym of a restored annotator's address, else None."""
    local, _, domain = address.lower().partition("@")
    return local if domain == RESERVED_DOMAIN and is_id("pseudonym", local) else None


def users(server) -> dict[str, int]:
    """Every user of the server: address (lower case) -> id."""
    found, page = {}, 1
    with server.client() as client:
        while True:
            answer = client.get("/api/users/", params={"page": page, "page_size": 100}).json()
            rows = answer["results"] if isinstance(answer, dict) else answer
            found.update({u["email"].lower(): u["id"] for u in rows})
            if not isinstance(answer, dict) or not answer.get("next"):
                return found
            page += 1


def ensure_users(server, pseudonyms: set[str]) -> dict[str, int]:
    """A user per pseudonym (signed up through Label Studio's form when missing): pseudonym -> user id."""
    from scripts.annotate.server import sign_up

    known = users(server)
    for pseudonym in sorted(pseudonyms):
        if address_of(pseudonym) not in known:
            sign_up(server, address_of(pseudonym), secrets.token_urlsafe(24))
    known = users(server)
    return {p: known[address_of(p)] for p in pseudonyms}


def restore(server, ls, pid: int, export: Path, corpus: dict[str, Document]) -> int:
    """Imports every task of the committed export into project `pid`; returns the number of annotations."""
    from scripts.core.export_read import read_tasks
    from scripts.core.export_write import as_numbers

    list(read_tasks(export, corpus))  # the export must read cleanly (InputError otherwise): the same checks as the build
    tasks = json.loads(export.read_bytes())
    annotators = ensure_users(server, {a["completed_by"]["pseudonym"] for t in tasks for a in t.get("annotations") or []})
    payload = [{
        "data": {key: t["data"][key] for key in ("text", "doc_id", "text_sha256")},
        "meta": {"export_task_id": t["id"]},
        "annotations": [{"id": a["id"], "completed_by": annotators[a["completed_by"]["pseudonym"]], "result": as_numbers(a["result"]),
                         "ground_truth": a.get("ground_truth", False), "was_cancelled": a.get("was_cancelled", False),
                         "lead_time": a.get("lead_time")} for a in t.get("annotations") or []],
        "predictions": [{"result": as_numbers(p["result"]), "model_version": p.get("model_version"), "score": p.get("score")}
                        for p in t.get("predictions") or []],
    } for t in tasks]
    if payload:
        ls.projects.import_tasks(id=pid, request=payload, return_task_ids=True)
    return sum(len(t["annotations"]) for t in payload)


def stable_ids(server, tasks: list[dict], committed: list[dict]) -> list[dict]:
    """The snapshot with export ids: a task's from its `meta.export_task_id`, an annotation's from its
    `import_id`; an annotation without one gets the next free id, recorded on the server as its import_id."""
    known = [a["id"] for t in committed for a in t.get("annotations") or []]
    known += [a["import_id"] for t in tasks for a in t.get("annotations") or [] if isinstance(a.get("import_id"), int)]
    next_id = max(known, default=0) + 1
    with server.client() as client:
        for task in tasks:
            export_id = (task.get("meta") or {}).get("export_task_id")
            task["id"] = export_id if isinstance(export_id, int) else task["id"]
            for annotation in sorted(task.get("annotations") or [], key=lambda a: a["id"]):
                if not isinstance(annotation.get("import_id"), int):
                    answer = client.patch(f"/api/annotations/{annotation['id']}/", json={"import_id": next_id})
                    answer.raise_for_status()
                    annotation["import_id"], next_id = next_id, next_id + 1
                annotation["id"] = annotation["import_id"]
    return tasks


def next_task_id(ls, pids: list[int], committed: list[dict]) -> int:
    """The export id a new task gets: one above every task id of the export and of the server's tasks."""
    ids = [t["id"] for t in committed]
    for pid in pids:
        for task in ls.tasks.list(project=pid):
            meta = task.meta or {}
            ids.append(meta.get("export_task_id") if isinstance(meta.get("export_task_id"), int) else task.id)
    return max(ids, default=0) + 1
