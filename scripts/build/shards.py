"""A config's Parquet shards, written row group by row group as sorted rows arrive.

Row groups and files hold fixed numbers of rows whatever the batches the rows came in,
and the writer options are fixed: with the pinned pyarrow, the same rows give the same bytes.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from schemas.tables import DOCUMENT_ROWS, SPLIT, features, map_labels
from scripts.build.card import ConfigRelease

# Rows per Parquet file and per row group: a few tens of MB of our narrow rows, well inside the Hub's
# recommended file sizes; a document row holds a whole article, so the configs of one row per document have fewer of each.
SHARD_ROWS = 1_000_000
ROW_GROUP = 100_000
DOCUMENT_SHARD_ROWS = 10_000
DOCUMENT_ROW_GROUP = 1_000
PARQUET_OPTIONS = dict(
    compression="zstd", compression_level=3, use_dictionary=True, write_statistics=True,
    data_page_version="2.0", write_page_index=False,
)


def to_arrow(table: str, frame: pl.DataFrame) -> pa.Table:
    """The frame with its HF features: closed vocabularies as ClassLabel ints, features in the schema metadata."""
    feats = features(table)

    def encode(expr: pl.Expr, label) -> pl.Expr:
        return expr.replace_strict(label.names, range(len(label.names)), return_dtype=pl.Int64)

    encoded = frame.with_columns(m.alias(name) for name, f in feats.items() if (m := map_labels(pl.col(name), f, encode)) is not None)
    return encoded.to_arrow().cast(feats.arrow_schema)


class ShardWriter:
    """`write` sorted frames of any size, then `close`: data/<table>/test-0000i-of-0000n.parquet."""

    def __init__(self, root: Path, table: str, shard_rows: int = SHARD_ROWS) -> None:
        documents = table in DOCUMENT_ROWS
        self.root, self.table = root, table
        self.shard_rows = min(shard_rows, DOCUMENT_SHARD_ROWS) if documents else shard_rows
        self.group_rows = DOCUMENT_ROW_GROUP if documents else ROW_GROUP
        self.pending: list[pl.DataFrame] = []
        self.pending_rows = self.rows = self.in_file = 0
        self.paths: list[Path] = []
        self.writer: pq.ParquetWriter | None = None

    def write(self, frame: pl.DataFrame) -> None:
        self.pending.append(frame)
        self.pending_rows += frame.height
        while self.pending_rows >= self._next_group():
            self._flush(self._next_group())

    def _next_group(self) -> int:
        return min(self.group_rows, self.shard_rows - self.in_file)

    def _flush(self, n: int) -> None:
        rows = pl.concat(self.pending, rechunk=False)
        self.pending, self.pending_rows = [rows.slice(n)], rows.height - n
        piece = to_arrow(self.table, rows.slice(0, n)).combine_chunks()  # pages must not follow batch boundaries
        if self.writer is None:
            self.paths.append(self.root / "data" / self.table / f".part-{len(self.paths):05d}.parquet")
            self.paths[-1].parent.mkdir(parents=True, exist_ok=True)
            self.writer = pq.ParquetWriter(self.paths[-1], piece.schema, **PARQUET_OPTIONS)
        self.writer.write_table(piece, row_group_size=n)
        self.rows, self.in_file = self.rows + n, self.in_file + n
        if self.in_file == self.shard_rows:
            self._close_file()

    def _close_file(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer, self.in_file = None, 0

    def close(self) -> ConfigRelease | None:
        """The config as published (None when it has no rows: `datasets` cannot load an empty split)."""
        if self.pending_rows:
            self._flush(self.pending_rows)
        self._close_file()
        if not self.rows:
            return None
        files, digest, file_bytes, arrow_bytes = [], hashlib.sha256(), 0, 0
        for i, path in enumerate(self.paths):
            relative = f"data/{self.table}/{SPLIT}-{i:05d}-of-{len(self.paths):05d}.parquet"
            os.replace(path, self.root / relative)
            content = (self.root / relative).read_bytes()
            files.append(relative)
            digest.update(content)
            file_bytes += len(content)
            # The in-memory size of the file read back: the batches it was written from may hold nested arrays whose
            # buffers (validity bitmaps, offsets) depend on how the rows were batched; the file's bytes do not.
            arrow_bytes += pq.read_table(pa.BufferReader(content)).nbytes
        return ConfigRelease(name=self.table, files=tuple(files), num_rows=self.rows, file_bytes=file_bytes,
                             arrow_bytes=arrow_bytes, sha256=digest.hexdigest())
