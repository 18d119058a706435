"""Publishes a release to a Hugging Face dataset repo: data/, README.md (the card), DATASHEET.md and
CHANGELOG.md in one commit, then the tag v<version>. Under the build's lock (what a killed build left
is rolled back first), the release must be exactly the one its card describes (every config's data
hash, row count and size) and validate; else it is refused. `dry_run` lists what would go where and
touches no network. The token comes from the
environment (HF_TOKEN) or the huggingface_hub login, and is never printed."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
from huggingface_hub import DatasetCard

from schemas.tables import SPLIT
from schemas.validation import validate

FILES = ("README.md", "DATASHEET.md", "CHANGELOG.md")


@dataclass(frozen=True)
class Upload:
    local: Path
    path_in_repo: str
    size: int


def plan(root: Path) -> list[Upload]:
    files = sorted((root / "data").rglob("*.parquet")) + [root / f for f in FILES if (root / f).exists()]
    return [Upload(f, f.relative_to(root).as_posix(), f.stat().st_size) for f in files]


class PublishRefused(Exception):
    pass


def check(root: Path) -> None:
    """The release must be the one the card describes, and read and validate exactly as the build left it."""
    from scripts.release import read_release

    if not (root / "README.md").exists() or not (root / "data").is_dir():
        raise PublishRefused(f"{root}: no release here (README.md and data/ are needed)")
    problems = card_mismatches(root)
    if problems:
        raise PublishRefused("the data is not the release the card describes (a build that did not finish?); "
                             "run `bash scripts/build.sh` and publish again:\n" + "\n".join(problems))
    report = validate(read_release(root))
    if report:
        raise PublishRefused("the release fails validation:\n" + "\n".join(report))


def card_mismatches(root: Path) -> list[str]:
    """Every config whose Parquet files differ from what README.md's YAML says of them: the data hash in its
    description, its row count, its download size; and Parquet files of no config."""
    data = DatasetCard.load(root / "README.md").data.to_dict()
    infos = {i["config_name"]: i for i in data.get("dataset_info") or []}
    problems, described = [], set()
    for config in data.get("configs") or []:
        name = config["config_name"]
        files = sorted((root / "data" / name).glob(f"{SPLIT}-*.parquet"))
        described |= set(files)
        digest, size = hashlib.sha256(), 0
        for f in files:
            content = f.read_bytes()
            digest.update(content)
            size += len(content)
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        info = infos.get(name, {})
        split = next((s for s in info.get("splits", []) if s.get("name") == SPLIT), {})
        if f"Data sha256: {digest.hexdigest()}" not in config.get("description", ""):
            problems.append(f"{name}: data/{name}/ does not have the sha256 the card gives")
        if split.get("num_examples") != rows or info.get("download_size") != size:
            problems.append(f"{name}: the card says {split.get('num_examples')} rows in {info.get('download_size')} bytes, "
                            f"data/{name}/ has {rows} rows in {size} bytes")
    strays = sorted(set((root / "data").rglob("*.parquet")) - described)
    problems += [f"{f.relative_to(root)}: a Parquet file of no config in the card" for f in strays]
    return problems


def publish(root: Path, repo_id: str, version: str, dry_run: bool) -> list[str]:
    from scripts.release import locked

    with locked(root):  # no build runs meanwhile, and what a killed one left is rolled back first
        check(root)
        uploads = plan(root)
        return _upload(root, repo_id, version, dry_run, uploads)


def _upload(root: Path, repo_id: str, version: str, dry_run: bool, uploads: list[Upload]) -> list[str]:
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
                          allow_patterns=[u.path_in_repo for u in uploads], delete_patterns=["data/**"])
        api.create_tag(repo_id, tag=tag, repo_type="dataset", tag_message=f"Release {tag}")
    except Exception as err:  # noqa: BLE001 - the Hub's HTTP errors, the network's, a missing token
        raise PublishRefused(f"the upload to {repo_id} failed ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}); "
                             "nothing was tagged; check the network and HF_TOKEN, then publish again") from err
    return lines + [f"published; users pin it with load_dataset(\"{repo_id}\", \"<config>\", revision=\"{tag}\")"]
