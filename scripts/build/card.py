"""The dataset card (README.md front matter and generated blocks) and the datasheet's generated counts.

Hand-written prose stays as it is; only the YAML front matter and the blocks
between `<!-- generated:NAME -->` and `<!-- /generated:NAME -->` are rewritten.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
from datasets import Dataset, DatasetDict, DatasetInfo, List, SplitDict, SplitInfo
from datasets.info import DatasetInfosDict
from huggingface_hub import DatasetCard, DatasetCardData

from schemas.tables import SPAN_LAYERS, SPLIT, TABLES, features
from scripts.core.model import InputError

CONFIG_DESCRIPTIONS = {
    "documents": "The articles: text and per-document metadata.",
    "entities": "Named-entity mentions (OntoNotes types) with cross-document entity ids.",
    "claims": "Attributed claims with claimant, cue and kind.",
    "figures": "Quantity expressions with normalized value, unit and approximation.",
    "ner": "Token-level view of the entities: one row per sentence, spaCy tokens with offsets and BIO tags.",
    "annotations_raw": "Every annotator's spans before adjudication (one row per annotator per span), to recompute agreement.",
    "documents_nested": ("One row per document: the `documents` row with its `entities`, `claims` and `figures` rows nested "
                         "as lists of structs, ClassLabels kept."),
    "bigbio_kb": ("One row per document in BigBIO's kb schema (features exactly BigBIO's): the text as one passage, entity "
                  "mentions, claims, cues and figures as typed entities with the entity ids as normalizations, claimant and "
                  "cue relations, and the mentions of each entity id as coreferences. It cannot hold figure values, "
                  "units, approximation or kind, claim kinds, claimant types, canonical names or provenance: "
                  "`documents_nested` has them."),
}
# The config `load_dataset(repo)` gives without a config name, and the one the Hub's viewer opens with.
DEFAULT_CONFIG = "entities"


@dataclass(frozen=True)
class ConfigRelease:
    """One published config: its Parquet files (relative to the release root) and their content."""

    name: str
    files: tuple[str, ...]
    num_rows: int
    file_bytes: int
    arrow_bytes: int
    sha256: str

    @property
    def glob(self) -> str:
        return f"data/{self.name}/{SPLIT}-*.parquet"


SIZE_BUCKETS = [(10**3, "n<1K"), (10**4, "1K<n<10K"), (10**5, "10K<n<100K"), (10**6, "100K<n<1M"),
                (10**7, "1M<n<10M"), (10**8, "10M<n<100M"), (10**9, "100M<n<1B")]


def size_category(rows: int) -> str:
    """The Hub's size bucket for a number of examples."""
    return next((name for limit, name in SIZE_BUCKETS if rows < limit), "1B<n<10B")


# Not examples of a task: every annotator's copy of the gold's spans, kept to recompute agreement.
RAW_CONFIGS = ("annotations_raw",)
# license: other, explained in a file of the release (the Hub links it from the card's licence badge).
LICENSE_NAME = "cc-by-4.0-annotations-third-party-texts"
LICENSE_FILE = "LICENSE.md"


def examples(releases: list[ConfigRelease]) -> int:
    """What the Hub's size category counts: examples, here the rows of the largest config a task is
    evaluated on (annotations_raw repeats the gold's spans once per annotator; it is no task's examples)."""
    task_configs = [r for r in releases if r.name not in RAW_CONFIGS] or releases
    return max(r.num_rows for r in task_configs)


def card_data(releases: list[ConfigRelease], version: str, annotated: bool) -> DatasetCardData:
    data = DatasetCardData(
        pretty_name="Syria News Spans",
        language=["en"],
        # Split licensing (annotations CC BY 4.0, article texts third-party and not licensed by the
        # project), which no single identifier of the Hub's list says: `other`, named, with its text.
        license="other",
        license_name=LICENSE_NAME,
        license_link=LICENSE_FILE,
        # The passes and the adjudication were made by AI annotators following the guidelines (DATASHEET.md).
        annotations_creators=["machine-generated"] if annotated else ["no-annotation"],
        language_creators=["found"],
        multilinguality=["monolingual"],
        source_datasets=["original"],
        size_categories=[size_category(examples(releases))],
        # Every layer is spans of the text: entities, claims (with cue and claimant) and figures are
        # token classification; the cross-document entity ids are coreference of named mentions (scored
        # with MUC, B-cubed and CEAF-e). Nothing classifies whole texts, and no claim is judged true.
        task_categories=["token-classification"],
        task_ids=["named-entity-recognition", "coreference-resolution"],
        tags=["news", "syria", "claims", "quantities", "span-annotation", "label-studio"],
        configs=[
            {
                "config_name": r.name,
                **({"default": True} if r.name == DEFAULT_CONFIG else {}),
                "version": version,
                # The content hash makes the YAML change whenever the data does:
                # `datasets` keys its cache of a local folder on this YAML only.
                "description": f"{CONFIG_DESCRIPTIONS[r.name]} Data sha256: {r.sha256}",
                "data_files": [{"split": SPLIT, "path": r.glob}],
            }
            for r in releases
        ],
    )
    infos = DatasetInfosDict()
    for r in releases:
        splits = SplitDict()
        splits.add(SplitInfo(name=SPLIT, num_bytes=r.arrow_bytes, num_examples=r.num_rows))
        infos[r.name] = DatasetInfo(features=features(r.name), splits=splits,
                                    download_size=r.file_bytes, dataset_size=r.arrow_bytes)
    infos.to_dataset_card_data(data)
    return data


def replace_blocks(text: str, blocks: dict[str, str], source: str) -> str:
    """Every generated block rewritten whole. A block runs from a line that is exactly its opening marker
    to a line that is exactly its closing one; data never makes such a line (`quoted` escapes "<" and ">"),
    so no value can close a block early, and a rebuild from clean input restores the card."""
    lines = text.split("\n")
    for name, body in blocks.items():
        opening, closing = f"<!-- generated:{name} -->", f"<!-- /generated:{name} -->"
        starts, ends = ([i for i, line in enumerate(lines) if line == marker] for marker in (opening, closing))
        if len(starts) != 1 or len(ends) != 1 or ends[0] < starts[0]:
            raise InputError([f"{source}: needs exactly one line {opening!r} and, after it, one line {closing!r} (found {len(starts)} "
                              f"and {len(ends)}); restore them from git"])
        new = body.rstrip("\n").split("\n")
        if any(MARKER.match(line) for line in new):
            raise InputError([f"{source}: the generated block {name!r} would hold a marker line"])
        lines[starts[0] + 1:ends[0]] = new
    return "\n".join(lines)


MARKER = re.compile(r"\s*<!--\s*/?generated:")


def quoted(value) -> str:
    """The Python repr of a value from the data, with "<" and ">" escaped inside its strings (as \\x3c, \\x3e: the
    same value for Python, and never an HTML comment or a marker for Markdown)."""
    return repr(value).replace("<", "\\x3c").replace(">", "\\x3e")


def _loaded(root: Path, r: ConfigRelease) -> tuple[str, dict]:
    """What `load_dataset` prints for the config and its first row, read from the first row of the
    Parquet (the rest is never loaded: only the row count differs, and it is known)."""
    first = next(pq.ParquetFile(root / r.files[0]).iter_batches(batch_size=1, use_threads=False))
    ds = DatasetDict({SPLIT: Dataset(pa.Table.from_batches([first]))})
    return repr(ds).replace("num_rows: 1\n", f"num_rows: {r.num_rows}\n"), ds[SPLIT][0]


# What the usage block shows of a config's first row, where the whole row is too long to read: (the expression, its value).
USAGE_SHOWN = {
    "documents": ('{k: v for k, v in documents["test"][0].items() if k not in ("text", "rights")}',
                  lambda row: {k: v for k, v in row.items() if k not in ("text", "rights")}),
    "documents_nested": ('documents_nested["test"][0]["entities"][:1]', lambda row: row["entities"][:1]),
    "bigbio_kb": ('{k: v[:1] for k, v in bigbio_kb["test"][0].items() if k in ("entities", "relations", "coreferences")}',
                  lambda row: {k: v[:1] for k, v in row.items() if k in ("entities", "relations", "coreferences")}),
}


def usage_block(root: Path, releases: list[ConfigRelease]) -> str:
    lines = ["```python", ">>> from datasets import load_dataset"]
    for r in releases:
        shown, first = _loaded(root, r)
        expression, value = USAGE_SHOWN.get(r.name, (f'{r.name}["test"][0]', lambda row: row))
        lines += [
            f'>>> {r.name} = load_dataset("path/to/syria-news-spans", "{r.name}")',
            f">>> {r.name}", shown, f">>> {expression}", quoted(value(first)),
        ]
    lines.append("```")
    return "\n".join(lines)


def fields_block(published: set[str]) -> str:
    out = []
    for table, columns in TABLES.items():
        status = "" if table in published else " (not published yet: no gold annotation)"
        out += [f"#### `{table}`{status}", "", CONFIG_DESCRIPTIONS[table], "", "| field | type | description |", "|---|---|---|"]
        feats = features(table)
        for c in columns:
            kind = _type_name(feats[c.name]) + (", nullable" if c.nullable else "")
            out.append(f"| `{c.name}` | {kind} | {c.description} |")
        out.append("")
    return "\n".join(out)


def _type_name(feature) -> str:
    if isinstance(feature, List):
        return "list of " + _type_name(feature.feature)
    if isinstance(feature, dict):
        return "struct {" + ", ".join(f"`{k}`" for k in feature) + "}"
    if hasattr(feature, "names"):
        names = feature.names if len(feature.names) <= 13 else [*feature.names[:5], "…"]
        return "ClassLabel: " + ", ".join(f"`{n}`" for n in names)
    return f"`{getattr(feature, 'dtype', type(feature).__name__)}`"


def configs_block(releases: list[ConfigRelease]) -> str:
    published = {r.name: r for r in releases}
    lines = ["| config | split | rows | status |", "|---|---|---|---|"]
    for table in TABLES:
        r = published.get(table)
        lines.append(f"| `{table}` | `{SPLIT}` | {r.num_rows} | published |" if r
                     else f"| `{table}` | – | 0 | to come with the gold annotation |")
    return "\n".join(lines)


LABEL_COLUMNS = (("entities", "label"), ("claims", "claim_kind"), ("claims", "claimant_type"), ("figures", "kind"), ("figures", "approx"))
PER_DOCUMENT_COLUMNS = 10  # up to this many documents, the label tables have a column per document


class Counts:
    """What the datasheet reports of the tables, added bucket by bucket of documents."""

    def __init__(self) -> None:
        self.rows = dict.fromkeys(TABLES, 0)
        self.chars = self.tokens = 0
        self.doc_ids: list[str] = []
        self.annotators: set[str] = set()
        self.labels: dict[tuple[str, str], list[pl.DataFrame]] = {key: [] for key in LABEL_COLUMNS}

    def add(self, tables: dict[str, pl.DataFrame]) -> None:
        for table, frame in tables.items():
            self.rows[table] += frame.height
        docs = tables["documents"]
        self.chars += docs["n_chars"].sum()
        self.doc_ids += docs["doc_id"].to_list()
        self.tokens += tables["ner"]["tokens"].list.len().sum() or 0
        self.annotators |= set(tables["annotations_raw"]["annotator"].unique().to_list())
        for (layer, column), frames in self.labels.items():
            frames.append(tables[layer].group_by(column, "doc_id").len())

    def block(self) -> str:
        lines = [
            f"- Documents: {self.rows['documents']}; characters (code points): {self.chars}.",
            *[f"- {layer.capitalize()}: {self.rows[layer]} spans." for layer in SPAN_LAYERS],
            f"- Ner: {self.rows['ner']} sentences, {self.tokens} tokens.",
            f"- Annotations_raw: {self.rows['annotations_raw']} spans by {len(self.annotators)} annotator(s).",
        ]
        doc_ids = sorted(self.doc_ids) if len(self.doc_ids) <= PER_DOCUMENT_COLUMNS else []
        for (layer, column), frames in self.labels.items():
            if not self.rows[layer]:
                continue
            counts = pl.concat(frames)
            per_doc = {(v, d): n for v, d, n in counts.iter_rows()} if doc_ids else {}
            totals = counts.group_by(column).agg(pl.col("len").sum()).sort(column)
            lines += ["", f"{layer.capitalize()} by `{column}`" + (" and document:" if doc_ids else ":"), "",
                      f"| {column} | " + "".join(f"{d} | " for d in doc_ids) + "all |", "|---" * (len(doc_ids) + 2) + "|"]
            lines += [f"| {value} | " + "".join(f"{per_doc.get((value, d), 0)} | " for d in doc_ids) + f"{total} |"
                      for value, total in totals.iter_rows()]
        return "\n".join(lines)


def agreement_block(tally) -> str:
    """The inter-annotator agreement table and each annotator against the adjudicated gold."""
    from scripts.evaluate import table

    inter = tally.agreement()
    if not inter["pairs"] and not tally.gold:
        return "No annotation yet."
    lines = ["Inter-annotator agreement, computed by the scorer of README \"Evaluation\" with one annotator as the "
             "reference (the ground truth excluded; partial annotations compared over the text both cover):", "", table(inter)]
    for annotator, scores in tally.against_gold().items():
        lines += ["", f"{annotator} against the adjudicated gold:", "", table(scores)]
    return "\n".join(lines)


def agreement_summary(tally) -> str:
    """The card's short agreement table: exact and overlap F1 per layer between annotators, with intervals."""
    if not tally.inter.pairs:
        return "No document has two annotators yet."
    layers = tally.agreement()["layers"]
    f1 = lambda s: f"{s['f1']:.3f} ({s['ci_low']:.3f}–{s['ci_high']:.3f})"  # noqa: E731
    return "\n".join(["| layer | exact F1 (95% interval) | overlap F1 (95% interval) |", "|---|---|---|",
                      *(f"| {layer} | {f1(s['exact'])} | {f1(s['overlap'])} |" for layer, s in layers.items())])


def citation_block(version: str) -> str:
    """The card's BibTeX (the Hub's YAML has no citation key), of the version the card describes."""
    return "\n".join([
        "```bibtex",
        "@misc{syria_news_spans,",
        "  title        = {Syria News Spans: entities, attributed claims and figures in English news on the war in northern Syria},",
        "  author       = {{The syria-news-spans project team}},",
        f"  version      = {{{version}}},",
        f"  note         = {{Dataset, version {version}. Annotations CC BY 4.0; article texts third-party, not licensed by the project}},",
        "  howpublished = {Hugging Face dataset}",
        "}",
        "```",
    ])


def render_readme(readme: str, root: Path, releases: list[ConfigRelease], version: str, annotated: bool, tally) -> str:
    card = DatasetCard(readme)
    card.data = card_data(releases, version, annotated)
    card.text = replace_blocks(card.text, {
        "configs": configs_block(releases),
        "citation": citation_block(version),
        "agreement": agreement_summary(tally),
        "usage": usage_block(root, releases),
        "fields": fields_block({r.name for r in releases}),
    }, "README.md")
    return str(card)


def render_datasheet(datasheet: str, counts: Counts, tally) -> str:
    return replace_blocks(datasheet, {"counts": counts.block(), "agreement": agreement_block(tally)}, "DATASHEET.md")
