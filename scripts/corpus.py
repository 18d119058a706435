"""Reads corpus/: documents.yaml (metadata) and one UTF-8 text file per document."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import yaml

from scripts.model import Document, InputError

METADATA = "documents.yaml"


CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # C0 (but tab and newline), DEL, C1


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load_corpus(corpus_dir: Path) -> dict[str, Document]:
    """Every document by doc_id; raises InputError naming each file that is missing,
    not UTF-8, or no longer matches the hash and length recorded for it."""
    meta_path = corpus_dir / METADATA
    try:
        meta = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        entries = meta["documents"]
    except (OSError, UnicodeDecodeError, yaml.YAMLError, KeyError, TypeError) as err:
        raise InputError([f"{meta_path}: cannot read the corpus metadata: {err}"]) from err
    docs: dict[str, Document] = {}
    problems: list[str] = []
    for entry in entries:
        doc_id = entry["doc_id"]
        path = corpus_dir / f"{doc_id}.txt"
        where = f"{path} (doc {doc_id})"
        if doc_id in docs:
            problems.append(f"{meta_path}: doc {doc_id} is listed twice")
            continue
        try:
            text = path.read_bytes().decode("utf-8")
        except FileNotFoundError:
            problems.append(f"{where}: corpus file is missing")
            continue
        except UnicodeDecodeError as err:
            problems.append(f"{where}: not UTF-8 ({err.reason} at byte {err.start})")
            continue
        if control := CONTROL.search(text):
            problems.append(f"{where}: control character U+{ord(control.group()):04X} at offset {control.start()}; "
                            "a text may hold printable characters, spaces, tabs and newlines only")
            continue
        digest = sha256_text(text)
        if digest != entry["text_sha256"]:
            problems.append(
                f"{where}: text changed: sha256 {digest} but documents.yaml records "
                f"{entry['text_sha256']}; annotated texts must never be edited"
            )
            continue
        if len(text) != entry["n_chars"]:
            problems.append(f"{where}: {len(text)} code points but documents.yaml records {entry['n_chars']}")
            continue
        docs[doc_id] = Document(
            doc_id=doc_id,
            text=text,
            text_sha256=digest,
            title=entry["title"],
            publisher=entry["publisher"],
            published=entry["published"],
            language=entry["language"],
            source_file=entry["source_file"],
            rights=entry["rights"],
        )
    if problems:
        raise InputError(problems)
    return docs
