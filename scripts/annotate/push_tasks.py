"""`push`: the corpus as Label Studio tasks, one per document (or per part), the current gold as predictions;
a new server gets the committed annotations restored first."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from scripts.annotate.preannotate import known_entities, preannotate
from scripts.annotate.server import (
    PARTS_TITLE,
    PROJECT_TITLE,
    Server,
    ServerError,
    blind_title,
    our_projects,
    project_id,
    sdk,
)
from scripts.core.export_read import read_export
from scripts.core.export_write import to_result
from scripts.core.model import AnnotatedDocument, Document


def part_ranges(text: str, size: int) -> list[tuple[int, int]]:
    """The text cut at paragraph breaks into parts of about `size` characters (a part ends at the first
    break past `size` characters from its start; the rest of the text when none is left)."""
    from scripts.core.tokens import PARAGRAPH_BREAK

    ranges, start = [], 0
    breaks = [m.end() for m in PARAGRAPH_BREAK.finditer(text)]
    while len(text) - start > size:
        cut = next((b for b in breaks if b - start >= size and len(text) - b > size // 3), None)
        if cut is None:
            break
        ranges.append((start, cut))
        start = cut
    return ranges + [(start, len(text))]


def push_parts(server: Server, corpus: dict[str, Document], export: Path, size: int) -> dict[str, list[int]]:
    """The project `syria-news-spans parts`: every document longer than `size` cut into parts (part_ranges),
    a task per part with the whole text (offsets stay the document's), the part's range in `data.part`,
    and a prediction of the gold spans that start in it with the part's `coverage`: each opens with a
    fraction of the regions. An annotator's annotations of all the parts of a document are read as one
    (labelstudio.assemble_parts); `adjudicate` marks all of them. Returns the part tasks of each document."""
    from dataclasses import replace

    ls = sdk(server)
    pid = project_id(ls, create=True, title=PARTS_TITLE)
    done = {(t.data.get("doc_id"), t.data.get("part")) for t in ls.tasks.list(project=pid)}
    gold = read_export(export, corpus) if export.exists() else {}
    export_ids = {t["data"]["doc_id"]: t["id"] for t in committed_tasks(export)}
    new = []
    for doc_id, doc in corpus.items():
        for start, end in part_ranges(doc.text, size) if doc.n_chars > size else []:
            part = f"{start}-{end}"
            if (doc_id, part) in done:
                continue
            whole = gold.get(doc_id) or AnnotatedDocument(doc)
            spans = {layer: [s for s in getattr(whole, layer) if start <= s.start < end] for layer in ("entities", "claims", "figures")}
            claimants = {(c.claimant.start, c.claimant.end) for c in spans["claims"] if c.claimant}  # kept beside their claims
            spans["entities"] += [e for e in whole.entities if (e.start, e.end) in claimants and not start <= e.start < end]
            prediction = to_result(replace(whole, **spans, coverage=(start, end)))
            new.append({"data": {"text": doc.text, "doc_id": doc_id, "text_sha256": doc.text_sha256, "part": part},
                        "meta": {"export_task_id": export_ids.get(doc_id)} if doc_id in export_ids else {},
                        "predictions": [{"model_version": "gold", "result": prediction}]})
    if new:
        ls.projects.import_tasks(id=pid, return_task_ids=True, request=new)
    parts: dict[str, list[int]] = {}
    for t in sorted(ls.tasks.list(project=pid), key=lambda t: int(t.data["part"].split("-")[0])):
        parts.setdefault(t.data["doc_id"], []).append(t.id)
    return parts


def task_payload(doc: Document, gold: dict[str, AnnotatedDocument], known: dict, export_id: Optional[int] = None) -> dict:
    """A task for one document: its gold as the prediction, else rule-based pre-annotations (entities the
    gold knows and figures; with neither gold nor `known`, the figures alone: a blind pass)."""
    if doc.doc_id in gold:
        prediction = {"model_version": "gold", "result": to_result(gold[doc.doc_id])}
    else:
        prediction = {"model_version": "rules", "result": to_result(preannotate(doc, known))}
    return {"data": {"text": doc.text, "doc_id": doc.doc_id, "text_sha256": doc.text_sha256},
            "predictions": [prediction] if prediction["result"] else [], **({"meta": {"export_task_id": export_id}} if export_id else {})}


def push(server: Server, corpus: dict[str, Document], export: Optional[Path], blind: Optional[str] = None) -> dict[str, int]:
    """One task per document not yet in the project, with a prediction to correct (see task_payload).
    A server without the project first gets the committed export restored (scripts/annotate/restore.py).
    `blind`: the project of an annotator's independent pass instead, whose tasks hold no gold (only
    rule-based figures). Returns the task id of every document; pushing again adds nothing."""
    from scripts.annotate.restore import next_task_id, restore

    ls = sdk(server)
    title = blind_title(blind) if blind else PROJECT_TITLE
    existed = project_id(ls, create=False, title=title) is not None
    pid = project_id(ls, create=True, title=title)
    if blind and not existed:  # the label stream then starts each new annotation empty
        with server.client() as client:
            client.patch(f"/api/projects/{pid}/", json={"show_collab_predictions": False}).raise_for_status()
    committed = committed_tasks(export)
    if not existed and not blind and committed:
        restore(server, ls, pid, export, corpus)
    tasks = {t.data.get("doc_id"): t for t in ls.tasks.list(project=pid)}
    for doc_id, task in tasks.items():
        if doc_id in corpus and task.data.get("text_sha256") != corpus[doc_id].text_sha256:
            raise ServerError(f"task {task.id} (doc {doc_id}) holds another text than the corpus; it cannot be updated in place")
    gold = {} if blind or not committed else read_export(export, corpus)
    known = {} if blind else known_entities(gold)
    export_ids = {t["data"]["doc_id"]: t["id"] for t in committed}
    main = {t.data.get("doc_id"): (t.meta or {}).get("export_task_id", t.id) for t in ls.tasks.list(project=project_id(ls, False))} \
        if blind else {}
    new, next_id = [], next_task_id(ls, our_projects(ls), committed)
    for doc_id, doc in corpus.items():
        if doc_id not in tasks:
            export_id = export_ids.get(doc_id) or main.get(doc_id) or next_id
            next_id = max(next_id, export_id + 1)
            new.append(task_payload(doc, gold, known, export_id))
    if new:
        ls.projects.import_tasks(id=pid, return_task_ids=True, request=new)
    return {t.data["doc_id"]: t.id for t in ls.tasks.list(project=pid)}


def committed_tasks(export: Optional[Path]) -> list[dict]:
    return json.loads(export.read_text(encoding="utf-8")) if export is not None and export.exists() else []


