"""The configs with one row per document, derived from the flat ones (nothing re-derived from the annotation):

- `documents_nested`: each `documents` row with its rows of `entities`, `claims` and `figures` nested as
  lists of structs (every column but `doc_id`, ClassLabels kept), in offset order;
- `bigbio_kb`: BigBIO's knowledge-base schema (schemas/bigbio.py), as schemas.tables.KB_DESCRIPTIONS says.

The build derives them from each bucket's validated flat tables; validation derives them again from the flat
tables it is given and compares, row by row (`compared`), so a published nested row that is not what the
published flat rows give fails.
"""
from __future__ import annotations

import polars as pl

from schemas.tables import KB_DB_NAME, SORT_KEYS, SPAN_LAYERS, TABLES, polars_dtype


def _sorted(tables: dict[str, pl.DataFrame], table: str) -> pl.DataFrame:
    return tables[table].sort(SORT_KEYS[table], maintain_order=True)


def _per_document(frame: pl.DataFrame, item: pl.Expr, name: str) -> pl.DataFrame:
    """The frame's rows as one list `name` per doc_id, in the frame's order."""
    return frame.group_by("doc_id", maintain_order=True).agg(item.alias(name))


def _finish(table: str, rows: pl.DataFrame, lists: dict[str, pl.DataFrame], key: str) -> pl.DataFrame:
    """`rows` (one per document) with each per-document list joined in ([] for a document without items), in the
    declared columns, dtypes and order."""
    for name, per_document in lists.items():
        rows = rows.join(per_document.rename({"doc_id": key}), on=key, how="left", maintain_order="left")
    columns = []
    for c in TABLES[table]:
        dtype = polars_dtype(c)
        column = (pl.col(c.name) if c.name in rows.columns else pl.lit(None)).cast(dtype)
        if c.name in lists or c.name not in rows.columns:
            column = pl.coalesce(column, pl.lit(pl.Series([[]], dtype=dtype)).first())
        columns.append(column.alias(c.name))
    return rows.select(columns).sort(SORT_KEYS[table], maintain_order=True)


def documents_nested(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    lists = {layer: _per_document(_sorted(tables, layer), pl.struct(pl.all().exclude("doc_id")), layer) for layer in SPAN_LAYERS}
    return _finish("documents_nested", tables["documents"], lists, "doc_id")


def _links(db_name: str, db_id: pl.Expr) -> pl.Expr:
    """The kb `normalized` list: one {db_name, db_id} where db_id is set, else empty."""
    link = pl.when(db_id.is_not_null()).then(pl.struct(pl.lit(db_name).alias("db_name"), db_id.alias("db_id")))
    return pl.concat_list(link).list.filter(pl.element().is_not_null())  # not list.drop_nulls: 20x slower on structs (polars 2.1)


def _offsets(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """The kb `offsets` of one continuous span: [[start, end]]."""
    return pl.concat_list(start, end).reshape((-1, 1, 2)).cast(pl.List(pl.List(pl.Int32)))


def _kb_entity(frame: pl.DataFrame, kind: pl.Expr, normalized: pl.Expr, ident: pl.Expr = pl.col("span_id"),
               start: str = "start", end: str = "end", text: str = "text") -> pl.DataFrame:
    entity = pl.struct(ident.alias("id"), kind.alias("type"), pl.concat_list(pl.col(text)).alias("text"),
                       _offsets(pl.col(start), pl.col(end)).alias("offsets"), normalized.alias("normalized"))
    return frame.select("doc_id", pl.col(start).alias("_start"), pl.col(end).alias("_end"), entity.alias("entity"))


def _kb_entities(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Mentions, claims, cues and figures as kb entities, one list per document in offset order."""
    claims, none = _sorted(tables, "claims"), pl.lit(None, pl.String)
    cue_id = pl.format("{}:cue{}-{}", "doc_id", "cue_start", "cue_end")
    rows = pl.concat([
        _kb_entity(_sorted(tables, "entities"), pl.col("label"), _links(KB_DB_NAME, pl.col("entity_id"))),
        _kb_entity(claims, pl.lit("CLAIM"), _links(f"{KB_DB_NAME}/claim_group", pl.col("claim_group_id"))),
        _kb_entity(claims.unique(["doc_id", "cue_start", "cue_end"], keep="first", maintain_order=True), pl.lit("CUE"),
                   _links("", none), cue_id, "cue_start", "cue_end", "cue_text"),
        _kb_entity(_sorted(tables, "figures"), pl.lit("FIGURE"), _links("", none)),
    ])
    rows = rows.sort("doc_id", "_start", "_end", pl.col("entity").struct.field("id"))
    return _per_document(rows, pl.col("entity"), "entities")


def _kb_relations(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Each claim's claimant (named claimants) and cue, in the claims' order."""
    claims = _sorted(tables, "claims").with_row_index("_claim")

    def relation(kind: str, target: pl.Expr) -> pl.Expr:
        return pl.struct(pl.format("{}:{}", "span_id", pl.lit(kind)).alias("id"), pl.lit(kind).alias("type"),
                         pl.col("span_id").alias("arg1_id"), target.alias("arg2_id"), _links("", pl.lit(None, pl.String)).alias("normalized"))

    rows = pl.concat([
        claims.filter(pl.col("claimant_span_id").is_not_null()).select("doc_id", "_claim", pl.lit(0).alias("_kind"),
                                                                        relation("claimant", pl.col("claimant_span_id")).alias("relation")),
        claims.select("doc_id", "_claim", pl.lit(1).alias("_kind"),
                      relation("cue", pl.format("{}:cue{}-{}", "doc_id", "cue_start", "cue_end")).alias("relation")),
    ]).sort("_claim", "_kind")
    return _per_document(rows, pl.col("relation"), "relations")


def _kb_coreferences(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The mentions of each entity id with two or more in the document, chains in the order of their first mention."""
    chains = (_sorted(tables, "entities").group_by("doc_id", "entity_id", maintain_order=True).agg(pl.col("span_id"))
              .filter(pl.col("span_id").list.len() > 1))
    chain = pl.struct(pl.format("{}:coref:{}", "doc_id", "entity_id").alias("id"), pl.col("span_id").alias("entity_ids"))
    return _per_document(chains, chain, "coreferences")


def bigbio_kb(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    docs = tables["documents"]
    passage = pl.struct(pl.format("{}:text", "doc_id").alias("id"), pl.lit("article").alias("type"),
                        pl.concat_list("text").alias("text"),
                        _offsets(pl.lit(0, pl.Int32), pl.col("n_chars")).alias("offsets"))
    rows = docs.select(pl.col("doc_id").alias("id"), pl.col("doc_id").alias("document_id"), pl.concat_list(passage).alias("passages"))
    lists = {"entities": _kb_entities(tables), "coreferences": _kb_coreferences(tables), "relations": _kb_relations(tables)}
    return _finish("bigbio_kb", rows, lists, "id")


DERIVE = {"documents_nested": documents_nested, "bigbio_kb": bigbio_kb}


def derived_tables(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    return {table: derive(tables) for table, derive in DERIVE.items()}


def compared(table: str, tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The derived table with `derived_from_flat`: whether its row is what the flat tables give. A row the flat
    tables give and the table lacks is added (null but its key) and fails too."""
    key, columns = SORT_KEYS[table][0], [c.name for c in TABLES[table]]
    want = DERIVE[table](tables).select(key, pl.struct(columns).alias("_want"))
    frame = tables[table].join(want, on=key, how="full", coalesce=True, maintain_order="left_right")
    return frame.with_columns(pl.struct(columns).eq_missing(pl.col("_want")).alias("derived_from_flat")).drop("_want")
