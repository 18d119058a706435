"""The one-pass validation (schemas/compiled.py) reports exactly what pandera's validation of every table
reports: on the committed release, valid, and with random corruptions of any column of any table."""
from __future__ import annotations

import math

import pandera.polars as pa
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import ROOT
from schemas.compiled import Unsupported, failing, passes
from schemas.tables import TABLES, schema, view
from schemas.validation import _pandera_failures, cross_document_failures, failures
from scripts.build.pipeline import read_release

RELEASE = read_release(ROOT)
ROW = pl.int_range(pl.len())


def test_our_schemas_compile_with_no_fallback():
    for table in TABLES:
        assert passes(schema(table), view(table, RELEASE).lazy()).collect().item(), table
    assert failing({t: schema(t) for t in TABLES}, {t: view(t, RELEASE) for t in TABLES}) == []


def test_a_check_the_compiler_does_not_know_goes_to_pandera():
    element_wise = pa.DataFrameSchema({"doc_id": pa.Column(pl.String, pa.Check(lambda doc: doc != "d001", element_wise=True))})
    frame = RELEASE["documents"].select("doc_id")
    with pytest.raises(Unsupported):
        passes(element_wise, frame.lazy())
    assert failing({"documents": element_wise}, {"documents": frame}) == ["documents"]
    assert _pandera_failures("documents", element_wise, frame) == ["documents: doc d001: doc_id <lambda> failed (value 'd001')"]


# ---- corruptions: (kind, dtypes it applies to, the column's new value) ----

def _cell(frame: pl.DataFrame, column: str, row: int, value: pl.Expr) -> pl.DataFrame:
    """`value` (an expression over the column) in one row of the column."""
    return frame.with_columns(pl.when(ROW == row).then(value).otherwise(pl.col(column)).alias(column))


CELL_EDITS = {  # per dtype family: expressions of the column `c` and another row's value `other`
    "any": {"null": lambda c, other, dtype: pl.lit(None, dtype), "copy": lambda c, other, dtype: other},
    "string": {"append": lambda c, o, d: c + "x", "unknown": lambda c, o, d: pl.lit("NOPE"), "empty": lambda c, o, d: pl.lit(""),
               "dangling": lambda c, o, d: pl.lit("d000:e9999-10000")},
    "integer": {"minus": lambda c, o, d: pl.lit(-1, d), "next": lambda c, o, d: c + 1, "back": lambda c, o, d: c - 3,
                "huge": lambda c, o, d: pl.lit(10**6, d), "zero": lambda c, o, d: pl.lit(0, d)},
    "float": {"nan": lambda c, o, d: pl.lit(math.nan, d), "negated": lambda c, o, d: -c, "huge": lambda c, o, d: c + 1e9},
    "bool": {"negated": lambda c, o, d: c.not_()},
    "date": {"later": lambda c, o, d: c + pl.duration(days=1)},
    "list": {"drop_first": lambda c, o, d: c.list.slice(1), "reversed": lambda c, o, d: c.list.reverse(),
             "empty": lambda c, o, d: c.list.head(0), "doubled": lambda c, o, d: c.list.concat(c.list.head(1)),
             "null_element": lambda c, o, d: c.list.eval(pl.when(pl.int_range(pl.len()) == 0).then(None).otherwise(pl.element()))},
    "string_list": {"unknown": lambda c, o, d: c.list.concat(pl.lit(["NOPE"])), "dangling": lambda c, o, d: c.list.concat(pl.lit(["d000:f9999-10000"]))},
}
OTHER_DTYPE = {pl.String: pl.Categorical, pl.Int32: pl.Int64, pl.Int64: pl.Int32, pl.Float64: pl.Float32, pl.Boolean: pl.Int8,
               pl.Date: pl.Datetime}


def _edits(dtype: pl.DataType) -> dict:
    """The cell edits that apply to a dtype."""
    family = ("string" if dtype == pl.String else "integer" if dtype.is_integer() else "float" if dtype.is_float()
              else "bool" if dtype == pl.Boolean else "date" if dtype == pl.Date else "list" if isinstance(dtype, pl.List) else "any")
    strings = CELL_EDITS["string_list"] if dtype == pl.List(pl.String) else {}
    return {**CELL_EDITS["any"], **CELL_EDITS[family], **strings}


def _retyped(frame: pl.DataFrame, column: str) -> pl.DataFrame:
    dtype = frame.schema[column]
    if isinstance(dtype, pl.List):
        return frame.with_columns(pl.col(column).list.first())
    return frame.with_columns(pl.col(column).cast(OTHER_DTYPE.get(dtype.base_type(), pl.String)))


TABLE_EDITS = {
    "drop_column": lambda f, c, row, other: f.drop(c),
    "extra_column": lambda f, c, row, other: f.with_columns(pl.lit(1).alias("extra")),
    "retyped": lambda f, c, row, other: _retyped(f, c),
    "drop_row": lambda f, c, row, other: f.filter(ROW != row),
    "duplicate_row": lambda f, c, row, other: pl.concat([f, f[row]]),
    "no_rows": lambda f, c, row, other: f.head(0),
    "reversed": lambda f, c, row, other: f.reverse(),
}


def _kinds(dtype: pl.DataType) -> list[str]:
    return sorted({*_edits(dtype), *TABLE_EDITS})


@st.composite
def corruption(draw) -> tuple:
    """A table, a column, a corruption that applies to its dtype, a row and another row (taken modulo the height)."""
    table = draw(st.sampled_from(list(TABLES)))
    column = draw(st.sampled_from(RELEASE[table].columns))
    kind = draw(st.sampled_from(_kinds(RELEASE[table].schema[column])))
    return table, column, kind, draw(st.integers(0, 10_000)), draw(st.integers(0, 10_000))


def corrupted(tables: dict[str, pl.DataFrame], changes: list[tuple]) -> dict[str, pl.DataFrame]:
    tables = dict(tables)
    for table, column, kind, row, other in changes:
        frame = tables[table]
        if column not in frame.columns or not frame.height:
            continue
        row, other = row % frame.height, other % frame.height
        if kind in TABLE_EDITS:
            tables[table] = TABLE_EDITS[kind](frame, column, row, other)
            continue
        dtype = frame.schema[column]
        edits = _edits(dtype)
        if kind in edits:  # else an earlier change retyped the column
            tables[table] = _cell(frame, column, row, edits[kind](pl.col(column), pl.col(column).get(other), dtype))
    return tables


SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck))


def test_a_valid_release_has_no_failures_either_way():
    assert failures(RELEASE) == failures(RELEASE, fast=False) == {}


# One corruption for each kind of rule, each breaking that rule (and those that depend on it), so every rule is seen failing.
EACH_RULE = [("annotations_raw", "ls_region_id", "duplicate_row"),  # unique over several columns
             ("entities", "span_id", "copy"), ("bigbio_kb", "id", "copy"),  # unique
             ("entities", "entity_id", "null"), ("figures", "value", "nan"), ("figures", "value_max", "nan"),  # nullable
             ("documents", "text_sha256", "append"), ("documents", "language", "unknown"), ("entities", "label", "unknown"),
             ("entities", "start", "minus"), ("annotations_raw", "cue_start", "minus"),  # builtin checks
             ("entities", "canonical_name", "copy"), ("entities", "end", "huge"), ("entities", "text", "append"),
             ("entities", "start", "back"), ("claims", "claimant_span_id", "dangling"), ("claims", "figure_span_ids", "dangling"),
             ("figures", "value", "huge"), ("ner", "ner_tags", "doubled"), ("ner", "tokens", "unknown"),
             ("documents", "n_chars", "next"), ("bigbio_kb", "relations", "drop_first"),  # registered checks
             ("figures", "unit", "drop_column"), ("documents", "rights", "extra_column"), ("ner", "token_starts", "retyped"),
             ("annotations_raw", "cue_end", "retyped"), ("entities", "ls_task_id", "retyped")]  # columns present, strictness, dtypes


@pytest.mark.parametrize("table, column, kind", EACH_RULE)
def test_each_rule_broken_alone_is_reported_as_pandera_reports_it(table, column, kind):
    tables = corrupted(RELEASE, [(table, column, kind, 1, 0)])
    assert failures(tables, fast=False)
    assert outcome(tables, fast=True) == outcome(tables, fast=False)


@SETTINGS
@given(st.lists(corruption(), min_size=1, max_size=2))
def test_the_one_pass_reports_what_pandera_reports(changes):
    tables = corrupted(RELEASE, changes)
    assert outcome(tables, fast=True) == outcome(tables, fast=False)


def outcome(tables: dict[str, pl.DataFrame], fast: bool) -> dict | str:
    """The failures, or the error raised when the tables cannot even be joined into their views (a key column lost)."""
    try:
        return failures(tables, fast=fast)
    except Exception as err:  # noqa: BLE001 (the same error either way is the same outcome)
        return repr(err)


@SETTINGS
@given(st.lists(st.tuples(st.sampled_from(["e1", "e2", "e3"]), st.sampled_from(["A", "B", None])), max_size=8))
def test_the_cross_document_rule_reports_what_pandera_reports(pairs):
    frame = pl.DataFrame(pairs, schema={"entity_id": pl.String, "canonical_name": pl.String}, orient="row")
    one_name = pa.DataFrameSchema(checks=[c for c in schema("entities").checks if c.name == "one_value_per_key"])
    try:
        one_name.validate(frame.unique(maintain_order=True), lazy=True)
        assert cross_document_failures(frame) == []
    except pa.errors.SchemaErrors:
        assert cross_document_failures(frame)
