"""The adjudicator's two commands, through the API (the Community edition's interface has no control for
the ground-truth flag):

    python -m scripts review DOC_ID                 # where the annotations of a document disagree, per layer, with the text
    python -m scripts adjudicate DOC_ID ANNOTATOR   # that annotator's annotation becomes the document's ground truth
"""
from __future__ import annotations

import json

from scripts.core.model import AnnotatedDocument, Document
from scripts.evaluate import ATTRIBUTES, LAYERS


class AdjudicationError(Exception):
    pass


def annotations_of(server, doc_id: str, mapping: dict) -> list[dict]:
    """Every annotation of the document in our projects: {id, annotator, ground_truth, was_cancelled, result}."""
    from scripts.annotate.restore import pseudonym_of, users
    from scripts.annotate.server import our_projects, sdk

    ls = sdk(server)
    address = {uid: email for email, uid in users(server).items()}
    found = []
    for pid in our_projects(ls):
        for task in ls.tasks.list(project=pid):
            if task.data.get("doc_id") != doc_id:
                continue
            with server.client() as client:
                for a in client.get(f"/api/tasks/{task.id}/annotations/").json():
                    who = a["completed_by"]["id"] if isinstance(a["completed_by"], dict) else a["completed_by"]
                    email = address.get(who, "")
                    found.append({"id": a["id"], "annotator": pseudonym_of(email) or mapping.get(email, f"user {who}"),
                                  "ground_truth": a["ground_truth"], "was_cancelled": a["was_cancelled"], "result": a["result"]})
    if not found:
        raise AdjudicationError(f"doc {doc_id}: no annotation in the projects on {server.url}")
    return found


def adjudicate(server, doc_id: str, annotator: str, mapping: dict) -> str:
    """Marks the annotator's annotation of the document as ground truth and clears the flag on the others."""
    found = annotations_of(server, doc_id, mapping)
    mine = [a for a in found if a["annotator"] == annotator and not a["was_cancelled"]]
    if not mine:
        names = ", ".join(sorted({a["annotator"] for a in found}))
        raise AdjudicationError(f"doc {doc_id}: {annotator} has no (non-cancelled) annotation; annotators: {names}")
    parts = [a for a in mine if any(r.get("from_name") == "coverage" for r in a["result"])]
    chosen = parts if len(parts) > 1 else [max(mine, key=lambda a: a["id"])]  # the parts of a long document, or the latest
    cleared = []
    with server.client() as client:
        for a in found:
            if a not in chosen and a["ground_truth"]:
                client.patch(f"/api/annotations/{a['id']}/", json={"ground_truth": False}).raise_for_status()
                cleared.append(str(a["id"]))
        for a in chosen:
            client.patch(f"/api/annotations/{a['id']}/", json={"ground_truth": True}).raise_for_status()
    ids = ", ".join(str(a["id"]) for a in chosen)
    return (f"doc {doc_id}: annotation{'s' if len(chosen) > 1 else ''} {ids} by {annotator} "
            f"{'are' if len(chosen) > 1 else 'is'} the ground truth"
            + (f" (cleared on {', '.join(cleared)})" if cleared else "") + "; now `pull`, then build")


def review(server, doc: Document, mapping: dict) -> list[str]:
    """Lines saying where the document's annotations disagree: each against the ground truth (or the first)."""
    from scripts.core.export_read import Problems, read_result

    read = []
    for a in annotations_of(server, doc.doc_id, mapping):
        if a["was_cancelled"]:
            continue
        problems = Problems()
        annotated = read_result(f"doc {doc.doc_id}, annotation {a['id']}", a["result"], doc, problems)
        read.append((a, annotated, problems.items))
    if not read:
        return [f"doc {doc.doc_id}: every annotation is cancelled"]
    read.sort(key=lambda r: (not r[0]["ground_truth"], r[0]["id"]))
    (ref, ref_doc, _), lines = read[0], []
    lines.append(f"doc {doc.doc_id}: {len(read)} annotation(s); reference: {_name(ref)}")
    for a, annotated, problems in read:
        lines.append(f"  {_name(a)}: " + ", ".join(f"{len(getattr(annotated, layer))} {layer}" for layer in LAYERS))
        lines += [f"    problem: {p}" for p in problems]
    for other, other_doc, _ in read[1:]:
        lines.append(f"{_name(ref)} against {_name(other)}:")
        lines += differences(ref_doc, other_doc, ref["annotator"], other["annotator"]) or ["  no disagreement"]
    return lines


def _name(a: dict) -> str:
    return f"annotation {a['id']} by {a['annotator']}" + (" (ground truth)" if a["ground_truth"] else "")


def differences(a: AnnotatedDocument, b: AnnotatedDocument, name_a: str, name_b: str) -> list[str]:
    """Spans in one annotation only, and attributes that differ on spans at the same offsets, per layer."""
    lines = []
    for layer in LAYERS:
        left = {(s.start, s.end): s for s in getattr(a, layer)}
        right = {(s.start, s.end): s for s in getattr(b, layer)}
        for key in sorted(left.keys() | right.keys()):
            x, y = left.get(key), right.get(key)
            text = json.dumps((x or y).text_in(a.doc), ensure_ascii=False)
            if y is None:
                lines.append(f"  {layer} {key[0]}-{key[1]} {text}: only {name_a}")
            elif x is None:
                lines.append(f"  {layer} {key[0]}-{key[1]} {text}: only {name_b}")
            else:
                changed = [f"{n} {get(x)!r} vs {get(y)!r}" for n, get in ATTRIBUTES[layer].items() if get(x) != get(y)]
                if changed:
                    lines.append(f"  {layer} {key[0]}-{key[1]} {text}: " + "; ".join(changed))
    return lines
