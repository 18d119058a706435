"""Versioned releases: `release` bumps the dataset version as the schema gate and the annotation
diff require, rebuilds the release, writes the schema snapshot and the CHANGELOG entry, and says
which git tag to create.

The level is the larger of the schema change (schemas/contract.py) and the annotation change:
spans added or removed make a minor release, attribute changes alone a patch.
"""
from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

from schemas import contract
from scripts.release.annotation_diff import diff, load_side, summary
from scripts.core.files import write_atomic

LEVEL_OF_DATA = {"added": "minor", "removed": "minor", "changed": "patch"}


def bump(version: str, level: str) -> str:
    major, minor, patch = contract.parse_version(version)
    if level == "breaking":
        return f"{major + 1}.0.0"
    if level == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def set_version(pyproject: Path, version: str) -> None:
    text = pyproject.read_text(encoding="utf-8")
    new, n = re.subn(r'(?m)^version = "[^"]*"', f'version = "{version}"', text, count=1)
    if n != 1:
        raise ValueError(f"{pyproject}: no `version = \"…\"` line")
    write_atomic(pyproject, new)


def data_level(result: dict) -> str:
    kinds = {kind for layers in result.values() for e in layers.values() for kind, spans in e.items() if spans}
    return max((LEVEL_OF_DATA[k] for k in kinds), key=contract.LEVELS.index, default="none")


def changelog_entry(version: str, previous: str | None, schema_level: str, schema_changes: list, annotation_diff: dict,
                    since: str, today: dt.date, notes: str = "") -> str:
    lines = [f"## {version} — {today.isoformat()}", ""]
    lines.append(f"Schema: {schema_level} change since v{previous}." if previous else "Schema: first snapshot.")
    lines += [f"- {level}: {what}" for level, what in schema_changes if level != "patch"]
    patches = sum(level == "patch" for level, _ in schema_changes)
    if patches:
        lines.append(f"- patch: {patches} description change(s)")
    lines += ["", f"Annotations (gold, against {since}):", *[f"- {line}" for line in summary(annotation_diff)], "",
              *([notes.strip(), ""] if notes.strip() else []),
              f"Tag: `v{version}`; pin it with `load_dataset(\"<hub id>\", \"<config>\", revision=\"v{version}\")`.", ""]
    return "\n".join(lines)


def add_to_changelog(changelog: Path, entry: str) -> None:
    text = changelog.read_text(encoding="utf-8") if changelog.exists() else "# Changelog\n\n"
    head, sep, rest = text.partition("\n## ")
    write_atomic(changelog, head.rstrip("\n") + "\n\n" + entry + ("\n## " + rest if sep else ""))


def release(root: Path, since: str | None, today: dt.date | None = None, allow_removals: bool = False, notes: str = "") -> dict:
    """Makes the next release in `root` (a checkout). Returns what was done; raises on any failure,
    restoring the version it found."""
    from scripts.build import build, dataset_version

    snapshots, pyproject = root / "schemas" / "snapshots", root / "pyproject.toml"
    latest = contract.latest_snapshot(snapshots)
    previous = latest[0] if latest else None
    schema_level, schema_changes = contract.classify(latest[1], contract.snapshot()) if latest else ("none", [])
    export = root / "annotations" / "export.json"
    since = since or (released_ref(root, previous) if previous else None)
    old = load_side(since, root / "corpus", root) if since else {}
    new = load_side(str(export), root / "corpus", root) if export.exists() else {}
    annotation_diff = diff(old, new)
    level = max(schema_level, data_level(annotation_diff), "patch", key=contract.LEVELS.index)
    found = dataset_version(root)
    version = bump(previous, level) if previous else found
    changelog = root / "CHANGELOG.md"
    for path, kind in ((changelog, "a file"), (snapshots, "a folder")):
        if path.is_symlink() or (path.exists() and not (path.is_file() if kind == "a file" else path.is_dir())):
            raise ValueError(f"{path} must be {kind} (not a link or anything else): nothing was changed")
    entry = changelog_entry(version, previous, schema_level, schema_changes, annotation_diff,
                            since or "nothing (first release)", today or dt.date.today(), notes)
    set_version(pyproject, version)
    try:
        build(root / "corpus", export if export.exists() else None, root, version, allow_removals=allow_removals)
    except BaseException:
        set_version(pyproject, found)
        raise
    try:
        write_atomic(contract.snapshot_path(version, snapshots), contract.snapshot_text(version))
        add_to_changelog(changelog, entry)
    except OSError as err:
        raise ReleaseIncomplete(f"release {version} was built and pyproject.toml says {version}, but {err.filename or 'a file'} "
                                f"could not be written ({err.strerror or err}); fix that and run `release` again") from err
    return {"version": version, "previous": previous, "level": level, "tag": f"v{version}"}


class ReleaseIncomplete(Exception):
    """The release was built, and what follows it (snapshot, CHANGELOG) failed: said as it is."""


def released_ref(root: Path, version: str) -> str:
    """git:v<version> when that tag exists, else the last commit that wrote the version's schema snapshot: the
    release commit (a clone without tags, or a release whose tag was not made)."""
    tag = f"v{version}"
    if subprocess.run(["git", "-C", str(root), "rev-parse", "--verify", "--quiet", f"refs/tags/{tag}"],
                      capture_output=True).returncode == 0:
        return f"git:{tag}"
    written = subprocess.run(["git", "-C", str(root), "log", "-1", "--format=%H", "--",
                              f"schemas/snapshots/{tag}.json"], capture_output=True, text=True).stdout.split()
    return f"git:{written[0]}" if written else f"git:{tag}"
