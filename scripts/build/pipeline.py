"""Builds the release: corpus + export -> tables -> validation -> Parquet + card, swapped in atomically.

The export is read in chunks of tasks (scripts/build/importer.py) whose rows gather in buckets of
documents, each sorted, validated and written as soon as it is complete (scripts/build/buckets.py).
Everything is written to a staging folder inside the release root first; data/, README.md,
DATASHEET.md and croissant.json are replaced only after every table validated.
"""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import sys
import tempfile
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Optional

import polars as pl

from schemas.tables import SPAN_LAYERS, SPLIT, TABLES, decode_labels, empty
from scripts.build.buckets import Buckets, Stopwatch
from scripts.build.card import ConfigRelease, render_datasheet, render_readme
from scripts.build.croissant import CROISSANT, render as render_croissant
from scripts.build.importer import chunks
from scripts.build.shards import SHARD_ROWS
from scripts.core.corpus import Corpus
from scripts.core.export_read import Ledger
from scripts.core.files import PROJECT_ROOT, fsync_dir, write_atomic
from scripts.core.model import Document, InputError
from scripts.evaluate import Tally

CARD_FILES = ("README.md", "DATASHEET.md")


class ValidationFailed(Exception):
    def __init__(self, report: list[str]):
        self.report = report
        super().__init__("\n".join(report))


def dataset_version(root: Path = PROJECT_ROOT) -> str:
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def read_release(root: Path) -> dict[str, pl.DataFrame]:
    """A release's tables as the build validated them (ClassLabel ints back to names); a config
    that is not published is an empty frame."""
    tables = {}
    for table in TABLES:
        files = sorted((root / "data" / table).glob(f"{SPLIT}-*.parquet"))
        tables[table] = decode_labels(table, pl.concat([pl.read_parquet(f) for f in files])) if files else empty(table)
    return tables


def build(corpus_dir: Path, export: Optional[Path], release_root: Path, version: Optional[str] = None,
          shard_rows: int = SHARD_ROWS, workers: Optional[int] = None, stopwatch: Optional[Stopwatch] = None,
          allow_removals: bool = False) -> list[ConfigRelease]:
    """Builds into release_root (which holds README.md and DATASHEET.md). Raises InputError or
    ValidationFailed, leaving release_root untouched, when anything is wrong, and InputError when the new
    release lacks gold spans or annotations of the published one, unless `allow_removals`.
    `workers`: see importer.chunks; `stopwatch` collects the seconds of each stage."""
    stopwatch = stopwatch or Stopwatch()
    with stopwatch("import"):
        corpus = Corpus(corpus_dir)  # every file checked; the texts are read again when needed
    with locked(release_root), staging_folder(release_root) as staging:
        buckets, tally = Buckets(corpus, staging, shard_rows, stopwatch), Tally()
        if export is not None:
            _import(export, corpus, workers, buckets, tally, stopwatch)
        report = buckets.finish()
        if report:
            raise ValidationFailed(report)
        with stopwatch("write"):
            releases = buckets.close()
        lost = removals(release_root, staging)
        if lost and not allow_removals:
            raise InputError([f"the new release would lose {len(lost)} gold span(s) or annotation(s) of the published one; "
                              "if that is intended, build again with --allow-removals", *lost[:MAX_LISTED],
                              *([f"… and {len(lost) - MAX_LISTED} more"] if len(lost) > MAX_LISTED else [])])
        with stopwatch("write"):
            readme = (release_root / "README.md").read_text(encoding="utf-8")
            datasheet = (release_root / "DATASHEET.md").read_text(encoding="utf-8")
            has_spans = any(r.name in SPAN_LAYERS for r in releases)
            (staging / "README.md").write_text(render_readme(readme, staging, releases, version or dataset_version(), has_spans, tally),
                                               encoding="utf-8")
            (staging / "DATASHEET.md").write_text(render_datasheet(datasheet, buckets.counts, tally), encoding="utf-8")
            (staging / CROISSANT).write_text(render_croissant(staging, version or dataset_version()), encoding="utf-8")
            try:
                for _ in swap_steps(staging, release_root):
                    pass
            except BaseException:
                roll_back(staging, release_root)
                raise
    return releases


MAX_LISTED = 200


def removals(published: Path, staged: Path) -> list[str]:
    """What the published release holds and the staged one lacks: gold spans (by span id), each
    annotator's spans, and annotations (fewer of an annotator's for a document)."""
    def read(root: Path, table: str, columns: list[str]) -> pl.DataFrame:
        files = sorted((root / "data" / table).glob(f"{SPLIT}-*.parquet"))
        return pl.concat([pl.read_parquet(f, columns=columns) for f in files]) if files else empty(table).select(columns)

    lost = []
    for layer in SPAN_LAYERS:
        gone = read(published, layer, ["doc_id", "span_id", "text"]).join(read(staged, layer, ["span_id"]), on="span_id", how="anti")
        lost += [f"doc {d}: {layer} {sid} {text!r} would be removed" for d, sid, text in gone.sort("span_id").iter_rows()]
    raw = ["doc_id", "annotator", "span_id", "text"]
    gone = read(published, "annotations_raw", raw).join(read(staged, "annotations_raw", raw[:3]), on=raw[:3], how="anti").unique()
    lost += [f"doc {d}: {who}'s span {sid} {text!r} would be removed" for d, who, sid, text in gone.sort(raw).iter_rows()]
    key = ["doc_id", "annotator"]
    old, new = (read(root, "annotations_raw", [*key, "ls_annotation_id"]).group_by(key).agg(pl.col("ls_annotation_id").n_unique().alias("n"))
                for root in (published, staged))
    fewer = old.join(new, on=key, how="left").filter(pl.col("n_right").fill_null(0) < pl.col("n")).sort(key)
    lost += [f"doc {d}: {who} would have {after or 0} annotation(s) instead of {before}" for d, who, before, after in fewer.iter_rows()]
    return lost


def _import(export: Path, corpus: Mapping[str, Document], workers: Optional[int], buckets: Buckets, tally: Tally, stopwatch: Stopwatch) -> None:
    """The export, chunk by chunk, into the buckets; InputError with every problem of the export, then with
    every entity the `ner` view could not place."""
    ledger, unplaced, stream = Ledger(export), [], chunks(export, corpus, workers)
    while True:
        with stopwatch("import"):
            chunk = next(stream, None)
            if chunk is None:
                break
            admitted = [t.doc_id for t in chunk.tasks if ledger.admit(t)]
            tally.merge(chunk.tally)
            unplaced += chunk.problems
        buckets.add(chunk.frames, admitted)
    ledger.close()
    if unplaced:
        raise InputError(unplaced)


# ---- the swap: one build at a time, and a killed build rolled back by the next ----

STAGING_PREFIX = ".build-"
OWNER = ".syria-news-spans-staging"  # in every staging folder a build makes: only those are ever rolled back or removed
SWAPPING = "SWAPPING"  # marker in a staging folder whose contents are being swapped in
RELEASED = ("data", *CARD_FILES, CROISSANT)  # CARD_FILES are read from the release root too; croissant.json is only written


@contextlib.contextmanager
def staging_folder(release_root: Path):
    """A new staging folder in the release root, marked as this project's, removed afterwards."""
    staging = Path(tempfile.mkdtemp(prefix=STAGING_PREFIX, dir=release_root))
    (staging / OWNER).touch()
    try:
        yield staging
    finally:
        remove_staging(staging)


def remove_staging(staging: Path) -> None:
    """Everything but the marker, then the marker, then the empty folder: killed at any point, what is left is
    either still marked (`recover` removes it) or empty."""
    for child in staging.iterdir():
        if child.name != OWNER:
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    (staging / OWNER).unlink(missing_ok=True)
    staging.rmdir()


@contextlib.contextmanager
def locked(release_root: Path):
    """An exclusive lock on the release folder (flock on the directory itself, so no lock file is left);
    a second build waits. Taking it first rolls back what a killed build left half swapped."""
    fd = os.open(release_root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        restored = recover(release_root)
        if restored:
            print(f"rolled back the unfinished swap of a killed build: {', '.join(restored)} restored", file=sys.stderr)
        yield
    finally:
        os.close(fd)  # releases the lock


def swap_steps(staging: Path, release_root: Path):
    """Moves the staged release in, one atomic rename per step (yielded after each, so a test can stop
    between two). The previous files go into the staging folder first, for `roll_back` to put back."""
    staged = [name for name in RELEASED if (staging / name).exists()]
    write_atomic(staging / SWAPPING, json.dumps({"staged": staged}), durable=True)
    yield
    for name in staged:
        if (release_root / name).exists():
            os.replace(release_root / name, staging / f"{name}.old")
            yield
        os.replace(staging / name, release_root / name)
        yield
    fsync_dir(release_root)
    (staging / SWAPPING).unlink()


def roll_back(staging: Path, release_root: Path) -> list[str]:
    """Puts back what an unfinished swap from `staging` replaced; returns the names restored. A marker that
    cannot be read (a crash while it was written) counts as a swap of every released name: a name still in
    the staging folder was not moved in, and a name whose previous version waits there is put back."""
    marker = staging / SWAPPING
    if not marker.exists():
        return []
    try:
        staged = [n for n in json.loads(marker.read_text(encoding="utf-8"))["staged"] if n in RELEASED]
    except (OSError, ValueError, KeyError, TypeError):
        staged = list(RELEASED)
    restored = []
    for name in staged:
        target, backup = release_root / name, staging / f"{name}.old"
        moved_in = not (staging / name).exists()
        if moved_in and target.exists():
            shutil.rmtree(target) if target.is_dir() else target.unlink()
            restored.append(name)
        if backup.exists():
            os.replace(backup, target)
            restored += [] if name in restored else [name]
    marker.unlink()
    return restored


def recover(release_root: Path) -> list[str]:
    """Rolls back every swap a killed build left unfinished and removes its staging folders (only folders
    a build made, and empty ones: a user's own `.build-something` with anything in it is left alone)."""
    restored = []
    for staging in sorted(release_root.glob(f"{STAGING_PREFIX}*")):
        if (staging / OWNER).is_file():
            restored += roll_back(staging, release_root)
            remove_staging(staging)
        elif staging.is_dir() and not any(staging.iterdir()):  # a build killed between its marker and its folder
            staging.rmdir()
    return restored
