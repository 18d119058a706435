"""Figure values from Label Studio <Number> tags: {"type": "number", "value": {"number": ...}}.

The labeling config asks for value and value_max with <Number>; exports made with the older <TextArea>
({"text": ["10000.0"]}) are still read, and the writer (predictions) gives numbers only: the labeling UI
crashes when a region whose Number control holds a textarea result is selected."""
from __future__ import annotations

import json

import pytest

from conftest import FIXTURE_CORPUS, FIXTURE_EXPORT, load_fixture_export
from scripts.core.corpus import load_corpus
from scripts.core.export_read import NUMBER_ATTRIBUTES, read_all_annotations
from scripts.core.export_write import to_result
from scripts.core.model import InputError


def as_numbers(tasks: list[dict], number=lambda text: float(text)) -> int:
    changed = 0
    for task in tasks:
        for annotation in task["annotations"]:
            for item in annotation["result"]:
                if item.get("from_name") in NUMBER_ATTRIBUTES and item["type"] == "textarea":
                    value = item["value"]
                    item["type"] = "number"
                    item["value"] = {"start": value["start"], "end": value["end"], "number": number(value["text"][0])}
                    changed += 1
    return changed


def read(tasks: list[dict], tmp_path):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(tasks), encoding="utf-8")
    return read_all_annotations(path, load_corpus(FIXTURE_CORPUS))


def test_number_results_read_as_the_textarea_ones(tmp_path):
    tasks = load_fixture_export()
    before = read(tasks, tmp_path)
    assert as_numbers(tasks) > 0
    after = read(tasks, tmp_path)
    assert [a.figures for a in after] == [a.figures for a in before]


@pytest.mark.parametrize("bad", ["10000", None, True, [10000]])
def test_a_number_result_without_a_number_is_refused(tmp_path, bad):
    tasks = load_fixture_export()
    as_numbers(tasks, number=lambda text: bad)
    with pytest.raises(InputError, match=r"value\.number: expected int \| float|is not a finite number"):
        read(tasks, tmp_path)


def test_the_writer_gives_number_results():
    annotated = next(a for a in read_all_annotations(FIXTURE_EXPORT, load_corpus(FIXTURE_CORPUS)) if a.figures)
    items = [i for i in to_result(annotated) if i.get("from_name") in NUMBER_ATTRIBUTES]
    assert items and all(i["type"] == "number" and isinstance(i["value"]["number"], float) for i in items)
