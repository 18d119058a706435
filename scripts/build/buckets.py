"""The release assembled bucket by bucket of documents, so memory holds a few buckets, not the corpus.

Documents are cut, in doc_id order, into buckets of DOCS_PER_BUCKET. Rows wait in their bucket until
the task of every document in it has been read; then the bucket's tables are sorted, validated with
the pandera schemas (every rule holds within a document but one, checked across buckets at the end;
the corpus reader has made doc ids and source files unique)
and appended to the Parquet shards. Buckets complete in order when the export is in document order;
otherwise rows wait, and beyond SPILL_ROWS waiting rows they wait on disk.
"""
from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Optional, Union

import polars as pl

from schemas.tables import TABLES
from schemas.validation import capped, cross_document_failures, failures
from scripts.build.card import ConfigRelease, Counts
from scripts.build.shards import SHARD_ROWS, ShardWriter
from scripts.build.tables import documents_frame, sorted_tables
from scripts.core.model import Document

DOCS_PER_BUCKET = 1000
SPILL_ROWS = 2_000_000
BUCKET = "_bucket"


class Stopwatch:
    """Seconds spent per stage (import, validate, write), wall and this process's CPU (its threads'), and the
    stage under way."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.stage: Optional[str] = None

    @contextmanager
    def __call__(self, stage: str):
        start, cpu, outer, self.stage = time.perf_counter(), time.process_time(), self.stage, stage
        try:
            yield
        finally:
            self.seconds[stage] += time.perf_counter() - start
            self.cpu[stage] += time.process_time() - cpu
            self.stage = outer


class Buckets:
    def __init__(self, corpus: Mapping[str, Document], root: Path, shard_rows: int = SHARD_ROWS, stopwatch: Stopwatch | None = None,
                 docs_per_bucket: Optional[int] = None, spill_rows: Optional[int] = None) -> None:
        ids, docs_per_bucket = sorted(corpus), docs_per_bucket or DOCS_PER_BUCKET
        self.corpus, self.root, self.spill_rows = corpus, root, spill_rows or SPILL_ROWS
        self.members = [ids[i:i + docs_per_bucket] for i in range(0, len(ids), docs_per_bucket)] or [[]]
        self.bucket_of = {doc_id: i // docs_per_bucket for i, doc_id in enumerate(ids)}
        self.unread = [len(m) for m in self.members]  # documents whose task has not been read yet
        self.waiting: dict[int, list[tuple[str, Union[pl.DataFrame, Path]]]] = defaultdict(list)
        self.waiting_rows = self.next = self.spilled = 0
        self.writers = {t: ShardWriter(root, t, shard_rows) for t in TABLES}
        self.found: dict[str, list[str]] = defaultdict(list)
        self.entity_names: list[pl.DataFrame] = []
        self.counts = Counts()
        self.stopwatch = stopwatch or Stopwatch()

    def add(self, frames: dict[str, pl.DataFrame], doc_ids: list[str]) -> None:
        """The rows of some tasks, and the documents those tasks annotate (all rows of a document come in one call)."""
        with self.stopwatch("import"):
            bucket = pl.col("doc_id").replace_strict(self.bucket_of, default=len(self.members) - 1, return_dtype=pl.Int32)
            for table, frame in frames.items():
                if frame.height:
                    for (b,), part in frame.with_columns(bucket.alias(BUCKET)).partition_by(BUCKET, as_dict=True).items():
                        self.waiting[b].append((table, part.drop(BUCKET)))
                        self.waiting_rows += part.height
            for doc_id in doc_ids:
                self.unread[self.bucket_of[doc_id]] -= 1
            if self.waiting_rows > self.spill_rows:
                self._spill()
        while self.next < len(self.members) and not self.unread[self.next]:
            self._complete(self.next)
            self.next += 1

    def finish(self) -> list[str]:
        """Completes every bucket; the validation failures (empty when the release is valid)."""
        for b in range(self.next, len(self.members)):
            self._complete(b)
        self.next = len(self.members)
        if self.waiting:  # rows of a document whose bucket was written: never dropped silently
            raise RuntimeError(f"rows of bucket(s) {sorted(self.waiting)} arrived after the bucket was written")
        with self.stopwatch("validate"):
            cross = cross_document_failures(pl.concat(self.entity_names)) if len(self.members) > 1 else []
        return capped({t: self.found[t] for t in TABLES if t in self.found}) + cross

    def close(self) -> list[ConfigRelease]:
        """The Parquet shards finished: the published configs."""
        return [r for r in (w.close() for w in self.writers.values()) if r is not None]

    def _complete(self, b: int) -> None:
        with self.stopwatch("import"):  # the bucket's rows, and its documents read again from the corpus
            parts: dict[str, list[pl.DataFrame]] = defaultdict(list)
            for table, part in self.waiting.pop(b, []):
                parts[table].append(pl.read_ipc(part) if isinstance(part, Path) else part)
                self.waiting_rows -= 0 if isinstance(part, Path) else part.height
            tables = sorted_tables(parts, documents_frame(self.corpus[d] for d in self.members[b]))
            del parts
        with self.stopwatch("validate"):
            for table, lines in failures(tables).items():
                self.found[table] += lines
            self.entity_names.append(tables["entities"].select("entity_id", "canonical_name").unique())
        with self.stopwatch("write"):
            self.counts.add(tables)
            for table, frame in tables.items():
                self.writers[table].write(frame)

    def _spill(self) -> None:
        """Every waiting frame to an Arrow IPC file in the staging folder."""
        with self.stopwatch("write"):
            folder = self.root / ".spill"
            folder.mkdir(exist_ok=True)
            for b, parts in self.waiting.items():
                for n, (table, part) in enumerate(parts):
                    if isinstance(part, pl.DataFrame):
                        path = folder / f"{self.spilled:08d}.arrow"
                        part.write_ipc(path)
                        parts[n] = (table, path)
                        self.spilled += 1
            self.waiting_rows = 0
