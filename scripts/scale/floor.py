"""The benchmark's floor: the build's work done the plain way, with none of our abstractions.

It reads the same corpus and export and writes the same Parquet (the benchmark checks that every table
equals the build's), so the ratio to it is what our design costs:
- parse: the export streamed task by task with ijson, whatever its layout; the corpus's YAML and texts;
- tables: each gold and each raw span a row, built column by column (ids, provenance, claimant and cue,
  the innermost containing claim, the figures inside a claim), the `ner` view with the build's tokenizer,
  the documents table; every table sorted by its key; the document-level configs derived with the same
  polars expressions as the build (schemas/derived.py: they are plain polars already);
- check: every rule of the pandera schemas written again as plain polars expressions on the same joined
  views, one `collect_all` for all tables;
- write: ClassLabel names to ints, the Hugging Face features, the build's shard and row-group sizes.
It does not do the import's checks of each region (what a bad export gets as messages), which is the
build's own work. Well-formed exports only: a region it cannot read raises.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from pathlib import Path

import ijson
import polars as pl
import pyarrow.parquet as pq
import yaml

from schemas import vocab
from schemas.derived import DERIVE, derived_tables
from schemas.tables import SORT_KEYS, SPLIT, TABLES, empty, polars_dtype
from scripts.build import DOCUMENT_ROW_GROUP, DOCUMENT_SHARD_ROWS, PARQUET_OPTIONS, ROW_GROUP, SHARD_ROWS, to_arrow
from scripts.core.model import AnnotatedDocument, Document, Entity
from scripts.core.tokens import sentence_rows

BATCH_ROWS = 200_000  # rows per table gathered in Python lists before they become a polars frame
LETTER = {"entities": "e", "claims": "c", "figures": "f"}
LAYER_OF = {vocab.CLAIM: "claims", vocab.FIGURE: "figures"}


class Columns:
    """A table's rows column by column, turned into polars frames every BATCH_ROWS rows."""

    def __init__(self, table: str) -> None:
        self.table, self.names = table, [c.name for c in TABLES[table]]
        self.schema = {c.name: polars_dtype(c) for c in TABLES[table]}
        self.lists, self.frames = {n: [] for n in self.names}, []

    def add(self, row: dict) -> None:
        for name in self.names:
            self.lists[name].append(row.get(name))
        if len(self.lists["doc_id"]) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.lists["doc_id"]:
            self.frames.append(pl.DataFrame(self.lists, schema=self.schema))
            self.lists = {n: [] for n in self.names}

    def frame(self) -> pl.DataFrame:
        self.flush()
        return pl.concat(self.frames) if self.frames else empty(self.table)


def documents(corpus: Path) -> tuple[pl.DataFrame, dict[str, str]]:
    entries = yaml.load((corpus / "documents.yaml").read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)["documents"]
    rows, texts = Columns("documents"), {}
    for entry in entries:
        text = (corpus / entry["source_file"]).read_bytes().decode("utf-8")
        texts[entry["doc_id"]] = text
        rows.add({**entry, "text": text, "text_sha256": hashlib.sha256(text.encode()).hexdigest(), "n_chars": len(text)})
    return rows.frame(), texts


def read_annotation(task: dict, annotation: dict, text: str) -> dict[str, list[dict]]:
    """The annotation's span rows by layer (the columns of both the gold and the raw tables)."""
    doc_id, regions, attrs, links = task["data"]["doc_id"], {}, defaultdict(dict), defaultdict(dict)
    for item in annotation["result"]:
        kind, value = item["type"], item.get("value")
        if kind == "labels":
            regions[item["id"]] = (item["from_name"], value["labels"][0], value["start"], value["end"])
        elif kind == "relation":
            links[item["from_id"]][item["labels"][0]] = item["to_id"]
        elif item["from_name"] != vocab.COVERAGE_TAG:
            raw = value["number"] if kind == "number" else value["text" if kind == "textarea" else "choices"][0]
            attrs[item["id"]][item["from_name"]] = raw.strip() if isinstance(raw, str) else raw
    out = {layer: [] for layer in LETTER}
    for rid, (tag, label, start, end) in regions.items():
        layer = "entities" if tag == vocab.ENTITY_TAG else LAYER_OF.get(label)
        if layer is None:  # a cue: part of its claim's row
            continue
        a = attrs[rid]
        row = {"doc_id": doc_id, "span_id": f"{doc_id}:{LETTER[layer]}{start}-{end}", "start": start, "end": end,
               "text": text[start:end], "ls_task_id": task["id"], "ls_annotation_id": annotation["id"], "ls_region_id": rid}
        if layer == "entities":
            row.update(label=label, entity_id=a["entity_id"], canonical_name=a["canonical_name"])
        elif layer == "figures":
            row.update(value=float(a["value"]) + 0.0, value_max=None if a.get("value_max") in (None, "") else float(a["value_max"]),
                       unit=a["unit"], approx=a["approx"], kind=a["figure_kind"], figure_kind=a["figure_kind"])
        else:
            _, _, cue_start, cue_end = regions[links[rid][vocab.CUE_RELATION]]
            claimant = regions.get(links[rid].get(vocab.CLAIMANT_RELATION))
            row.update(claim_kind=a["claim_kind"], claimant_type=a.get("claimant_type") or ("named" if claimant else None),
                       claimant_span_id=claimant and f"{doc_id}:e{claimant[2]}-{claimant[3]}", cue_start=cue_start, cue_end=cue_end,
                       cue_text=text[cue_start:cue_end], claim_group_id=a.get("claim_group_id") or None)
        out[layer].append(row)
    return out


def coverage(annotation: dict, n_chars: int) -> tuple[int, int]:
    for item in annotation["result"]:
        if item.get("from_name") == vocab.COVERAGE_TAG:
            start, end = (int(x) for x in item["value"]["text"][0].split("-"))
            return start, end
    return 0, n_chars


def read_export(export: Path, texts: dict[str, str]) -> dict[str, pl.DataFrame]:
    """The span tables (unsorted, without the derived claim and figure columns) and `ner`."""
    tables = {t: Columns(t) for t in (*LETTER, "ner", "annotations_raw")}
    with export.open("rb") as f:
        for task in ijson.items(f, "item", use_float=True):
            doc_id = task["data"]["doc_id"]
            text, live = texts[doc_id], [a for a in task["annotations"] if not a.get("was_cancelled")]
            gold = next((a for a in live if a.get("ground_truth")), live[0] if len(live) == 1 else None)
            for annotation in live:
                layers, (cover_start, cover_end) = read_annotation(task, annotation, text), coverage(annotation, len(text))
                raw = {"doc_id": doc_id, "annotator": annotation["completed_by"]["pseudonym"], "ground_truth": bool(annotation.get("ground_truth")),
                       "coverage_start": cover_start, "coverage_end": cover_end}
                for layer, rows in layers.items():
                    for row in rows:
                        tables["annotations_raw"].add({**row, **raw, "layer": layer})
                if annotation is gold:
                    for layer, rows in layers.items():
                        for row in rows:
                            tables[layer].add(row)
                    entities = [Entity(r["start"], r["end"], None, label=r["label"], entity_id="", canonical_name="") for r in layers["entities"]]
                    for row in sentence_rows(AnnotatedDocument(Document(doc_id, text, "", None, None, None, "en", "", ""), entities=entities)):
                        tables["ner"].add(row)
    return {t: c.frame() for t, c in tables.items()}


def innermost(queries: pl.DataFrame, spans: pl.DataFrame, name: str) -> pl.DataFrame:
    """Each query's innermost containing span of `spans` (not at the same offsets) as column `name`."""
    pairs = queries.select("doc_id", "span_id", "start", "end").join(
        spans.select("doc_id", pl.col("span_id").alias(name), pl.col("start").alias("s"), pl.col("end").alias("e")), on="doc_id")
    pairs = pairs.filter((pl.col("s") <= pl.col("start")) & (pl.col("e") >= pl.col("end"))
                         & ((pl.col("s") != pl.col("start")) | (pl.col("e") != pl.col("end"))))
    best = pairs.sort(pl.col("e") - pl.col("s"), "s").group_by("span_id").agg(pl.col(name).first())
    return queries.join(best, on="span_id", how="left", maintain_order="left")


def link(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """The derived columns: a claim's parent claim and its figures, a figure's claim."""
    claims, figures = tables["claims"].drop("parent_claim_span_id", "figure_span_ids"), tables["figures"].drop("claim_span_id")
    inside = (claims.select("doc_id", "span_id", pl.col("start").alias("s"), pl.col("end").alias("e"))
              .join(figures.select("doc_id", pl.col("span_id").alias("figure"), "start", "end"), on="doc_id")
              .filter((pl.col("start") >= pl.col("s")) & (pl.col("end") <= pl.col("e")))
              .sort("start", "end").group_by("span_id").agg(pl.col("figure").alias("figure_span_ids")))
    claims = innermost(claims, claims, "parent_claim_span_id").join(inside, on="span_id", how="left", maintain_order="left")
    claims = claims.with_columns(pl.col("figure_span_ids").fill_null(pl.lit([], pl.List(pl.String))))
    return {**tables, "claims": claims, "figures": innermost(figures, claims, "claim_span_id")}


def build_tables(corpus: Path, export: Path) -> dict[str, pl.DataFrame]:
    docs, texts = documents(corpus)
    tables = link({"documents": docs, **read_export(export, texts)})
    tables = {t: tables[t].select([c.name for c in TABLES[t]]).sort(SORT_KEYS[t], maintain_order=True) for t in tables}
    return {**tables, **derived_tables(tables)}


# ---- every rule of the schemas, as plain polars ----

def _span_ok(start: str, end: str, text: str | None = None) -> pl.Expr:
    ok = (pl.col(start) >= 0) & (pl.col(start) < pl.col(end)) & (pl.col(end) <= pl.col("doc_text").str.len_chars())
    if text:
        ok &= pl.col("doc_text").str.slice(pl.col(start), (pl.col(end) - pl.col(start)).clip(0)) == pl.col(text)
    return ok.fill_null(False).all()


COLUMN_CHECKS = {"greater_than_or_equal_to": lambda col, s: col >= s["min_value"], "isin": lambda col, s: col.is_in(s["allowed_values"]),
                 "str_matches": lambda col, s: col.str.contains(s["pattern"])}


def _not_below(low: str, high: str) -> pl.Expr:
    not_nan = pl.col(low).is_not_nan().fill_null(True) & pl.col(high).is_not_nan().fill_null(True)
    return ((pl.col(high).is_null() | (pl.col(high) >= pl.col(low))) & not_nan).fill_null(False).all()


def _column_rules(table: str) -> list[pl.Expr]:
    """Not null, unique, a ClassLabel's names, and each column's own checks (as schemas/tables.py declares them)."""
    rules = []
    for c in TABLES[table]:
        col = pl.col(c.name)
        rules += [] if c.nullable else [col.is_not_null().all()]
        rules += [col.is_unique().all()] if c.unique else []
        rules += [col.is_in(c.feature.names).all()] if hasattr(c.feature, "names") else []
        rules += [COLUMN_CHECKS[check.name](col, check.statistics).all() for check in c.checks]
    return rules


def rules(table: str, tables: dict[str, pl.DataFrame]) -> pl.LazyFrame:
    """One row of booleans, one per rule, for the table."""
    frame = tables[table].lazy()
    extra: list[pl.Expr] = []
    if table == "documents":
        extra = [(pl.col("text").str.len_chars() == pl.col("n_chars")).all()]
    elif table in ("documents_nested", "bigbio_kb"):
        same = pl.LazyFrame({"derived_from_flat": [tables[table].equals(DERIVE[table](tables))]})
        return pl.concat([_all_of(frame, _column_rules(table)), same], how="horizontal")
    else:
        docs = tables["documents"].lazy().select("doc_id", pl.col("text").alias("doc_text"))
        frame = frame.join(docs, on="doc_id", how="left")
        extra = [pl.col("doc_text").is_not_null().all(), _span_ok("start", "end", "text")]
        span_ids = lambda t: tables[t].lazy().select(pl.col("span_id").alias("_found"))  # noqa: E731
        if table == "entities":
            previous_end = pl.col("end").cum_max().shift(1).over("doc_id")
            extra += [(pl.col("canonical_name").n_unique().over("entity_id") == 1).all(),
                      (previous_end.is_null() | (pl.col("start") >= previous_end)).all()]
        elif table == "claims":
            labels = tables["entities"].lazy().select(pl.col("span_id").alias("claimant_span_id"), pl.col("label").alias("_claimant"))
            parents = span_ids("claims").rename({"_found": "parent_claim_span_id"}).with_columns(pl.lit(True).alias("_parent"))
            frame = frame.join(labels, on="claimant_span_id", how="left").join(parents, on="parent_claim_span_id", how="left")
            figure_ids = tables["figures"]["span_id"].implode()
            extra += [(pl.col("claimant_span_id").is_null() | pl.col("_claimant").is_not_null()).all(),
                      ((pl.col("claimant_type") == "named") == pl.col("claimant_span_id").is_not_null()).all(),
                      _span_ok("cue_start", "cue_end", "cue_text"),
                      (pl.col("parent_claim_span_id").is_null() | pl.col("_parent").is_not_null()).all(),
                      pl.col("figure_span_ids").list.eval(pl.element().is_in(figure_ids.first())).list.all().all()]
        elif table == "figures":
            claims = span_ids("claims").rename({"_found": "claim_span_id"}).with_columns(pl.lit(True).alias("_claim"))
            frame = frame.join(claims, on="claim_span_id", how="left")
            extra += [_not_below("value", "value_max"),
                      (pl.col("claim_span_id").is_null() | pl.col("_claim").is_not_null()).all()]
        elif table == "ner":
            tokens = (frame.select("doc_text", "tokens", "token_starts", "token_ends").explode("tokens", "token_starts", "token_ends")
                      .select((pl.col("doc_text").str.slice(pl.col("token_starts"), pl.col("token_ends") - pl.col("token_starts"))
                               == pl.col("tokens")).fill_null(False).all().alias("tokens_match")))
            extra += [(pl.col("ner_tags").list.len() == pl.col("tokens").list.len()).all(),
                      pl.col("ner_tags").list.eval(pl.element().is_in(vocab.NER_TAGS)).list.all().all()]
            return pl.concat([_all_of(frame, [*_column_rules(table), *extra]), tokens], how="horizontal")
        elif table == "annotations_raw":
            extra += [_span_ok("coverage_start", "coverage_end"),
                      _not_below("value", "value_max"),
                      pl.struct("ls_annotation_id", "ls_region_id").is_unique().all()]
    return _all_of(frame, [*_column_rules(table), *extra])


def _all_of(frame: pl.LazyFrame, rules: list[pl.Expr]) -> pl.LazyFrame:
    return frame.select([rule.alias(f"rule {i}") for i, rule in enumerate(rules)])


def check(tables: dict[str, pl.DataFrame]) -> list[str]:
    """The tables and rules that fail (empty when all hold): dtypes and columns, then one collect_all."""
    failed = [t for t in TABLES if tables[t].schema != empty(t).schema]
    results = pl.collect_all([rules(t, tables) for t in TABLES])
    return failed + [f"{t}: {c}" for t, result in zip(TABLES, results) for c in result.columns if not result[c][0]]


def write(tables: dict[str, pl.DataFrame], out: Path) -> None:
    for table, frame in tables.items():
        shard, group = (DOCUMENT_SHARD_ROWS, DOCUMENT_ROW_GROUP) if table in ("documents", "documents_nested", "bigbio_kb") else (SHARD_ROWS, ROW_GROUP)
        n = -(-frame.height // shard)
        (out / table).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            pq.write_table(to_arrow(table, frame.slice(i * shard, shard)), out / table / f"{SPLIT}-{i:05d}-of-{n:05d}.parquet",
                           row_group_size=group, **PARQUET_OPTIONS)
