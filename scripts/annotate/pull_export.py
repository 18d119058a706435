"""`pull`: every project's annotations as annotations/export.json, pseudonymized, with stable ids, checked
as the build checks them before anything is written."""
from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path

from scripts.annotate.push_tasks import committed_tasks
from scripts.annotate.server import (
    PROJECT_TITLE,
    Server,
    ServerError,
    our_projects,
    sdk,
)
from scripts.core.addresses import EMAIL, addresses_in, normalized
from scripts.core.files import PROJECT_ROOT, write_atomic


def snapshot(server: Server, pid: int) -> list[dict]:
    """A snapshot export with full annotation objects and predictions (the quick export lists only ids)."""
    ls = sdk(server)
    job = ls.projects.exports.create(
        id=pid, title="pull",
        serialization_options={"predictions": {"only_id": False}, "annotations__completed_by": {"only_id": False}},
        task_filter_options={"only_with_annotations": False},
    )
    deadline = time.monotonic() + 300
    while (status := ls.projects.exports.get(id=pid, export_pk=job.id).status) not in ("completed", "failed"):
        if time.monotonic() > deadline:
            raise ServerError(f"export {job.id} of project {pid} did not finish in 300 s")
        time.sleep(0.3)
    if status == "failed":
        raise ServerError(f"Label Studio failed to make export {job.id} of project {pid}")
    return json.loads(b"".join(ls.projects.exports.download(id=pid, export_pk=job.id, export_type="JSON")))


def pseudonymize(tasks: list[dict], mapping: dict[str, str], committed: list[dict] = ()) -> list[dict]:
    """Annotators' identities replaced by stable pseudonyms: every user object (a dict with an e-mail)
    becomes {id, pseudonym}, and an address in any other metadata string its pseudonym. A restored
    annotator (annotator-N@annotators.invalid) is annotator-N; anyone else gets the next pseudonym no one
    has had (in `mapping` or the committed export). The texts are never touched: the task's `data`, and
    the values of annotation and prediction results (an article may quote an address). `mapping`
    (e-mail -> annotator-N) is extended in place and must stay out of git."""
    from scripts.annotate.restore import pseudonym_of

    taken = {*mapping.values(), *(a.get("completed_by", {}).get("pseudonym") for t in committed for a in t.get("annotations") or [])}
    numbers = [int(p.rsplit("-", 1)[1]) for p in taken if isinstance(p, str) and p.rsplit("-", 1)[-1].isdigit()]

    def name(email: str) -> str:
        if pseudonym := pseudonym_of(email):
            return pseudonym
        if email.lower() not in mapping:
            numbers.append(max(numbers, default=0) + 1)
            mapping[email.lower()] = f"annotator-{numbers[-1]}"
        return mapping[email.lower()]

    def scrub(node, key=""):
        if key in ("data", "value"):
            return node
        if isinstance(node, dict):
            if isinstance(node.get("email"), str):
                return {"id": node.get("id"), "pseudonym": name(node["email"])}
            return {k: scrub(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [scrub(v) for v in node]
        if isinstance(node, str) and addresses_in(node):
            return EMAIL.sub(lambda m: name(m.group(0)), normalized(node))
        return node

    return scrub(tasks)


def removals(committed: list[dict], pulled: list[dict]) -> list[str]:
    """What the pulled export would lose against the committed one: a task gone, or fewer annotations."""
    def by_doc(tasks):
        return {t["data"].get("doc_id"): t for t in tasks}

    old, new = by_doc(committed), by_doc(pulled)
    lost = []
    for doc_id, task in old.items():
        before = task.get("annotations") or []
        if doc_id not in new:
            lost.append(f"doc {doc_id}: task {task['id']} with {len(before)} annotation(s) is gone")
            continue
        after = new[doc_id].get("annotations") or []
        if len(after) < len(before):
            ids = ", ".join(str(a.get("id")) for a in before)
            lost.append(f"doc {doc_id}: {len(before)} annotation(s) ({ids}) would become {len(after)}")
    return lost


RESTORE_HINT = ("if this server started empty, restore the committed annotations first: `python -m scripts down`, move "
                ".label-studio/data aside, then `python -m scripts up` (a server without the project gets annotations/export.json "
                "back); to accept the loss instead, pull with --allow-removals, which lists every span that goes")


def pulled(server: Server, mapping: dict, committed: list[dict]) -> list[dict]:
    """Every project's snapshot, with export ids, merged by document (a blind pass's annotations join the
    document's task), pseudonymized."""
    from scripts.annotate.restore import stable_ids

    ls = sdk(server)
    pids = our_projects(ls)
    if not pids:
        raise ServerError(f"no project {PROJECT_TITLE!r} on {server.url}: run `up` (or `push`) first")
    merged: dict = {}
    for pid in pids:
        for task in stable_ids(server, snapshot(server, pid), committed):
            base = merged.setdefault(task["data"].get("doc_id"), task)
            if base is not task:
                base["annotations"] = (base.get("annotations") or []) + (task.get("annotations") or [])
    return pseudonymize(list(merged.values()), mapping, committed)


def pull(server: Server, export: Path, mapping_file: Path, allow_removals: bool = False,
         corpus_dir: Path = PROJECT_ROOT / "corpus", confirm=None) -> list[str]:
    """Writes the project's snapshot export, pseudonymized, to `export` atomically, after it passed every
    check of the build (the strict model, the texts against the corpus, the whole import and the
    schemas: a pull never writes what the build would refuse). Refuses (ServerError) an export that
    would lose annotations unless allow_removals; then `confirm(spans)`, given every span that would go,
    must return True. Returns what goes."""
    mapping = load_mapping(mapping_file)
    committed = committed_tasks(export)
    tasks = pulled(server, mapping, committed)
    text = json.dumps(tasks, indent=1, ensure_ascii=False) + "\n"
    with tempfile.TemporaryDirectory(prefix="pull-check-") as tmp:
        candidate = Path(tmp) / "export.json"
        candidate.write_text(text, encoding="utf-8")
        check_as_the_build_does(candidate, corpus_dir)
        gone = lost_spans(export, candidate, corpus_dir) if committed else []
    lost = removals(committed, tasks) + ([f"{len(gone)} span(s) of committed annotations"] if gone else [])
    if lost and not allow_removals:
        raise ServerError("pull refused: the export would lose annotations of annotations/export.json:\n"
                          + "\n".join(lost) + "\n" + RESTORE_HINT)
    if lost and confirm is not None and not confirm(gone):
        raise ServerError("pull cancelled; nothing was written")
    write_atomic(mapping_file, json.dumps(mapping, indent=1), private=True)
    write_atomic(export, text)
    return lost


def load_mapping(path: Path) -> dict:
    """The private address -> pseudonym mapping (empty before the first pull)."""
    return json.loads(path.read_text()) if path.exists() else {}


def lost_spans(committed: Path, pulled_export: Path, corpus_dir: Path) -> list[str]:
    """Every span of an annotation of the committed export that the pulled one lacks."""
    from scripts.core.corpus import load_corpus
    from scripts.core.export_read import read_all_annotations

    corpus = load_corpus(corpus_dir)

    def spans(path: Path) -> set:
        return {(a.doc.doc_id, a.annotator, layer, s.start, s.end, s.text_in(a.doc))
                for a in read_all_annotations(path, corpus) for layer in ("entities", "claims", "figures") for s in getattr(a, layer)}

    return [f"doc {d}, {who}: {layer} {start}-{end} {text!r}" for d, who, layer, start, end, text in sorted(spans(committed) - spans(pulled_export))]


def check_as_the_build_does(export: Path, corpus_dir: Path) -> None:
    """Builds the export into a scratch release: InputError or ValidationFailed, as the build would raise."""
    from scripts.build import CARD_FILES, build

    with tempfile.TemporaryDirectory(prefix="pull-check-") as tmp:
        root = Path(tmp)
        for name in CARD_FILES:
            shutil.copy(PROJECT_ROOT / name, root / name)
        build(corpus_dir, export, root, allow_removals=True)
