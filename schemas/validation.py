"""Validates the tables with their pandera schemas and reports failures by doc id, span id and check."""
from __future__ import annotations

from functools import cache, wraps

import pandera.polars as pa
import polars as pl
from pandera.config import ValidationDepth, config_context

from schemas.compiled import failing
from schemas.tables import TABLES, empty, schema, view

MAX_REPORTED = 50  # per table; the rest are counted


def validate(tables: dict[str, pl.DataFrame]) -> list[str]:
    """One line per failure (empty when every table passes)."""
    return capped(failures(tables))


def _always_validating(fn):
    """fn run with pandera validating schema and data, whatever the PANDERA_* environment variables say."""
    @wraps(fn)
    def validating(*args, **kwargs):
        with config_context(validation_enabled=True, validation_depth=ValidationDepth.SCHEMA_AND_DATA):
            return fn(*args, **kwargs)
    return validating


@_always_validating
def failures(tables: dict[str, pl.DataFrame], fast: bool = True) -> dict[str, list[str]]:
    """Every failure of the tables, by table. Every table's rules run first in one pass (schemas/compiled.py);
    pandera validates, and describes, only the tables that fail there (`fast=False`: every table)."""
    try:
        frames = {table: view(table, tables) for table in TABLES}
    except (pl.exceptions.PolarsError, TypeError, KeyError) as err:  # tables that cannot even be joined: say why
        return _shape_failures(tables) or {"tables": [f"the tables cannot be joined to be validated ({type(err).__name__}: {err})"]}
    schemas = _schemas()
    found: dict[str, list[str]] = {}
    for table in failing(schemas, frames) if fast else TABLES:
        if (lines := _pandera_failures(table, schemas[table], frames[table])) is not None:
            found[table] = lines
    return found


def _shape_failures(tables: dict[str, pl.DataFrame]) -> dict[str, list[str]]:
    """Each table's missing and extra columns and columns of another dtype than declared."""
    found: dict[str, list[str]] = {}
    for table in TABLES:
        want, have = empty(table).schema, tables[table].schema if table in tables else {}
        lines = [f"{table}: column {c}: missing" for c in want if c not in have]
        lines += [f"{table}: column {c}: not a column of the table" for c in have if c not in want]
        lines += [f"{table}: column {c}: dtype {have[c]} (declared {want[c]})" for c in want if c in have and have[c] != want[c]]
        if lines:
            found[table] = lines
    return found


@cache
def _schemas() -> dict[str, pa.DataFrameSchema]:
    """The tables' schemas, built once rather than once per bucket (validation does not change them)."""
    return {table: schema(table) for table in TABLES}


def _pandera_failures(table: str, table_schema: pa.DataFrameSchema, frame: pl.DataFrame) -> list[str] | None:
    """pandera's validation of the table, each failure described; None when it passes."""
    try:
        table_schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as err:
        return [_describe(table, table_schema, frame, case) for case in err.failure_cases.iter_rows(named=True)]
    return None


def capped(found: dict[str, list[str]]) -> list[str]:
    """At most MAX_REPORTED lines per table, the rest counted."""
    report: list[str] = []
    for table, lines in found.items():
        report += lines[:MAX_REPORTED]
        if len(lines) > MAX_REPORTED:
            report.append(f"{table}: … and {len(lines) - MAX_REPORTED} more failures")
    return report


@_always_validating
def cross_document_failures(pairs: pl.DataFrame) -> list[str]:
    """The one rule across documents, for tables validated a batch of documents at a time: one canonical
    name per entity id, checked with the entities schema's own registered check on the distinct
    (entity_id, canonical_name) pairs of every batch (pandera describes the failures the one pass finds)."""
    pairs = pairs.unique(maintain_order=True)
    one_name = pa.DataFrameSchema(checks=[c for c in schema("entities").checks if c.name == "one_value_per_key"])
    if not failing({"entities": one_name}, {"entities": pairs}):
        return []
    try:
        one_name.validate(pairs, lazy=True)
    except pa.errors.SchemaErrors as err:
        bad = sorted({pairs.row(i, named=True)["entity_id"] for i in err.failure_cases["index"].to_list() if i is not None})
        return [f"entities: entity_id {e!r}: one_value_per_key failed (several canonical names across documents)" for e in bad]
    return []


def _describe(table: str, table_schema: pa.DataFrameSchema, frame: pl.DataFrame, case: dict) -> str:
    index, column, check = case["index"], case["column"], case["check"]
    if index is None or index >= frame.height:  # a whole-column failure: dtype, missing column
        return f"{table}: column {column}: {check} failed ({case['failure_case']})"
    row = frame.row(index, named=True)
    where = f"{table}: doc {row.get('doc_id', row.get('document_id'))}" + (f", span {row['span_id']}" if "span_id" in row else "")
    if column in TABLES_COLUMNS[table]:
        return f"{where}: {column} {check} failed (value {case['failure_case']!r})"
    if case["check_number"] is None:  # a schema-wide check such as uniqueness over several columns
        return f"{where}: {check} failed"
    # A dataframe check: show the columns it reads, and what the document has at those offsets.
    check_obj = table_schema.checks[case["check_number"]]
    stats, name = check_obj.statistics, check_obj.name
    view_only = {"doc_text", stats.get("found")}
    detail = ", ".join(f"{c}={row[c]!r}" for c in stats.values() if c in row and c not in view_only)
    if "found" in stats:
        detail += "; no such row in the referenced table"
    elif row.get(stats.get("doc")) is None and "doc" in stats:
        detail += "; no such document"
    elif {"start", "end", "doc"} <= stats.keys():
        detail += f"; the document has {row[stats['doc']][row[stats['start']]:row[stats['end']]]!r} there"
    return f"{where}: {name} failed ({detail})"


TABLES_COLUMNS = {table: {c.name for c in columns} for table, columns in TABLES.items()}
