"""Serving as `make run` and production do: `brain serve` (gunicorn with brain.gunicorn_conf)
keeps answering while idle or slow clients hold connections open, and says plainly when its
port is taken."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from flask_migrate import upgrade

from brain import create_app
from brain.extensions import db
from brain.search.index import Indexer

pytestmark = pytest.mark.commits  # a served app: real commits

BRAIN = Path(sys.executable).with_name("brain")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _healthz(port: int, timeout: float) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=timeout) as reply:
            return reply.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def served(tmp_path):
    """`brain serve` on a free port with 3 workers, on a migrated SQLite database of its own;
    yields the port once /healthz answers."""
    database = f"sqlite:///{tmp_path / 'serving.db'}"
    app = create_app({"DATABASE_URL": database}, str(tmp_path / "instance"))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "BRAIN_DATABASE_URL": database,
        "BRAIN_INSTANCE_PATH": str(tmp_path / "instance"),
        "BRAIN_SECRET_KEY": "serving secret",
        "BRAIN_SEARCH_INDEXER": "off",
    }
    server = subprocess.Popen(
        [str(BRAIN), "serve", "--port", str(port), "--workers", "3"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: the workers go with it
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if _healthz(port, timeout=2) == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, "brain serve exited"
            assert time.monotonic() < deadline, "brain serve did not answer within 30 s"
            time.sleep(0.2)
        yield port
    finally:
        os.killpg(server.pid, 15)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, 9)
            server.wait()


def test_idle_and_slow_connections_do_not_starve_the_server(served):
    # Browsers open connections ahead of need and may send nothing on them for a while
    # (Chromium's pre-connections); a slow client sends its request line in pieces. With one
    # synchronous worker per connection, three such sockets stopped every worker for 30 s.
    held = []
    try:
        for _ in range(8):
            held.append(socket.create_connection(("127.0.0.1", served), timeout=5))
        for _ in range(2):
            slow = socket.create_connection(("127.0.0.1", served), timeout=5)
            slow.sendall(b"GET /healthz HT")
            held.append(slow)
        time.sleep(0.5)  # let the workers accept them before asking
        # A liveness check, not a speed test: a starved server would not answer at all.
        assert _healthz(served, timeout=10) == 200
        assert _healthz(served, timeout=10) == 200
    finally:
        for connection in held:
            connection.close()


def test_serving_on_a_taken_port_says_which_and_how_to_choose_another(app, monkeypatch):
    monkeypatch.setattr(os, "execv", lambda *args: pytest.fail("gunicorn was started"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = app.test_cli_runner().invoke(args=["serve", "--port", str(port)])
    assert result.exit_code != 0
    assert f"Port {port}" in result.output
    assert "another program is listening" in result.output
    assert "make run PORT=5001" in result.output
    assert "Collective Brain on http" not in result.output  # no banner for a server that won't run


@pytest.mark.parametrize("queue", ["--queue", "--no-queue"])
def test_serving_on_a_free_port_runs_gunicorn_with_the_package_settings(app, monkeypatch, queue):
    started, spawned = [], []
    monkeypatch.setattr(os, "execv", lambda path, args: started.append(args))
    monkeypatch.setattr("brain.cli.subprocess.Popen", lambda args: spawned.append(args))
    app.config["QUEUE_URL"] = "sqlite:///queue.sqlite"  # a queue the worker takes from
    app.extensions["brain_queue"].immediate = False
    port = _free_port()
    try:
        result = app.test_cli_runner().invoke(
            args=["serve", "--port", str(port), "--threads", "4", queue]
        )
    finally:
        app.extensions["brain_queue"].immediate = True
    assert result.exit_code == 0, result.output
    (args,) = started
    assert args[args.index("--config") + 1] == "python:brain.gunicorn_conf"
    assert args[args.index("--bind") + 1] == f"127.0.0.1:{port}"
    assert args[args.index("--threads") + 1] == "4"
    # The queue's consumer beside gunicorn, told to stop with it (gunicorn keeps this pid).
    if queue == "--queue":
        assert [Path(spawned[0][0]).name, *spawned[0][1:]] == [
            "brain", "worker", "--parent", str(os.getpid())
        ]  # fmt: skip
    else:
        assert spawned == []


def test_the_search_indexer_thread_starts_once_when_first_requests_arrive_together(
    tmp_path, monkeypatch
):
    # Under threaded workers the first requests of a process call start() at the same moment.
    indexer = Indexer(str(tmp_path / "search"), engine=None, mode="thread")
    runs = []
    indexer._run = lambda: runs.append(threading.get_ident())
    real_getpid = os.getpid

    def slow_getpid() -> int:
        time.sleep(0.001)  # a thread switch at the worst moment, every time
        return real_getpid()

    monkeypatch.setattr("brain.search.index.os.getpid", slow_getpid)
    callers = 8
    barrier = threading.Barrier(callers)

    def first_request():
        barrier.wait()
        indexer.start()

    threads = [threading.Thread(target=first_request) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    time.sleep(0.1)  # a started thread records itself
    assert len(runs) == 1


def test_the_database_is_pinged_before_use_only_when_it_is_a_server(app):
    """A PostgreSQL connection may have been dropped by the server (pinged at each checkout);
    an SQLite file's cannot, and a ping would be one statement more on every request."""
    with app.app_context():
        assert db.engine.pool._pre_ping == (db.engine.dialect.name == "postgresql")
