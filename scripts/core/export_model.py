"""The strict model of every input, declared once: the Label Studio export (as `pull` writes it and the
build reads it) and corpus/documents.yaml.

Every task is decoded into these types before any domain logic runs, in the build, in `pull` and in
`push`: a boolean must be a JSON boolean, an id an integer that fits int64, an offset an integer, a
label a string. Ids and names match one pattern each (ID_PATTERNS), so no path, control character or
e-mail address can travel through them. A value of the wrong type is refused with its place named
(`describe`). Fields this model does not name are ignored (Label Studio adds many), but they are
still searched for e-mail addresses (scripts/core/export_scan.py).
"""
from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Optional, Union

import msgspec
from msgspec import Meta, Struct

# One pattern per kind of id; docs/bad-input.md ("Bad input, ids and names") documents them.
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*\Z"  # doc ids, entity ids, claim group ids
ID_PATTERNS = {
    "doc_id": SLUG,
    "entity_id": SLUG,
    "claim_group_id": SLUG,
    "region_id": r"^[A-Za-z0-9_-]{1,64}\Z",  # Label Studio's own (e.g. "xK3_a9Q-2b") and ours ("e0_6")
    "pseudonym": r"^annotator-[1-9][0-9]{0,5}\Z",
    "source_file": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z",
    "sha256": r"^[0-9a-f]{64}\Z",
}
# A one-line published string: no control character (C0, DEL, C1), no line or paragraph separator, no
# invisible or bidirectional formatting character, and no "@" of any form (so no e-mail address).
LINE = r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\u061c\ufeff@\uff20\ufe6b]*\Z"
SLUG_MAX = 80


def _str(pattern: str, max_length: int = 1000):
    return Annotated[str, Meta(pattern=pattern, min_length=1, max_length=max_length)]


DocId = _str(ID_PATTERNS["doc_id"], SLUG_MAX)
RegionId = _str(ID_PATTERNS["region_id"], 64)
Pseudonym = _str(ID_PATTERNS["pseudonym"], 20)
Sha256 = _str(ID_PATTERNS["sha256"], 64)
Line = _str(LINE)
ID_TYPES = {"doc_id": DocId, "region_id": RegionId, "pseudonym": Pseudonym}


def is_id(kind: str, value: Any) -> bool:
    """Whether a value is an id of that kind, exactly as the model checks it (for messages and commands)."""
    try:
        msgspec.convert(value, ID_TYPES[kind], strict=True)
    except msgspec.ValidationError:
        return False
    return True


Int64 = Annotated[int, Meta(ge=0, le=2**63 - 1)]  # Label Studio's ids; published as int64
Int32 = Annotated[int, Meta(ge=0, le=2**31 - 1)]


# ---- the Label Studio export ----

class SpanValue(Struct):
    start: int  # range-checked against the text by the importer, with the text's length in the message
    end: int
    labels: list[str]
    text: Optional[str] = None  # Label Studio's copy of the span: only compared with the corpus text


class _Located(Struct):
    start: Optional[int] = None  # a per-region value repeats its region's offsets; Label Studio does not rely on them
    end: Optional[int] = None


class TextAreaValue(_Located, kw_only=True):
    text: list[str]


class ChoicesValue(_Located, kw_only=True):
    choices: list[str]


class NumberValue(_Located, kw_only=True):
    number: Union[int, float]


class _Item(Struct, tag_field="type"):
    id: RegionId
    from_name: str
    to_name: str


class LabelsItem(_Item, tag="labels"):
    value: SpanValue


class TextAreaItem(_Item, tag="textarea"):
    value: TextAreaValue


class ChoicesItem(_Item, tag="choices"):
    value: ChoicesValue


class NumberItem(_Item, tag="number"):
    value: NumberValue


class RelationItem(Struct, tag_field="type", tag="relation"):
    from_id: RegionId
    to_id: RegionId
    direction: str = "right"
    labels: list[str] = []


ResultItem = Union[LabelsItem, TextAreaItem, ChoicesItem, NumberItem, RelationItem]
AttributeItem = Union[TextAreaItem, ChoicesItem, NumberItem]


class Annotator(Struct):
    """`completed_by` as `pull` writes it: Label Studio's user id and a pseudonym, never an address."""
    id: Int64
    pseudonym: Pseudonym


class Annotation(Struct):
    id: Int64
    completed_by: Annotator
    result: list[ResultItem]
    was_cancelled: bool = False
    ground_truth: bool = False
    lead_time: Optional[float] = None
    created_at: Optional[str] = None
    updated_at: Optional[str] = None


class Prediction(Struct):
    result: list[ResultItem]
    model_version: Optional[Line] = None
    score: Optional[float] = None


class TaskData(Struct):
    text: str
    doc_id: DocId
    text_sha256: Sha256


class Task(Struct):
    id: Int64
    data: TaskData
    annotations: list[Annotation] = []
    predictions: list[Prediction] = []


TASK_DECODER = msgspec.json.Decoder(Task)


# ---- corpus/documents.yaml ----

class DocumentEntry(Struct, forbid_unknown_fields=True):
    doc_id: DocId
    source_file: _str(ID_PATTERNS["source_file"], 128)
    text_sha256: Sha256
    n_chars: Int32
    language: _str(r"^[a-z]{2}\Z", 2)
    rights: Line
    title: Optional[Line] = None
    publisher: Optional[Line] = None
    published: Optional[dt.date] = None


class CorpusMetadata(Struct):
    documents: list[DocumentEntry]


# ---- messages ----

_PATH = re.compile(r"\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]")
CONTEXT = {  # list fields whose items a message names by id
    "annotations": lambda i, item: f"annotation {item['id']}" if isinstance(item, dict) and "id" in item else f"annotation #{i}",
    "predictions": lambda i, item: f"prediction #{i}",
    "result": lambda i, item: f"region {item['id']}" if isinstance(item, dict) and isinstance(item.get("id"), str) else f"result item {i}",
}


def describe(error: msgspec.ValidationError, raw: Any) -> tuple[list[str], str]:
    """Where and what, for a validation error of `raw` (the same value, parsed leniently): the annotation
    and region the offending value is in (by their ids), then its field and what is wrong with it."""
    message, _, path = str(error).partition(" - at `$")
    context, field, node, parent = [], "", raw, None
    for key, index in _PATH.findall(path.rstrip("`")):
        step = key or int(index)
        node = node[step] if _has(node, step) else None
        if index and parent in CONTEXT:
            context.append(CONTEXT[parent](int(index), node))
            field = ""
        else:
            field += f".{key}" if key else f"[{index}]"
        parent = key or None
    return context, f"{field.lstrip('.') or 'the task'}: {_plain(message)}"


def _has(node: Any, step: Any) -> bool:
    if isinstance(node, dict):
        return step in node
    return isinstance(node, list) and isinstance(step, int) and step < len(node)


PATTERN_WORDS = {
    SLUG: "lower-case ASCII letters and digits joined by single hyphens (e.g. d000, ahmet-davutoglu)",
    LINE: "one line without control or invisible characters and without '@'",
    ID_PATTERNS["region_id"]: "1 to 64 ASCII letters, digits, '_' or '-'",
    ID_PATTERNS["pseudonym"]: "a pseudonym annotator-N (take the export with `python -m scripts pull`)",
    ID_PATTERNS["source_file"]: "a file name of ASCII letters, digits, '.', '_' or '-'",
    ID_PATTERNS["sha256"]: "64 lower-case hexadecimal digits",
}


def _plain(message: str) -> str:
    """msgspec's message in the words of the rest of our reports."""
    message = re.sub(r"`([^`]*)`", r"\1", message)
    if "matching regex" in message:
        pattern = message.split("matching regex ", 1)[1].strip("'")
        return "must be " + PATTERN_WORDS.get(pattern.encode().decode("unicode_escape"), f"of the pattern {pattern}")
    for old, new in (("Object missing required field", "missing required field"), ("Object contains unknown field", "unknown field"),
                     ("Invalid RFC3339 encoded date", "expected a date YYYY-MM-DD"), ("Expected", "expected"), ("got", "found"),
                     ("Invalid value", "invalid value"), ("array", "list"), ("length >= 1", "a non-empty value")):
        message = message.replace(old, new)
    return message
