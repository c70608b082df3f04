"""Throughput of the board and topic pages, as a ratio of a bare-Flask ceiling (target >= 0.5).

Builds a fresh SQLite forum in a temporary directory with the domain operations (a board of
30 topics, one topic of 20 threaded posts, one of 1,000), serves the real app and
bench/ceiling_app.py with gunicorn (2 sync workers each), and measures every page with
``wrk -t1 -c8 --latency`` as an anonymous reader. wrk and the servers share the machine, so
only the ratios measured in one run mean anything; absolute figures vary with the load.

Run: ``.venv/bin/python bench/topic_page.py [--duration SECONDS] [--rounds N]``.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from flask_migrate import upgrade

from brain import create_app
from brain.extensions import db
from brain.models import Post, Role
from brain.ops.accounts import register_member
from brain.ops.admin import create_board
from brain.ops.posts import reply, start_topic

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
WORKERS = 2
TARGET = 0.5

MEMBERS = 12
BOARD_TOPICS = 30  # more than TOPICS_PER_PAGE (25): the board page paginates
SMALL_TOPIC_POSTS = 20
LARGE_TOPIC_POSTS = 1_000
START = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)

PARAGRAPHS = (
    "Our cooperative moved its accounts to the **federation ledger** last spring. The main "
    "lesson: members need _training before_ the switch, not after.",
    "See [the migration guide](https://example.org/guides/ledger-migration) — chapter 3 "
    "covers the chart of accounts, which took us longest to agree on.",
    "1. Export the old books\n2. Check balances with `ledger verify --strict`\n"
    "3. Import and compare month by month",
    "> The hardest part was agreeing on what counts as a shared expense.\n\n"
    "Exactly. We ended up writing it into the by-laws.",
    "```\nledger import --from legacy.csv --dry-run\nledger report --by member\n```",
    "نقلت تعاونيتنا حساباتها إلى سجل الاتحاد الجديد في الربيع الماضي، وكان الدرس الأهم أن "
    "الأعضاء يحتاجون إلى التدريب قبل التحويل لا بعده.",
    "Chez nous, la coopérative d'épargne a suivi la même voie : une assemblée, un vote, puis "
    "six mois de formation. Les résultats sont publiés sur https://example.org/fr/bilan.",
    "- quorum: half the members\n- majority: two thirds for by-law changes\n"
    "- minutes published within a week",
    "Does anyone have figures on how long the audit took the first year? Ours was about "
    "*three weeks* with two volunteers.",
)


@dataclass
class Forum:
    board_slug: str
    small_topic: str  # path of the 20-post topic
    large_topic: str  # path of the 1,000-post topic
    small_topic_id: int


def body(rng: random.Random, mention: str) -> str:
    parts = rng.sample(PARAGRAPHS, rng.randint(2, 4))
    if rng.random() < 0.3:
        parts.append(f"@{mention} what do you think?")
    return "\n\n".join(parts)


def threaded_replies(topic, authors, count: int, rng: random.Random, first: datetime) -> None:
    """*count* replies; about half answer an earlier reply rather than the opening post."""
    posts = [db.session.get(Post, topic.first_post_id)]
    for number in range(count):
        if len(posts) > 1 and rng.random() < 0.5:
            parent = posts[-rng.randint(1, min(len(posts) - 1, 8))]  # a recent reply
        else:
            parent = posts[0]
        author = authors[number % len(authors)]
        when = first + timedelta(minutes=7 * (number + 1))
        text = body(rng, parent.author.username)
        posts.append(reply(parent, author, text, "en", when=when))


def build_forum(instance: Path, database_url: str) -> Forum:
    """Fill a new database through the domain operations, as the app itself would."""
    app = create_app(
        {
            "DATABASE_URL": database_url,
            "SECRET_KEY": "topic page benchmark",
            "SEARCH_INDEXER": "off",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # only to create the members fast
        },
        instance_path=str(instance),
    )
    rng = random.Random(2026)
    with app.test_request_context("/"):
        upgrade()
        admin = register_member("admin", "admin@example.org", "benchmark password", role=Role.ADMIN)
        names = ["amina", "karim", "lucia", "joao", "fatima", "pierre", "youssef", "ines"]
        names += [f"member{number}" for number in range(MEMBERS - len(names))]
        members = [
            register_member(name, f"{name}@example.org", "benchmark password", name.title())
            for name in names
        ]
        board = create_board(
            admin, slug="cooperatives", name="Cooperatives", description="Running a cooperative"
        )
        for number in range(BOARD_TOPICS - 2):
            when = START + timedelta(hours=number)
            topic = start_topic(
                board, members[number % MEMBERS], f"Question {number} about by-laws",
                body(rng, "amina"), "en", when=when,
            )  # fmt: skip
            threaded_replies(topic, members, number % 4, rng, when)
        when = START + timedelta(days=3)
        small = start_topic(
            board, members[0], "Moving our accounts to the federation ledger", body(rng, "karim"),
            "en", when=when,
        )  # fmt: skip
        threaded_replies(small, members, SMALL_TOPIC_POSTS - 1, rng, when)
        when = START + timedelta(days=4)
        large = start_topic(
            board, members[1], "The long thread: one member, one vote", body(rng, "amina"),
            "en", when=when,
        )  # fmt: skip
        threaded_replies(large, members, LARGE_TOPIC_POSTS - 1, rng, when)
        db.session.commit()
        assert small.post_count == SMALL_TOPIC_POSTS and large.post_count == LARGE_TOPIC_POSTS
        forum = Forum(
            board_slug=board.slug,
            small_topic=f"/t/{small.id}-{small.slug}",
            large_topic=f"/t/{large.id}-{large.slug}",
            small_topic_id=small.id,
        )
        db.engine.dispose()
    return forum


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(application: str, port: int, env: dict, directory: Path) -> subprocess.Popen:
    """gunicorn in a process group of its own, so stopping it stops its workers too."""
    command = [
        str(GUNICORN), "-w", str(WORKERS), "-b", f"127.0.0.1:{port}", "--chdir", str(directory),
        "--log-level", "warning", application,
    ]  # fmt: skip
    return subprocess.Popen(command, env=env, start_new_session=True)


def stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    except ProcessLookupError:
        return
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=15)


def status_of(port: int, path: str) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def wait_until_serving(server: subprocess.Popen, port: int, path: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn on port {port} exited with status {server.returncode}")
        try:
            status_of(port, path)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"gunicorn on port {port} did not answer within {seconds:.0f} s")


@dataclass
class Measurement:
    label: str
    url: str
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float


RESULT = re.compile(r"^bench-result (.*)$", re.MULTILINE)


def run_wrk(label: str, url: str, seconds: int) -> Measurement:
    command = [
        "wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "-s", str(BENCH / "percentiles.lua"),
        url,
    ]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = RESULT.search(output)
    if found is None:
        raise SystemExit(f"wrk printed no result for {url}:\n{output}")
    fields = dict(pair.split("=") for pair in found.group(1).split())
    errors = {k: int(fields[k]) for k in ("connect", "read", "write", "status", "timeout")}
    if any(errors.values()):
        raise SystemExit(f"wrk saw errors on {url}: {errors}\n{output}")
    return Measurement(
        label,
        url,
        int(fields["requests"]) / float(fields["seconds"]),
        float(fields["p50"]),
        float(fields["p95"]),
        float(fields["p99"]),
    )


def warm_up(pages: list[tuple[str, int, str]]) -> None:
    """Every page must answer 200 (no redirect, no error) before anything is measured."""
    for label, port, path in pages:
        for _ in range(20):  # reaches both workers: they load templates and catalogs lazily
            status = status_of(port, path)
            if status != 200:
                raise SystemExit(f"{label} (http://127.0.0.1:{port}{path}) answered {status}")
        run_wrk(label, f"http://127.0.0.1:{port}{path}", 2)


def report(results: list[Measurement]) -> int:
    ceiling = results[0].requests_per_second
    width = max(len(m.label) for m in results)
    print(f"\n{'page':<{width}}  {'req/s':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  ratio")
    for m in results:
        ratio = m.requests_per_second / ceiling
        print(
            f"{m.label:<{width}}  {m.requests_per_second:8.1f}  {m.p50_ms:7.2f}  "
            f"{m.p95_ms:7.2f}  {m.p99_ms:7.2f}  {ratio:5.2f}"
        )
    print()
    for m in results:
        print(f"  {m.label}: {m.url}")
    by_label = {m.label: m.requests_per_second / ceiling for m in results}
    topic, board = by_label["topic, 20 posts"], by_label["board, 30 topics"]
    print(f"\ntopic page ratio: {topic:.2f} (target >= {TARGET})")
    print(f"board page ratio: {board:.2f} (target >= {TARGET})")
    return 0 if topic >= TARGET and board >= TARGET else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument(
        "--rounds", type=int, default=1, help="measure every page this many times, keep the best"
    )
    arguments = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")

    load_before = os.getloadavg()[0]
    directory = Path(tempfile.mkdtemp(prefix="brain-bench-topic-"))
    database = directory / "brain.db"
    servers: list[subprocess.Popen] = []
    try:
        started = time.perf_counter()
        forum = build_forum(directory / "instance", f"sqlite:///{database}")
        print(f"forum built in {time.perf_counter() - started:.1f} s", flush=True)

        # The caller's BRAIN_* settings (a Redis limiter, say) must not leak into the server.
        env = {k: v for k, v in os.environ.items() if not k.startswith("BRAIN_")}
        app_env = {
            **env,
            "BRAIN_DATABASE_URL": f"sqlite:///{database}",
            "BRAIN_SECRET_KEY": "topic page benchmark",
            "BRAIN_SEARCH_INDEXER": "off",
            "BRAIN_INSTANCE_PATH": str(directory / "instance"),
        }
        ceiling_env = {**env, "BENCH_DATABASE": str(database)}
        # The same app with the guests' page cache turned off: what every page costs to build.
        uncached_env = {
            **app_env,
            "BRAIN_PAGE_CACHE_SECONDS": "0",
            "BRAIN_INSTANCE_PATH": str(directory / "instance-uncached"),
        }
        app_port, ceiling_port, uncached_port = free_port(), free_port(), free_port()
        servers.append(serve("brain.wsgi:app", app_port, app_env, ROOT))
        servers.append(serve("ceiling_app:app", ceiling_port, ceiling_env, BENCH))
        servers.append(serve("brain.wsgi:app", uncached_port, uncached_env, ROOT))
        wait_until_serving(servers[0], app_port, "/")
        wait_until_serving(servers[1], ceiling_port, "/")
        wait_until_serving(servers[2], uncached_port, "/")

        pages = [
            ("ceiling, 20 posts", ceiling_port, f"/t/{forum.small_topic_id}"),
            ("board, 30 topics", app_port, f"/b/{forum.board_slug}"),
            ("topic, 20 posts", app_port, forum.small_topic),
            ("topic, 1,000 posts (page 1)", app_port, forum.large_topic),
            ("board, no page cache", uncached_port, f"/b/{forum.board_slug}"),
            ("topic, 20 posts, no page cache", uncached_port, forum.small_topic),
            ("topic, 1,000 posts, no page cache", uncached_port, forum.large_topic),
        ]
        warm_up(pages)
        print(f"measuring {len(pages)} pages, {arguments.rounds} x {arguments.duration} s each")
        best: dict[str, Measurement] = {}
        for _ in range(max(1, arguments.rounds)):
            for label, port, path in pages:
                m = run_wrk(label, f"http://127.0.0.1:{port}{path}", arguments.duration)
                if label not in best or m.requests_per_second > best[label].requests_per_second:
                    best[label] = m
        print(
            f"load average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, "
            f"on {os.cpu_count()} CPUs"
        )
        return report([best[label] for label, _, _ in pages])
    finally:
        for server in servers:
            stop(server)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
