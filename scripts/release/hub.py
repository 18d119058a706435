"""Publishes a release to a Hugging Face dataset repo: data/, README.md (the card), DATASHEET.md,
croissant.json, CHANGELOG.md, every file the card and the datasheet link to, and the scorer, in one
commit, then the tag v<version>. Under the build's lock (what a killed build left is rolled back first),
the release must be exactly the one its card describes (every config's data hash, row count and size),
validate, and hold every file its card links to; else it is refused. `dry_run` lists what would go where
and touches no network. The token comes from the environment (HF_TOKEN) or the huggingface_hub login,
and is never printed."""
from __future__ import annotations

import ast
import hashlib
import posixpath
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote

import pyarrow.parquet as pq
from huggingface_hub import DatasetCard

from schemas.tables import SPAN_LAYERS, SPLIT, TABLES
from schemas.validation import validate
from scripts.core.addresses import addresses_in

FILES = ("README.md", "DATASHEET.md", "croissant.json", "CHANGELOG.md")
# Whatever these link to goes with them (and whatever a linked Markdown file links to), so no link of the
# card is dead on the Hub: docs/, LICENSE.md, the guidelines, the labeling config, the export.
LINKING = ("README.md", "DATASHEET.md")
# The scorer travels with the data (README "Evaluation"): scripts/evaluate/ and every module of ours it
# imports, found by reading their imports (it needs nothing beyond what `datasets` installs).
SCORER_PACKAGE = "scripts/evaluate"


def scorer_files(root: Path) -> list[str]:
    """scripts/evaluate/*.py and the closure of their `scripts.…` imports, with each package's __init__.py."""
    todo, seen = [p.relative_to(root).as_posix() for p in sorted((root / SCORER_PACKAGE).glob("*.py"))], set()
    while todo:
        path = todo.pop()
        if path in seen or not (root / path).exists():
            continue
        seen.add(path)
        parts = path.split("/")
        todo += ["/".join(parts[:i]) + "/__init__.py" for i in range(1, len(parts))]
        for node in ast.walk(ast.parse((root / path).read_text(encoding="utf-8"))):
            names = [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            for name in (n for n in names if n.split(".")[0] == "scripts"):
                module = name.replace(".", "/")
                todo += [f"{module}.py", f"{module}/__init__.py"]
                if isinstance(node, ast.ImportFrom):  # `from scripts.core import tokens`: a module, when one is named so
                    todo += [f"{module}/{a.name}.py" for a in node.names]
    return sorted(seen)


# A Markdown inline link or image, `[text](target)` or `[text](<target> "title")`; code spans and fenced
# blocks are removed before matching (a link inside them is text, not a link).
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^\s()]+(?:\([^\s()]*\)[^\s()]*)*)(?:\s+(?:\"[^\"]*\"|'[^']*'))?\s*\)")
FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)


def markdown_links(text: str) -> list[str]:
    """The targets of the inline links of a Markdown text, outside code, in order."""
    text = CODE_SPAN.sub("", FENCE.sub("", text))
    return [m.group(1).strip("<>") for m in LINK.finditer(text)]


def relative_target(source: str, target: str) -> tuple[str, str] | None:
    """(path relative to the release root, anchor) of a link in the file `source`; None for a link that
    leaves the repository (a URL, mailto:, a protocol-relative address) or one to an anchor only."""
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//") or target.startswith("#") or not target:
        return None
    path, _, anchor = target.partition("#")
    path = unquote(path.split("?", 1)[0])
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(source), path)) if not path.startswith("/") else path.lstrip("/")
    return joined, anchor


def linked_files(root: Path) -> tuple[list[str], list[str]]:
    """Every file the card and the datasheet link to, followed through linked Markdown files, and the
    card's `license_link`; with the problems: links that leave the release folder or find no file there."""
    seen, problems, todo = set(), [], [name for name in LINKING if (root / name).is_file()]
    links: list[tuple[str, str]] = []
    license_link = DatasetCard.load(root / "README.md").data.to_dict().get("license_link") if (root / "README.md").is_file() else None
    if isinstance(license_link, str):
        links.append(("README.md", license_link))
    while todo or links:
        if todo:
            source = todo.pop(0)
            if source in seen:
                continue
            seen.add(source)
            if source.endswith(".md"):
                links += [(source, t) for t in markdown_links((root / source).read_text(encoding="utf-8"))]
            continue
        source, target = links.pop(0)
        resolved = relative_target(source, target)
        if resolved is None:
            continue
        path = resolved[0]
        if path == ".." or path.startswith("../") or path.startswith("."):
            problems.append(f"{source}: the link {target!r} leaves the release folder")
        elif not (root / path).is_file():
            problems.append(f"{source}: the link {target!r} finds no file {path} in {root}")
        elif path not in seen:
            todo.append(path)
    return sorted(seen - set(LINKING)), problems


@dataclass(frozen=True)
class Upload:
    local: Path
    path_in_repo: str
    size: int


EXPORTS = "exports"  # the gold in every format of `python -m scripts export`, made from the release at upload


def plan(root: Path, exports: Path | None = None) -> list[Upload]:
    """data/, the card files, what they link to (sorted), the scorer, then the exports: each file once."""
    names = [f for f in FILES if (root / f).exists()]
    names += [f for f in linked_files(root)[0] if f not in names]
    names += [f for f in scorer_files(root) if f not in names and (root / f).exists()]
    files = sorted((root / "data").rglob("*.parquet")) + [root / f for f in names]
    made = sorted(f for f in exports.rglob("*") if f.is_file()) if exports else []
    return ([Upload(f, f.relative_to(root).as_posix(), f.stat().st_size) for f in files]
            + [Upload(f, f"{EXPORTS}/{f.relative_to(exports).as_posix()}", f.stat().st_size) for f in made])


def write_exports(root: Path, folder: Path) -> None:
    """Every export format of the release into folder/<format>/ (what the Hub repository's exports/ holds)."""
    from scripts.build import read_release
    from scripts.core.formats import FORMATS, export

    tables = read_release(root)
    for name in sorted(FORMATS):
        written = export(name, tables, folder / name)
        if written.unrepresented:
            raise PublishRefused(f"the {name} export cannot hold {len(written.unrepresented)} span(s) of the release:\n"
                                 + "\n".join(written.unrepresented[:20]))


class PublishRefused(Exception):
    pass


def check(root: Path, version: str) -> None:
    """The release must be the one the card describes, and read and validate exactly as the build left it."""
    from scripts.build import read_release

    if not (root / "README.md").exists() or not (root / "data").is_dir():
        raise PublishRefused(f"{root}: no release here (README.md and data/ are needed)")
    problems = card_mismatches(root, version)
    if problems:
        raise PublishRefused("the data is not the release the card describes (a build that did not finish?); "
                             "run `bash scripts/build.sh` and publish again:\n" + "\n".join(problems))
    dead = linked_files(root)[1]
    if dead:
        raise PublishRefused("the card would have dead links on the Hub (every file it links to is uploaded with it):\n"
                             + "\n".join(dead))
    report = validate(read_release(root))
    if report:
        raise PublishRefused("the release fails validation:\n" + "\n".join(report))


def card_mismatches(root: Path, version: str) -> list[str]:
    """Where README.md's YAML differs from the YAML the build writes for the Parquet files that are there
    (every config's files, data hash, rows, sizes and features, the version; the in-memory sizes aside),
    Parquet files of no config, and any e-mail address in the card files."""
    from scripts.build import ConfigRelease, card_data

    releases, problems = [], []
    for table in TABLES:
        files = sorted((root / "data" / table).glob(f"{SPLIT}-*.parquet"))
        if not files:
            continue
        digest, size = hashlib.sha256(), 0
        for f in files:
            content = f.read_bytes()
            digest.update(content)
            size += len(content)
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        releases.append(ConfigRelease(table, tuple(f.relative_to(root).as_posix() for f in files), rows, size, 0, digest.hexdigest()))
    if not releases:
        return [f"{root}/data: no Parquet file of any config"]
    want = _comparable(card_data(releases, version, any(r.name in SPAN_LAYERS for r in releases)).to_dict())
    have = _comparable(DatasetCard.load(root / "README.md").data.to_dict())
    problems += [f"README.md: {key} differs from what the build writes for data/ ({_short(have.get(key))} instead of "
                 f"{_short(want.get(key))})" for key in sorted(want.keys() | have.keys()) if want.get(key) != have.get(key)]
    listed = {f"data/{r.name}/" for r in releases}
    problems += [f"{f.relative_to(root)}: a Parquet file of no config" for f in sorted((root / "data").rglob("*.parquet"))
                 if f"{f.parent.relative_to(root).as_posix()}/" not in listed or f.name.startswith(".")]
    for name in (*FILES, *(f for f in linked_files(root)[0] if f.endswith(".md"))):
        if (root / name).exists() and addresses_in((root / name).read_text(encoding="utf-8")):
            problems.append(f"{name}: holds an e-mail address")
    return problems


def _comparable(card: dict) -> dict:
    """The card's YAML less the in-memory sizes (`num_bytes`, `dataset_size`), which the files do not fix."""
    infos = card.get("dataset_info")
    for info in infos if isinstance(infos, list) else [infos] if infos else []:
        info.pop("dataset_size", None)
        for split in info.get("splits", []):
            split.pop("num_bytes", None)
    return card


def _short(value) -> str:
    text = repr(value)
    return text if len(text) < 120 else text[:117] + "..."


def publish(root: Path, repo_id: str, version: str, dry_run: bool) -> list[str]:
    from scripts.build import locked

    with locked(root):  # no build runs meanwhile, and what a killed one left is rolled back first
        check(root, version)
        with tempfile.TemporaryDirectory() as tmp:
            write_exports(root, Path(tmp))
            return _upload(root, repo_id, version, dry_run, plan(root, Path(tmp)), Path(tmp))


def _upload(root: Path, repo_id: str, version: str, dry_run: bool, uploads: list[Upload], exports: Path) -> list[str]:
    tag = f"v{version}"
    lines = [f"{'would upload' if dry_run else 'uploading'} {len(uploads)} file(s), "
             f"{sum(u.size for u in uploads)} bytes, to https://huggingface.co/datasets/{repo_id} (main), then tag {tag}:"]
    lines += [f"  {u.path_in_repo}  ({u.size} bytes)" for u in uploads]
    if dry_run:
        return lines
    from huggingface_hub import HfApi

    api = HfApi()
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        api.upload_folder(folder_path=root, repo_id=repo_id, repo_type="dataset", commit_message=f"Release {tag}",
                          allow_patterns=[u.path_in_repo for u in uploads if not u.path_in_repo.startswith(f"{EXPORTS}/")],
                          delete_patterns=["data/**"])
        api.upload_folder(folder_path=exports, path_in_repo=EXPORTS, repo_id=repo_id, repo_type="dataset",
                          commit_message=f"Release {tag}: exports", delete_patterns=["**"])
        api.create_tag(repo_id, tag=tag, repo_type="dataset", tag_message=f"Release {tag}")
    except Exception as err:  # noqa: BLE001 - the Hub's HTTP errors, the network's, a missing token
        raise PublishRefused(f"the upload to {repo_id} failed ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                             "nothing was tagged; check the network and HF_TOKEN, then publish again") from err
    return lines + [f"published; users pin it with load_dataset(\"{repo_id}\", \"<config>\", revision=\"{tag}\")"]
