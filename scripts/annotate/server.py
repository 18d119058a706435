"""The annotators' Label Studio server: `up`/`down`, credentials, the SDK client, our projects, and sign-up.

Label Studio pins an old pyarrow and Django, so it lives in a venv of its own,
installed from scripts/label-studio.lock into the user's cache folder (scripts/core/venvs.py). Its data, log, pid file and the
generated credentials stay in .label-studio/ (git-ignored): no token or password
is ever printed or committed.
"""
from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import httpx
from label_studio_sdk import LabelStudio

from scripts.core.files import PROJECT_ROOT
from scripts.core.venvs import locked_venv, venv_path

LS_LOCK = PROJECT_ROOT / "scripts" / "label-studio.lock"
LS_VENV = venv_path("label-studio", LS_LOCK)  # a changed lock makes a new venv
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
    return locked_venv("label-studio", LS_LOCK) / "bin" / "label-studio"


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
        **_env(home), "LABEL_STUDIO_USERNAME": creds.username, "LABEL_STUDIO_PASSWORD": creds.password,
        "LABEL_STUDIO_USER_TOKEN": creds.token, "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",
    }
    (home / "home").mkdir(parents=True, exist_ok=True)
    if not (home / "data").exists():  # a new server: no half minute of database migrations
        shutil.copytree(_migrated_data(executable), home / "data")
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


def _env(home: Path) -> dict:
    return {**os.environ, "HOME": str(home / "home"), "LABEL_STUDIO_BASE_DATA_DIR": str(home / "data"), "DJANGO_DB": "sqlite",
            "LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": ""}


def _migrated_data(executable: Path) -> Path:
    """A data folder whose database has every migration applied and nothing else (no user, no secret key: each
    server makes its own on its first start). Made once in the venv's folder (so a new venv makes it anew) and
    renamed into place whole; `label-studio version` migrates and stops."""
    made = LS_VENV / "migrated-data"
    if not made.exists():
        with tempfile.TemporaryDirectory(dir=LS_VENV) as tmp:
            env = {k: v for k, v in _env(Path(tmp)).items() if not k.startswith("LABEL_STUDIO_") or k == "LABEL_STUDIO_BASE_DATA_DIR"}
            (Path(tmp) / "home").mkdir()
            done = subprocess.run([str(executable), "version"], env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if done.returncode:
                raise ServerError(f"Label Studio could not set up its database: {(done.stdout + done.stderr)[-2000:]}")
            (Path(tmp) / "data" / ".env").unlink(missing_ok=True)  # the secret key
            try:
                os.rename(Path(tmp) / "data", made)
            except OSError:
                if not made.exists():  # else another process was first
                    raise
    return made


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

