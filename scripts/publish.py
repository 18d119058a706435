"""Publishes a release to a Hugging Face dataset repo: data/, README.md (the card), DATASHEET.md and
CHANGELOG.md in one commit, then the tag v<version>. The release is validated first and refused if
it fails; `dry_run` lists what would go where and touches no network. The token comes from the
environment (HF_TOKEN) or the huggingface_hub login, and is never printed."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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
    """The release must read and validate exactly as the build left it."""
    from scripts.release import read_release

    if not (root / "README.md").exists() or not (root / "data").is_dir():
        raise PublishRefused(f"{root}: no release here (README.md and data/ are needed)")
    report = validate(read_release(root))
    if report:
        raise PublishRefused("the release fails validation:\n" + "\n".join(report))


def publish(root: Path, repo_id: str, version: str, dry_run: bool) -> list[str]:
    check(root)
    uploads = plan(root)
    tag = f"v{version}"
    lines = [f"{'would upload' if dry_run else 'uploading'} {len(uploads)} file(s), "
             f"{sum(u.size for u in uploads)} bytes, to https://huggingface.co/datasets/{repo_id} (main), then tag {tag}:"]
    lines += [f"  {u.path_in_repo}  ({u.size} bytes)" for u in uploads]
    if dry_run:
        return lines
    from huggingface_hub import HfApi

    api = HfApi()
    api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
    api.upload_folder(folder_path=root, repo_id=repo_id, repo_type="dataset", commit_message=f"Release {tag}",
                      allow_patterns=[u.path_in_repo for u in uploads], delete_patterns=["data/**"])
    api.create_tag(repo_id, tag=tag, repo_type="dataset", tag_message=f"Release {tag}")
    return lines + [f"published; users pin it with load_dataset(\"{repo_id}\", \"<config>\", revision=\"{tag}\")"]
