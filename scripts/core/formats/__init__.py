"""The gold in other tools' formats (`python -m scripts export --format NAME --out DIR`), one small module per
format around the one document model, as spaCy's training converters are: brat standoff (brat.py), spaCy
DocBin (spacy_docbin.py), CoNLL-2003 style (conll.py) and Label Studio tasks (labelstudio_tasks.py).

Every writer takes the gold ({doc_id: AnnotatedDocument}, gold.gold_documents) and the release's tables, and
writes into one folder, each file atomically and byte-reproducibly (documents in doc_id order, spans in
offset order: the same release gives the same bytes). It returns the files written and every span its
format could not hold, each named."""
from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

import polars as pl

from scripts.core.formats import brat, conll, labelstudio_tasks, spacy_docbin
from scripts.core.formats.gold import Written, gold_documents

FORMATS: dict[str, Callable[..., Written]] = {
    "brat": brat.write,
    "spacy": spacy_docbin.write,
    "conll": conll.write,
    "labelstudio": labelstudio_tasks.write,
}


def export(name: str, tables: Mapping[str, pl.DataFrame], out: Path) -> Written:
    """Raises ValueError for an unknown format or an --out that is not a folder."""
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}: one of {', '.join(sorted(FORMATS))}")
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file, not a folder")
    out.mkdir(parents=True, exist_ok=True)
    return FORMATS[name](gold_documents(tables), tables, out)
