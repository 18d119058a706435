"""The Label Studio labeling config agrees with the vocabularies in schemas/vocab.py."""
from __future__ import annotations

import xml.etree.ElementTree as ET

from label_studio_sdk.label_interface import LabelInterface

from conftest import ROOT
from schemas import vocab

CONFIG_XML = (ROOT / "annotations" / "labeling_config.xml").read_text(encoding="utf-8")
CONFIG = LabelInterface(CONFIG_XML)
CONTROLS = {c.name: c for c in CONFIG.controls}
NUMBER_ATTRIBUTES = ("value", "value_max")  # Label Studio <Number>: results {"type": "number", "value": {"number": ...}}


def test_one_text_object():
    assert [(o.tag, o.name, o.value) for o in CONFIG.objects] == [("Text", "text", "$text")]
    assert all(c.to_name == ["text"] for c in CONFIG.controls)


def test_span_labels_equal_the_vocabularies():
    assert CONTROLS[vocab.ENTITY_TAG].tag == "Labels"
    assert tuple(CONTROLS[vocab.ENTITY_TAG].labels) == vocab.ENTITY_LABELS
    assert tuple(CONTROLS[vocab.SPAN_TAG].labels) == vocab.SPAN_LABELS


def test_per_region_attributes_and_choices():
    attributes = vocab.ENTITY_ATTRIBUTES + vocab.CLAIM_ATTRIBUTES + vocab.FIGURE_ATTRIBUTES
    assert set(CONTROLS) == {vocab.ENTITY_TAG, vocab.SPAN_TAG, vocab.COVERAGE_TAG, *attributes}
    assert CONTROLS[vocab.COVERAGE_TAG].tag == "TextArea" and "perRegion" not in CONTROLS[vocab.COVERAGE_TAG].attr
    for name in attributes:
        assert CONTROLS[name].attr.get("perRegion") == "true", name
        expected_tag = "Choices" if name in vocab.CHOICE_ATTRIBUTES else "Number" if name in NUMBER_ATTRIBUTES else "TextArea"
        assert CONTROLS[name].tag == expected_tag, name
    for name, values in vocab.CHOICE_ATTRIBUTES.items():
        assert tuple(CONTROLS[name].labels) == values, name


def test_relation_labels():
    # LabelInterface does not list <Relation> tags; read them from the XML itself.
    tree = ET.fromstring(CONFIG_XML)
    assert tuple(r.get("value") for r in tree.iter("Relation")) == vocab.RELATION_LABELS


def test_every_hotkey_is_set_once_and_none_is_label_studios_own():
    """Label Studio gives a key to every label or choice without one (so adding one would move the others),
    and keeps `u` for itself (unselect the region)."""
    import re

    keys = re.findall(r'hotkey="([^"]*)"', CONFIG_XML)
    labelled = re.findall(r"<(?:Label|Choice) ", CONFIG_XML)
    assert len(keys) == len(set(keys)) and len(keys) >= len(labelled) - 1  # `rate` has none: Label Studio's keys ran out
    assert "u" not in keys
