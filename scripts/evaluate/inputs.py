"""What the scorer reads: the gold from a release folder (its Parquet, ClassLabels decoded from the Hugging
Face features embedded in it) or from `datasets`, and predictions as JSON Lines, Parquet or a
`datasets.Dataset`, each checked row by row with one message per problem. Only pyarrow and the standard
library (both come with `datasets`)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterable

import pyarrow as pa
import pyarrow.parquet as pq

CONFIGS = ("entities", "claims", "figures", "ner")
REQUIRED = {"entities": ("doc_id", "start", "end", "label"), "claims": ("doc_id", "start", "end"),
            "figures": ("doc_id", "start", "end"), "ner": ("span_id", "ner_tags")}
OPTIONAL = {
    "entities": ("entity_id",),
    "claims": ("claimant_start", "claimant_end", "cue_start", "cue_end", "claim_kind", "claimant_type", "claim_group_id"),
    "figures": ("value", "value_max", "unit", "approx", "kind"),
    "ner": ("doc_id",),
}
# OntoNotes types the corpus leaves to the figures layer: a model's are left out, and the output says so.
NUMERIC_TYPES = ("CARDINAL", "ORDINAL", "QUANTITY", "MONEY", "PERCENT")
MAX_MESSAGES = 50
# Columns whose values come from a vocabulary of the gold (its ClassLabel names), per config.
CHOICES = {"entities": ("label",), "claims": ("claim_kind", "claimant_type"), "figures": ("approx", "kind"), "ner": ("ner_tags",)}
OFFSET_PAIRS = {"claims": (("claimant_start", "claimant_end"), ("cue_start", "cue_end"))}
STRINGS = ("entity_id", "claim_group_id", "unit")
NUMBERS = ("value", "value_max")


class BadPredictions(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


def _decoded(table: pa.Table) -> list[dict]:
    """Rows with ClassLabel ints as their names (the features `datasets` embeds in the Parquet)."""
    meta = json.loads((table.schema.metadata or {}).get(b"huggingface", b"{}")).get("info", {}).get("features", {})
    rows = table.to_pylist()
    for column, feature in meta.items():
        names = (feature.get("feature") or {}).get("names") if feature.get("_type") in ("List", "Sequence") else feature.get("names")
        if names and feature.get("_type") == "ClassLabel":
            for row in rows:
                row[column] = None if row[column] is None else names[row[column]]
        elif names:
            for row in rows:
                row[column] = [names[v] for v in row[column]]
    return rows


def read_config(release: Path, config: str) -> list[dict]:
    """One config of a release folder (data/<config>/test-*.parquet)."""
    files = sorted((release / "data" / config).glob("test-*.parquet"))
    if not files:
        raise FileNotFoundError(f"{release}: no data/{config}/test-*.parquet (a release folder, or the Hub repository's files)")
    return [row for f in files for row in _decoded(pq.read_table(f))]


def vocabulary(release: Path, config: str, column: str) -> list[str]:
    """A ClassLabel column's names, from the features the Parquet carries (the corpus's label set)."""
    files = sorted((release / "data" / config).glob("test-*.parquet"))
    meta = json.loads((pq.read_schema(files[0]).metadata or {}).get(b"huggingface", b"{}")) if files else {}
    feature = meta.get("info", {}).get("features", {}).get(column, {})
    return feature.get("names") or (feature.get("feature") or {}).get("names", [])


def vocabularies(release: Path, config: str) -> dict[str, list[str]]:
    """The gold's vocabulary of every choice column of a config."""
    return {column: vocabulary(release, config, column) for column in CHOICES[config]}


def from_dataset(dataset: Any) -> list[dict]:
    """A `datasets.Dataset` (what load_dataset returns for a split) as rows with ClassLabel names."""
    return _decoded(dataset.data.table.replace_schema_metadata(
        {b"huggingface": json.dumps({"info": {"features": dataset.features.to_dict()}}).encode()}))


def read_predictions(source: Any) -> list[dict]:
    """Rows of a JSON Lines file (.jsonl, or .json holding lines or one list), a Parquet file (.parquet),
    or a `datasets.Dataset`."""
    if hasattr(source, "features") and hasattr(source, "data"):
        return from_dataset(source)
    path = Path(source)
    if path.suffix == ".parquet":
        return _decoded(pq.read_table(path))
    if path.suffix not in (".jsonl", ".json"):
        raise BadPredictions([f"{path}: predictions are JSON Lines (.jsonl or .json) or Parquet (.parquet)"])
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise BadPredictions([f"{path}: not UTF-8 text ({err.reason}); is it Parquet? then name it .parquet"]) from err
    if text.lstrip().startswith("["):
        try:
            return json.loads(text)
        except ValueError as err:
            raise BadPredictions([f"{path}: not one JSON list ({err})"]) from err
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except ValueError as err:
                raise BadPredictions([f"{path}: line {n}: not JSON ({err})"]) from err
    return rows


def _problem_in(row: dict, columns: list[str], text: str, choices: dict[str, list[str]], config: str) -> str | None:
    """What is wrong with a row's optional columns, or None: every value of its type, from its vocabulary,
    and within the text."""
    for column in (c for c in columns if c in choices and c in row and c != "label"):
        value = row[column]
        if value is not None and value not in choices[column]:
            return f"{column} {value!r} is not one of {', '.join(choices[column])}"
    for column in (c for c in STRINGS if c in columns and row.get(c) is not None):
        if not isinstance(row[column], str):
            return f"{column} must be a string or null, found {row[column]!r}"
    for column in (c for c in NUMBERS if c in columns and row.get(c) is not None):
        value = row[column]
        if type(value) not in (int, float) or value != value or value in (float("inf"), float("-inf")):
            return f"{column} must be a finite number or null, found {value!r}"
    if isinstance(row.get("value"), (int, float)) and isinstance(row.get("value_max"), (int, float)) and row["value_max"] < row["value"]:
        return f"value_max {row['value_max']!r} is below value {row['value']!r}"
    for a, b in OFFSET_PAIRS.get(config, ()):
        if a in columns or b in columns:
            x, y = row.get(a), row.get(b)
            if x is None and y is None:
                continue
            if not (type(x) is int and type(y) is int and 0 <= x < y <= len(text)):
                return f"{a}, {b} must both be null or integers within 0 <= {a} < {b} <= {len(text)}, found {x!r} and {y!r}"
    return None


def check(config: str, rows: list[dict], texts: dict[str, str], labels: Iterable[str] = (), sentences: dict = None,
          choices: dict[str, list[str]] | None = None) -> tuple[list[dict], list[str]]:
    """The rows fit to score (with only the columns the scorer reads), and notes (what was left out).
    BadPredictions with one message per problem, naming the row. `choices`: the gold's vocabulary of each
    choice column (`vocabularies`); a column without one is not checked against a vocabulary."""
    labels, problems, kept, left_out, choices = set(labels), [], [], {}, choices or {}
    if not rows:
        return [], ["no predictions: every reference span counts as missed"]
    if not all(isinstance(r, dict) for r in rows):
        raise BadPredictions([f"row {n}: not an object with the config's columns, found {r!r:.80}"
                              for n, r in enumerate(rows) if not isinstance(r, dict)][:MAX_MESSAGES])
    given = set().union(*(r.keys() for r in rows))
    missing = [c for c in REQUIRED[config] if c not in given]
    if missing:
        raise BadPredictions([f"predictions for {config}: missing column(s) {', '.join(missing)} (needed: {', '.join(REQUIRED[config])})"])
    columns = [c for c in (*REQUIRED[config], *OPTIONAL[config]) if c in given]
    tags = set(choices.get("ner_tags", ()))
    for n, row in enumerate(rows):
        where = f"row {n}"
        if config == "ner":
            if row.get("span_id") not in (sentences or {}):
                problems.append(f"{where}: span_id {row.get('span_id')!r} is not a sentence of the `ner` config")
            elif not isinstance(row.get("ner_tags"), list) or len(row["ner_tags"]) != sentences[row["span_id"]]:
                problems.append(f"{where} (sentence {row['span_id']}): ner_tags must be a list of {sentences[row['span_id']]} tags")
            elif not all(isinstance(t, str) and (not tags or t in tags) for t in row["ner_tags"]):
                bad = next(t for t in row["ner_tags"] if not (isinstance(t, str) and (not tags or t in tags)))
                hint = " (a ClassLabel number? give its name: features['ner_tags'].feature.int2str(n))" if isinstance(bad, int) else ""
                problems.append(f"{where} (sentence {row['span_id']}): tag {bad!r} is not one of the IOB2 tags "
                                f"{', '.join(sorted(tags)) or '(strings)'}{hint}")
            else:
                kept.append({c: row.get(c) for c in columns})
            continue
        absent = [c for c in REQUIRED[config] if c not in row]
        if absent:
            problems.append(f"{where}: no {', '.join(absent)} (every row needs {', '.join(REQUIRED[config])})")
            continue
        doc, start, end = row.get("doc_id"), row.get("start"), row.get("end")
        if doc not in texts:
            problems.append(f"{where}: doc_id {doc!r} is not a document of the corpus")
            continue
        if not (type(start) is int and type(end) is int):
            problems.append(f"{where} (doc {doc}): start and end must be integers (code points), found {start!r} and {end!r}")
            continue
        if not 0 <= start < end <= len(texts[doc]):
            problems.append(f"{where} (doc {doc}): offsets start={start}, end={end} are not within 0 <= start < end <= {len(texts[doc])}")
            continue
        if config == "entities":
            label = row.get("label")
            if label in NUMERIC_TYPES:
                left_out[label] = left_out.get(label, 0) + 1
                continue
            if label not in labels:
                hint = " (a ClassLabel number? give its name: features['label'].int2str(n))" if isinstance(label, int) else ""
                problems.append(f"{where} (doc {doc}, {start}-{end}): label {label!r} is not one of the corpus's "
                                f"({', '.join(sorted(labels))}; {', '.join(NUMERIC_TYPES)} are left out){hint}")
                continue
        wrong = _problem_in(row, columns, texts[doc], choices, config)
        if wrong:
            problems.append(f"{where} (doc {doc}, {start}-{end}): {wrong}")
            continue
        kept.append({c: row.get(c) for c in columns})
    if problems:
        raise BadPredictions(problems[:MAX_MESSAGES] + ([f"… and {len(problems) - MAX_MESSAGES} more"] if len(problems) > MAX_MESSAGES else []))
    notes = [f"left out {n} prediction(s) labelled {label} (a numeric type: the corpus's figures layer)" for label, n in sorted(left_out.items())]
    return kept, notes
