"""Label Studio tasks: `tasks.json`, one task per document (doc_id order) with `data` {text, doc_id} and the
gold as one prediction (scripts/core/export_write.to_result, as `push` sends it), and `labeling_config.xml`,
the project's labeling config: a team creates a project with that config and imports the tasks."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Mapping

from scripts.core.export_write import to_result
from scripts.core.files import PROJECT_ROOT, write_atomic
from scripts.core.formats.gold import Written
from scripts.core.model import AnnotatedDocument

LABELING_CONFIG = PROJECT_ROOT / "annotations" / "labeling_config.xml"
MODEL_VERSION = "syria-news-spans gold"


def tasks(gold: Mapping[str, AnnotatedDocument]) -> list[dict]:
    return [{"data": {"text": gold[d].doc.text, "doc_id": d},
             "predictions": [{"model_version": MODEL_VERSION, "result": to_result(gold[d])}]} for d in sorted(gold)]


def write(gold: Mapping[str, AnnotatedDocument], tables, out: Path) -> Written:
    written = Written(files=[out / "tasks.json", out / "labeling_config.xml"])
    write_atomic(out / "tasks.json", json.dumps(tasks(gold), indent=1, ensure_ascii=False) + "\n")
    write_atomic(out / "labeling_config.xml", LABELING_CONFIG.read_text(encoding="utf-8"))
    return written
