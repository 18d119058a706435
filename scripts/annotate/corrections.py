"""A correction pass entered as its own annotator: a list of corrections (annotations/corrections-*.json,
each with the rule of the guidelines it applies) applied to the current gold, and the corrected documents
entered into Label Studio as annotations of one annotator, whom `adjudicate` then makes the ground truth.

    python -m scripts enter-corrections annotations/corrections-rev3.json --as annotator-4

A correction names the gold span by document, layer and offsets: "change" sets some of its fields (its
offsets too), "remove" drops it, "add" gives a whole new span (a claim with its cue and claimant offsets).
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from scripts.core.model import (
    AnnotatedDocument,
    Claim,
    Entity,
    Figure,
    InputError,
    Span,
)

LAYERS = ("entities", "claims", "figures")


def _claim_fields(values: dict) -> dict:
    """A claim's fields from a correction's flat names (claimant_start/_end, cue_start/_end)."""
    out = {k: v for k, v in values.items() if k in ("start", "end", "claim_kind", "claimant_type", "claim_group_id")}
    if "claimant_start" in values:
        out["claimant"] = None if values["claimant_start"] is None else Span(values["claimant_start"], values["claimant_end"], None)
    if "cue_start" in values:
        out["cue"] = Span(values["cue_start"], values["cue_end"], None)
    return out


def _fields(layer: str, values: dict) -> dict:
    if layer == "claims":
        return _claim_fields(values)
    if layer == "figures":
        return {("kind" if k == "figure_kind" else k): v for k, v in values.items() if k not in ("text", "rule")}
    return {k: v for k, v in values.items() if k not in ("text", "rule")}


def apply(gold: dict[str, AnnotatedDocument], corrections: list[dict]) -> dict[str, AnnotatedDocument]:
    """The corrected copies of the documents the corrections touch; InputError naming each correction
    that matches no span, or that leaves a span whose text is not the one it states."""
    out, problems = {}, []
    for n, fix in enumerate(corrections):
        doc_id, layer, op = fix["doc"], fix["layer"], fix["op"]
        where = f"correction {n} ({op} {doc_id} {layer} {fix.get('start')}-{fix.get('end')})"
        if doc_id not in gold or layer not in LAYERS:
            problems.append(f"{where}: no gold {layer} of {doc_id}")
            continue
        annotated = out.setdefault(doc_id, replace(gold[doc_id], entities=list(gold[doc_id].entities), claims=list(gold[doc_id].claims),
                                                   figures=list(gold[doc_id].figures)))
        spans = getattr(annotated, layer)
        if op == "add":
            new = {"entities": Entity, "claims": Claim, "figures": Figure}[layer]
            values = {"source": None, **_fields(layer, fix["span"])}
            if layer == "claims":
                values.setdefault("claimant", None)
            spans.append(new(**{k: v for k, v in values.items() if k in new.__dataclass_fields__}))
            found = spans[-1]
        else:
            matches = [i for i, s in enumerate(spans) if (s.start, s.end) == (fix["start"], fix["end"])]
            if len(matches) != 1:
                problems.append(f"{where}: matches {len(matches)} spans")
                continue
            if op == "remove":
                spans.pop(matches[0])
                continue
            spans[matches[0]] = found = replace(spans[matches[0]], **_fields(layer, fix["set"]))
        if "text" in fix and found.text_in(annotated.doc) != fix["text"]:
            problems.append(f"{where}: the span is now {found.text_in(annotated.doc)!r}, not {fix['text']!r}")
    if problems:
        raise InputError(problems)
    for annotated in out.values():
        for layer in LAYERS:
            getattr(annotated, layer).sort(key=lambda s: (s.start, s.end))
    return out


def enter_corrections(server, export: Path, corpus: dict, corrections_file: Path, pseudonym: str) -> dict[str, int]:
    """Enters the corrected documents as annotations of `pseudonym` (a user annotator-N@annotators.invalid);
    returns the annotation id of each document."""
    from scripts.annotate.server import project_id, sdk
    from scripts.annotate.restore import ensure_users
    from scripts.core.export_read import read_export
    from scripts.core.export_write import to_result

    corrected = apply(read_export(export, corpus), json.loads(corrections_file.read_text(encoding="utf-8")))
    user = ensure_users(server, {pseudonym})[pseudonym]
    ls = sdk(server)
    tasks = {t.data["doc_id"]: t.id for t in ls.tasks.list(project=project_id(ls, create=False))}
    made = {}
    with server.client() as client:
        for doc_id, annotated in sorted(corrected.items()):
            answer = client.post(f"/api/tasks/{tasks[doc_id]}/annotations/", json={"result": to_result(annotated), "completed_by": user})
            answer.raise_for_status()
            made[doc_id] = answer.json()["id"]
    return made
