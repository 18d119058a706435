"""The published tables, declared once.

Each table is a list of `Column`s. From them come the Hugging Face `Features`
embedded in the Parquet, the pandera (polars) schemas the build and the tests
validate with, and the field descriptions of the dataset card. Cross-table
rules are row checks on a joined view: every span row carries its document's
text (`doc_text`), every claim row whether its claimant exists.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandera.extensions as extensions
import pandera.polars as pa
import polars as pl
import pyarrow as pa_arrow
from datasets import ClassLabel, Features, Value
from pandera.api.polars.types import PolarsData

from schemas import vocab

SPLIT = "test"


@dataclass(frozen=True)
class Column:
    name: str
    feature: object  # a datasets feature type
    description: str
    nullable: bool = False
    unique: bool = False
    checks: tuple = ()


def _string(name, description, **kw):
    return Column(name, Value("string"), description, **kw)


def _int(name, description, **kw):
    return Column(name, Value("int32"), description, checks=(pa.Check.ge(0),), **kw)


def _labels(name, names, description):
    return Column(name, ClassLabel(names=list(names)), description)


SPAN_COLUMNS = [
    _string("doc_id", "Document the span is in (`documents.doc_id`)."),
    _string("span_id", "Stable id: `<doc_id>:<layer letter><start>-<end>`; unchanged across rebuilds while the span is.", unique=True),
    _int("start", "Start offset in `documents.text`, in Unicode code points (Python `str` indices)."),
    _int("end", "End offset, exclusive: the span is `text[start:end]`."),
    _string("text", "The covered text, `documents.text[start:end]`."),
]
PROVENANCE_COLUMNS = [
    Column("ls_task_id", Value("int64"), "Label Studio task the gold annotation belongs to."),
    Column("ls_annotation_id", Value("int64"), "Label Studio annotation the span was taken from."),
    _string("ls_region_id", "Region id inside that annotation."),
]

TABLES: dict[str, list[Column]] = {
    "documents": [
        _string("doc_id", "Stable document id.", unique=True),
        _string("text", "The article text, byte-identical to its source file."),
        _string("text_sha256", "SHA-256 of the UTF-8 text; annotations are tied to it.", checks=(pa.Check.str_matches(r"^[0-9a-f]{64}$"),)),
        _int("n_chars", "Length of `text` in code points."),
        _string("title", "The headline where the text has one, else null.", nullable=True),
        _string("publisher", "Publisher, only where the text names it, else null.", nullable=True),
        Column("published", Value("date32"), "Publication date, only where the text gives it, else null.", nullable=True),
        _string("language", "ISO 639-1 language code.", checks=(pa.Check.isin(["en"]),)),
        _string("source_file", "File name of the source article (provenance).", unique=True),
        _string("rights", "Rights statement for the text (third-party content, not ours)."),
    ],
    "entities": SPAN_COLUMNS + [
        _labels("label", vocab.ENTITY_LABELS, "OntoNotes name type."),
        _string("entity_id", "Cross-document entity id: the same real-world entity has the same id in every document."),
        _string("canonical_name", "Canonical name of the entity (one per `entity_id`)."),
    ] + PROVENANCE_COLUMNS,
    "claims": SPAN_COLUMNS + [
        _string("claimant_span_id", "The entity mention that makes the claim (`entities.span_id`); null when the text names none.", nullable=True),
        _int("cue_start", "Start of the cue (e.g. \"said\", \"according to\") in `documents.text`."),
        _int("cue_end", "End of the cue, exclusive."),
        _string("cue_text", "`documents.text[cue_start:cue_end]`."),
        _labels("claim_kind", vocab.CLAIM_KINDS, "direct (quoted), indirect (reported speech) or reported (sourced report)."),
    ] + PROVENANCE_COLUMNS,
    "figures": SPAN_COLUMNS + [
        Column("value", Value("float64"), "Normalized value (lower end of a range)."),
        Column("value_max", Value("float64"), "Upper end of a range, else null; never below `value`.", nullable=True),
        _string("unit", "Unit or counted noun (people, USD, km, %)."),
        _labels("approx", vocab.FIGURE_APPROX, "Approximation: exact, approximate, lower_bound (more than), upper_bound (up to)."),
        _labels("kind", vocab.FIGURE_KINDS, "Kind of quantity."),
    ] + PROVENANCE_COLUMNS,
}
SPAN_LAYERS = ("entities", "claims", "figures")
LAYER_LETTER = {"entities": "e", "claims": "c", "figures": "f"}
SORT_KEYS = {"documents": ["doc_id"], **{layer: ["doc_id", "start", "end"] for layer in SPAN_LAYERS}}


def features(table: str) -> Features:
    return Features({c.name: c.feature for c in TABLES[table]})


# ---- registered checks: row-wise on the joined view, so they serialize with the schema ----

def _span(start: str, end: str, doc: str) -> pl.Expr:
    return pl.col(doc).str.slice(pl.col(start), pl.col(end) - pl.col(start))


@extensions.register_check_method(statistics=["start", "end", "doc"])
def span_within_document(data: PolarsData, *, start: str, end: str, doc: str):
    """0 <= start < end <= len(document text); false when the document is missing."""
    ok = (pl.col(start) >= 0) & (pl.col(start) < pl.col(end)) & (pl.col(end) <= pl.col(doc).str.len_chars())
    return data.lazyframe.select(ok.fill_null(False))


@extensions.register_check_method(statistics=["start", "end", "text", "doc"])
def span_text_matches_document(data: PolarsData, *, start: str, end: str, text: str, doc: str):
    """text == document text[start:end], in code points."""
    return data.lazyframe.select((_span(start, end, doc) == pl.col(text)).fill_null(False))


@extensions.register_check_method(statistics=["key", "found"])
def reference_exists(data: PolarsData, *, key: str, found: str):
    """A non-null key found its row in the referenced table (the join filled `found`)."""
    return data.lazyframe.select((pl.col(key).is_null() | pl.col(found).is_not_null()))


@extensions.register_check_method(statistics=["low", "high"])
def not_below(data: PolarsData, *, low: str, high: str):
    """high is null or high >= low."""
    return data.lazyframe.select((pl.col(high).is_null() | (pl.col(high) >= pl.col(low))).fill_null(False))


@extensions.register_check_method(statistics=["key", "value"])
def one_value_per_key(data: PolarsData, *, key: str, value: str):
    """Every row with the same key has the same value."""
    return data.lazyframe.select(pl.col(value).n_unique().over(key) == 1)


@extensions.register_check_method(statistics=["text", "n_chars"])
def length_matches(data: PolarsData, *, text: str, n_chars: str):
    return data.lazyframe.select(pl.col(text).str.len_chars() == pl.col(n_chars))


SPAN_CHECKS = [
    pa.Check.reference_exists(key="doc_id", found="doc_text"),
    pa.Check.span_within_document(start="start", end="end", doc="doc_text"),
    pa.Check.span_text_matches_document(start="start", end="end", text="text", doc="doc_text"),
]
TABLE_CHECKS = {
    "documents": [pa.Check.length_matches(text="text", n_chars="n_chars")],
    "entities": SPAN_CHECKS + [pa.Check.one_value_per_key(key="entity_id", value="canonical_name")],
    "claims": SPAN_CHECKS + [
        pa.Check.reference_exists(key="claimant_span_id", found="claimant_label"),
        pa.Check.span_within_document(start="cue_start", end="cue_end", doc="doc_text"),
        pa.Check.span_text_matches_document(start="cue_start", end="cue_end", text="cue_text", doc="doc_text"),
    ],
    "figures": SPAN_CHECKS + [pa.Check.not_below(low="value", high="value_max")],
}
# Columns the joined view adds to a table; null where the referenced row is missing.
VIEW_COLUMNS = {
    "documents": {},
    "entities": {"doc_text": "the document's text"},
    "figures": {"doc_text": "the document's text"},
    "claims": {"doc_text": "the document's text", "claimant_label": "the claimant entity's label"},
}


def polars_dtype(column: Column) -> pl.DataType:
    """Table dtype: closed vocabularies are held as strings until written as ClassLabel ints."""
    if isinstance(column.feature, ClassLabel):
        return pl.String()
    empty = pa_arrow.Table.from_pylist([], schema=pa_arrow.schema([(column.name, Features({column.name: column.feature}).type[0].type)]))
    return pl.from_arrow(empty).schema[column.name]


def schema(table: str) -> pa.DataFrameSchema:
    columns = {}
    for c in TABLES[table]:
        checks = list(c.checks)
        if isinstance(c.feature, ClassLabel):
            checks.append(pa.Check.isin(c.feature.names))
        columns[c.name] = pa.Column(polars_dtype(c), checks=checks, nullable=c.nullable, unique=c.unique, description=c.description)
    for name, description in VIEW_COLUMNS[table].items():
        columns[name] = pa.Column(pl.String, nullable=True, description=f"joined view: {description}")
    return pa.DataFrameSchema(columns, checks=TABLE_CHECKS[table], name=table, strict=True, ordered=False)


def view(table: str, tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The table joined with what its checks refer to (a left join: missing rows give nulls)."""
    frame = tables[table]
    if table == "documents":
        return frame
    # Referenced rows are de-duplicated so that a duplicate id fails once, in its own table.
    docs = tables["documents"].select("doc_id", pl.col("text").alias("doc_text")).unique("doc_id", keep="first")
    frame = frame.join(docs, on="doc_id", how="left", maintain_order="left")
    if table == "claims":
        claimants = tables["entities"].select(
            pl.col("span_id").alias("claimant_span_id"), pl.col("label").alias("claimant_label")
        ).unique("claimant_span_id", keep="first")
        frame = frame.join(claimants, on="claimant_span_id", how="left", maintain_order="left")
    return frame
