"""Run in the datasets-only venv: loads every config of a release with the real `load_dataset` and prints
what a user gets, as JSON. Usage: python load_probe.py RELEASE_DIR CACHE_DIR CONFIG [CONFIG ...]"""
import importlib.util
import json
import sys

from datasets import load_dataset

release, cache_dir, configs = sys.argv[1], sys.argv[2], sys.argv[3:]
out = {"ours_importable": [m for m in ("schemas", "scripts", "pandera", "polars") if importlib.util.find_spec(m)]}
for config in configs:
    ds = load_dataset(release, config, cache_dir=cache_dir)
    out[config] = {
        "splits": {name: split.num_rows for name, split in ds.items()},
        "features": ds["test"].features.to_dict(),
        "repr": repr(ds),
        "first": ds["test"][0],
        "rows": ds["test"].to_list(),
        "version": str(ds["test"].info.version),
    }
print(json.dumps(out, default=str, ensure_ascii=False))
