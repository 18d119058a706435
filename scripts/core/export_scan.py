"""Finds the tasks of a Label Studio JSON export in its bytes (a vectorized scan, any layout, any size) and
decodes each into the strict model of scripts/core/export_model.py, or a `Malformed` record that names why not."""
from __future__ import annotations

import codecs
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional, Union

import msgspec
import numpy as np
import orjson

from scripts.core.addresses import addresses_in, may_hold_one, safe
from scripts.core.export_model import TASK_DECODER, Task
from scripts.core.model import InputError

MAX_DEPTH = 64  # a Label Studio export nests about 8 deep; anything far deeper is not one
BRACKETS = np.zeros(256, dtype=np.int8)
BRACKETS[[ord("["), ord("{")]], BRACKETS[[ord("]"), ord("}")]] = 1, -1
STRUCTURAL = (BRACKETS != 0) | (np.arange(256) == ord('"'))
JSON_SPACE = b" \t\n\r"


def element_ranges(path: Path, chunk_size: int = 32 << 20) -> Iterator[tuple[int, int]]:
    """Byte ranges of the bracketed elements of the export's top-level list, found as the file streams by:
    one vectorized pass over brackets and quotes (escaped characters blanked first; a chunk ending in
    backslashes carries them to the next). An element starts at the bracket that opens depth 2 and ends
    at the one that closes it. InputError when the file is not a list, nests deeper than MAX_DEPTH, or
    ends inside a value."""
    depth, in_string, offset, carry, opened = 0, 0, 0, b"", None
    try:
        f = path.open("rb")
    except OSError as err:
        raise InputError([f"{path}: not a readable JSON export: {err}"]) from err
    with f:
        while chunk := f.read(chunk_size):
            chunk = carry + chunk
            stripped = chunk.rstrip(b"\\")
            carry, chunk = chunk[len(stripped):], stripped
            if not offset and not chunk.lstrip(JSON_SPACE).startswith(b"["):
                raise InputError([f"{path}: {not_a_list(chunk[:4096])}"])
            data = np.frombuffer(chunk.replace(b"\\\\", b"__").replace(b'\\"', b"__"), dtype=np.uint8)
            at = np.flatnonzero(STRUCTURAL[data])  # quotes and brackets only
            marks = data[at]
            quote = marks == ord('"')
            parity = np.cumsum(quote, dtype=np.uint8) + np.uint8(in_string)  # wraps at 256: the parity survives
            outside = ((parity - quote) & 1) == 0  # not inside a string, judged before each mark
            step = BRACKETS[marks] * outside
            levels = np.cumsum(step, dtype=np.int32) + depth
            if levels.size:
                if (deepest := int(levels.max())) > MAX_DEPTH:
                    raise InputError([f"{path}: JSON nested too deeply to be a Label Studio export (depth {deepest} > {MAX_DEPTH})"])
                opens = (at[(step == 1) & (levels == 2)] + offset).tolist()
                closes = (at[(step == -1) & (levels == 1)] + offset + 1).tolist()
                for position, is_open in sorted([(p, True) for p in opens] + [(p, False) for p in closes]):
                    if is_open:
                        opened = position
                    else:
                        yield opened, position
                depth, in_string = int(levels[-1]), int(parity[-1] & 1)
            offset += len(chunk)
    if depth or in_string or carry:
        inside = "a string" if in_string or carry else "a list or an object"
        raise InputError([f"{path}: not a readable JSON export: the file ends inside {inside} (truncated?)"])


def items(path: Path) -> Iterator[tuple[int, Optional[tuple[int, int]], Any]]:
    """(index, byte range, None) for each bracketed element of the export's list, and (index, None, value)
    for any other value in it (a number, a string: not a task). What lies between the elements is parsed
    with orjson around stand-ins ("[0" gap "0]"), so the whole file is checked to be one JSON list."""
    index, previous = 0, None
    with path.open("rb") as f:
        def between(start: int, end: Optional[int]) -> list:
            f.seek(start)
            gap = f.read() if end is None else f.read(end - start)
            head, tail = (b"[0" if previous is not None else b""), (b"0]" if end is not None else b"")
            try:
                values = orjson.loads(head + gap + tail)
            except orjson.JSONDecodeError as err:
                raise InputError([f"{path}: not a readable JSON export: {err} (between bytes {start} and {end or 'the end'})"]) from err
            return values[bool(head):len(values) - bool(tail)]

        for start, end in element_ranges(path):
            for value in between(previous or 0, start):
                yield index, None, value
                index += 1
            yield index, (start, end), None
            index, previous = index + 1, end
        for value in between(previous or 0, None):
            yield index, None, value
            index += 1


def iter_tasks(path: Path) -> Iterator[tuple[int, Any, int]]:
    """(index, task, e-mail addresses in it) for each element of the export, streamed: a multi-GB export is
    never read whole. InputError if the file is not a JSON list or cannot be parsed."""
    return tasks_of(path, items(path))


def tasks_of(path: Path, some_items) -> Iterator[tuple[int, Any, int]]:
    """(index, task, e-mail addresses in it) of some of the export's `items`, each element read and parsed."""
    with path.open("rb") as f:
        for index, span, value in some_items:
            if span is None:
                yield index, value, 0
            else:
                f.seek(span[0])
                yield index, *task_from_bytes(path, f.read(span[1] - span[0]))


@dataclass
class Malformed:
    """An element of the export that is not a task of the model: as parsed leniently, and why."""

    raw: Any
    error: Optional[msgspec.ValidationError] = None  # None: not even a JSON object


def task_from_bytes(path: Path, raw: bytes) -> tuple[Union[Task, Malformed], int]:
    """One element of the export decoded into the model, and the e-mail addresses in it (looked for only
    if its bytes can spell an "@")."""
    try:
        task: Union[Task, Malformed] = TASK_DECODER.decode(raw)
    except msgspec.ValidationError as err:
        task = Malformed(lenient(raw), err)
    except msgspec.DecodeError as err:
        raw_task = lenient(raw)
        name = ""
        if isinstance(raw_task, dict) and type(raw_task.get("id")) is int:
            name = f" in task {raw_task['id']}" + (f" (doc {raw_task['data'].get('doc_id')})" if isinstance(raw_task.get("data"), dict) else "")
        raise InputError([safe(f"{path}: not a readable JSON export{name}: {err} (a number too large for a float, or a "
                               "lone surrogate such as \\ud800?)")]) from err
    return task, email_count(lenient(raw)) if may_hold_one(raw) else 0


def lenient(raw: bytes) -> Any:
    """The element parsed as leniently as Python's own JSON reader allows (for messages and the e-mail scan)."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):
        return None


def email_count(node: Any, quoted: bool = False) -> int:
    """E-mail addresses in the decoded strings of a task, anywhere but the texts it quotes from the corpus
    (`data.text`, and a span region's `value.text`, which must equal the corpus text)."""
    if isinstance(node, dict):
        is_span = node.get("type") == "labels"
        return sum(len(addresses_in(k)) + (email_count(v, quoted=(k == "data") or (is_span and k == "value")) if isinstance(v, (dict, list))
                   else 0 if quoted and k == "text" else email_count(v)) for k, v in node.items())
    if isinstance(node, list):
        return sum(email_count(v) for v in node)
    if isinstance(node, str):
        return len(addresses_in(node))
    return 0


def not_a_list(head: bytes) -> str:
    """What the start of a file that is not a JSON list is, in words (the file is not read further)."""
    if head.startswith(codecs.BOM_UTF8):
        return "starts with a UTF-8 byte order mark (BOM); save it without one (JSON has none)"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        if err.start < len(head) - 4:  # not just a character cut at the end of the head
            return f"not a readable JSON export: {err}"
    first = head.lstrip(JSON_SPACE)[:1]
    kinds = {b"{": "dict", b'"': "str", b"t": "bool", b"f": "bool", b"n": "null"}
    found = kinds.get(first, "number" if first in b"-0123456789" and first else None)
    if found:
        return f"a Label Studio export is a JSON list of tasks, found {found}"
    return "not a readable JSON export: it does not start with '['" if first else "not a readable JSON export: the file is empty"

