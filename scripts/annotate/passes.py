"""The first passes and their adjudication, entered into Label Studio as three users.

`annotations/passes/pass-a` and `pass-b` (plain JSON spans, see their README) are read
into the document model. The gold is pass-a with the corrections of
`annotations/adjudication.json` applied, each with its reason. `enter_passes` signs up one
Label Studio user per pass and one adjudicator, and creates their annotations
through the API; the adjudicator's is marked ground truth. `pull` then writes the
export the build reads.

    python -m scripts enter-passes      # against the server started by `up`
"""
from __future__ import annotations

import copy
import json
import secrets
from pathlib import Path
from typing import Optional

from scripts.core.model import (
    AnnotatedDocument,
    Claim,
    Document,
    Entity,
    Figure,
    InputError,
    Span,
)

PASSES = ("pass-a", "pass-b")
GOLD_BASE = "pass-a"
ADJUDICATOR = "adjudicator"


def _span(raw: Optional[dict]) -> Optional[Span]:
    return Span(raw["start"], raw["end"], None) if raw else None


def to_model(doc: Document, raw: dict, claimant_types: dict) -> AnnotatedDocument:
    """One pass file (or the adjudicated gold) as the document model; offsets checked against the text.
    The passes predate `claimant_type`: a claim without claimant takes the adjudicated claim's type for
    the same offsets (`claimant_types`), else `unnamed`."""
    problems = [f"doc {doc.doc_id}: {layer} {s['start']}-{s['end']}: text {s['text']!r} is not {doc.text[s['start']:s['end']]!r}"
                for layer in ("entities", "figures", "claims") for s in raw[layer]
                if doc.text[s["start"]:s["end"]] != s["text"]]
    if problems:
        raise InputError(problems)
    covers = raw.get("covers")
    return AnnotatedDocument(
        doc,
        entities=[Entity(e["start"], e["end"], None, label=e["label"], entity_id=e["entity_id"], canonical_name=e["canonical_name"])
                  for e in raw["entities"]],
        claims=[Claim(c["start"], c["end"], None, claim_kind=c["claim_kind"], cue=_span(c["cue"]), claimant=_span(c["claimant"]),
                      claimant_type="named" if c["claimant"] else c.get("claimant_type")
                      or claimant_types.get((doc.doc_id, c["start"], c["end"]), "unnamed"),
                      claim_group_id=c.get("claim_group_id"))
                for c in raw["claims"]],
        figures=[Figure(f["start"], f["end"], None, value=float(f["value"]),
                        value_max=None if f["value_max"] is None else float(f["value_max"]),
                        unit=f["unit"], approx=f["approx"], kind=f["kind"]) for f in raw["figures"]],
        coverage=None if not covers or tuple(covers) == (0, doc.n_chars) else tuple(covers),
    )


def read_pass(folder: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("d*.json"))}


def adjudicate(base: dict[str, dict], corrections: list[dict]) -> dict[str, dict]:
    """The base pass with every correction applied; a correction that matches no span is an error."""
    gold = copy.deepcopy(base)
    problems = []
    for n, fix in enumerate(corrections):
        spans = gold[fix["doc"]][fix["layer"]]
        where = f"adjudication.json item {n} ({fix['op']} {fix['doc']} {fix['layer']} {fix.get('start')}-{fix.get('end')})"
        if fix["op"] == "add":
            spans.append(fix["span"])
            continue
        found = [s for s in spans if (s["start"], s["end"]) == (fix["start"], fix["end"])
                 and fix.get("cue_start", s.get("cue", {}).get("start")) == s.get("cue", {}).get("start")]
        if len(found) != 1:
            problems.append(f"{where}: matches {len(found)} spans")
        elif fix["op"] == "remove":
            spans.remove(found[0])
        else:
            found[0].update(fix["set"])
    if problems:
        raise InputError(problems)
    for doc in gold.values():
        for layer in ("entities", "figures", "claims"):
            doc[layer].sort(key=lambda s: (s["start"], s["end"]))
    return gold


def annotations(corpus: dict[str, Document], passes_dir: Path, adjudication: Path) -> dict[str, dict[str, AnnotatedDocument]]:
    """By user: pass-a, pass-b and the adjudicator's gold, each a document-model annotation per document."""
    raw = {name: read_pass(passes_dir / name) for name in PASSES}
    raw[ADJUDICATOR] = adjudicate(raw[GOLD_BASE], json.loads(adjudication.read_text(encoding="utf-8")))
    types = {(d, c["start"], c["end"]): c.get("claimant_type") for d, r in raw[ADJUDICATOR].items() for c in r["claims"]}
    return {user: {d: to_model(corpus[d], r, types) for d, r in docs.items()} for user, docs in raw.items()}


def enter_passes(server, corpus: dict[str, Document], passes_dir: Path, adjudication: Path) -> dict[str, int]:
    """Signs up the three users and creates their annotations; returns the number of annotations per user."""
    from scripts.annotate.push_tasks import push
    from scripts.annotate.server import as_user, sign_up
    from scripts.core.export_write import to_result

    by_user = annotations(corpus, passes_dir, adjudication)
    tasks = push(server, corpus, None)
    created = {}
    for user, docs in by_user.items():
        token = sign_up(server, f"{user}@localhost", secrets.token_urlsafe(16))
        client = as_user(server, token)
        for doc_id, annotated in docs.items():
            client.annotations.create(id=tasks[doc_id], result=to_result(annotated), ground_truth=user == ADJUDICATOR)
        created[user] = len(docs)
    return created
