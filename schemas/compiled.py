"""The pandera schemas run as one polars query per table, to tell in one pass whether a table breaks a rule.

pandera's polars backend collects once per column and per check. Here every rule of a `DataFrameSchema` is
read from the schema object (columns present, strictness, dtypes, nullable, unique, the column and
dataframe `Check`s, the schema's `unique` over several columns) and becomes a one-row boolean query: the
checks are pandera's own check functions (builtins and registered ones) called on `PolarsData`, so they
return lazy frames; nothing is collected until `failing` runs every table's query in one `pl.collect_all`.
It says only whether a table passes; pandera's own validation describes the failures. What this module does
not compile raises `Unsupported`, and the table is then validated by pandera, never skipped.
"""
from __future__ import annotations

import pandera.backends.polars.builtin_checks  # noqa: F401  (registers the builtins' polars implementations)
import pandera.polars as pa
import polars as pl
from pandera.api.polars.types import PolarsData
from pandera.api.polars.utils import get_validation_depth
from pandera.config import ValidationDepth, get_config_context

# The settings a schema, a column or a check must have as given for its rules to be the ones compiled here.
PLAIN = {
    pa.DataFrameSchema: {"dtype": None, "coerce": False, "add_missing_columns": False, "ordered": False, "drop_invalid_rows": False,
                         "parsers": []},
    pa.Column: {"regex": False, "coerce": False, "default": None, "drop_invalid_rows": False, "parsers": []},
    pa.Check: {"element_wise": False, "groupby": None, "raise_warning": False},
}


class Unsupported(Exception):
    """The schema declares something this module does not compile."""


def failing(schemas: dict[str, pa.DataFrameSchema], frames: dict[str, pl.DataFrame]) -> list[str]:
    """The names whose frame breaks a rule of its schema, or whose rules are not compiled here (in `schemas`' order)."""
    config = get_config_context()
    if not config.validation_enabled or config.use_narwhals_backend or get_validation_depth(pl.DataFrame()) != ValidationDepth.SCHEMA_AND_DATA:
        return list(schemas)  # pandera configured to do otherwise than the rules compiled here
    queries, failed = {}, set()
    for name, schema in schemas.items():
        try:
            queries[name] = passes(schema, frames[name].lazy())
        except Exception:  # Unsupported, or a check that cannot run on this frame (pandera reports that)
            failed.add(name)
    try:
        results = pl.collect_all(list(queries.values()))
    except Exception:  # a check failing to run: pandera tells which
        return list(schemas)
    failed |= {name for name, result in zip(queries, results) if not result.item()}
    return [name for name in schemas if name in failed]


def passes(schema: pa.DataFrameSchema, frame: pl.LazyFrame) -> pl.LazyFrame:
    """One row, one boolean `ok`: whether the frame keeps every rule of the schema."""
    _plain(schema)
    dtypes = frame.collect_schema()
    if not _shape_holds(schema, frame, dtypes):
        return pl.LazyFrame({"ok": [False]})
    rules, per_column = [], []
    for name, column in schema.columns.items():
        if name not in dtypes:  # an optional column, absent
            continue
        _plain(column)
        values = pl.col(name)
        if not column.nullable:  # pandera counts NaN as missing in float columns
            present = values.is_not_null() & values.is_not_nan() if dtypes[name] in (pl.Float32, pl.Float64) else values.is_not_null()
            per_column.append(present.all())
        if column.unique:
            per_column.append(values.is_duplicated().not_().all())
        rules += [_check_holds(check, PolarsData(frame, name)) for check in column.checks]
    per_column += [pl.struct(subset).is_duplicated().not_().all() for subset in _unique_subsets(schema, dtypes)]
    rules += [_check_holds(check, PolarsData(frame, "*")) for check in schema.checks]
    if per_column:
        rules.append(frame.select(pl.all_horizontal(per_column)))
    if not rules:
        return pl.LazyFrame({"ok": [True]})
    named = [rule.select(pl.first().alias(f"rule{i}")) for i, rule in enumerate(rules)]
    return pl.concat(named, how="horizontal").select(pl.all_horizontal(pl.all()).alias("ok"))


def _plain(item) -> None:
    """Raises Unsupported unless the schema, column or check has the settings of PLAIN (None counts as no parsers)."""
    for kind, settings in PLAIN.items():
        if isinstance(item, kind):
            unusual = [k for k, default in settings.items() if (getattr(item, k, default) or default) != default]
            if unusual or (isinstance(item, pa.DataFrameSchema) and item.strict not in (True, False)):
                raise Unsupported(f"{item!r}: {unusual or 'strict'}")


def _shape_holds(schema: pa.DataFrameSchema, frame: pl.LazyFrame, dtypes: pl.Schema) -> bool:
    """Required columns present, no others where the schema is strict, each of its declared dtype."""
    if any(c.required and name not in dtypes for name, c in schema.columns.items()):
        return False
    if schema.strict and any(name not in schema.columns for name in dtypes):
        return False
    return all(c.dtype is None or c.dtype.check(dtypes[name], PolarsData(frame.select(name), name))
               for name, c in schema.columns.items() if name in dtypes)


def _unique_subsets(schema: pa.DataFrameSchema, dtypes: pl.Schema) -> list[list[str]]:
    """The schema's `unique` as pandera reads it: one list of columns or several, each cut to the columns present."""
    if not schema.unique:
        return []
    subsets = [schema.unique] if all(isinstance(c, str) for c in schema.unique) else schema.unique
    present = [[c for c in subset if c in dtypes] for subset in subsets]
    if not all(present):
        raise Unsupported(f"unique over absent columns: {schema.unique}")
    return present


def _check_holds(check: pa.Check, data: PolarsData) -> pl.LazyFrame:
    """One row: whether the check holds on every row, reduced as pandera's check backend does (a null result
    passes when the check ignores missing values; several result columns are and-ed)."""
    _plain(check)
    out = check._check_fn(data, **check._check_kwargs)
    if isinstance(out, bool):
        return pl.LazyFrame({"ok": [out]})
    result = pl.all_horizontal(pl.all()) if len(out.collect_schema()) > 1 else pl.first()
    return out.select(result.fill_null(check.ignore_na).all())
