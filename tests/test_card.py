"""The card's metadata (`DatasetCard.validate()` needs the Hub; tests/test_hub_metadata.py checks every value
against the Hub's lists, committed in schemas/hub/)."""
from __future__ import annotations

from huggingface_hub import DatasetCard

from conftest import ROOT
from schemas.tables import TABLES
from scripts.build.card import size_category



def test_size_categories():
    assert [size_category(n) for n in (0, 999, 1000, 99_999, 5_000_000)] == [
        "n<1K", "n<1K", "1K<n<10K", "10K<n<100K", "1M<n<10M"]


def test_committed_card_metadata():
    data = DatasetCard.load(ROOT / "README.md").data.to_dict()
    assert data["license"] == "other" and data["license_link"] == "LICENSE.md" and data["license_name"]
    assert data["task_categories"] == ["token-classification"]
    assert data["language"] == ["en"] and data["size_categories"] == ["n<1K"]  # entities: 471 rows (annotations_raw is no task's)
    assert data["annotations_creators"] == ["machine-generated"]  # AI annotators and adjudication (DATASHEET.md)
    configs = {c["config_name"]: c for c in data["configs"]}
    assert list(configs) == list(TABLES)
    for name, config in configs.items():
        assert config["data_files"] == [{"split": "test", "path": f"data/{name}/test-*.parquet"}]
        assert "Data sha256: " in config["description"]
    assert [name for name, config in configs.items() if config.get("default")] == ["entities"]  # what load_dataset(repo) gives
    assert [i["config_name"] for i in (data["dataset_info"] if isinstance(data["dataset_info"], list) else [data["dataset_info"]])] == sorted(configs)  # the Hub library sorts dataset_info
