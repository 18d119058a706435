"""Reads corpus/: documents.yaml (metadata) and one UTF-8 text file per document."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Iterator, Optional

import msgspec
import yaml

from scripts.core.export_model import CorpusMetadata, DocumentEntry, describe, is_id
from scripts.core.model import Document, InputError

METADATA = "documents.yaml"


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 (but tab and newline), DEL, C1


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_corpus(corpus_dir: Path) -> dict[str, Document]:
    """Every document by doc_id, texts in memory; raises InputError naming each file that is missing,
    not UTF-8, or no longer matches the hash and length recorded for it."""
    corpus = Corpus(corpus_dir, keep_texts=True)
    return {doc_id: corpus[doc_id] for doc_id in corpus}


class Corpus(Mapping):
    """The corpus as a mapping doc_id -> Document, every file checked once. Without keep_texts it holds
    no text (a large corpus): a document's file is read, and checked, again each time it is asked for."""

    def __init__(self, corpus_dir: Path, keep_texts: bool = False) -> None:
        meta_path = corpus_dir / METADATA
        self.dir, self.entries, self.texts = corpus_dir, {}, {}
        problems, source_files = [], set()
        for entry in read_metadata(meta_path):
            doc_id = entry.doc_id
            if doc_id in self.entries:
                problems.append(f"{meta_path}: doc {doc_id} is listed twice")
                continue
            if entry.source_file in source_files:  # unique across the corpus (the schema checks it bucket by bucket)
                problems.append(f"{meta_path}: doc {doc_id}: source file {entry.source_file} is listed twice")
                continue
            doc = _read_document(corpus_dir, entry, problems)
            if doc is not None:
                self.entries[doc_id] = entry
                source_files.add(entry.source_file)
                if keep_texts:
                    self.texts[doc_id] = doc
        if problems:
            raise InputError(problems)

    def __getitem__(self, doc_id: str) -> Document:
        if doc_id in self.texts:
            return self.texts[doc_id]
        problems: list[str] = []
        doc = _read_document(self.dir, self.entries[doc_id], problems)
        if doc is None:
            raise InputError(problems)
        return doc

    def __iter__(self) -> Iterator[str]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self.entries


def read_metadata(meta_path: Path) -> list[DocumentEntry]:
    """documents.yaml decoded into the strict model (scripts/core/export_model.py); InputError naming the file,
    the entry and the field otherwise."""
    try:
        meta = yaml.load(meta_path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)  # libyaml: as safe_load, faster
    except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError) as err:  # ValueError: a date that does not exist
        raise InputError([f"{meta_path}: cannot read the corpus metadata: {err}"]) from err
    try:
        return msgspec.convert(meta, CorpusMetadata, strict=True).documents
    except msgspec.ValidationError as err:
        context, what = describe(err, meta)
        entry = re.search(r"\$\.documents\[(\d+)\]", str(err))
        doc_id = meta["documents"][int(entry.group(1))].get("doc_id") if entry and isinstance(
            meta["documents"][int(entry.group(1))], dict) else None
        name = f"entry {int(entry.group(1)) + 1}" if entry else "the file"
        name += f" (doc {doc_id})" if is_id("doc_id", doc_id) else ""
        raise InputError([f"{meta_path}: {name}: {what}"]) from err


def _read_document(corpus_dir: Path, entry: DocumentEntry, problems: list[str]) -> Optional[Document]:
    """The document of a metadata entry, if its file is there, UTF-8, free of control characters and
    the text recorded (hash and length); else None and the problem."""
    doc_id = entry.doc_id
    path = corpus_dir / f"{doc_id}.txt"
    where = f"{path} (doc {doc_id})"
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        problems.append(f"{where}: corpus file is missing")
        return None
    except OSError as err:
        problems.append(f"{where}: cannot read the corpus file: {err.strerror or err}")
        return None
    except UnicodeDecodeError as err:
        problems.append(f"{where}: not UTF-8 ({err.reason} at byte {err.start})")
        return None
    if control := CONTROL.search(text):
        problems.append(f"{where}: control character U+{ord(control.group()):04X} at offset {control.start()}; "
                        "a text may hold printable characters, spaces, tabs and newlines only")
        return None
    digest = sha256_text(text)
    if digest != entry.text_sha256:
        problems.append(f"{where}: text changed: sha256 {digest} but documents.yaml records "
                        f"{entry.text_sha256}; annotated texts must never be edited")
        return None
    if len(text) != entry.n_chars:
        problems.append(f"{where}: {len(text)} code points but documents.yaml records {entry.n_chars}")
        return None
    return Document(doc_id=doc_id, text=text, text_sha256=digest, title=entry.title, publisher=entry.publisher,
                    published=entry.published, language=entry.language, source_file=entry.source_file,
                    rights=entry.rights)
