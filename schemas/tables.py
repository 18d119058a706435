"""The published tables, declared once.

Each table is a list of `Column`s. From them come the Hugging Face `Features`
embedded in the Parquet, the pandera (polars) schemas the build and the tests
validate with, and the field descriptions of the dataset card. Cross-table
rules are row checks on a joined view: every span row carries its document's
text (`doc_text`), every reference whether the row it names exists.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandera.extensions as extensions
import pandera.polars as pa
import polars as pl
import pyarrow as pa_arrow
from datasets import ClassLabel, Features, List, Value
from pandera.api.polars.types import PolarsData

from schemas import vocab
from schemas.bigbio import KB_FEATURES

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


def _vocab_string(name, names, description):
    """A closed vocabulary that may be null (annotations_raw): a string checked against the vocabulary."""
    return _string(name, description, nullable=True, checks=(pa.Check.isin(list(names)),))


def class_label_of(feature) -> ClassLabel | None:
    inner = feature.feature if isinstance(feature, List) else feature
    return inner if isinstance(inner, ClassLabel) else None


def map_labels(expr: pl.Expr, feature, fn) -> pl.Expr | None:
    """`expr` with `fn(expr, class_label)` applied to every ClassLabel in it, also inside lists and structs;
    None when the feature holds no ClassLabel."""
    if isinstance(feature, ClassLabel):
        return fn(expr, feature)
    if isinstance(feature, List):
        inner = map_labels(pl.element(), feature.feature, fn)
        return None if inner is None else expr.list.eval(inner)
    if isinstance(feature, dict):
        fields = [m.alias(k) for k, f in feature.items() if (m := map_labels(pl.field(k), f, fn)) is not None]
        return expr.struct.with_fields(fields) if fields else None
    return None


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
        _string("claimant_span_id", "The entity mention that makes the claim (`entities.span_id`); set exactly when `claimant_type` is named.", nullable=True),
        _labels("claimant_type", vocab.CLAIMANT_TYPES, "named (an entity mention names the source), unnamed (a source without a name: analysts, the ministry) or none (reportedly, purportedly)."),
        _int("cue_start", "Start of the cue (e.g. \"said\", \"according to\") in `documents.text`."),
        _int("cue_end", "End of the cue, exclusive."),
        _string("cue_text", "`documents.text[cue_start:cue_end]`."),
        _labels("claim_kind", vocab.CLAIM_KINDS, "direct (quoted), indirect (reported speech) or reported (sourced report)."),
        _string("claim_group_id", "Shared by the claims that report the same statement (one speaker, one occasion), in one document or several; null when the corpus reports it once.", nullable=True),
        _string("parent_claim_span_id", "The innermost other claim whose span contains this one (a quote inside a report), else null.", nullable=True),
        Column("figure_span_ids", List(Value("string")), "The figures (`figures.span_id`) inside the claim's span, in text order."),
    ] + PROVENANCE_COLUMNS,
    "figures": SPAN_COLUMNS + [
        Column("value", Value("float64"), "Normalized value (lower end of a range)."),
        Column("value_max", Value("float64"), "Upper end of a range, else null; never below `value`.", nullable=True),
        _string("unit", "Unit or counted noun (people, USD, km, %); money: the ISO 4217 currency code."),
        _labels("approx", vocab.FIGURE_APPROX, "Approximation: exact, approximate, lower_bound (more than), upper_bound (up to)."),
        _labels("kind", vocab.FIGURE_KINDS, "Kind of quantity."),
        _string("claim_span_id", "The innermost claim (`claims.span_id`) whose span contains the figure, else null.", nullable=True),
    ] + PROVENANCE_COLUMNS,
    "ner": [
        _string("doc_id", "Document the sentence is in (`documents.doc_id`)."),
        _string("span_id", "Sentence id: `<doc_id>:s<start>-<end>`.", unique=True),
        _int("start", "Start of the sentence in `documents.text` (code points)."),
        _int("end", "End of the sentence, exclusive."),
        _string("text", "The sentence, `documents.text[start:end]`."),
        Column("tokens", List(Value("string")), "spaCy 3.8 rule-based English tokens (blank `en` pipeline, plus a split of \"U.S.-led\" after the period), whitespace tokens left out."),
        Column("token_starts", List(Value("int32")), "Start offset of each token in `documents.text`."),
        Column("token_ends", List(Value("int32")), "End offset of each token, exclusive: `text[token_starts[i]:token_ends[i]] == tokens[i]`."),
        Column("ner_tags", List(ClassLabel(names=list(vocab.NER_TAGS))), "BIO tag of each token from the `entities` layer."),
    ],
    "annotations_raw": [
        _string("doc_id", "Document annotated."),
        _string("annotator", "Pseudonym of the Label Studio user (annotator-N)."),
        Column("ls_annotation_id", Value("int64"), "Label Studio annotation the span belongs to."),
        Column("ground_truth", Value("bool"), "Whether the annotation is the adjudicated gold (the ground truth)."),
        _int("coverage_start", "Start of the text the annotation covers (0 unless partial)."),
        _int("coverage_end", "End of the text the annotation covers (the text length unless partial)."),
        _labels("layer", ("entities", "claims", "figures"), "Which layer the span belongs to."),
        _string("ls_region_id", "Region id inside the annotation."),
        _string("span_id", "`<doc_id>:<layer letter><start>-<end>`, as in the gold tables (an annotator may have two claims on one span)."),
        _int("start", "Start offset in `documents.text` (code points)."),
        _int("end", "End offset, exclusive."),
        _string("text", "`documents.text[start:end]`."),
        _vocab_string("label", vocab.ENTITY_LABELS, "entities: OntoNotes type."),
        _string("entity_id", "entities: cross-document id.", nullable=True),
        _string("canonical_name", "entities: canonical name.", nullable=True),
        _vocab_string("claim_kind", vocab.CLAIM_KINDS, "claims: kind."),
        _vocab_string("claimant_type", vocab.CLAIMANT_TYPES, "claims: named, unnamed or none."),
        _string("claimant_span_id", "claims: the claimant entity's span id in this annotation.", nullable=True),
        Column("cue_start", Value("int32"), "claims: start of the cue.", nullable=True, checks=(pa.Check.ge(0),)),
        Column("cue_end", Value("int32"), "claims: end of the cue, exclusive.", nullable=True, checks=(pa.Check.ge(0),)),
        _string("claim_group_id", "claims: shared id of the same statement in other documents.", nullable=True),
        Column("value", Value("float64"), "figures: normalized value.", nullable=True),
        Column("value_max", Value("float64"), "figures: upper end of a range.", nullable=True),
        _string("unit", "figures: unit or counted noun.", nullable=True),
        _vocab_string("approx", vocab.FIGURE_APPROX, "figures: approximation."),
        _vocab_string("figure_kind", vocab.FIGURE_KINDS, "figures: kind of quantity."),
    ],
}
SPAN_LAYERS = ("entities", "claims", "figures")
LAYER_LETTER = {"entities": "e", "claims": "c", "figures": "f"}


def _nested(layer: str) -> Column:
    return Column(layer, List({c.name: c.feature for c in TABLES[layer] if c.name != "doc_id"}),
                  f"The document's rows of the `{layer}` config, every column but `doc_id` (ClassLabels kept), in offset order.")


# One row per document, derived from the flat configs above (schemas/derived.py).
KB_DB_NAME = "syria-news-spans"
KB_DESCRIPTIONS = {
    "id": "Example id: the document's `doc_id`.",
    "document_id": "`documents.doc_id`.",
    "passages": "One passage, the whole article: id `<doc_id>:text`, type `article`, `text` `[documents.text]`, `offsets` `[[0, n_chars]]`.",
    "entities": (f"Every span, ids the flat configs' `span_id`s, `text` `[text[start:end]]`, `offsets` `[[start, end]]`: entity mentions "
                 f"(type: the OntoNotes label; normalized: `{{db_name: \"{KB_DB_NAME}\", db_id: entity_id}}`), claims (type `CLAIM`; "
                 f"normalized: `{{db_name: \"{KB_DB_NAME}/claim_group\", db_id: claim_group_id}}` when it has one), their cues (type `CUE`, "
                 "id `<doc_id>:cue<start>-<end>`) and figures (type `FIGURE`), in offset order."),
    "events": "Always empty: the corpus has no events.",
    "coreferences": "The mentions of one `entity_id` in the document, where there are two or more: id `<doc_id>:coref:<entity_id>`.",
    "relations": ("Each claim's `claimant` (arg1 the claim, arg2 its claimant mention; named claimants only) and `cue` (arg2 its "
                  "cue), id `<claim span_id>:claimant` or `:cue`."),
}
DERIVED = ("documents_nested", "bigbio_kb")
TABLES["documents_nested"] = TABLES["documents"] + [_nested(layer) for layer in SPAN_LAYERS]
TABLES["bigbio_kb"] = [Column(name, feature, KB_DESCRIPTIONS[name], unique=name == "id") for name, feature in KB_FEATURES.items()]
DOCUMENT_ROWS = ("documents", *DERIVED)  # one row per document: written in the documents' smaller shards
DOCUMENT_KEY = {**{table: "doc_id" for table in TABLES}, "bigbio_kb": "document_id"}  # the column naming a row's document
SORT_KEYS = {"documents": ["doc_id"], **{layer: ["doc_id", "start", "end"] for layer in (*SPAN_LAYERS, "ner")},
             "annotations_raw": ["doc_id", "ls_annotation_id", "layer", "start", "end"],
             "documents_nested": ["doc_id"], "bigbio_kb": ["id"]}


def features(table: str) -> Features:
    return Features({c.name: c.feature for c in TABLES[table]})


# ---- registered checks: row-wise on the joined view, so they serialize with the schema ----

LONG_TEXT = 1 << 15  # bytes; see _slice_matches


def _byte_offsets(frame: pl.LazyFrame, doc: str) -> pl.LazyFrame:
    """(doc_id, code point offset, byte offset) for every offset 0..len of each long text in the frame."""
    texts = frame.filter(pl.col(doc).str.len_bytes() > LONG_TEXT).select("doc_id", doc).unique("doc_id")
    ends = texts.select("doc_id", pl.col(doc).str.split("").alias("_char")).explode("_char").select(
        "doc_id", (pl.int_range(1, pl.len() + 1).over("doc_id")).alias("_at"),
        pl.col("_char").str.len_bytes().cum_sum().over("doc_id").cast(pl.Int64).alias("_byte"))
    return pl.concat([texts.select("doc_id", pl.lit(0, pl.Int64).alias("_at"), pl.lit(0, pl.Int64).alias("_byte")),
                      ends.with_columns(pl.col("_at").cast(pl.Int64))])


def _slice_matches(frame: pl.LazyFrame, start: str, end: str, text: str, doc: str) -> pl.LazyFrame:
    """One boolean per row of frame, in its order: 0 <= start <= end <= len(doc) and text == doc[start:end], in code
    points. polars' str.slice scans a text from its start, so for texts over LONG_TEXT bytes the offsets go through
    a map of code points to bytes, made once per text, and the bytes are sliced: linear in the spans of one
    document, not quadratic."""
    within = (pl.col(start) >= 0) & (pl.col(start) <= pl.col(end)) & (pl.col(end) <= pl.col(doc).str.len_chars())
    length = (pl.col(end) - pl.col(start)).clip(0)
    long = pl.col(doc).str.len_bytes() > LONG_TEXT
    short = pl.when(~long & within).then(pl.col(doc)).str.slice(pl.col(start).clip(0), length) == pl.col(text)
    if "doc_id" not in frame.collect_schema().names():
        return frame.select(short.fill_null(False).alias(text))
    offsets, keys = _byte_offsets(frame, doc), frame.select("doc_id", pl.col(start).cast(pl.Int64).alias("_s"), pl.col(end).cast(pl.Int64).alias("_e"))
    for column, byte in (("_s", "_bs"), ("_e", "_be")):  # the texts stay out of the joins, which would copy them per row
        keys = keys.join(offsets.rename({"_at": column, "_byte": byte}), on=["doc_id", column], how="left", maintain_order="left")
    rows = pl.concat([frame.select(doc, text, start, end), keys.select("_bs", "_be")], how="horizontal")
    sliced = (pl.when(long & within).then(pl.col(doc)).cast(pl.Binary).bin.slice(pl.col("_bs"), (pl.col("_be") - pl.col("_bs")).clip(0))
              == pl.col(text).cast(pl.Binary))
    return rows.select(pl.when(long).then(sliced).otherwise(short).fill_null(False).alias(text))


@extensions.register_check_method(statistics=["start", "end", "doc"])
def span_within_document(data: PolarsData, *, start: str, end: str, doc: str):
    """0 <= start < end <= len(document text); false when the document is missing."""
    ok = (pl.col(start) >= 0) & (pl.col(start) < pl.col(end)) & (pl.col(end) <= pl.col(doc).str.len_chars())
    return data.lazyframe.select(ok.fill_null(False))


@extensions.register_check_method(statistics=["start", "end", "text", "doc"])
def span_text_matches_document(data: PolarsData, *, start: str, end: str, text: str, doc: str):
    """text == document text[start:end], in code points."""
    return _slice_matches(data.lazyframe, start, end, text, doc)


@extensions.register_check_method(statistics=["key", "found"])
def reference_exists(data: PolarsData, *, key: str, found: str):
    """A non-null key found its row in the referenced table (the join filled `found`)."""
    return data.lazyframe.select((pl.col(key).is_null() | pl.col(found).is_not_null()))


@extensions.register_check_method(statistics=["low", "high"])
def not_below(data: PolarsData, *, low: str, high: str):
    """high is null or high >= low, and neither is NaN (polars orders NaN above every number)."""
    not_nan = pl.col(low).is_not_nan().fill_null(True) & pl.col(high).is_not_nan().fill_null(True)
    return data.lazyframe.select(((pl.col(high).is_null() | (pl.col(high) >= pl.col(low))) & not_nan).fill_null(False))


@extensions.register_check_method(statistics=["key", "value"])
def one_value_per_key(data: PolarsData, *, key: str, value: str):
    """Every row with the same key has the same value."""
    return data.lazyframe.select(pl.col(value).n_unique().over(key) == 1)


@extensions.register_check_method(statistics=["a", "b"])
def present_together(data: PolarsData, *, a: str, b: str):
    """`a` is true exactly when `b` is not null."""
    return data.lazyframe.select(pl.col(a).fill_null(False) == pl.col(b).is_not_null())


@extensions.register_check_method(statistics=["flag"])
def holds(data: PolarsData, *, flag: str):
    """A boolean column of the view is true (null counts as false)."""
    return data.lazyframe.select(pl.col(flag).fill_null(False))


@extensions.register_check_method(statistics=["group", "start", "end"])
def no_overlap(data: PolarsData, *, group: str, start: str, end: str):
    """No span starts before every earlier span of its group (in start order) has ended."""
    order = pl.int_range(pl.len())
    frame = data.lazyframe.with_columns(order.alias("_row")).sort(group, start, end)
    previous_end = pl.col(end).cum_max().shift(1).over(group)
    return frame.select("_row", (previous_end.is_null() | (pl.col(start) >= previous_end)).alias("ok")).sort("_row").select("ok")


@extensions.register_check_method(statistics=["tokens", "starts", "ends", "tags", "doc"])
def tokens_match_document(data: PolarsData, *, tokens: str, starts: str, ends: str, tags: str, doc: str):
    """Token lists of one length, and every token is the document's text at its offsets."""
    lists = [tokens, starts, ends, tags]
    same_length = pl.all_horizontal([pl.col(c).list.len() == pl.col(tokens).list.len() for c in lists])
    rows = data.lazyframe.with_columns(pl.int_range(pl.len()).alias("_row"))
    exploded = rows.filter(same_length).explode([tokens, starts, ends])
    matches = pl.concat([exploded.select("_row"), _slice_matches(exploded, starts, ends, tokens, doc).select(pl.all().alias("ok"))],
                        how="horizontal")
    per_row = matches.group_by("_row").agg(pl.col("ok").all())
    return rows.select("_row", same_length.alias("same")).join(per_row, on="_row", how="left").sort("_row").select(
        (pl.col("same") & pl.col("ok").fill_null(True)).alias("ok"))


@extensions.register_check_method(statistics=["items", "names"])
def all_in(data: PolarsData, *, items: str, names: list):
    """Every element of a list column is in the vocabulary."""
    return data.lazyframe.select(pl.col(items).list.eval(pl.element().is_in(names)).list.all())


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
    "entities": SPAN_CHECKS + [
        pa.Check.one_value_per_key(key="entity_id", value="canonical_name"),
        pa.Check.no_overlap(group="doc_id", start="start", end="end"),
    ],
    "claims": SPAN_CHECKS + [
        pa.Check.reference_exists(key="claimant_span_id", found="claimant_label"),
        pa.Check.present_together(a="claimant_named", b="claimant_span_id"),
        pa.Check.span_within_document(start="cue_start", end="cue_end", doc="doc_text"),
        pa.Check.span_text_matches_document(start="cue_start", end="cue_end", text="cue_text", doc="doc_text"),
        pa.Check.reference_exists(key="parent_claim_span_id", found="parent_found"),
        pa.Check.holds(flag="figures_found"),
    ],
    "figures": SPAN_CHECKS + [
        pa.Check.not_below(low="value", high="value_max"),
        pa.Check.reference_exists(key="claim_span_id", found="claim_found"),
    ],
    "ner": SPAN_CHECKS + [
        pa.Check.tokens_match_document(tokens="tokens", starts="token_starts", ends="token_ends", tags="ner_tags", doc="doc_text"),
        pa.Check.all_in(items="ner_tags", names=list(vocab.NER_TAGS)),
    ],
    "annotations_raw": SPAN_CHECKS + [
        pa.Check.span_within_document(start="coverage_start", end="coverage_end", doc="doc_text"),
        pa.Check.not_below(low="value", high="value_max"),
    ],
    **{table: [pa.Check.holds(flag="derived_from_flat")] for table in DERIVED},
}
# Columns the joined view adds to a table (name: dtype, description); null where the referenced row is missing.
_DOC_TEXT = {"doc_text": (pl.String, "the document's text")}
VIEW_COLUMNS = {
    "documents": {},
    "entities": _DOC_TEXT,
    "figures": {**_DOC_TEXT, "claim_found": (pl.String, "the containing claim's span id, if that claim exists")},
    "claims": {**_DOC_TEXT, "claimant_label": (pl.String, "the claimant entity's label"),
               "claimant_named": (pl.Boolean, "claimant_type is named"),
               "parent_found": (pl.String, "the parent claim's span id, if that claim exists"),
               "figures_found": (pl.Boolean, "every listed figure exists (null if one does not)")},
    "ner": _DOC_TEXT,
    "annotations_raw": _DOC_TEXT,
    **{table: {"derived_from_flat": (pl.Boolean, "the row is what the flat configs give (schemas/derived.py)")} for table in DERIVED},
}


def _names_type(feature) -> pa_arrow.DataType:
    if isinstance(feature, ClassLabel):
        return pa_arrow.string()
    if isinstance(feature, List):
        return pa_arrow.list_(_names_type(feature.feature))
    if isinstance(feature, dict):
        return pa_arrow.struct([(k, _names_type(f)) for k, f in feature.items()])
    return Features({"_": feature}).type[0].type


def arrow_type(column: Column) -> pa_arrow.DataType:
    """Table dtype in Arrow: closed vocabularies (also inside lists and structs) are held as their names until
    written as ClassLabel ints."""
    return _names_type(column.feature)


def arrow_schema(table: str) -> pa_arrow.Schema:
    return pa_arrow.schema([(c.name, arrow_type(c)) for c in TABLES[table]])


def polars_dtype(column: Column) -> pl.DataType:
    return pl.from_arrow(pa_arrow.table({column.name: pa_arrow.array([], arrow_type(column))})).schema[column.name]


def empty(table: str) -> pl.DataFrame:
    return pl.DataFrame(schema={c.name: polars_dtype(c) for c in TABLES[table]})


def decode_labels(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Published rows back to the table's dtypes: ClassLabel ints (also inside lists and structs) as their names."""
    def decode(expr: pl.Expr, label: ClassLabel) -> pl.Expr:
        return expr.replace_strict(range(len(label.names)), pl.Series(label.names, dtype=pl.String), return_dtype=pl.String)

    return frame.with_columns(m.alias(name) for name, f in features(table).items() if (m := map_labels(pl.col(name), f, decode)) is not None)


def schema(table: str) -> pa.DataFrameSchema:
    columns = {}
    for c in TABLES[table]:
        checks = list(c.checks)
        if isinstance(c.feature, ClassLabel):
            checks.append(pa.Check.isin(c.feature.names))
        columns[c.name] = pa.Column(polars_dtype(c), checks=checks, nullable=c.nullable, unique=c.unique, description=c.description)
    for name, (dtype, description) in VIEW_COLUMNS[table].items():
        columns[name] = pa.Column(dtype, nullable=True, description=f"joined view: {description}")
    unique = ["ls_annotation_id", "ls_region_id"] if table == "annotations_raw" else None
    return pa.DataFrameSchema(columns, checks=TABLE_CHECKS[table], name=table, strict=True, ordered=False, unique=unique)


def _found(frame: pl.DataFrame, key: str, found: str) -> pl.DataFrame:
    """frame's `key` joined with a reference table's ids (de-duplicated, so a duplicate id fails once, in its own table)."""
    return frame.select(pl.col("span_id").alias(key), pl.col("span_id").alias(found)).unique(key, keep="first")


def view(table: str, tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The table joined with what its checks refer to (a left join: missing rows give nulls)."""
    frame = tables[table]
    if table == "documents":
        return frame
    if table in DERIVED:
        from schemas.derived import compared  # derived.py builds on this module

        return compared(table, tables)
    docs = tables["documents"].select("doc_id", pl.col("text").alias("doc_text")).unique("doc_id", keep="first")
    frame = frame.join(docs, on="doc_id", how="left", maintain_order="left")
    if table == "figures":
        frame = frame.join(_found(tables["claims"], "claim_span_id", "claim_found"), on="claim_span_id", how="left", maintain_order="left")
    if table == "claims":
        claimants = tables["entities"].select(
            pl.col("span_id").alias("claimant_span_id"), pl.col("label").alias("claimant_label")
        ).unique("claimant_span_id", keep="first")
        figure_ids = set(tables["figures"]["span_id"].to_list())
        frame = (frame.join(claimants, on="claimant_span_id", how="left", maintain_order="left")
                 .join(_found(tables["claims"], "parent_claim_span_id", "parent_found"), on="parent_claim_span_id", how="left", maintain_order="left")
                 .with_columns((pl.col("claimant_type") == "named").alias("claimant_named"),
                               pl.when(pl.col("figure_span_ids").list.eval(pl.element().is_in(list(figure_ids))).list.all())
                               .then(True).alias("figures_found")))
    return frame
