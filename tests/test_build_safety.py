"""Builds that run at the same time, or die half way, never leave a mixed or broken release."""
from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from scripts.__main__ import main
from conftest import FIXTURE_CORPUS, FIXTURE_EXPORT, ROOT, load_fixture_export, release_root, tree_digest
from scripts.build.pipeline import OWNER, RELEASED, SWAPPING, build, recover, swap_steps


def released(root: Path) -> dict[str, str]:
    return {k: v for k, v in tree_digest(root).items() if k.split("/")[0] in RELEASED}


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory):
    """Release A (the fixture export) and release B (one label changed): their exports and digests."""
    base = tmp_path_factory.mktemp("two")
    tasks = load_fixture_export()
    next(r for r in tasks[0]["annotations"][0]["result"] if r.get("id") == "a1" and r["type"] == "labels")["value"]["labels"] = ["LOC"]
    export_b = base / "export-b.json"
    export_b.write_text(json.dumps(tasks), encoding="utf-8")
    digests = {}
    for name, export in (("A", FIXTURE_EXPORT), ("B", export_b)):
        root = release_root(base / name)
        build(FIXTURE_CORPUS, export, root)
        digests[name] = released(root)
    assert digests["A"] != digests["B"]
    return {"A": FIXTURE_EXPORT, "B": export_b}, digests, base


def start_build(root: Path, export: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "scripts", "build", "--corpus", str(FIXTURE_CORPUS), "--export", str(export),
                             "--out", str(root)], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def test_two_builds_at_once_leave_one_whole_release(two_releases, tmp_path):
    exports, digests, base = two_releases
    root = tmp_path / "root"
    shutil.copytree(base / "A", root)
    runs = [start_build(root, exports["B"]), start_build(root, exports["A"])]
    assert [p.wait(timeout=120) for p in runs] == [0, 0], [p.stderr.read() for p in runs]
    assert released(root) in (digests["A"], digests["B"])
    assert list(root.glob(".build-*")) == []


def test_a_killed_build_leaves_the_previous_release(two_releases, tmp_path):
    exports, digests, base = two_releases
    outcomes = []
    for delay in (0.3, 0.8, 1.5, 2.5, 4.0):
        root = tmp_path / f"kill-{delay}"
        shutil.copytree(base / "A", root)
        process = start_build(root, exports["B"])
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
        process.wait()
        recover(root)  # what the next build does first, under the lock
        state = released(root)
        assert state in (digests["A"], digests["B"]), delay
        assert list(root.glob(".build-*")) == []
        outcomes.append("A" if state == digests["A"] else "B")
    assert "A" in outcomes  # at least one kill landed before the swap finished


def test_a_swap_stopped_between_any_two_renames_is_rolled_back(two_releases, tmp_path):
    exports, digests, base = two_releases
    steps = sum(1 for _ in swap_steps(*staged(base, tmp_path / "count")))
    for stop_after in range(steps):
        staging, root = staged(base, tmp_path / f"stop-{stop_after}")
        for n, _ in enumerate(swap_steps(staging, root)):
            if n == stop_after:
                break  # the process dies here: nothing after this rename runs
        assert recover(root) or stop_after == 0
        assert released(root) == digests["A"], stop_after
        assert list(root.glob(".build-*")) == []


def staged(base: Path, root: Path) -> tuple[Path, Path]:
    """Release A in `root`, and release B complete in a staging folder inside it, as build leaves it before the swap."""
    shutil.copytree(base / "A", root)
    staging = root / ".build-test"
    staging.mkdir()
    (staging / OWNER).touch()
    for name in RELEASED:
        copy = shutil.copytree if (base / "B" / name).is_dir() else shutil.copy
        copy(base / "B" / name, staging / name)
    return staging, root


@pytest.mark.parametrize("marker", [b"", b'{"stag', b"\x00\xff"], ids=["empty", "truncated", "garbage"])
def test_an_unreadable_swap_marker_is_rolled_back_not_a_traceback(two_releases, tmp_path, marker, capsys):
    """A crash while the marker was written leaves it empty or cut: the next build rolls back what it can
    and builds, with a message and no traceback."""
    exports, digests, base = two_releases
    staging, root = staged(base, tmp_path / "root")
    steps = swap_steps(staging, root)
    for _ in range(3):  # marker written, data/ moved out, the new data/ moved in
        next(steps)
    (staging / SWAPPING).write_bytes(marker)
    assert main(["build", "--corpus", str(FIXTURE_CORPUS), "--export", str(exports["A"]), "--out", str(root)]) == 0
    err = capsys.readouterr().err
    assert "rolled back the unfinished swap of a killed build: data restored" in err and "Traceback" not in err
    assert released(root) == digests["A"] and list(root.glob(".build-*")) == []


def test_a_users_own_build_folder_is_never_deleted(two_releases, tmp_path):
    exports, digests, base = two_releases
    root = tmp_path / "root"
    shutil.copytree(base / "A", root)
    mine = root / ".build-notes"
    mine.mkdir()
    (mine / "todo.txt").write_text("mine", encoding="utf-8")
    build(FIXTURE_CORPUS, exports["B"], root)
    assert (mine / "todo.txt").read_text(encoding="utf-8") == "mine" and released(root) == digests["B"]


def test_a_build_killed_while_removing_its_staging_folder_leaves_nothing(tmp_path):
    from scripts.build.pipeline import staging_folder

    root = tmp_path / "release"
    root.mkdir()
    (root / ".build-mine").mkdir()
    (root / ".build-mine" / "keep.txt").write_text("a user's own folder")
    with staging_folder(root) as staging:
        (staging / "data").mkdir()
        (staging / "data" / "x.parquet").write_bytes(b"x")
    assert sorted(p.name for p in root.glob(".build-*")) == [".build-mine"]
    for killed_after in ("children", "marker"):  # the states a kill can leave between the steps of remove_staging
        staging = root / f".build-killed-{killed_after}"
        staging.mkdir()
        if killed_after == "children":
            (staging / OWNER).touch()
        assert recover(root) == []
        assert sorted(p.name for p in root.glob(".build-*")) == [".build-mine"]
