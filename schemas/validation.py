"""Validates the tables with their pandera schemas and reports failures by doc id, span id and check."""
from __future__ import annotations

import pandera.polars as pa
import polars as pl

from schemas.tables import TABLES, schema, view

MAX_REPORTED = 50  # per table; the rest are counted


def validate(tables: dict[str, pl.DataFrame]) -> list[str]:
    """One line per failure (empty when every table passes)."""
    report: list[str] = []
    for table in TABLES:
        frame = view(table, tables)
        table_schema = schema(table)
        try:
            table_schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as err:
            lines = [_describe(table, table_schema, frame, case) for case in err.failure_cases.iter_rows(named=True)]
            report += lines[:MAX_REPORTED]
            if len(lines) > MAX_REPORTED:
                report.append(f"{table}: … and {len(lines) - MAX_REPORTED} more failures")
    return report


def _describe(table: str, table_schema: pa.DataFrameSchema, frame: pl.DataFrame, case: dict) -> str:
    index, column, check = case["index"], case["column"], case["check"]
    if index is None or index >= frame.height:  # a whole-column failure: dtype, missing column
        return f"{table}: column {column}: {check} failed ({case['failure_case']})"
    row = frame.row(index, named=True)
    where = f"{table}: doc {row.get('doc_id')}" + (f", span {row['span_id']}" if "span_id" in row else "")
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
