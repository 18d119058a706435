"""Against a real Label Studio server, started with `up` in its own venv and stopped with `down`.

Outside CI these tests are skipped (with the reason shown) until .venvs/label-studio exists;
in CI they always run, and fail if the server cannot start.
"""
from __future__ import annotations

import os
import socket

import pytest

from conftest import ROOT
from scripts import annotate

CONFIG = (ROOT / "annotations" / "labeling_config.xml").read_text(encoding="utf-8")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((annotate.HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not os.environ.get("CI") and not (annotate.LS_VENV / ".lock").exists():
        pytest.skip("Label Studio is not installed in .venvs/label-studio: `python -m scripts up` installs it; CI always runs these")
    home = tmp_path_factory.mktemp("label-studio")
    port = free_port()
    try:
        yield annotate.up(port, home)
    finally:
        annotate.down(home)
        assert annotate.port_is_free(port), "down left the server running"


def test_labeling_config_is_accepted_by_the_server(server):
    assert annotate.validate_config(server, CONFIG) is None


def test_invalid_config_is_reported_with_the_servers_message(server):
    broken = CONFIG.replace('<Labels name="span" toName="text"', '<Labels name="span" toName="txt"')
    message = annotate.validate_config(server, broken)
    assert message is not None and message.startswith('toName="txt" not found in names: [')


def test_up_twice_reuses_the_running_server(server):
    again = annotate.up(int(server.url.rsplit(":", 1)[1]), server.home)
    assert again.url == server.url


def test_token_is_not_in_the_server_log(server):
    assert server.credentials.token not in (server.home / "server.log").read_text(errors="replace")


def test_a_busy_port_is_refused_not_moved(tmp_path):
    with socket.socket() as sock:
        sock.bind((annotate.HOST, 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(annotate.ServerError, match=f"port {port} on 127.0.0.1 is busy"):
            annotate.up(port, tmp_path)
    assert not (tmp_path / "server.json").exists()
