"""The card as the Hub reads it: its YAML against the Hub's lists of valid values (committed in schemas/hub/,
sources and date in its README, since the Hub cannot be reached from here), parsed by huggingface_hub and
`datasets` as they parse it; its BibTeX; and the release `publish` uploads, which must hold every file the
card and the datasheet link to, so no link is dead on the Hub."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from datasets.utils.metadata import MetadataConfigs
from huggingface_hub import DatasetCard, DatasetCardData

from conftest import ROOT
from scripts.build.card import DEFAULT_CONFIG, LICENSE_FILE, RAW_CONFIGS, size_category
from scripts.build.pipeline import dataset_version
from scripts.release.hub import linked_files, markdown_links, plan, relative_target

HUB = ROOT / "schemas" / "hub"
LICENSES = json.loads((HUB / "licenses.json").read_text(encoding="utf-8"))
TASKS = json.loads((HUB / "tasks.json").read_text(encoding="utf-8"))
SIZES = json.loads((HUB / "size_categories.json").read_text(encoding="utf-8"))
CREATORS = json.loads((HUB / "creators.json").read_text(encoding="utf-8"))
MULTILINGUALITY = json.loads((HUB / "multilinguality.json").read_text(encoding="utf-8"))

CARD = DatasetCard.load(ROOT / "README.md")
DATA = CARD.data.to_dict()


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_the_committed_lists_are_the_hubs():
    assert len(LICENSES) == len(set(LICENSES)) == 69 and {"cc-by-4.0", "other", "unknown"} <= set(LICENSES)
    assert "token-classification" in TASKS and "named-entity-recognition" in TASKS["token-classification"]["subtasks"]
    assert SIZES[:3] == ["unknown", "n<1K", "1K<n<10K"] and "machine-generated" in CREATORS["annotations"]
    for source in ("licenses.json", "tasks.json", "size_categories.json", "creators.json", "multilinguality.json"):
        assert f"`{source}`" in (HUB / "README.md").read_text(encoding="utf-8")  # each file's source is stated


def test_every_value_is_in_the_hubs_lists():
    assert all(license in LICENSES for license in as_list(DATA["license"]))
    for category in DATA["task_categories"]:
        assert category in TASKS and not TASKS[category]["hide_in_datasets"], category
    allowed_ids = {t for c in DATA["task_categories"] for t in TASKS[c]["subtasks"]}
    assert set(DATA["task_ids"]) <= allowed_ids, set(DATA["task_ids"]) - allowed_ids
    assert [s for s in DATA["size_categories"] if s not in SIZES] == []
    assert set(DATA["annotations_creators"]) <= set(CREATORS["annotations"])
    assert set(DATA["language_creators"]) <= set(CREATORS["language"])
    assert set(DATA["multilinguality"]) <= set(MULTILINGUALITY)


def test_the_chosen_metadata():
    assert DATA["license"] == "other"  # annotations CC BY 4.0, texts third-party: no single identifier says both
    assert re.fullmatch(r"[a-z0-9][a-z0-9.-]*", DATA["license_name"])  # an id, as the Hub asks for `other`
    assert DATA["license_link"] == LICENSE_FILE and (ROOT / LICENSE_FILE).is_file()
    assert "license_details" not in DATA  # legacy; LICENSE.md says it
    licence = (ROOT / LICENSE_FILE).read_text(encoding="utf-8")
    assert "CC BY 4.0" in licence and "does not license them" in licence
    assert DATA["task_categories"] == ["token-classification"]  # every layer is spans; nothing classifies a text
    assert DATA["task_ids"] == ["named-entity-recognition", "coreference-resolution"]
    assert DATA["pretty_name"] == "Syria News Spans"
    infos = as_list(DATA["dataset_info"])
    examples = max(i["splits"][0]["num_examples"] for i in infos if i["config_name"] not in RAW_CONFIGS)
    assert DATA["size_categories"] == [size_category(examples)] == ["n<1K"]  # entities: 471 (annotations_raw is no task's)


def test_huggingface_hub_and_datasets_parse_the_card():
    card = DatasetCard(str(CARD))  # strict: raises on metadata it cannot parse
    assert isinstance(card.data, DatasetCardData)
    assert card.data.license == "other" and card.data.pretty_name == "Syria News Spans"
    assert card.data.license_link == LICENSE_FILE and card.data.size_categories == DATA["size_categories"]
    assert DatasetCardData(**card.data.to_dict()).to_dict() == card.data.to_dict()
    configs = MetadataConfigs.from_dataset_card_data(card.data)
    assert configs.get_default_config_name() == DEFAULT_CONFIG == "entities"
    assert [c["config_name"] for c in DATA["configs"] if c.get("default")] == ["entities"]


def test_the_card_cites_its_version_in_bibtex():
    citation = CARD.text.split("\n## Citation\n", 1)[1].split("\n## ", 1)[0]
    bibtex = re.search(r"```bibtex\n(.*?)\n```", citation, re.S).group(1)
    assert bibtex.startswith("@misc{syria_news_spans,\n") and bibtex.endswith("\n}")
    assert bibtex.count("{") == bibtex.count("}")
    fields = dict(re.findall(r"^\s+(\w+)\s+= \{(.*)\},?$", bibtex, re.M))
    assert fields["version"] == dataset_version() and set(fields) >= {"title", "author", "howpublished"}


# ---- links: every relative link of what is uploaded finds a file uploaded with it ----

UPLOADED = {u.path_in_repo for u in plan(ROOT)}


def slug(heading: str) -> str:
    """The anchor GitHub and the Hub give a heading."""
    text = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: str) -> set[str]:
    text = re.sub(r"^```.*?^```", "", (ROOT / path).read_text(encoding="utf-8"), flags=re.M | re.S)
    return {slug(h) for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def test_the_markdown_link_reader():
    text = "a [x](docs/a.md) `[no](b.md)` ![i](img.png \"t\") [u](https://x.org/a.md) [s](#top) [p](<c d.md>)\n```\n[no](e.md)\n```\n"
    assert markdown_links(text) == ["docs/a.md", "img.png", "https://x.org/a.md", "#top", "c d.md"]
    assert relative_target("docs/a.md", "../README.md#evaluation") == ("README.md", "evaluation")
    assert relative_target("README.md", "#citation") is None and relative_target("README.md", "mailto:x") is None


def test_publish_uploads_every_file_the_card_links_to():
    assert UPLOADED >= {"README.md", "DATASHEET.md", "croissant.json", "CHANGELOG.md", "LICENSE.md",
                        "annotations/GUIDELINES.md", "annotations/labeling_config.xml", "annotations/export.json",
                        "scripts/evaluate/scorer.py", "scripts/evaluate/cli.py"}
    assert {p.relative_to(ROOT).as_posix() for p in (ROOT / "docs").glob("*.md")} <= UPLOADED
    assert linked_files(ROOT)[1] == []


@pytest.mark.parametrize("source", sorted(p for p in UPLOADED if p.endswith(".md")))
def test_every_relative_link_resolves_inside_the_upload(source):
    text = (ROOT / source).read_text(encoding="utf-8")
    if source == "README.md":
        text = CARD.text  # the YAML is no Markdown; its license_link is checked above
    for target in markdown_links(text):
        if target.startswith("#"):
            assert target[1:] in anchors(source), f"{source}: no heading for {target}"
            continue
        resolved = relative_target(source, target)
        if resolved is None:  # a URL
            continue
        path, anchor = resolved
        assert path in UPLOADED, f"{source}: {target} -> {path} is not uploaded"
        if anchor and path.endswith(".md"):
            assert anchor in anchors(path), f"{source}: {target}: no heading #{anchor} in {path}"


def test_no_card_text_points_to_a_section_that_moved_to_docs():
    moved = ("Annotating", "Versions, releases and the schema gate", "Performance", "Validation on Spark",
             "Bad input, ids and names", "How the release is built", "Ids and names")
    texts = {p.relative_to(ROOT).as_posix(): p.read_text(encoding="utf-8")
             for folder in ("scripts", "tests", "schemas") for p in (ROOT / folder).rglob("*.py")}
    texts |= {name: (ROOT / name).read_text(encoding="utf-8") for name in UPLOADED if name.endswith(".md")}
    stale = [f"{name}: README {section!r}" for name, text in texts.items() for section in moved
             if re.search(rf"README[:,]? \"?{re.escape(section)}", text)]
    assert stale == []
    headings = re.findall(r"^## (.+)$", CARD.text, re.M)
    assert not set(moved) & set(headings)
    assert headings[-1] == "Set-up (fresh machine, Python 3.11)"
    setup = CARD.text.split("## Set-up (fresh machine, Python 3.11)\n", 1)[1]
    assert re.findall(r"```bash\n(.*?)\n```", setup, re.S) == ["bash scripts/build.sh", "bash scripts/test.sh"]


def test_the_dry_run_lists_every_linked_file():
    done = subprocess.run([sys.executable, "-m", "scripts", "publish", "someone/x", "--dry-run"], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"}, timeout=300)
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines()[1:]]
    exports = {path for path in listed if path.startswith("exports/")}  # made for the upload, beside the release's files
    assert len(listed) == len(set(listed)) and set(listed) - exports == UPLOADED
    assert {path.split("/")[1] for path in exports} == {"brat", "conll", "labelstudio", "spacy"}
    assert set(linked_files(ROOT)[0]) <= set(listed)
