"""Builds the release: corpus + export -> tables -> validation -> Parquet + card, swapped in atomically.

Everything is written to a temporary folder beside the release first; data/,
README.md and DATASHEET.md are replaced only after every table validated.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import tempfile
import tomllib
from pathlib import Path
from typing import Optional

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from datasets import List

from schemas.tables import SPLIT, TABLES, class_label_of, decode_labels, empty, features
from schemas.validation import validate
from scripts.card import ConfigRelease, render_datasheet, render_readme
from scripts.corpus import load_corpus
from scripts.labelstudio import read_tasks
from scripts.tables import TableBuilder

PROJECT_ROOT = Path(__file__).resolve().parents[1]
CARD_FILES = ("README.md", "DATASHEET.md")
# Rows per Parquet file: a few tens of MB of our narrow rows, well inside the Hub's recommended file sizes.
SHARD_ROWS = 1_000_000
# Fixed writer options: with the pinned pyarrow, the same rows give the same bytes.
PARQUET_OPTIONS = dict(
    compression="zstd", compression_level=9, use_dictionary=True, write_statistics=True,
    data_page_version="2.0", write_page_index=False, row_group_size=100_000,
)


class ValidationFailed(Exception):
    def __init__(self, report: list[str]):
        self.report = report
        super().__init__("\n".join(report))


def dataset_version(root: Path = PROJECT_ROOT) -> str:
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]["version"]


def to_arrow(table: str, frame: pl.DataFrame) -> pa.Table:
    """The frame with its HF features: closed vocabularies as ClassLabel ints, features in the schema metadata."""
    feats = features(table)

    def encode(expr: pl.Expr, names: list[str]) -> pl.Expr:
        return expr.replace_strict(names, range(len(names)), return_dtype=pl.Int64)

    encoded = frame.with_columns(
        pl.col(name).list.eval(encode(pl.element(), label.names)) if isinstance(f, List) else encode(pl.col(name), label.names)
        for name, f in feats.items() if (label := class_label_of(f))
    )
    return encoded.to_arrow().cast(feats.arrow_schema)


def read_release(root: Path) -> dict[str, pl.DataFrame]:
    """A release's tables as the build validated them (ClassLabel ints back to names); a config
    that is not published is an empty frame."""
    tables = {}
    for table in TABLES:
        files = sorted((root / "data" / table).glob(f"{SPLIT}-*.parquet"))
        tables[table] = decode_labels(table, pl.concat([pl.read_parquet(f) for f in files])) if files else empty(table)
    return tables


def write_config(root: Path, table: str, frame: pl.DataFrame, shard_rows: int = SHARD_ROWS) -> ConfigRelease:
    """The table as Parquet shards of at most `shard_rows` rows (test-0000i-of-0000n.parquet)."""
    shards = max(1, -(-frame.height // shard_rows))
    files, digest, file_bytes, arrow_bytes = [], hashlib.sha256(), 0, 0
    for i in range(shards):
        relative = f"data/{table}/{SPLIT}-{i:05d}-of-{shards:05d}.parquet"
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        arrow = to_arrow(table, frame.slice(i * shard_rows, shard_rows))
        pq.write_table(arrow, path, **PARQUET_OPTIONS)
        content = path.read_bytes()
        files.append(relative)
        digest.update(content)
        file_bytes, arrow_bytes = file_bytes + len(content), arrow_bytes + arrow.nbytes
    return ConfigRelease(name=table, files=tuple(files), num_rows=frame.height, file_bytes=file_bytes,
                         arrow_bytes=arrow_bytes, sha256=digest.hexdigest())


def build(corpus_dir: Path, export: Optional[Path], release_root: Path, version: Optional[str] = None,
          shard_rows: int = SHARD_ROWS) -> list[ConfigRelease]:
    """Builds into release_root (which holds README.md and DATASHEET.md). Raises InputError or
    ValidationFailed, leaving release_root untouched, when anything is wrong."""
    tables, compared = assemble(corpus_dir, export)
    report = validate(tables)
    if report:
        raise ValidationFailed(report)
    return publish_locally(tables, compared, release_root, version or dataset_version(), shard_rows)


def assemble(corpus_dir: Path, export: Optional[Path]) -> tuple[dict[str, pl.DataFrame], list]:
    """The tables from the corpus and one pass over the export, and the annotations of tasks that
    several annotators did (for the agreement tables; the others are not kept)."""
    corpus = load_corpus(corpus_dir)
    builder, compared = TableBuilder(corpus), []
    for task in read_tasks(export, corpus) if export is not None else []:
        if task.gold is not None:
            builder.add_gold(task.gold)
        for annotated in task.annotations:
            builder.add_annotation(annotated)
        if len(task.annotations) > 1:
            compared += task.annotations
    return builder.finish(), compared


def publish_locally(tables: dict[str, pl.DataFrame], compared: list, release_root: Path, version: str,
                    shard_rows: int = SHARD_ROWS) -> list[ConfigRelease]:
    """Writes validated tables as Parquet with the card and the datasheet, swapped into release_root."""
    with locked(release_root), tempfile.TemporaryDirectory(prefix=STAGING_PREFIX, dir=release_root) as tmp:
        staging = Path(tmp)
        # A config with no rows is not published: `datasets` cannot load an empty split.
        releases = [write_config(staging, t, tables[t], shard_rows) for t in TABLES if tables[t].height]
        readme = (release_root / "README.md").read_text(encoding="utf-8")
        datasheet = (release_root / "DATASHEET.md").read_text(encoding="utf-8")
        has_spans = any(r.name != "documents" for r in releases)
        (staging / "README.md").write_text(render_readme(readme, staging, releases, version, has_spans), encoding="utf-8")
        (staging / "DATASHEET.md").write_text(render_datasheet(datasheet, tables, compared), encoding="utf-8")
        try:
            for _ in swap_steps(staging, release_root):
                pass
        except BaseException:
            roll_back(staging, release_root)
            raise
    return releases


# ---- the swap: one build at a time, and a killed build rolled back by the next ----

STAGING_PREFIX = ".build-"
SWAPPING = "SWAPPING"  # marker in a staging folder whose contents are being swapped in
RELEASED = ("data", *CARD_FILES)


@contextlib.contextmanager
def locked(release_root: Path):
    """An exclusive lock on the release folder (flock on the directory itself, so no lock file is left);
    a second build waits. Taking it first rolls back what a killed build left half swapped."""
    fd = os.open(release_root, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        recover(release_root)
        yield
    finally:
        os.close(fd)  # releases the lock


def swap_steps(staging: Path, release_root: Path):
    """Moves the staged release in, one atomic rename per step (yielded after each, so a test can stop
    between two). The previous files go into the staging folder first, for `roll_back` to put back."""
    existed = [name for name in RELEASED if (release_root / name).exists()]
    (staging / SWAPPING).write_text(json.dumps(existed), encoding="utf-8")
    yield
    for name in RELEASED:
        if name in existed:
            os.replace(release_root / name, staging / f"{name}.old")
            yield
        os.replace(staging / name, release_root / name)
        yield
    (staging / SWAPPING).unlink()


def roll_back(staging: Path, release_root: Path) -> list[str]:
    """Puts back what an unfinished swap from `staging` replaced; returns the names restored."""
    marker = staging / SWAPPING
    if not marker.exists():
        return []
    existed, restored = json.loads(marker.read_text(encoding="utf-8")), []
    for name in RELEASED:
        target, backup = release_root / name, staging / f"{name}.old"
        moved_in = not (staging / name).exists()
        if backup.exists() or (moved_in and name not in existed and target.exists()):
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
            restored.append(name)
        if backup.exists():
            os.replace(backup, target)
    marker.unlink()
    return restored


def recover(release_root: Path) -> list[str]:
    """Rolls back every swap a killed build left unfinished and removes leftover staging folders."""
    restored = []
    for staging in sorted(release_root.glob(f"{STAGING_PREFIX}*")):
        restored += roll_back(staging, release_root)
        shutil.rmtree(staging, ignore_errors=True)
    return restored
