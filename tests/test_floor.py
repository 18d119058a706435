"""The benchmark's floor runs the rules of the schemas: whatever breaks a table, it fails where pandera fails."""
from __future__ import annotations

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schemas.tables import TABLES
from schemas.validation import failures
from scripts.scale import floor
from scripts.scale.synth import generate

FLAT = [t for t in TABLES if t not in ("documents_nested", "bigbio_kb")]


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    folder = tmp_path_factory.mktemp("floor")
    corpus, export = generate(folder, 300, seed=3)
    return floor.build_tables(corpus, export)


def _broken(frame: pl.DataFrame, column: str, row: int, how: str) -> pl.DataFrame:
    series = frame[column]
    value = series[row]
    if how == "null":
        new = None
    elif how == "copy":
        new = series[(row + 1) % frame.height]
    elif isinstance(value, bool):
        new = not value
    elif isinstance(value, (int, float)):
        new = value + (10**6 if how == "big" else -(10**6))
    elif isinstance(value, str):
        new = value + "x" if how == "big" else value[1:]
    else:  # a list: one element fewer
        new = value[1:] if value else None
    return frame.with_columns(series.scatter(row, new).alias(column)) if new is not None or how == "null" else frame


def _failing_tables(check: list[str]) -> set[str]:
    return {line.split(":")[0] for line in check}


def test_the_floor_finds_nothing_in_the_builds_tables(tables):
    assert floor.check(tables) == [] and failures(tables) == {}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.data())
def test_every_broken_column_fails_in_the_floor_where_it_fails_in_pandera(tables, data):
    table = data.draw(st.sampled_from(FLAT))
    column = data.draw(st.sampled_from(tables[table].columns))
    row = data.draw(st.integers(0, tables[table].height - 1))
    how = data.draw(st.sampled_from(["null", "copy", "big", "small"]))
    try:
        broken = {**tables, table: _broken(tables[table], column, row, how)}
    except (pl.exceptions.PolarsError, TypeError, ValueError):  # a value the column's dtype cannot hold
        return
    broken = {**broken, **floor.derived_tables(broken)}  # the nested configs follow, as the build derives them
    assert _failing_tables(floor.check(broken)) == set(failures(broken)), (table, column, row, how)
