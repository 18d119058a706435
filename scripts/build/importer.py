"""The export read into table rows in chunks of tasks, in worker processes when it is large.

Each chunk becomes the span tables' rows (unsorted frames), the summaries of its tasks for the
ledger (what holds across tasks is checked in the build, in export order) and agreement counts.
Chunks come back in export order, at most a few ahead of the build, so memory stays bounded.
"""
from __future__ import annotations

import gc
import multiprocessing
import os
from collections import deque
from collections.abc import Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import polars as pl

from scripts.build.tables import TableBuilder
from scripts.core.export_read import TaskAnnotations, read_task
from scripts.core.export_scan import items, tasks_of
from scripts.core.model import Document
from scripts.evaluate import Tally

CHUNK_BYTES = 8 << 20  # of export per chunk
PARALLEL_BYTES = 64 << 20  # smaller exports are read in the build's own process


@dataclass
class Chunk:
    tasks: list[TaskAnnotations]  # summaries (no annotations), in export order
    frames: dict[str, pl.DataFrame]  # the span tables' rows of the chunk's tasks, unsorted
    tally: Tally
    problems: list[str]  # entities the `ner` view could not place


def read_chunk(path: Path, tasks: list[tuple[int, Any, int]], corpus: Mapping[str, Document]) -> Chunk:
    """(index, task, e-mail count) of some tasks as a chunk. Rows are built for every task tied to a document;
    the ledger then refuses the export if one should not count (a second task for a document)."""
    builder, tally, summaries = TableBuilder(), Tally(), []
    for index, task, emails in tasks:
        read = read_task(path, index, task, corpus, emails)
        if read.doc_id is not None:
            if read.gold is not None:
                builder.add_gold(read.gold)
            for annotated in read.annotations:
                builder.add_annotation(annotated)
            if len(read.annotations) > 1:
                tally.add_task(read.annotations)
        summaries.append(read.summary())
    return Chunk(summaries, builder.frames(), tally, builder.problems)


def chunks(path: Path, corpus: Mapping[str, Document], workers: Optional[int] = None) -> Iterator[Chunk]:
    """The export as chunks, in order, while it is still being scanned. workers: processes reading
    chunks (default: `workers_for`)."""
    workers = workers_for(path) if workers is None else workers
    if workers <= 1:
        with fewer_collections():
            for run in _runs(path):
                yield _read_run(path, run, corpus)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                             initializer=_start_worker, initargs=(path, corpus)) as pool:
        pending: deque = deque()
        for run in _runs(path):
            pending.append(pool.submit(_worker_chunk, run))
            if len(pending) > 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def workers_for(path: Path) -> int:
    """The default: a worker per core for an export over PARALLEL_BYTES, else none (this process reads it)."""
    return (os.cpu_count() or 1) if path.stat().st_size > PARALLEL_BYTES else 0


Run = list[tuple[int, Optional[tuple[int, int]], Any]]  # items of the export (labelstudio.items)


def _runs(path: Path) -> Iterator[Run]:
    """The export's items in runs of about CHUNK_BYTES."""
    run, size = [], 0
    for item in items(path):
        run.append(item)
        size += item[1][1] - item[1][0] if item[1] else 1
        if size >= CHUNK_BYTES:
            yield run
            run, size = [], 0
    if run:
        yield run


def _read_run(path: Path, run: Run, corpus: Mapping[str, Document]) -> Chunk:
    return read_chunk(path, list(tasks_of(path, run)), corpus)


@contextmanager
def fewer_collections():
    """Python's cyclic garbage collector runs a hundred times less often while many small objects are
    made (about a third of the import's time otherwise); cycles are still collected."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


_WORKER: dict = {}


def _start_worker(path: Path, corpus: Mapping[str, Document]) -> None:
    gc.set_threshold(100_000, 50, 1000)
    _WORKER.update(path=path, corpus=corpus)


def _worker_chunk(run: Run) -> Chunk:
    return _read_run(_WORKER["path"], run, _WORKER["corpus"])
