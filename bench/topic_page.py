"""Throughput of the home, board and topic pages, as a ratio of a bare-Flask ceiling: guests'
pages (target >= 0.5) and a logged-in member's (target >= 0.25).

Builds a fresh SQLite forum in a temporary directory with the domain operations (a board of
30 topics, one topic of 20 threaded posts, one of 1,000), serves the real app and
bench/ceiling_app.py with gunicorn (2 sync workers each), and measures every page with
``wrk -t1 -c8 --latency``: as an anonymous reader, and as a member logged in through the login
form (wrk sends the member's session cookie), whose pages show their notifications count and
unread marks. Also measured in-process: the CPU time of one member's topic page (Flask test
client with the member's cookie, best of N rounds; target <= 2 ms). wrk and the servers share
the machine, so only the ratios measured in one run mean anything; absolute figures vary with
the load.

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
from urllib.parse import urlencode

from flask_migrate import upgrade

from brain import create_app
from brain.extensions import db
from brain.forum.queries import recent_topics
from brain.models import Post, Role
from brain.ops import notifications
from brain.ops.accounts import register_member
from brain.ops.admin import create_board
from brain.ops.posts import reply, start_topic

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
WORKERS = 2
TARGET = 0.5  # guests' pages
MEMBER_TARGET = 0.25  # members' pages
MEMBER_CPU_TARGET_MS = 2.0  # CPU of one member topic page, in-process
MEMBER = "karim"
PASSWORD = "benchmark password"  # noqa: S105 - a throwaway database's members

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
    member_id: int


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
        admin = register_member("admin", "admin@example.org", PASSWORD, role=Role.ADMIN)
        names = ["amina", "karim", "lucia", "joao", "fatima", "pierre", "youssef", "ines"]
        names += [f"member{number}" for number in range(MEMBERS - len(names))]
        members = [
            register_member(name, f"{name}@example.org", PASSWORD, name.title()) for name in names
        ]
        # They joined before any of the content below was written (dated from START): every
        # topic is new to them, the 1,000-post one included, so their lists show unread marks.
        for member in members:
            member.created_at = START - timedelta(days=30)
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
        # News in a few topics: replies written now, the newest activity of the lists.
        for number, topic in enumerate(recent_topics([board.id], limit=6)):
            if topic.id not in (small.id, large.id):
                first = db.session.get(Post, topic.first_post_id)
                reply(first, members[(number + 2) % MEMBERS], body(rng, MEMBER), "en")
        db.session.commit()
        # What the task queue's worker does: the notifications of every post (mentions,
        # replies), so the member's pages have a count to show.
        after = 0
        while (event := notifications.next_pending(after)) is not None:
            notifications.fan_out(event)
            after = event.id
        db.session.commit()
        assert small.post_count == SMALL_TOPIC_POSTS and large.post_count == LARGE_TOPIC_POSTS
        forum = Forum(
            board_slug=board.slug,
            small_topic=f"/t/{small.id}-{small.slug}",
            large_topic=f"/t/{large.id}-{large.slug}",
            small_topic_id=small.id,
            member_id=members[1].id,
        )
        assert members[1].username == MEMBER
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


def fetch(port: int, path: str, cookie: str = "", form: dict | None = None):
    """(status, headers, body) of one GET, or of a POST of *form*."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Cookie": cookie} if cookie else {}
    try:
        if form is None:
            connection.request("GET", path, headers=headers)
        else:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        connection.close()


def status_of(port: int, path: str, cookie: str = "") -> int:
    return fetch(port, path, cookie)[0]


def _cookies(headers) -> dict[str, str]:
    found = {}
    for value in headers.get_all("Set-Cookie") or []:
        name, _, rest = value.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def log_in(port: int) -> str:
    """Log the benchmark's member in through the login form, as a browser does; returns
    the Cookie header their next requests send."""
    status, headers, page = fetch(port, "/login")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    if status != 200 or token is None:
        raise SystemExit(f"the login page answered {status} without a CSRF token")
    jar = _cookies(headers)
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    form = {"login": MEMBER, "password": PASSWORD, "csrf_token": token.group(1)}
    status, headers, _ = fetch(port, "/login", cookie, form)
    jar.update(_cookies(headers))
    if status != 302 or "session" not in jar:
        raise SystemExit(f"logging in answered {status}")
    # Logging in starts a new session; the first page after it stores the session's CSRF
    # key in the cookie, which a browser then sends with every request.
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    status, headers, _ = fetch(port, "/", cookie)
    jar.update(_cookies(headers))
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def check_member_page(port: int, path: str, cookie: str, *, unread: bool) -> None:
    """A member's page really is theirs: their name, their notifications count, and on
    topic lists their unread marks."""
    status, _, page = fetch(port, path, cookie)
    if status != 200:
        raise SystemExit(f"the member's {path} answered {status}")
    for needle in ("Karim</bdi>", 'class="count"', 'action="/logout"'):
        if needle not in page:
            raise SystemExit(f"the member's {path} does not show {needle!r}")
    if unread and 'class="unread-count"' not in page:
        raise SystemExit(f"the member's {path} shows no unread marks")


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


def run_wrk(label: str, url: str, seconds: int, cookie: str = "") -> Measurement:
    command = [
        "wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "-s", str(BENCH / "percentiles.lua"),
        *(["-H", f"Cookie: {cookie}"] if cookie else []), url,
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


def warm_up(pages: list[tuple[str, int, str, str]]) -> None:
    """Every page must answer 200 (no redirect, no error) before anything is measured."""
    for label, port, path, cookie in pages:
        for _ in range(20):  # reaches both workers: they load templates and catalogs lazily
            status = status_of(port, path, cookie)
            if status != 200:
                raise SystemExit(f"{label} (http://127.0.0.1:{port}{path}) answered {status}")
        run_wrk(label, f"http://127.0.0.1:{port}{path}", 2, cookie)


GUEST_PAGES = ("home", "board, 30 topics", "topic, 20 posts")


def report(results: list[Measurement], member_cpu_ms: float) -> int:
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
    print(f"\n{'page':<18}  {'guest':>7}  {'member':>7}   (ratio to the ceiling)")
    for page in GUEST_PAGES:
        print(f"{page:<18}  {by_label[page]:7.2f}  {by_label['member ' + page]:7.2f}")
    failed = False
    print()
    for page in ("board, 30 topics", "topic, 20 posts"):
        ratio = by_label[page]
        failed |= ratio < TARGET
        print(f"guest {page.split(',')[0]} page ratio: {ratio:.2f} (target >= {TARGET})")
    for page in GUEST_PAGES:
        ratio = by_label["member " + page]
        failed |= ratio < MEMBER_TARGET
        print(f"member {page.split(',')[0]} page ratio: {ratio:.2f} (target >= {MEMBER_TARGET})")
    print(
        f"member topic page CPU in-process: {member_cpu_ms:.2f} ms "
        f"(target <= {MEMBER_CPU_TARGET_MS} ms; information)"
    )
    return 1 if failed else 0


def member_cpu(directory: Path, database_url: str, path: str, rounds: int = 7) -> float:
    """CPU time of one member topic page in this process: a Flask test client logged in
    through the login form, best of *rounds* rounds of 200 requests (after a warm-up)."""
    app = create_app(
        {"DATABASE_URL": database_url, "SECRET_KEY": "in-process", "SEARCH_INDEXER": "off"},
        instance_path=str(directory / "instance-inprocess"),
    )
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    form = {"login": MEMBER, "password": PASSWORD, "csrf_token": token}
    if client.post("/login", data=form).status_code != 302:
        raise SystemExit("the in-process member could not log in")
    for _ in range(50):
        if client.get(path).status_code != 200:
            raise SystemExit(f"the in-process member's {path} did not answer 200")
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(200):
            client.get(path)
        best = min(best, (time.process_time() - started) / 200 * 1000)
    with app.app_context():
        db.engine.dispose()
    return best


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
        # The same app with the page cache (and the members' fragments) turned off: what
        # every page costs to build.
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
        member = log_in(app_port)
        member_uncached = log_in(uncached_port)

        board = f"/b/{forum.board_slug}"
        pages = [
            ("ceiling, 20 posts", ceiling_port, f"/t/{forum.small_topic_id}", ""),
            ("home", app_port, "/", ""),
            ("board, 30 topics", app_port, board, ""),
            ("topic, 20 posts", app_port, forum.small_topic, ""),
            ("topic, 1,000 posts (page 1)", app_port, forum.large_topic, ""),
            ("member home", app_port, "/", member),
            ("member board, 30 topics", app_port, board, member),
            ("member topic, 20 posts", app_port, forum.small_topic, member),
            ("board, no page cache", uncached_port, board, ""),
            ("topic, 20 posts, no page cache", uncached_port, forum.small_topic, ""),
            ("member topic, 20 posts, no cache", uncached_port, forum.small_topic, member_uncached),
        ]
        warm_up(pages)
        check_member_page(app_port, "/", member, unread=True)
        check_member_page(app_port, board, member, unread=True)
        check_member_page(app_port, forum.small_topic, member, unread=False)
        print(f"measuring {len(pages)} pages, {arguments.rounds} x {arguments.duration} s each")
        best: dict[str, Measurement] = {}
        for _ in range(max(1, arguments.rounds)):
            for label, port, path, cookie in pages:
                m = run_wrk(label, f"http://127.0.0.1:{port}{path}", arguments.duration, cookie)
                if label not in best or m.requests_per_second > best[label].requests_per_second:
                    best[label] = m
        load_wrk = os.getloadavg()[0]
        for server in servers:
            stop(server)
        servers.clear()
        cpu_ms = member_cpu(directory, f"sqlite:///{database}", forum.small_topic)
        print(
            f"load average (1 min) {load_before:.2f} before, {load_wrk:.2f} after wrk, "
            f"{os.getloadavg()[0]:.2f} at the end, on {os.cpu_count()} CPUs"
        )
        return report([best[label] for label, _, _, _ in pages], cpu_ms)
    finally:
        for server in servers:
            stop(server)
        shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
