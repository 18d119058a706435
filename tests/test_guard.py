"""The guard against inputs outside the catalogue (issue 11): one test per class of attack, each of which
lost or leaked data before. Every refusal names its place, echoes no address, and changes nothing published."""
from __future__ import annotations

import copy
import json
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import FIXTURE_CORPUS, ROOT, load_fixture_export, release_root, tree_digest
from scripts.__main__ import main
from scripts.core.corpus import sha256_text
from scripts.core.addresses import EMAIL
from scripts.core.export_write import to_result
from scripts.core.model import AnnotatedDocument, Claim, Document, Span

ADDRESS = "jane.doe" + "\\u0040" + "example.org"  # written escaped, as an attacker's export would


@pytest.fixture
def release(fixture_release, tmp_path) -> Path:
    """The fixture release, with the files its card links to (publish uploads them and refuses a dead link)."""
    from scripts.release.hub import linked_files

    copied = tmp_path / "release"
    shutil.copytree(fixture_release, copied)
    for name in linked_files(ROOT)[0]:
        if not (copied / name).exists():
            (copied / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / name, copied / name)
    return copied


def build(release: Path, export: Path, corpus: Path = FIXTURE_CORPUS, *extra: str) -> int:
    return main(["build", "--corpus", str(corpus), "--export", str(export), "--out", str(release), *extra])


def refused(release: Path, raw: bytes, tmp_path: Path, capsys, corpus: Path = FIXTURE_CORPUS) -> str:
    """Builds `raw` as the export: refused with a message, no traceback, no address, nothing changed."""
    export = tmp_path / "export.json"
    export.write_bytes(raw)
    before = tree_digest(release)
    assert build(release, export, corpus) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err and not EMAIL.search(err) and "nothing was written" in err, err
    assert tree_digest(release) == before
    return err


def annotation(tasks, task_id, annotation_id):
    return next(a for t in tasks if t["id"] == task_id for a in t["annotations"] if a["id"] == annotation_id)


def test_an_escaped_address_of_an_annotator_is_found(release, tmp_path, capsys):
    tasks = load_fixture_export()
    raw = json.dumps(tasks).replace('"pseudonym": "annotator-1"}, "result"', f'"pseudonym": "annotator-1", "note": "{ADDRESS}"}}, "result"', 1)
    assert "\\u0040" in raw
    err = refused(release, raw.encode(), tmp_path, capsys)
    assert "holds 1 e-mail address(es) of annotators" in err


@pytest.mark.parametrize("address", ["jane.doe@example.org", "jane.doe\uff20example.org", "annotator-1@annotators.invalid"])
def test_an_address_in_the_annotator_field_is_refused_by_its_pattern(release, tmp_path, capsys, address):
    tasks = load_fixture_export()
    annotation(tasks, 1, 2)["completed_by"]["pseudonym"] = address
    err = refused(release, json.dumps(tasks).encode(), tmp_path, capsys)
    assert "e-mail address" in err or "task 1 (doc fx1), annotation 2: completed_by.pseudonym: " in err, err


@pytest.mark.parametrize("field, value, expected", [
    ("was_cancelled", "false", "annotation 3: was_cancelled: expected bool, found str"),  # in task 2
    ("ground_truth", "false", "annotation 1: ground_truth: expected bool, found str"),
    ("ground_truth", 1, "annotation 1: ground_truth: expected bool, found int"),
    ("id", 2**63, "annotation 9223372036854775808: id: expected int <= 9223372036854775807"),
    ("id", "1", "annotation 1: id: expected int, found str"),
    ("result", {"0": 1}, "annotation 1: result: expected list, found object"),
])
def test_a_value_of_the_wrong_json_type_is_refused_with_its_place(release, tmp_path, capsys, field, value, expected):
    tasks = load_fixture_export()
    task = 2 if field == "was_cancelled" else 1
    annotation(tasks, task, 3 if task == 2 else 1)[field] = value
    err = refused(release, json.dumps(tasks).encode(), tmp_path, capsys)
    assert f"task {task} (doc fx{task}), {expected}" in err, err


def test_a_task_id_beyond_int64_is_refused_not_a_crash(release, tmp_path, capsys):
    tasks = load_fixture_export()
    tasks[0]["id"] = 2**63
    err = refused(release, json.dumps(tasks).encode(), tmp_path, capsys)
    assert "task 9223372036854775808 (doc fx1): id: expected int <= 9223372036854775807" in err


def test_a_label_that_is_not_a_string_is_refused(release, tmp_path, capsys):
    tasks = load_fixture_export()
    region = next(r for r in annotation(tasks, 1, 1)["result"] if r.get("id") == "a1" and r["type"] == "labels")
    region["value"]["labels"] = [{"GPE": True}]
    err = refused(release, json.dumps(tasks).encode(), tmp_path, capsys)
    assert "task 1 (doc fx1), annotation 1, region a1: value.labels[0]: expected str, found object" in err


@pytest.mark.parametrize("attribute, value", [("entity_id", "../../etc"), ("entity_id", "Turkey Republic"),
                                              ("canonical_name", "Turkey\n<!-- /generated:usage -->"), ("unit", "km\x1b[31m")])
def test_ids_and_names_match_their_pattern(release, tmp_path, capsys, attribute, value):
    tasks = load_fixture_export()
    item = next(r for t in tasks for a in t["annotations"] for r in a["result"] if r.get("from_name") == attribute)
    item["value"]["text"] = [value]
    err = refused(release, json.dumps(tasks).encode(), tmp_path, capsys)
    assert f"{attribute} {value!r}".replace("\x1b", "\\x1b") in err and "does not match the pattern" in err, err


def test_a_byte_order_mark_is_named(release, tmp_path, capsys):
    err = refused(release, b"\xef\xbb\xbf" + json.dumps(load_fixture_export()).encode(), tmp_path, capsys)
    assert "starts with a UTF-8 byte order mark (BOM)" in err


def test_a_huge_export_that_is_not_a_list_is_refused_from_its_start(release, tmp_path, capsys):
    big = tmp_path / "big.json"
    with big.open("wb") as f:  # 300 MB of one JSON object
        f.write(b'{"tasks": "')
        f.write(b"x" * (300 << 20))
        f.write(b'"}')
    before = tree_digest(release)
    usage = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert build(release, big) == 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - usage < 200_000  # KB: the file was never read whole
    assert "a Label Studio export is a JSON list of tasks, found dict" in capsys.readouterr().err
    assert tree_digest(release) == before


# ---- documents.yaml ----

def corpus_with(tmp_path: Path, change) -> Path:
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    meta = yaml.safe_load((corpus / "documents.yaml").read_text(encoding="utf-8"))
    change(meta)
    (corpus / "documents.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    return corpus


METADATA_ERRORS = {
    "missing doc_id": (lambda m: m["documents"][0].pop("doc_id"), "entry 1: documents[0]: missing required field doc_id"),
    "doc_id not a string": (lambda m: m["documents"][0].update(doc_id=7), "entry 1: documents[0].doc_id: expected str, found int"),
    "documents: null": (lambda m: m.update(documents=None), "the file: documents: expected list, found null"),
    "published not a date": (lambda m: m["documents"][1].update(published="March 2"),
                             "entry 2 (doc fx2): documents[1].published: expected a date YYYY-MM-DD"),
    "path in doc_id": (lambda m: m["documents"][0].update(doc_id="../../../outside/secret"),
                       "entry 1: documents[0].doc_id: must be lower-case ASCII letters and digits joined by single hyphens "
                       "(e.g. d000, ahmet-davutoglu)"),
    "marker in a title": (lambda m: m["documents"][0].update(title="x\n<!-- /generated:usage -->"),
                          "entry 1 (doc fx1): documents[0].title: must be one line without control or invisible characters and without '@'"),
    "n_chars not a number": (lambda m: m["documents"][0].update(n_chars="234"), "entry 1 (doc fx1): documents[0].n_chars: expected int, found str"),
}


@pytest.mark.parametrize("case", METADATA_ERRORS, ids=str)
def test_corpus_metadata_of_the_wrong_type_is_refused(case, release, tmp_path, capsys):
    change, expected = METADATA_ERRORS[case]
    corpus = corpus_with(tmp_path, change)
    err = refused(release, (ROOT / "tests" / "fixtures" / "export.json").read_bytes(), tmp_path, capsys, corpus)
    assert f"{corpus / 'documents.yaml'}: {expected}" in err.splitlines(), err


def test_a_corpus_entry_that_is_a_folder_is_refused(release, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    (corpus / "fx2.txt").unlink()
    (corpus / "fx2.txt").mkdir()
    err = refused(release, (ROOT / "tests" / "fixtures" / "export.json").read_bytes(), tmp_path, capsys, corpus)
    assert f"{corpus / 'fx2.txt'} (doc fx2): cannot read the corpus file: Is a directory" in err


# ---- no silent removal ----

@pytest.mark.parametrize("change", ["empty export", "a task lost", "an annotation lost"])
def test_the_build_refuses_to_remove_gold_or_annotations(release, tmp_path, capsys, change):
    tasks = load_fixture_export()
    if change == "empty export":
        tasks = []
    elif change == "a task lost":
        tasks = tasks[:1]
    else:
        tasks[0]["annotations"] = [a for a in tasks[0]["annotations"] if a["id"] != 2]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    before = tree_digest(release)
    assert build(release, export) == 2
    err = capsys.readouterr().err
    assert "if that is intended, build again with --allow-removals" in err
    if change == "an annotation lost":
        assert "doc fx1: annotator-1 would have 1 annotation(s) instead of 2" in err, err
    else:
        assert "doc fx2: entities fx2:e0-6 'Russia' would be removed" in err, err
    assert tree_digest(release) == before
    assert build(release, export, FIXTURE_CORPUS, "--allow-removals") == 0


# ---- environment errors: a message, and the release intact ----

def test_a_file_too_large_gives_a_message_and_the_release_stays(release):
    """The build's Parquet cannot be written (a file-size limit, as a full disk would): one message, no traceback."""
    export = ROOT / "tests" / "fixtures" / "export.json"
    before = tree_digest(release)
    code = ("import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); "
            "resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000)); from scripts.__main__ import main; sys.exit(main(sys.argv[1:]))")
    done = subprocess.run([sys.executable, "-c", code, "build", "--corpus", str(FIXTURE_CORPUS), "--export", str(export), "--out", str(release)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "build failed:" in done.stderr and "File too large" in done.stderr and "nothing published was changed" in done.stderr, done.stderr
    assert tree_digest(release) == before


# ---- O(n log n): a document of thousands of nested claims by two annotators ----

def nested_claims(n: int, tmp_path: Path) -> tuple[Path, Path]:
    """A corpus of one document and an export in which two annotators each give n claims nested like
    parentheses, sharing one cue."""
    text = "said " + "ab " * (n + 10)
    doc = Document("nested", text, sha256_text(text), None, None, None, "en", "nested.txt", "test")
    cue = Span(0, 4, None)
    claims = [Claim(5 + i, len(text) - 1 - i, None, claim_kind="direct", cue=cue, claimant=None, claimant_type="none",
                    claim_group_id=None) for i in range(n)]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "nested.txt").write_text(text, encoding="utf-8")
    meta = {"documents": [{"doc_id": "nested", "source_file": "nested.txt", "title": None, "publisher": None, "published": None,
                           "language": "en", "text_sha256": doc.text_sha256, "n_chars": len(text), "rights": "test"}]}
    (corpus / "documents.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    result = to_result(AnnotatedDocument(doc, claims=claims))
    annotations = [{"id": k, "completed_by": {"id": k, "pseudonym": f"annotator-{k}"}, "result": copy.deepcopy(result),
                    "ground_truth": k == 1} for k in (1, 2)]
    export = tmp_path / "export.json"
    export.write_text(json.dumps([{"id": 1, "data": {"text": text, "doc_id": "nested", "text_sha256": doc.text_sha256},
                                   "annotations": annotations}]), encoding="utf-8")
    return corpus, export


def test_nested_claims_build_in_bounded_memory(tmp_path):
    """4,000 nested claims by two annotators took 24 s and 2.6 GB (every overlapping pair listed, every
    claim scanned per claim); what is left is linear in the spans and in the characters they publish."""
    corpus, export = nested_claims(4000, tmp_path)
    root = release_root(tmp_path / "release")
    code = ("import resource, sys; from scripts.__main__ import main; code = main(sys.argv[1:]); "
            "print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss); sys.exit(code)")
    done = subprocess.run([sys.executable, "-c", code, "build", "--corpus", str(corpus), "--export", str(export), "--out", str(root)],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "claims: 4000 rows" in done.stdout
    peak_kb = int(done.stdout.rsplit("peak ", 1)[1])
    assert peak_kb < 1_800_000, peak_kb


# ---- the card: no value can close a generated block ----

MARKERS = ["<!-- /generated:usage -->", "<!-- generated:fields -->", "---", "```"]


def test_markers_in_names_and_titles_cannot_break_the_card(fixture_release, release, tmp_path):
    tasks = load_fixture_export()
    for item in (r for t in tasks for a in t["annotations"] for r in a["result"]):
        if item.get("from_name") == "canonical_name" and item["value"]["text"] == ["Turkey"]:  # the first entity's name
            item["value"]["text"] = [" ".join(MARKERS)]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    corpus = corpus_with(tmp_path, lambda m: m["documents"][0].update(title=" ".join(reversed(MARKERS))))
    assert build(release, export, corpus) == 0
    readme = (release / "README.md").read_text(encoding="utf-8")
    for name in ("configs", "agreement", "usage", "fields"):
        assert readme.count(f"\n<!-- generated:{name} -->\n") == 1 and readme.count(f"\n<!-- /generated:{name} -->\n") == 1
    assert "\\x3c!-- /generated:usage --\\x3e" in readme  # the value, escaped, as Python reads it
    assert build(release, ROOT / "tests" / "fixtures" / "export.json") == 0  # a rebuild from clean input repairs the card
    for name in ("README.md", "DATASHEET.md"):
        assert (release / name).read_bytes() == (fixture_release / name).read_bytes()


def test_a_card_without_its_markers_is_refused_with_a_message(release, capsys):
    readme = release / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8").replace("<!-- /generated:usage -->\n", "", 1), encoding="utf-8")
    before = tree_digest(release)
    assert build(release, ROOT / "tests" / "fixtures" / "export.json") == 2
    err = capsys.readouterr().err
    assert "README.md: needs exactly one line '<!-- generated:usage -->' and, after it, one line '<!-- /generated:usage -->' " \
           "(found 1 and 0); restore them from git" in err and "Traceback" not in err
    assert tree_digest(release) == before


# ---- publish: only the release the card describes, never a half-swapped one ----

def publish(root: Path, *extra: str) -> subprocess.CompletedProcess:
    import os
    return subprocess.run([sys.executable, "-m", "scripts", "publish", "someone/syria-news-spans", "--release", str(root), *extra],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})


def other_release(tmp_path: Path) -> Path:
    tasks = load_fixture_export()
    next(r for r in annotation(tasks, 1, 1)["result"] if r.get("id") == "a1" and r["type"] == "labels")["value"]["labels"] = ["LOC"]
    export = tmp_path / "export-b.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    root = release_root(tmp_path / "b")
    assert build(root, export) == 0
    return root


def test_publish_rolls_back_a_half_swapped_release_first(release, tmp_path):
    from scripts.build.pipeline import OWNER, RELEASED, swap_steps

    b = other_release(tmp_path)
    before = tree_digest(release)
    staging = release / ".build-killed"
    staging.mkdir()
    (staging / OWNER).touch()
    for name in RELEASED:
        (shutil.copytree if (b / name).is_dir() else shutil.copy)(b / name, staging / name)
    steps = swap_steps(staging, release)
    for _ in range(3):  # killed after the new data/ moved in, before the card did
        next(steps)
    assert tree_digest(release) != before
    done = publish(release, "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "rolled back the unfinished swap of a killed build: data restored" in done.stderr
    assert tree_digest(release) == before


def test_publish_refuses_parquet_that_the_card_does_not_describe(release, tmp_path):
    b = other_release(tmp_path)
    shutil.copy(b / "data/entities/test-00000-of-00001.parquet", release / "data/entities/test-00000-of-00001.parquet")
    done = publish(release, "--dry-run")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "README.md: configs differs from what the build writes for data/" in done.stderr, done.stderr


def test_publish_refuses_a_card_with_a_dead_link(release):
    (release / "docs" / "performance.md").unlink()
    before = tree_digest(release)
    done = publish(release, "--dry-run")
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "publish refused: the card would have dead links on the Hub" in done.stderr
    assert "README.md: the link 'docs/performance.md' finds no file docs/performance.md" in done.stderr
    assert tree_digest(release) == before


def test_a_network_error_in_publish_is_a_message(release):
    done = publish(release)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert "publish refused: the upload to someone/syria-news-spans failed" in done.stderr
    assert "nothing was tagged; check the network and HF_TOKEN, then publish again" in done.stderr


# ---- every command: a message and a non-zero exit, never a traceback ----

def _garbage(path: str, content: bytes = b'{"pid": "x", "port": [1]') -> callable:
    def write(clone: Path) -> None:
        (clone / path).parent.mkdir(parents=True, exist_ok=True)
        (clone / path).write_bytes(content)
    return write


COMMANDS = {
    "build": (["build"], _garbage("annotations/export.json", b'[{"id": "1", "data": 5}, 3, "x"]')),
    "release": (["release"], _garbage("annotations/export.json", b'[{"id": 1, "data": {"doc_id": "../x"}}]')),
    "annotation-diff": (["annotation-diff", "git:--output=annotations/export.json"], None),
    "annotation-diff of a broken export": (["annotation-diff", "git:HEAD", "annotations/export.json"],
                                           _garbage("annotations/export.json", b"\xef\xbb\xbf[]")),
    "publish": (["publish", "someone/syria-news-spans", "--dry-run"], lambda clone: shutil.rmtree(clone / "data")),
    "schema-diff": (["schema-diff", "--gate"], lambda clone: [p.write_text("{", encoding="utf-8")
                                                              for p in (clone / "schemas" / "snapshots").glob("*.json")]),
    "pull": (["pull"], _garbage(".label-studio/server.json")),
    "push": (["push"], _garbage(".label-studio/server.json")),
    "up": (["up", "--port", "9"], _garbage(".label-studio/credentials.json")),
    "push --blind with an address": (["push", "--blind", "@".join(["jane", "example.org"])], None),
    "review": (["review", "d000"], _garbage(".label-studio/server.json")),
    "adjudicate": (["adjudicate", "d000", "annotator-1"], None),
    "agreement": (["agreement"], _garbage("corpus/documents.yaml", b"documents: [{doc_id: 5}]")),
}


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> Path:
    """A clone of the project at its last commit (the commands run in copies of it)."""
    target = tmp_path_factory.mktemp("committed") / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(target)], check=True)
    return target


@pytest.mark.parametrize("case", COMMANDS, ids=str)
def test_every_command_fails_with_a_message_not_a_traceback(case, committed, tmp_path):
    args, breakage = COMMANDS[case]
    clone = tmp_path / "clone"
    shutil.copytree(committed, clone, symlinks=True)
    if breakage:
        breakage(clone)
    before = tree_digest(clone / "data") | {"export": (clone / "annotations" / "export.json").read_bytes()}
    done = subprocess.run([sys.executable, "-m", "scripts", *args], cwd=clone, capture_output=True, text=True,
                          env={**__import__("os").environ, "HF_HUB_OFFLINE": "1"}, timeout=300)
    output = done.stdout + done.stderr
    assert done.returncode != 0 and "Traceback" not in output, output
    assert done.stderr.strip() and len(done.stderr.strip().splitlines()[0]) < 400, output
    assert (tree_digest(clone / "data") if (clone / "data").exists() else {}) | {
        "export": (clone / "annotations" / "export.json").read_bytes()} == (before if case != "publish" else {"export": before["export"]})


# ---- the independent red team's findings (one test each) ----

@pytest.mark.parametrize("unit", ["alice\\uFf20example.com", "alice\\ufe6bexample.com", "alice@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",
                                  "@".join(["bob", "[127.0.0.1]"]), "@".join(['\\"alice\\"', "example.com"]), "km\u2028x", "\u200b", "km\u200e"])
def test_no_form_of_an_address_or_an_invisible_character_reaches_a_published_name(release, tmp_path, capsys, unit):
    tasks = load_fixture_export()
    raw = json.dumps(tasks, ensure_ascii=False)
    raw = raw.replace('"text": ["vehicles"]', '"text": ["' + unit + '"]', 1)
    assert unit.replace("\\\\", "\\") in raw or unit in raw
    err = refused(release, raw.encode(), tmp_path, capsys)
    assert "unit" in err or "e-mail address" in err, err


def test_a_card_whose_yaml_was_edited_is_refused_by_publish(release):
    readme = release / "README.md"
    text = readme.read_text(encoding="utf-8")
    readme.write_text(text.replace("'0': PERSON", "'0': GPEX", 1), encoding="utf-8")
    done = publish(release, "--dry-run")
    assert done.returncode == 2 and "README.md: dataset_info differs from what the build writes for data/" in done.stderr, done.stderr


def test_writes_never_follow_a_planted_link(tmp_path):
    from scripts.core.files import write_atomic

    outside, target = tmp_path / "outside.txt", tmp_path / "folder" / "agreement.json"
    outside.write_text("theirs", encoding="utf-8")
    target.parent.mkdir()
    (target.parent / ".agreement.json.tmp").symlink_to(outside)
    target.symlink_to(outside)
    write_atomic(target, "ours")
    assert outside.read_text(encoding="utf-8") == "theirs" and not target.is_symlink() and target.read_text(encoding="utf-8") == "ours"


def test_an_annotators_deleted_span_counts_as_a_removal(tmp_path, capsys):
    tasks = load_fixture_export()
    annotation(tasks, 1, 2)["completed_by"] = {"id": 2, "pseudonym": "annotator-2"}
    base, root = tmp_path / "base.json", release_root(tmp_path / "release")
    base.write_text(json.dumps(tasks), encoding="utf-8")
    assert build(root, base) == 0
    second = annotation(tasks, 1, 2)
    first = sorted(r["id"] for r in second["result"] if r["type"] == "labels" and r["value"]["labels"] != ["CUE"])[0]
    second["result"] = [r for r in second["result"] if r.get("id") != first and first not in (r.get("from_id"), r.get("to_id"))]
    export = tmp_path / "export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    before = tree_digest(root)
    assert build(root, export) == 2
    assert "annotator-2's span" in capsys.readouterr().err and tree_digest(root) == before


@pytest.mark.parametrize("change, expected", [
    (lambda t: t[1].update(id=1), "task id 1 is also the id of the task of doc fx1"),
    (lambda t: [a["completed_by"].update(id=99) for a in t[1]["annotations"]], "annotator-1 stands for Label Studio user 99 here and user 1 in task 1"),
    (lambda t: annotation(t, 2, 4)["completed_by"].update(id=99), "annotator-1 stands for two Label Studio users (1 and 99)"),
])
def test_ids_and_pseudonyms_name_one_thing_each(release, tmp_path, capsys, change, expected):
    tasks = load_fixture_export()
    change(tasks)
    err = refused(release, json.dumps(tasks).encode(), tmp_path, capsys)
    assert expected in err, err


def test_an_article_quoting_an_address_can_be_annotated(tmp_path):
    quoted = "@".join(["press", "un.org"])
    text = f"Write to {quoted} today."
    doc = Document("quoting", text, sha256_text(text), None, None, None, "en", "quoting.txt", "test")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "quoting.txt").write_text(text, encoding="utf-8")
    meta = {"documents": [{"doc_id": "quoting", "source_file": "quoting.txt", "language": "en", "text_sha256": doc.text_sha256,
                           "n_chars": len(text), "rights": "test"}]}
    (corpus / "documents.yaml").write_text(yaml.safe_dump(meta), encoding="utf-8")
    from scripts.core.model import Entity
    result = to_result(AnnotatedDocument(doc, entities=[Entity(9, 9 + len(quoted), None, label="ORG", entity_id="un", canonical_name="UN")]))
    export = tmp_path / "export.json"
    export.write_text(json.dumps([{"id": 1, "data": {"text": text, "doc_id": "quoting", "text_sha256": doc.text_sha256},
                                   "annotations": [{"id": 1, "completed_by": {"id": 1, "pseudonym": "annotator-1"}, "result": result}]}]),
                      encoding="utf-8")
    assert build(release_root(tmp_path / "release"), export, corpus) == 0


def test_numbers_and_strings_json_cannot_hold_are_named(release, tmp_path, capsys):
    raw = json.dumps(load_fixture_export()).replace('"lead_time": null', '"lead_time": 1e309', 1)
    assert "1e309" in raw
    export = tmp_path / "export.json"
    export.write_text(raw, encoding="utf-8")
    assert build(release, export) in (0, 2) and "Traceback" not in capsys.readouterr().err  # not published: either is fine
    err = refused(release, b'[{"id": 1, "data": {"text": "\\ud800"}}]', tmp_path, capsys)
    assert "lone surrogate" in err, err


@pytest.mark.parametrize("value", ["1_000", "\uff13\uff10", "1e-400"])
def test_a_figure_value_is_plain_ascii_digits(release, tmp_path, capsys, value):
    tasks = load_fixture_export()
    item = next(r for r in annotation(tasks, 1, 1)["result"] if r.get("from_name") == "value")
    item["value"]["text"] = [value]
    err = refused(release, json.dumps(tasks).encode(), tmp_path, capsys)
    assert "is not a finite number" in err


def test_an_impossible_date_in_documents_yaml_is_a_message(release, tmp_path, capsys):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURE_CORPUS, corpus)
    meta = corpus / "documents.yaml"
    meta.write_text(meta.read_text(encoding="utf-8").replace("2020-03-02", "2020-02-30"), encoding="utf-8")
    err = refused(release, (ROOT / "tests" / "fixtures" / "export.json").read_bytes(), tmp_path, capsys, corpus)
    assert "cannot read the corpus metadata: day is out of range for month" in err


def test_output_the_terminal_cannot_encode_never_fails_a_build(release):
    done = subprocess.run([sys.executable, "-m", "scripts", "build", "--corpus", str(FIXTURE_CORPUS), "--export",
                           str(ROOT / "tests" / "fixtures" / "export.json"), "--out", str(release)],
                          cwd=ROOT, capture_output=True, text=True, env={**__import__("os").environ, "PYTHONIOENCODING": "ascii"})
    assert done.returncode == 0 and "\\u2026" in done.stdout, done.stderr


def test_an_address_as_a_field_name_is_found(release, tmp_path, capsys):
    tasks = load_fixture_export()
    tasks[0]["meta"] = {"@".join(["jane.doe", "example.org"]): True}
    err = refused(release, json.dumps(tasks).encode(), tmp_path, capsys)
    assert "holds 1 e-mail address(es) of annotators" in err
