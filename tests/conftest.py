"""Shared fixtures: small Label Studio snapshot exports under tests/fixtures, releases built into temp folders."""
from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from scripts.build.pipeline import CARD_FILES, build
from scripts.core.venvs import locked_venv

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_CORPUS = FIXTURES / "corpus"
FIXTURE_EXPORT = FIXTURES / "export.json"


def release_root(path: Path) -> Path:
    """A folder holding copies of the card files, ready to build a release into."""
    path.mkdir(parents=True, exist_ok=True)
    for name in CARD_FILES:
        shutil.copy(ROOT / name, path / name)
    return path


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file below root, by relative path."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def load_fixture_export() -> list[dict]:
    return json.loads(FIXTURE_EXPORT.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def fixture_release(tmp_path_factory) -> Path:
    """The fixture corpus and export built as a release (all four configs)."""
    root = release_root(tmp_path_factory.mktemp("fixture-release"))
    build(FIXTURE_CORPUS, FIXTURE_EXPORT, root)
    return root


def locked_python(name: str, lock: Path, *install: str) -> Path:
    """The python of the cached venv `name` for this version of `lock` (scripts/core/venvs.py)."""
    return locked_venv(name, lock, *install) / "bin" / "python"


@pytest.fixture(scope="session")
def datasets_only_python() -> Path:
    """A venv with only `datasets` (at the locked versions) installed: what an ML practitioner has."""
    lock = ROOT / "requirements.lock"
    return locked_python("datasets-only", lock, "-c", str(lock), "datasets")
