"""The release's Croissant 1.0 metadata with its Responsible-AI (RAI 1.0) fields: croissant.json.

Made from what the card is made from: the table declarations (schemas/tables.py), the published configs
and their Parquet files (read from the release folder, so a fresh generation from a release gives the same
bytes), the version, and the agreement the build wrote into the card. No timestamp, keys in a fixed order.

Written by hand as JSON-LD (the project's venv has no mlcroissant; tests/test_croissant.py validates and
loads it with mlcroissant in a venv of its own). What mlcroissant 1.1 can and cannot express here:
- ClassLabel columns hold integers in the Parquet. Each vocabulary is a `sc:Enumeration` record set with
  inline `key`/`name` rows, and each ClassLabel field `references` its `key`. mlcroissant joins only one
  referenced record set per record set, so each config gives the name of its first ClassLabel column as
  an extra field `<column>_name`; the others give the index only, with the vocabulary named in the field.
- `ner.ner_tags` is a list of ClassLabel indices: a list cannot reference (join) another record set, so
  its description names the vocabulary record set instead.
- The configs of one row per document derived from the flat ones (`documents_nested`, `bigbio_kb`) are in the
  distribution, each file with its sha256, but have no record set (RECORD_SETS): their rows are the flat
  record sets' rows nested per document, and nesting lists of structs is more than this file needs to say.
- Links between configs (claims.claimant_span_id -> entities.span_id, *.doc_id -> documents.doc_id, ...)
  are left out: mlcroissant reads a `references` as a join and makes one join per record set (taken here
  by the label names), and a list (claims.figure_span_ids) cannot be joined. They are described in words.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pyarrow.parquet as pq
from datasets import ClassLabel, List, Value

from schemas.tables import DERIVED, SPLIT, TABLES, class_label_of
from scripts.build.card import CONFIG_DESCRIPTIONS

CROISSANT = "croissant.json"
NAME = "syria-news-spans"
CONFORMS_TO = "http://mlcommons.org/croissant/1.0"
PARQUET = "application/x-parquet"

CONTEXT = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/",
    "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileProperty": "cr:fileProperty",
    "fileObject": "cr:fileObject",
    "fileSet": "cr:fileSet",
    "format": "cr:format",
    "includes": "cr:includes",
    "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath",
    "key": "cr:key",
    "md5": "cr:md5",
    "parentField": "cr:parentField",
    "path": "cr:path",
    "recordSet": "cr:recordSet",
    "references": "cr:references",
    "regex": "cr:regex",
    "repeated": "cr:repeated",
    "replace": "cr:replace",
    "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/",
    "separator": "cr:separator",
    "source": "cr:source",
    "subField": "cr:subField",
    "transform": "cr:transform",
}

RECORD_SETS = [t for t in TABLES if t not in DERIVED]  # the flat configs: the derived ones are their rows, nested
DATA_TYPES = {"string": "sc:Text", "int32": "sc:Integer", "int64": "sc:Integer", "float64": "sc:Float",
              "bool": "sc:Boolean", "date32": "sc:Date"}
RECORD_KEYS = {"documents": ["doc_id"], "annotations_raw": ["ls_annotation_id", "ls_region_id"]}  # else span_id

LINKS = ("Links between record sets that mlcroissant 1.1 cannot load as Croissant `references` (it joins one "
         "referenced record set per record set, used here for the label names), so they are only described: `doc_id` of every config refers to `documents.doc_id`; "
         "`claims.claimant_span_id` to `entities.span_id`; `claims.parent_claim_span_id` to `claims.span_id`; "
         "`claims.figure_span_ids` to `figures.span_id`; `figures.claim_span_id` to `claims.span_id`. "
         "ClassLabel columns are integers in the Parquet; each references its vocabulary record set "
         "(`<config>_<column>_names`), and each config's first one is also given by name (`<column>_name`). "
         "The configs `documents_nested` and `bigbio_kb` (one row per document, the flat configs' rows nested; the "
         "latter in BigBIO's kb schema) are distributed as files without a record set of their own.")

# Responsible-AI fields (RAI 1.0), short and true to DATASHEET.md; counts are filled in from the data.
RAI = {
    "rai:dataCollection": (
        "Three English news articles on the war in northern Syria (2016), supplied to the project as plain-text "
        "captures and stored byte for byte; how and when they were captured from the web is not recorded."),
    "rai:dataCollectionType": ["Secondary Data Analysis"],
    "rai:dataCollectionRawData": (
        "The texts (`documents.text`, with `text_sha256`) and the pseudonymized Label Studio export in the "
        "repository (annotations/export.json)."),
    "rai:dataPreprocessingProtocol": [
        "Texts are not cleaned or normalized: typos, page furniture and line breaks stay as captured.",
        "Offsets are Python code points, end exclusive; every span's text is documents.text[start:end].",
        "`ner` is derived from `entities` with spaCy 3.8's rule-based English tokenizer (no model).",
    ],
    "rai:dataAnnotationProtocol": (
        "Span layers (entities: OntoNotes 5 name types with cross-document ids; attributed claims with "
        "claimant, cue and kind; MeasEval-style figures with value, unit, approximation and kind) follow "
        "annotations/GUIDELINES.md. Two independent first passes, each given only the guidelines and the texts, "
        "were adjudicated into the gold (the annotation marked ground truth); release 1.1.0 adds a correction "
        "pass under revision 3 of the guidelines."),
    "rai:dataAnnotationPlatform": ["Label Studio 1.23.2 (Community), through its API"],
    "rai:annotatorDemographics": [
        "No human annotated this release: every annotator (annotator-N pseudonyms) is an AI agent of one "
        "language-model family."],
    "rai:machineAnnotationTools": [
        "AI agents (language models of one family) for both passes, the adjudication and the correction pass",
        "quantulum3 0.10 (figure pre-annotations and value checks)",
        "spaCy 3.8 rule-based tokenizer and sentencizer (the ner view)",
    ],
    "rai:dataBiases": [
        "Three documents from Western and Turkish outlets on one war; casualty and refugee figures as the "
        "parties and outlets gave them.",
        "All annotators are AI agents of one model family: their agreement overstates what independent human "
        "annotators would reach, and the gold is measured against no human reference.",
    ],
    "rai:dataLimitations": [
        "Tiny (three documents, about 22,000 characters), English only: for evaluation, not training at scale.",
        "Relative dates have document-scoped ids and are not resolved to calendar days.",
        "The ner view drops whitespace tokens; a headline without a full stop may join the next sentence.",
    ],
    "rai:dataUseCases": [
        "Intended: evaluating named-entity recognition, claim attribution and quantity extraction on news "
        "text, with exact offsets; error analysis.",
        "Not intended: training at scale, conclusions about the events, or judging whether a claim is true "
        "(the claims layer records who said what, not whether it is true).",
    ],
    "rai:dataSocialImpact": (
        "The articles report contested statements by parties to a war; an annotated claim must not be "
        "treated as a verified fact."),
    "rai:personalSensitiveInformation": [
        "Reports of war, casualties and displacement, and named public figures (officials, journalists) as the "
        "articles publish them; no private individuals' data beyond what the articles publish.",
        "Annotators appear only as pseudonyms (annotator-N); no e-mail address or account data is published.",
    ],
    "rai:dataReleaseMaintenancePlan": (
        "Maintained in its repository; every release is rebuilt from the committed inputs and validated, texts "
        "are never edited after annotation, and CHANGELOG.md lists what changed."),
}


def vocabulary_id(table: str, column: str) -> str:
    return f"{table}_{column}_names"


def _data_type(feature) -> str:
    if isinstance(feature, ClassLabel):
        return "sc:Integer"
    if isinstance(feature, Value) and feature.dtype in DATA_TYPES:
        return DATA_TYPES[feature.dtype]
    raise ValueError(f"no Croissant data type for {feature!r}")


def _files(root: Path, table: str) -> list[Path]:
    return sorted((root / "data" / table).glob(f"{SPLIT}-*.parquet"))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _file_id(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix().replace("/", "-")


def distribution(root: Path, published: list[str]) -> list[dict]:
    """A FileObject per Parquet file (contentUrl relative to the release root), and a FileSet for a config
    written in several shards (a field reads one FileObject or one FileSet)."""
    out = []
    for table in published:
        files = _files(root, table)
        for path in files:
            out.append({
                "@type": "cr:FileObject",
                "@id": _file_id(root, path),
                "name": path.relative_to(root).as_posix(),
                "description": f"The `{table}` config, split `{SPLIT}` ({pq.ParquetFile(path).metadata.num_rows} rows).",
                "contentUrl": path.relative_to(root).as_posix(),
                "contentSize": f"{path.stat().st_size} B",
                "encodingFormat": PARQUET,
                "sha256": _sha256(path),
            })
        if len(files) > 1:
            out.append({"@type": "cr:FileSet", "@id": f"{table}-files", "name": f"{table}-files",
                        "description": f"Every shard of the `{table}` config.", "encodingFormat": PARQUET,
                        "includes": f"data/{table}/{SPLIT}-*.parquet"})
    return out


def _source(root: Path, table: str, column: str) -> dict:
    files = _files(root, table)
    where = {"fileSet": {"@id": f"{table}-files"}} if len(files) > 1 else {"fileObject": {"@id": _file_id(root, files[0])}}
    return {**where, "extract": {"column": column}}


def record_set(root: Path, table: str) -> dict:
    fields, named = [], False
    for c in TABLES[table]:
        inner = c.feature.feature if isinstance(c.feature, List) else c.feature
        label = class_label_of(c.feature)
        description = c.description + (" Null where not given." if c.nullable else "")
        field = {"@type": "cr:Field", "@id": f"{table}/{c.name}", "name": c.name, "description": description,
                 "dataType": _data_type(inner)}
        if isinstance(c.feature, List):
            field["repeated"] = True
        field["source"] = _source(root, table, c.name)
        if label is not None:
            vocab = vocabulary_id(table, c.name)
            if isinstance(c.feature, List):
                field["description"] += f" ClassLabel indices: their names are in the record set `{vocab}`."
            else:
                field["description"] += f" ClassLabel index into the record set `{vocab}`."
                field["references"] = {"field": {"@id": f"{vocab}/key"}}
        fields.append(field)
        if label is not None and not isinstance(c.feature, List) and not named:
            named = True
            fields.append({"@type": "cr:Field", "@id": f"{table}/{c.name}_name", "name": f"{c.name}_name",
                           "description": f"The name of `{c.name}` (from `{vocab}`).", "dataType": "sc:Text",
                           "source": {"field": {"@id": f"{vocab}/name"}}})
    keys = RECORD_KEYS.get(table, ["span_id"])
    return {"@type": "cr:RecordSet", "@id": table, "name": table,
            "description": f"{CONFIG_DESCRIPTIONS[table]} One record per row of the Parquet.",
            "key": [{"@id": f"{table}/{k}"} for k in keys], "field": fields}


def vocabularies(published: list[str]) -> list[dict]:
    out = []
    for table in published:
        for c in TABLES[table]:
            label = class_label_of(c.feature)
            if label is None:
                continue
            vocab = vocabulary_id(table, c.name)
            out.append({
                "@type": "cr:RecordSet", "@id": vocab, "name": vocab, "dataType": "sc:Enumeration",
                "description": f"The names of the ClassLabel `{table}.{c.name}`: index `key`, name `name`.",
                "key": {"@id": f"{vocab}/key"},
                "field": [{"@type": "cr:Field", "@id": f"{vocab}/key", "name": "key", "description": "The integer stored in the Parquet.", "dataType": "sc:Integer"},
                          {"@type": "cr:Field", "@id": f"{vocab}/name", "name": "name", "description": "Its name.", "dataType": "sc:Text"}],
                "data": [{f"{vocab}/key": i, f"{vocab}/name": name} for i, name in enumerate(label.names)],
            })
    return out


def agreement(root: Path) -> str:
    """The card's agreement table (README.md, generated by the build) in one sentence."""
    text = (root / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- generated:agreement -->\n", 1)[-1].split("<!-- /generated:agreement -->", 1)[0]
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in block.splitlines()
            if line.startswith("|") and not re.match(r"^\|[-| ]+\|$", line) and not line.startswith("| layer")]
    if not rows:
        return "No document has two annotators yet."
    return ("Agreement of the independent annotations over the text both cover (span F1 with 95% bootstrap "
            "interval): " + "; ".join(f"{layer} exact {exact}, overlapping {overlap}" for layer, exact, overlap in rows)
            + ". Annotators of one model family agree more than independent humans would. Attribute agreement "
            "and each annotator against the gold: DATASHEET.md.")


def annotations_per_item(root: Path) -> str:
    files = _files(root, "annotations_raw")
    if not files:
        return "One gold annotation per document; no annotation is published yet."
    per_doc: dict[str, set] = {}
    annotators = set()
    for path in files:
        table = pq.read_table(path, columns=["doc_id", "annotator", "ls_annotation_id"]).to_pylist()
        for row in table:
            per_doc.setdefault(row["doc_id"], set()).add(row["ls_annotation_id"])
            annotators.add(row["annotator"])
    counts = ", ".join(f"{doc}: {len(ids)}" for doc, ids in sorted(per_doc.items()))
    return (f"One gold annotation (the adjudicated ground truth) per document in the span configs; "
            f"`annotations_raw` holds every annotation by {len(annotators)} annotator(s) (annotations per document: {counts}).")


def croissant(root: Path, version: str) -> dict:
    published = [t for t in TABLES if _files(root, t)]
    described = [t for t in published if t in RECORD_SETS]
    return {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": NAME,
        "description": ("Span-annotated English news on the war in northern Syria: named entities with "
                        "cross-document ids, attributed claims and figures, with a token-level NER view and every "
                        "annotator's spans before adjudication. An evaluation corpus: every config has the one "
                        f"split `{SPLIT}`. " + LINKS),
        "conformsTo": CONFORMS_TO,
        "version": version,
        "citeAs": (f"@misc{{syria_news_spans, title = {{Syria News Spans}}, author = {{{{The syria-news-spans project team}}}}, "
                   f"note = {{Version {version}}}}}"),
        "license": ["https://creativecommons.org/licenses/by/4.0/",
                    "Annotations: CC BY 4.0. Article texts: third-party news content, copyright of their publishers, "
                    "not licensed by this project (the `rights` column)."],
        "creator": {"@type": "sc:Organization", "name": "The syria-news-spans project team"},
        "inLanguage": "en",
        "keywords": ["news", "syria", "claims", "quantities", "span annotation", "named-entity recognition"],
        "isLiveDataset": False,
        **RAI,
        "rai:annotationsPerItem": annotations_per_item(root),
        "rai:dataAnnotationAnalysis": [agreement(root)],
        "distribution": distribution(root, published),
        "recordSet": [record_set(root, t) for t in described] + vocabularies(described),
    }


def render(root: Path, version: str) -> str:
    return json.dumps(croissant(root, version), indent=2, ensure_ascii=False) + "\n"
