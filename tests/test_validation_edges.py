"""Found by an outside trial: tables that passed or crashed validation."""
from __future__ import annotations

import polars as pl
import pytest

from conftest import ROOT
from schemas.derived import derived_tables
from schemas.validation import failures
from scripts.build.pipeline import read_release


@pytest.fixture(scope="module")
def tables():
    return read_release(ROOT)


def _with(tables, table, column, value):
    broken = {**tables, table: tables[table].with_columns(pl.lit(value, tables[table].schema[column]).alias(column))}
    return {**broken, **derived_tables(broken)}  # the nested configs made from the broken flat ones


@pytest.mark.parametrize("table,column", [("figures", "value_max"), ("annotations_raw", "value"), ("annotations_raw", "value_max")])
@pytest.mark.parametrize("fast", [True, False])
def test_nan_is_below_nothing_and_refused(tables, table, column, fast):
    found = failures(_with(tables, table, column, float("nan")), fast=fast)
    assert any("not_below failed" in line for line in found[table])


def test_pandera_settings_in_the_environment_do_not_turn_validation_off(tables, monkeypatch):
    monkeypatch.setenv("PANDERA_VALIDATION_ENABLED", "False")
    monkeypatch.setenv("PANDERA_VALIDATION_DEPTH", "SCHEMA_ONLY")
    found = failures(_with(tables, "entities", "text", "not the text"))
    assert any("span_text_matches_document failed" in line for line in found["entities"])


@pytest.mark.parametrize("table,column,dtype", [("entities", "start", pl.Int64), ("entities", "text", pl.Categorical),
                                                ("documents", "doc_id", pl.Int64)])
def test_a_column_of_another_dtype_is_reported_not_raised(tables, table, column, dtype):
    frame = tables[table]
    broken = {**tables, table: frame.with_columns(pl.col(column).cast(dtype, strict=False))}
    found = failures(broken)
    assert f"{table}: column {column}: dtype {dtype} (declared {frame.schema[column]})" in found[table]


def test_the_rule_across_documents_holds_whatever_pandera_is_set_to():
    from pandera.config import ValidationDepth, config_context

    from schemas.validation import cross_document_failures

    pairs = pl.DataFrame({"entity_id": ["aleppo", "aleppo"], "canonical_name": ["Aleppo", "Halab"]})
    with config_context(validation_enabled=False, validation_depth=ValidationDepth.SCHEMA_ONLY):
        assert cross_document_failures(pairs) == [
            "entities: entity_id 'aleppo': one_value_per_key failed (several canonical names across documents)"]
