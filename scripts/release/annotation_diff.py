"""What changed in the gold annotation between two versions: spans added, removed and changed, per
document and layer. Either side is a Label Studio export (a .json file, read with the corpus), a
release folder (holding data/), or `git:<ref>` (the release committed at a tag or commit)."""
from __future__ import annotations

import re
import subprocess
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import polars as pl

from schemas.tables import SPAN_LAYERS

# The columns an annotator sets; provenance and derived links are left out.
ANNOTATED = {
    "entities": ["label", "entity_id", "canonical_name"],
    "claims": ["claimant_span_id", "claimant_type", "cue_start", "cue_end", "claim_kind", "claim_group_id"],
    "figures": ["value", "value_max", "unit", "approx", "kind"],
}


def load_side(side: str, corpus_dir: Path, repo: Path) -> dict[str, pl.DataFrame]:
    """The gold span tables of one side of the diff."""
    from scripts.build import read_release
    from scripts.build import build_tables
    from scripts.core.corpus import load_corpus
    from scripts.core.export_read import read_export

    if side.startswith("git:"):
        commit = resolve_commit(repo, side[4:])
        with tempfile.TemporaryDirectory() as tmp:
            archive = subprocess.run(["git", "-C", str(repo), "archive", commit, "--", "data"], capture_output=True)
            if archive.returncode:
                raise ValueError(f"{side}: {archive.stderr.decode(errors='replace').strip()}")
            try:
                tarfile.open(fileobj=BytesIO(archive.stdout)).extractall(tmp, filter="data")
            except tarfile.TarError as err:  # a link out of the folder, a device: the "data" filter refuses it
                raise ValueError(f"{side}: data/ at that commit is not plain files ({type(err).__name__}: {err})") from err
            return read_release(Path(tmp))
    path = Path(side)
    if path.is_dir():
        return read_release(path)
    corpus = load_corpus(corpus_dir)
    return build_tables(corpus, read_export(path, corpus))


def resolve_commit(repo: Path, ref: str) -> str:
    """The commit a ref names, resolved before any other git call (so a ref can never be read as an
    option); ValueError when it names no commit of the repository."""
    found = subprocess.run(["git", "-C", str(repo), "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}"],
                           capture_output=True, text=True)
    commit = found.stdout.strip()
    if found.returncode or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        raise ValueError(f"git:{ref} names no commit of {repo} (give a tag, a branch or a commit: git:v1.0.0)")
    return commit


def diff(old: dict[str, pl.DataFrame], new: dict[str, pl.DataFrame]) -> dict:
    """{doc_id: {layer: {"added": [...], "removed": [...], "changed": [...]}}}, only what changed."""
    out: dict = {}
    for layer in SPAN_LAYERS:
        before, after = _by_span_id(old, layer), _by_span_id(new, layer)
        for sid in sorted(set(before) | set(after)):
            x, y = before.get(sid), after.get(sid)
            row = y or x
            entry = out.setdefault(row["doc_id"], {}).setdefault(layer, {"added": [], "removed": [], "changed": []})
            if x is None:
                entry["added"].append(_describe(y, layer))
            elif y is None:
                entry["removed"].append(_describe(x, layer))
            elif changes := {c: [x[c], y[c]] for c in ANNOTATED[layer] if x[c] != y[c]}:
                entry["changed"].append({"span_id": sid, "text": y["text"], "changes": changes})
    return {doc: {layer: e for layer, e in layers.items() if any(e.values())} for doc, layers in sorted(out.items())
            if any(any(e.values()) for e in layers.values())}


def _by_span_id(tables: dict[str, pl.DataFrame], layer: str) -> dict[str, dict]:
    table = tables.get(layer)
    if table is None or not table.height:
        return {}
    return {r["span_id"]: r for r in table.select("doc_id", "span_id", "text", *ANNOTATED[layer]).iter_rows(named=True)}


def _describe(row: dict, layer: str) -> dict:
    return {"span_id": row["span_id"], "text": row["text"], **{c: row[c] for c in ANNOTATED[layer]}}


def summary(result: dict) -> list[str]:
    """One line per document: +added −removed ~changed per layer."""
    lines = []
    for doc, layers in result.items():
        parts = [f"{layer} +{len(e['added'])} -{len(e['removed'])} ~{len(e['changed'])}" for layer, e in layers.items()]
        lines.append(f"{doc}: " + ", ".join(parts))
    return lines or ["no change in the annotations"]


def as_text(result: dict) -> str:
    lines = summary(result)
    for doc, layers in result.items():
        for layer, e in layers.items():
            lines += [f"  + {doc} {layer} {s['span_id']} {s['text']!r} " + _attrs(s, layer) for s in e["added"]]
            lines += [f"  - {doc} {layer} {s['span_id']} {s['text']!r} " + _attrs(s, layer) for s in e["removed"]]
            lines += [f"  ~ {doc} {layer} {s['span_id']} {s['text']!r} "
                      + "; ".join(f"{c}: {a!r} -> {b!r}" for c, (a, b) in s["changes"].items()) for s in e["changed"]]
    return "\n".join(lines)


def _attrs(span: dict, layer: str) -> str:
    return ", ".join(f"{c}={span[c]!r}" for c in ANNOTATED[layer] if span[c] is not None)
