"""The annotators' loop: `up`/`down` run a Label Studio server, `push` gives it the corpus, `pull` brings annotations back.

Label Studio pins an old pyarrow and Django, so it lives in a venv of its own,
installed from scripts/label-studio.lock into the user's cache folder. Its data, log, pid file and the
generated credentials stay in .label-studio/ (git-ignored): no token or password
is ever printed or committed.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import httpx
from label_studio_sdk import LabelStudio

from scripts.addresses import EMAIL, addresses_in, normalized
from scripts.files import write_atomic
from scripts.labelstudio import read_export, to_result
from scripts.model import AnnotatedDocument, Document
from scripts.preannotate import known_entities, preannotate
from scripts.release import PROJECT_ROOT

LS_LOCK = PROJECT_ROOT / "scripts" / "label-studio.lock"
# Cached outside the checkout, keyed on the pinned versions: a changed lock makes a new venv.
LS_VENV = (Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "syria-news-spans"
           / f"label-studio-{hashlib.sha256(LS_LOCK.read_bytes()).hexdigest()[:16]}")
DEFAULT_HOME = PROJECT_ROOT / ".label-studio"
HOST = "127.0.0.1"
START_TIMEOUT = 240  # seconds; a first start runs the database migrations


class ServerError(Exception):
    pass


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    token: str


@dataclass(frozen=True)
class Server:
    url: str
    credentials: Credentials
    home: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Token {self.credentials.token}"}, timeout=60)


def credentials(home: Path) -> Credentials:
    """From LABEL_STUDIO_USERNAME / _PASSWORD / _USER_TOKEN, else from home/credentials.json (made on first use)."""
    stored = home / "credentials.json"
    if stored.exists():
        try:
            saved = json.loads(stored.read_text())
            saved = {k: saved[k] for k in ("username", "password", "token") if isinstance(saved[k], str)}
            assert len(saved) == 3
        except (ValueError, KeyError, TypeError, AssertionError) as err:
            raise ServerError(f"{stored} is not the credentials file `up` writes ({type(err).__name__}); delete it, and the "
                              f"server's data in {home / 'data'} made with it, and run `up` again") from err
    else:
        saved = {"username": "admin@localhost", "password": secrets.token_urlsafe(16), "token": secrets.token_hex(20)}
        home.mkdir(parents=True, exist_ok=True)
        stored.touch(mode=0o600)
        stored.write_text(json.dumps(saved))
    return Credentials(
        username=os.environ.get("LABEL_STUDIO_USERNAME", saved["username"]),
        password=os.environ.get("LABEL_STUDIO_PASSWORD", saved["password"]),
        token=os.environ.get("LABEL_STUDIO_USER_TOKEN", saved["token"]),
    )


def ensure_venv() -> Path:
    """The label-studio executable, installing its venv from the lock when missing or out of date."""
    stamp = LS_VENV / ".complete"
    if not stamp.exists():
        print(f"installing Label Studio into {LS_VENV} (about a minute, once per scripts/label-studio.lock)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(LS_VENV)], check=True)
        subprocess.run([str(LS_VENV / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                        "--no-deps", "-r", str(LS_LOCK)], check=True)
        stamp.touch()
    return LS_VENV / "bin" / "label-studio"


def port_is_free(port: int) -> bool:
    """Nothing listens on it (connections lingering in TIME_WAIT do not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _pid_file(home: Path) -> Path:
    return home / "server.json"


def _running(home: Path) -> Optional[dict]:
    try:
        state = json.loads(_pid_file(home).read_text())
        os.kill(state["pid"], 0)
    except (OSError, ValueError, KeyError):
        return None
    return state


def up(port: int, home: Path = DEFAULT_HOME) -> Server:
    """Starts Label Studio headless on 127.0.0.1:port and waits until its API answers with our token."""
    creds = credentials(home)
    url = f"http://{HOST}:{port}"
    state = _running(home)
    if state:
        if state["port"] != port:
            raise ServerError(f"Label Studio already runs from {home} on port {state['port']}; run `down` first")
        return Server(url, creds, home)
    if not port_is_free(port):  # Label Studio itself would silently move to the next port
        raise ServerError(f"port {port} on {HOST} is busy; choose another with --port")
    executable = ensure_venv()
    env = {
        **os.environ, "HOME": str(home / "home"), "LABEL_STUDIO_BASE_DATA_DIR": str(home / "data"), "DJANGO_DB": "sqlite",
        "LABEL_STUDIO_USERNAME": creds.username, "LABEL_STUDIO_PASSWORD": creds.password,
        "LABEL_STUDIO_USER_TOKEN": creds.token, "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
        "LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": "",
    }
    (home / "home").mkdir(parents=True, exist_ok=True)
    with open(home / "server.log", "ab") as log:
        process = subprocess.Popen(
            [str(executable), "start", "--no-browser", "--internal-host", HOST, "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
        )
    _pid_file(home).write_text(json.dumps({"pid": process.pid, "port": port}))
    server = Server(url, creds, home)
    try:
        _wait_until_ready(server, process)
    except ServerError:
        down(home)
        raise
    return server


def _wait_until_ready(server: Server, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(f"Label Studio exited with code {process.returncode}; see {server.home / 'server.log'}")
        try:
            with urllib.request.urlopen(f"{server.url}/health", timeout=2) as response:
                healthy = response.status == 200
        except (urllib.error.URLError, OSError):
            healthy = False
        if healthy:
            with server.client() as client:
                answer = client.get("/api/current-user/whoami")
            if answer.status_code == 200:
                return
            raise ServerError(f"Label Studio answers but refuses our API token (HTTP {answer.status_code}); "
                              f"its data in {server.home / 'data'} was made with other credentials")
        time.sleep(1)
    raise ServerError(f"Label Studio did not answer within {START_TIMEOUT} s; see {server.home / 'server.log'}")


def connect(home: Path = DEFAULT_HOME) -> Server:
    """The server `up` started from home."""
    state = _running(home)
    if not state:
        raise ServerError(f"no Label Studio server runs from {home}: run `up` first")
    return Server(f"http://{HOST}:{state['port']}", credentials(home), home)


def down(home: Path = DEFAULT_HOME) -> bool:
    """Stops the server started from home (SIGTERM to its process group). False if none was running."""
    state = _running(home)
    _pid_file(home).unlink(missing_ok=True)
    if not state:
        return False
    pid = state["pid"]
    for sig in (signal.SIGTERM, signal.SIGKILL):  # SIGKILL only if it ignored SIGTERM for 20 s
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return True
        for _ in range(200):
            if _gone(pid):
                return True
            time.sleep(0.1)
    return True


def _gone(pid: int) -> bool:
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:  # our own child: reap it
            return True
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except OSError:
        return True
    return False


def validate_config(server: Server, label_config: str) -> Optional[str]:
    """None if the server accepts the labeling config, else the server's own message."""
    with server.client() as client:
        answer = client.post("/api/projects/validate", json={"label_config": label_config})
    if answer.status_code in (200, 204):
        return None
    try:
        return "; ".join(str(m) for messages in answer.json().values() for m in (messages if isinstance(messages, list) else [messages]))
    except ValueError:
        return f"HTTP {answer.status_code}: {answer.text[:500]}"


# ---- push and pull: the corpus into a Label Studio project, and the annotations back ----

PROJECT_TITLE = "syria-news-spans"
LABEL_CONFIG = PROJECT_ROOT / "annotations" / "labeling_config.xml"


def sdk(server: Server) -> LabelStudio:
    return LabelStudio(base_url=server.url, api_key=server.credentials.token)


def project_id(ls: LabelStudio, create: bool, title: str = PROJECT_TITLE) -> Optional[int]:
    """The project's id (created, or its labeling config updated, when `create`). Only projects the admin
    (whose token we hold) created count: an annotator's own project of the same title is never ours."""
    config = LABEL_CONFIG.read_text(encoding="utf-8")
    found = next((p for p in _admins_projects(ls) if p.title == title), None)
    if found is None:
        return ls.projects.create(title=title, label_config=config).id if create else None
    if create:
        ls.projects.update(id=found.id, label_config=config)
    return found.id


def _admins_projects(ls: LabelStudio) -> list:
    me = ls.users.whoami().id
    return sorted((p for p in ls.projects.list() if getattr(p.created_by, "id", p.created_by) == me), key=lambda p: p.id)


def blind_title(annotator: str) -> str:
    return f"{PROJECT_TITLE} blind {annotator}"


PARTS_TITLE = f"{PROJECT_TITLE} parts"


def our_projects(ls: LabelStudio) -> list[int]:
    """The corpus project first, then every blind pass's project and the parts project."""
    projects = _admins_projects(ls)
    return [p.id for p in projects if p.title == PROJECT_TITLE] + [p.id for p in projects if p.title.startswith(f"{PROJECT_TITLE} ")]


def part_ranges(text: str, size: int) -> list[tuple[int, int]]:
    """The text cut at paragraph breaks into parts of about `size` characters (a part ends at the first
    break past `size` characters from its start; the rest of the text when none is left)."""
    from scripts.tokens import PARAGRAPH_BREAK

    ranges, start = [], 0
    breaks = [m.end() for m in PARAGRAPH_BREAK.finditer(text)]
    while len(text) - start > size:
        cut = next((b for b in breaks if b - start >= size and len(text) - b > size // 3), None)
        if cut is None:
            break
        ranges.append((start, cut))
        start = cut
    return ranges + [(start, len(text))]


def push_parts(server: Server, corpus: dict[str, Document], export: Path, size: int) -> dict[str, list[int]]:
    """The project `syria-news-spans parts`: every document longer than `size` cut into parts (part_ranges),
    a task per part with the whole text (offsets stay the document's), the part's range in `data.part`,
    and a prediction of the gold spans that start in it with the part's `coverage`: each opens with a
    fraction of the regions. An annotator's annotations of all the parts of a document are read as one
    (labelstudio.assemble_parts); `adjudicate` marks all of them. Returns the part tasks of each document."""
    from dataclasses import replace

    ls = sdk(server)
    pid = project_id(ls, create=True, title=PARTS_TITLE)
    done = {(t.data.get("doc_id"), t.data.get("part")) for t in ls.tasks.list(project=pid)}
    gold = read_export(export, corpus) if export.exists() else {}
    export_ids = {t["data"]["doc_id"]: t["id"] for t in _committed(export)}
    new = []
    for doc_id, doc in corpus.items():
        for start, end in part_ranges(doc.text, size) if doc.n_chars > size else []:
            part = f"{start}-{end}"
            if (doc_id, part) in done:
                continue
            whole = gold.get(doc_id) or AnnotatedDocument(doc)
            spans = {layer: [s for s in getattr(whole, layer) if start <= s.start < end] for layer in ("entities", "claims", "figures")}
            claimants = {(c.claimant.start, c.claimant.end) for c in spans["claims"] if c.claimant}  # kept beside their claims
            spans["entities"] += [e for e in whole.entities if (e.start, e.end) in claimants and not start <= e.start < end]
            prediction = to_result(replace(whole, **spans, coverage=(start, end)))
            new.append({"data": {"text": doc.text, "doc_id": doc_id, "text_sha256": doc.text_sha256, "part": part},
                        "meta": {"export_task_id": export_ids.get(doc_id)} if doc_id in export_ids else {},
                        "predictions": [{"model_version": "gold", "result": prediction}]})
    if new:
        ls.projects.import_tasks(id=pid, return_task_ids=True, request=new)
    parts: dict[str, list[int]] = {}
    for t in sorted(ls.tasks.list(project=pid), key=lambda t: int(t.data["part"].split("-")[0])):
        parts.setdefault(t.data["doc_id"], []).append(t.id)
    return parts


def task_payload(doc: Document, gold: dict[str, AnnotatedDocument], known: dict, export_id: Optional[int] = None) -> dict:
    """A task for one document: its gold as the prediction, else rule-based pre-annotations (entities the
    gold knows and figures; with neither gold nor `known`, the figures alone: a blind pass)."""
    if doc.doc_id in gold:
        prediction = {"model_version": "gold", "result": to_result(gold[doc.doc_id])}
    else:
        prediction = {"model_version": "rules", "result": to_result(preannotate(doc, known))}
    return {"data": {"text": doc.text, "doc_id": doc.doc_id, "text_sha256": doc.text_sha256},
            "predictions": [prediction] if prediction["result"] else [], **({"meta": {"export_task_id": export_id}} if export_id else {})}


def push(server: Server, corpus: dict[str, Document], export: Optional[Path], blind: Optional[str] = None) -> dict[str, int]:
    """One task per document not yet in the project, with a prediction to correct (see task_payload).
    A server without the project first gets the committed export restored (scripts/restore.py).
    `blind`: the project of an annotator's independent pass instead, whose tasks hold no gold (only
    rule-based figures). Returns the task id of every document; pushing again adds nothing."""
    from scripts.restore import next_task_id, restore

    ls = sdk(server)
    title = blind_title(blind) if blind else PROJECT_TITLE
    existed = project_id(ls, create=False, title=title) is not None
    pid = project_id(ls, create=True, title=title)
    if blind and not existed:  # the label stream then starts each new annotation empty
        with server.client() as client:
            client.patch(f"/api/projects/{pid}/", json={"show_collab_predictions": False}).raise_for_status()
    committed = _committed(export)
    if not existed and not blind and committed:
        restore(server, ls, pid, export, corpus)
    tasks = {t.data.get("doc_id"): t for t in ls.tasks.list(project=pid)}
    for doc_id, task in tasks.items():
        if doc_id in corpus and task.data.get("text_sha256") != corpus[doc_id].text_sha256:
            raise ServerError(f"task {task.id} (doc {doc_id}) holds another text than the corpus; it cannot be updated in place")
    gold = {} if blind or not committed else read_export(export, corpus)
    known = {} if blind else known_entities(gold)
    export_ids = {t["data"]["doc_id"]: t["id"] for t in committed}
    main = {t.data.get("doc_id"): (t.meta or {}).get("export_task_id", t.id) for t in ls.tasks.list(project=project_id(ls, False))} \
        if blind else {}
    new, next_id = [], next_task_id(ls, our_projects(ls), committed)
    for doc_id, doc in corpus.items():
        if doc_id not in tasks:
            export_id = export_ids.get(doc_id) or main.get(doc_id) or next_id
            next_id = max(next_id, export_id + 1)
            new.append(task_payload(doc, gold, known, export_id))
    if new:
        ls.projects.import_tasks(id=pid, return_task_ids=True, request=new)
    return {t.data["doc_id"]: t.id for t in ls.tasks.list(project=pid)}


def _committed(export: Optional[Path]) -> list[dict]:
    return json.loads(export.read_text(encoding="utf-8")) if export is not None and export.exists() else []


def sign_up(server: Server, email: str, password: str) -> str:
    """A new annotator signs up through Label Studio's own form, as in the browser; returns their API token."""
    with httpx.Client(base_url=server.url, follow_redirects=True) as browser:
        form = browser.get("/user/signup/").text
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        browser.post("/user/signup/", data={"csrfmiddlewaretoken": csrf, "email": email, "password": password},
                     headers={"Referer": f"{server.url}/user/signup/"}).raise_for_status()
        return browser.get("/api/current-user/token").json()["token"]


def as_user(server: Server, token: str) -> LabelStudio:
    """The SDK client of another user of the same server."""
    return sdk(Server(server.url, Credentials("", "", token), server.home))


def snapshot(server: Server, pid: int) -> list[dict]:
    """A snapshot export with full annotation objects and predictions (the quick export lists only ids)."""
    ls = sdk(server)
    job = ls.projects.exports.create(
        id=pid, title="pull",
        serialization_options={"predictions": {"only_id": False}, "annotations__completed_by": {"only_id": False}},
        task_filter_options={"only_with_annotations": False},
    )
    deadline = time.monotonic() + 300
    while (status := ls.projects.exports.get(id=pid, export_pk=job.id).status) not in ("completed", "failed"):
        if time.monotonic() > deadline:
            raise ServerError(f"export {job.id} of project {pid} did not finish in 300 s")
        time.sleep(0.3)
    if status == "failed":
        raise ServerError(f"Label Studio failed to make export {job.id} of project {pid}")
    return json.loads(b"".join(ls.projects.exports.download(id=pid, export_pk=job.id, export_type="JSON")))


def pseudonymize(tasks: list[dict], mapping: dict[str, str], committed: list[dict] = ()) -> list[dict]:
    """Annotators' identities replaced by stable pseudonyms: every user object (a dict with an e-mail)
    becomes {id, pseudonym}, and an address in any other metadata string its pseudonym. A restored
    annotator (annotator-N@annotators.invalid) is annotator-N; anyone else gets the next pseudonym no one
    has had (in `mapping` or the committed export). The texts are never touched: the task's `data`, and
    the values of annotation and prediction results (an article may quote an address). `mapping`
    (e-mail -> annotator-N) is extended in place and must stay out of git."""
    from scripts.restore import pseudonym_of

    taken = {*mapping.values(), *(a.get("completed_by", {}).get("pseudonym") for t in committed for a in t.get("annotations") or [])}
    numbers = [int(p.rsplit("-", 1)[1]) for p in taken if isinstance(p, str) and p.rsplit("-", 1)[-1].isdigit()]

    def name(email: str) -> str:
        if pseudonym := pseudonym_of(email):
            return pseudonym
        if email.lower() not in mapping:
            numbers.append(max(numbers, default=0) + 1)
            mapping[email.lower()] = f"annotator-{numbers[-1]}"
        return mapping[email.lower()]

    def scrub(node, key=""):
        if key in ("data", "value"):
            return node
        if isinstance(node, dict):
            if isinstance(node.get("email"), str):
                return {"id": node.get("id"), "pseudonym": name(node["email"])}
            return {k: scrub(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [scrub(v) for v in node]
        if isinstance(node, str) and addresses_in(node):
            return EMAIL.sub(lambda m: name(m.group(0)), normalized(node))
        return node

    return scrub(tasks)


def removals(committed: list[dict], pulled: list[dict]) -> list[str]:
    """What the pulled export would lose against the committed one: a task gone, or fewer annotations."""
    def by_doc(tasks):
        return {t["data"].get("doc_id"): t for t in tasks}

    old, new = by_doc(committed), by_doc(pulled)
    lost = []
    for doc_id, task in old.items():
        before = task.get("annotations") or []
        if doc_id not in new:
            lost.append(f"doc {doc_id}: task {task['id']} with {len(before)} annotation(s) is gone")
            continue
        after = new[doc_id].get("annotations") or []
        if len(after) < len(before):
            ids = ", ".join(str(a.get("id")) for a in before)
            lost.append(f"doc {doc_id}: {len(before)} annotation(s) ({ids}) would become {len(after)}")
    return lost


RESTORE_HINT = ("if this server started empty, restore the committed annotations first: `python -m scripts down`, move "
                ".label-studio/data aside, then `python -m scripts up` (a server without the project gets annotations/export.json "
                "back); to accept the loss instead, pull with --allow-removals, which lists every span that goes")


def pulled(server: Server, mapping: dict, committed: list[dict]) -> list[dict]:
    """Every project's snapshot, with export ids, merged by document (a blind pass's annotations join the
    document's task), pseudonymized."""
    from scripts.restore import stable_ids

    ls = sdk(server)
    pids = our_projects(ls)
    if not pids:
        raise ServerError(f"no project {PROJECT_TITLE!r} on {server.url}: run `up` (or `push`) first")
    merged: dict = {}
    for pid in pids:
        for task in stable_ids(server, snapshot(server, pid), committed):
            base = merged.setdefault(task["data"].get("doc_id"), task)
            if base is not task:
                base["annotations"] = (base.get("annotations") or []) + (task.get("annotations") or [])
    return pseudonymize(list(merged.values()), mapping, committed)


def pull(server: Server, export: Path, mapping_file: Path, allow_removals: bool = False,
         corpus_dir: Path = PROJECT_ROOT / "corpus", confirm=None) -> list[str]:
    """Writes the project's snapshot export, pseudonymized, to `export` atomically, after it passed every
    check of the build (the strict model, the texts against the corpus, the whole import and the
    schemas: a pull never writes what the build would refuse). Refuses (ServerError) an export that
    would lose annotations unless allow_removals; then `confirm(spans)`, given every span that would go,
    must return True. Returns what goes."""
    mapping = load_mapping(mapping_file)
    committed = _committed(export)
    tasks = pulled(server, mapping, committed)
    text = json.dumps(tasks, indent=1, ensure_ascii=False) + "\n"
    with tempfile.TemporaryDirectory(prefix="pull-check-") as tmp:
        candidate = Path(tmp) / "export.json"
        candidate.write_text(text, encoding="utf-8")
        check_as_the_build_does(candidate, corpus_dir)
        gone = lost_spans(export, candidate, corpus_dir) if committed else []
    lost = removals(committed, tasks) + ([f"{len(gone)} span(s) of committed annotations"] if gone else [])
    if lost and not allow_removals:
        raise ServerError("pull refused: the export would lose annotations of annotations/export.json:\n"
                          + "\n".join(lost) + "\n" + RESTORE_HINT)
    if lost and confirm is not None and not confirm(gone):
        raise ServerError("pull cancelled; nothing was written")
    write_atomic(mapping_file, json.dumps(mapping, indent=1), private=True)
    write_atomic(export, text)
    return lost


def load_mapping(path: Path) -> dict:
    """The private address -> pseudonym mapping (empty before the first pull)."""
    return json.loads(path.read_text()) if path.exists() else {}


def lost_spans(committed: Path, pulled_export: Path, corpus_dir: Path) -> list[str]:
    """Every span of an annotation of the committed export that the pulled one lacks."""
    from scripts.corpus import load_corpus
    from scripts.labelstudio import read_all_annotations

    corpus = load_corpus(corpus_dir)

    def spans(path: Path) -> set:
        return {(a.doc.doc_id, a.annotator, layer, s.start, s.end, s.text_in(a.doc))
                for a in read_all_annotations(path, corpus) for layer in ("entities", "claims", "figures") for s in getattr(a, layer)}

    return [f"doc {d}, {who}: {layer} {start}-{end} {text!r}" for d, who, layer, start, end, text in sorted(spans(committed) - spans(pulled_export))]


def check_as_the_build_does(export: Path, corpus_dir: Path) -> None:
    """Builds the export into a scratch release: InputError or ValidationFailed, as the build would raise."""
    from scripts.release import CARD_FILES, build

    with tempfile.TemporaryDirectory(prefix="pull-check-") as tmp:
        root = Path(tmp)
        for name in CARD_FILES:
            shutil.copy(PROJECT_ROOT / name, root / name)
        build(corpus_dir, export, root, allow_removals=True)
