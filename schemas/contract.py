"""The data contract across versions: schema snapshots, their difference, and the semver gate.

A snapshot (schemas/snapshots/v<version>.json, one per released version) holds, for every
config, the pandera schema as pandera serializes it (registered checks included, polars
dtype names) and the Hugging Face features. `classify` compares two snapshots:

- breaking: a config or column removed (a rename is a removal), a dtype or feature changed,
  nullability or uniqueness tightened, a vocabulary value removed or ClassLabel names
  reordered, a check added or changed, a new column that may not be null;
- minor: a new config, a new nullable column, a vocabulary that only grows (ClassLabel names
  appended, also inside lists and structs), a check removed, nullability or uniqueness loosened, a
  struct of a nested config that gains fields (the flat config's new column classifies it);
- patch: descriptions only.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

SNAPSHOTS = Path(__file__).parent / "snapshots"
LEVELS = ("none", "patch", "minor", "breaking")
# Keys of a serialized pandera column that are not checks.
COLUMN_FIELDS = {"title", "description", "dtype", "nullable", "unique", "coerce", "required", "regex", "default", "metadata", "drop_invalid_rows", "report_duplicates"}
VERSION = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def parse_version(version: str) -> tuple[int, int, int]:
    match = VERSION.match(version)
    if not match:
        raise ValueError(f"not a semantic version X.Y.Z: {version!r}")
    return tuple(int(x) for x in match.groups())


def snapshot() -> dict:
    """The working tree's schemas and features."""
    from schemas.tables import TABLES, features, schema

    return {table: {"pandera": yaml.safe_load(schema(table).to_yaml()), "features": features(table).to_dict()}
            for table in TABLES}


def snapshot_path(version: str, folder: Path = SNAPSHOTS) -> Path:
    return folder / f"v{version}.json"


def snapshot_text(version: str) -> str:
    """The snapshot file of a version, as `release` writes it to `snapshot_path`."""
    return json.dumps({"version": version, "tables": snapshot()}, indent=1, sort_keys=True) + "\n"


def latest_snapshot(folder: Path = SNAPSHOTS) -> tuple[str, dict] | None:
    """The snapshot of the highest released version, or None before the first release."""
    versions = sorted((parse_version(p.stem[1:]), p) for p in folder.glob("v*.json"))
    if not versions:
        return None
    path = versions[-1][1]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data["version"], data["tables"]
    except (ValueError, KeyError, TypeError) as err:
        raise ValueError(f"{path} is not a readable schema snapshot ({type(err).__name__}: {err}); restore it from git") from err


def _checks(column: dict) -> dict:
    return {k: v for k, v in column.items() if k not in COLUMN_FIELDS}


def _frame_checks(table: dict) -> set[str]:
    return {json.dumps(c, sort_keys=True) for c in table["pandera"].get("checks") or []}


def _column_changes(name: str, old: dict, new: dict, old_feature, new_feature) -> list[tuple[str, str]]:
    changes = []
    grown = _feature_change(old_feature, new_feature)
    if old.get("dtype") != new.get("dtype"):
        changes.append(grown if grown and grown[0] == "minor" else ("breaking", f"column {name}: dtype {old.get('dtype')} -> {new.get('dtype')}"))
    for flag in ("nullable", "unique"):
        was, now = bool(old.get(flag)), bool(new.get(flag))
        if was != now:
            tightened = (flag == "nullable" and was) or (flag == "unique" and now)
            changes.append(("breaking" if tightened else "minor", f"column {name}: {flag} {was} -> {now}"))
    old_checks, new_checks = _checks(old), _checks(new)
    for check in sorted(set(old_checks) | set(new_checks)):
        before, after = old_checks.get(check), new_checks.get(check)
        if before == after:
            continue
        if check == "isin" and before is not None and after is not None:
            removed = [v for v in before if v not in after]
            changes.append(("breaking", f"column {name}: values removed from the vocabulary: {removed}") if removed
                           else ("minor", f"column {name}: vocabulary grows by {[v for v in after if v not in before]}"))
        elif after is None:
            changes.append(("minor", f"column {name}: check {check} removed"))
        else:
            changes.append(("breaking", f"column {name}: check {check} {'added' if before is None else 'changed'}: {after}"))
    if grown and old.get("dtype") == new.get("dtype"):
        level, what = grown
        changes.append((level, f"column {name}: {what}" if level == "minor" else f"column {name}: feature {old_feature} -> {new_feature}"))
    if old.get("description") != new.get("description"):
        changes.append(("patch", f"column {name}: description changed"))
    return changes


def _feature_change(old, new) -> tuple[str, str] | None:
    """How a serialized feature changed, also inside lists and structs: None if not; minor when ClassLabel names were only
    appended or a struct (a nested config's spans) only gained fields (the flat config that gained the column
    classifies that column); else breaking."""
    if old == new:
        return None
    kinds = [f.get("_type") if isinstance(f, dict) else None for f in (old, new)]
    if kinds[0] != kinds[1] or not isinstance(old, dict):
        return ("breaking", "")
    if kinds[0] == "ClassLabel":
        appended = new["names"][len(old["names"]):]
        return ("minor", f"ClassLabel names appended: {appended}") if new["names"][:len(old["names"])] == old["names"] else ("breaking", "")
    if kinds[0] == "List" and old.keys() == new.keys() == {"_type", "feature"}:
        return _feature_change(old["feature"], new["feature"])
    if kinds[0] is None and old.keys() <= new.keys():  # a struct
        inner = [c for k in old if (c := _feature_change(old[k], new[k]))]
        if any(level == "breaking" for level, _ in inner):
            return ("breaking", "")
        added = [k for k in new if k not in old]
        return ("minor", "; ".join([*(what for _, what in inner), *([f"struct fields added: {added}"] if added else [])]))
    return ("breaking", "")


def classify(old: dict, new: dict) -> tuple[str, list[tuple[str, str]]]:
    """The level of the change from snapshot `old` to `new`, and every change with its own level."""
    changes: list[tuple[str, str]] = []
    for table in sorted(set(old) | set(new)):
        if table not in new:
            changes.append(("breaking", f"{table}: config removed"))
            continue
        if table not in old:
            changes.append(("minor", f"{table}: new config"))
            continue
        before, after = old[table]["pandera"]["columns"], new[table]["pandera"]["columns"]
        old_features, new_features = old[table]["features"], new[table]["features"]
        for name in before:
            if name not in after:
                changes.append(("breaking", f"{table}: column {name} removed"))
        for name, column in after.items():
            if name not in before:
                level = "minor" if column.get("nullable") else "breaking"
                changes.append((level, f"{table}: new {'nullable' if level == 'minor' else 'required'} column {name}"))
            else:
                changes += [(level, f"{table}: {what}") for level, what in _column_changes(
                    name, before[name], column, old_features.get(name), new_features.get(name))]
        old_checks, new_checks = _frame_checks(old[table]), _frame_checks(new[table])
        changes += [("breaking", f"{table}: table check added: {c}") for c in sorted(new_checks - old_checks)]
        changes += [("minor", f"{table}: table check removed: {c}") for c in sorted(old_checks - new_checks)]
    level = max((LEVELS.index(level) for level, _ in changes), default=0)
    return LEVELS[level], changes


def changelog_has(changelog: str, version: str) -> bool:
    return re.search(rf"^## \[?v?{re.escape(version)}\]?(\s|$)", changelog, re.M) is not None


def gate(version: str, changelog: str, folder: Path = SNAPSHOTS) -> list[str]:
    """Why the working schema may not merge at `version` (empty when it may)."""
    latest = latest_snapshot(folder)
    if latest is None:
        return [f"no schema snapshot in {folder}: run `python -m scripts release` to make the first"]
    released, old = latest
    level, changes = classify(old, snapshot())
    if level == "none":
        return []
    problems = []
    if parse_version(version) <= parse_version(released):
        problems.append(f"the schema changed ({level}) since v{released} but the version is still {version}: "
                        f"run `python -m scripts release`")
    elif level == "breaking" and parse_version(version)[0] <= parse_version(released)[0]:
        problems.append(f"a breaking schema change needs a major version above v{released}, found {version}")
    if not changelog_has(changelog, version):
        problems.append(f"CHANGELOG.md has no entry '## {version}' for the schema change")
    return problems + [f"  {level}: {what}" for level, what in changes if level != "patch"] if problems else []
