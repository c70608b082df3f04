"""Rendering time of the worst inputs at the maximum body length (ceiling: 100 ms each).

Every source below is exactly ``markup.MAX_BODY_LENGTH`` characters. Each is rendered the way
a post is when it is written: ``markup.render`` with the database-backed mention resolver,
inside a request context of an app whose members exist, so @mentions really become links.
A refusal (``MarkupError``) is an acceptable outcome; it is timed like a rendering.

Run: ``.venv/bin/python bench/markup.py [--runs N] [--no-collect]``. Exits 1 if any run
exceeds the ceiling.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import product

from flask_migrate import upgrade

from brain import create_app, markup
from brain.extensions import db
from brain.ops import posts as post_ops
from brain.ops.accounts import register_member
from brain.ops.errors import OperationError

CEILING_MS = 100.0
LENGTH = markup.MAX_BODY_LENGTH
# 20,000 characters hold 4,000 mentions of 3-letter names ("@abc "): the most a post can make.
MEMBERS = 4_000
NAME_LETTERS = "abcdefghjkmnpqrstuvwxyz"  # no i, l, o: fewer look-alike names to skip
PLAIN = "plain words and nothing else "


def exactly(unit: str, length: int = LENGTH) -> str:
    """*unit* repeated and cut to exactly *length* characters."""
    return (unit * (length // len(unit) + 1))[:length]


def padded(head: str, filler: str = PLAIN) -> str:
    """*head* followed by *filler* repeated, to exactly LENGTH characters."""
    return (head + exactly(filler))[:LENGTH]


def renders(source: str) -> bool:
    try:
        markup.render(source)
    except markup.MarkupError:
        return False
    return True


def just_under_guard(unit: str, filler: str = PLAIN) -> str:
    """As many copies of *unit* as the complexity guard accepts, then *filler*.

    These are the costliest inputs of their kind that are rendered rather than refused."""
    low, high = 0, LENGTH // len(unit)
    for _ in range(32):  # a binary search over at most 20,000 counts needs 15 steps
        if low >= high:
            break
        middle = (low + high + 1) // 2
        if renders(padded(unit * middle, filler)):
            low = middle
        else:
            high = middle - 1
    return padded(unit * low, filler)


def nested_lists(levels: int | None = None) -> str:
    lines = []
    for depth in range(LENGTH):
        level = depth if levels is None else depth % levels
        lines.append("  " * level + "- item\n")
        if sum(map(len, lines)) > LENGTH:
            break
    return "".join(lines)[:LENGTH]


def growing_backtick_runs() -> str:
    """Runs of 1, 2, 3, ... backticks: the classic quadratic case for code-span matching."""
    parts, size, run = [], 0, 1
    while size < LENGTH:
        part = "`" * run + "a"
        parts.append(part)
        size += len(part)
        run += 1
    return "".join(parts)[:LENGTH]


ENGLISH = (
    "Our cooperative moved its accounts to the **new federation ledger** last spring, and "
    "the main lesson was that members need _training before_ the switch, not after. See "
    "[the guide](https://example.org/guides/ledger-migration) and ask @amina or @karim "
    "if anything is unclear.\n\n"
    "1. Export the old books\n2. Check balances with `ledger verify --strict`\n"
    "3. Import and compare\n\n"
    "> The hardest part was agreeing on the chart of accounts.\n\n"
    "```\nledger import --from legacy.csv --dry-run\n```\n\n"
)
ARABIC = (
    "نقلت تعاونيتنا حساباتها إلى **سجل الاتحاد الجديد** في الربيع الماضي، وكان الدرس الأهم أن "
    "الأعضاء يحتاجون إلى _التدريب قبل_ التحويل لا بعده. راجعوا "
    "[الدليل](https://example.org/ar/guides/ledger) واسألوا @amina عن أي شيء غير واضح.\n\n"
    "- صدّروا الدفاتر القديمة\n- تحققوا من الأرصدة\n- استوردوا وقارنوا\n\n"
)
MIXED = (
    "التعاونية (cooperative) تعتمد على مبدأ «عضو واحد، صوت واحد» — one member, one vote. "
    "Les coopératives de crédit في المغرب use the same rule; see https://example.org/ar-en "
    "and the law of 2014 (القانون 112.12) for the details. "
)


def pathological_inputs(names: list[str]) -> dict[str, Callable[[], str]]:
    """Title → a function building the source (some calibrate against the guard).

    *names* are members' usernames: mentions of them are resolved and linked."""
    mentions = "".join(f"@{name} " for name in names)
    return {
        "[ x20000": lambda: "[" * LENGTH,
        "![ x20000": lambda: exactly("!["),
        "[a]( repeated": lambda: exactly("[a]("),
        "[a](b) nested in [": lambda: exactly("[[a](b)"),
        "](  repeated": lambda: exactly("]("),
        "* x20000": lambda: "*" * LENGTH,
        "*a repeated": lambda: exactly("*a"),
        "**a* alternating": lambda: exactly("**a*"),
        "_ x20000": lambda: "_" * LENGTH,
        "_a repeated": lambda: exactly("_a"),
        "~ x20000 (strikethrough)": lambda: "~" * LENGTH,
        "> x20000": lambda: ">" * LENGTH,
        "> > > ... nesting": lambda: exactly("> "),
        "nested lists, ever deeper": nested_lists,
        "nested lists, 11 levels": lambda: nested_lists(11),
        "` x20000": lambda: "`" * LENGTH,
        "`a repeated": lambda: exactly("`a"),
        "growing ` runs": growing_backtick_runs,
        "< x20000": lambda: "<" * LENGTH,
        "raw HTML soup": lambda: exactly('<div><span class="x" onclick="y"><b>a</i><!-- c -->'),
        "<!-- unclosed comments": lambda: exactly("<!--"),
        "&# x10000": lambda: exactly("&#"),
        "&#65; entities": lambda: exactly("&#65;"),
        "&amp; entities": lambda: exactly("&amp;"),
        "& x20000": lambda: "&" * LENGTH,
        "one 20000-char URL": lambda: "https://example.org/" + "a" * (LENGTH - 20),
        "www.a.b autolinks": lambda: exactly("www.a.b "),
        "http://a.b autolinks": lambda: exactly("http://a.b "),
        "# headers": lambda: exactly("# a\n"),
        "table, 5000 rows": lambda: padded("|a|b|\n|-|-|\n", "|a|b|\n"),
        "table, 2000 columns": lambda: "|a" * 2_000 + "|\n" + exactly("|-", LENGTH - 4_002),
        "footnotes": lambda: exactly("[^a] [^a]: b\n"),
        f"{len(names)} @mentions of members": lambda: padded(mentions),
        "2000 @mentions of members": lambda: padded(mentions[: len(mentions) // 2]),
        "@abc x4000 (one member)": lambda: exactly("@abc "),
        "@nobody mentions (none exist)": lambda: exactly("@nobody12 "),
        "mixed Arabic/Latin": lambda: exactly(MIXED),
        "realistic long post (en)": lambda: exactly(ENGLISH),
        "realistic long post (ar)": lambda: exactly(ARABIC),
        "under guard: *a* emphasis": lambda: just_under_guard("*a* "),
        "under guard: links": lambda: just_under_guard("[x](https://example.org/a-long-path) "),
        "under guard: < in text": lambda: just_under_guard("a < "),
        "under guard: @abc and a link": lambda: just_under_guard("@abc [x](http://e.org) "),
        "under guard: 23 quotes deep": lambda: padded("> " * 23),
        "under guard: *a* and @mentions": lambda: just_under_guard("*a* ", mentions),
    }


@dataclass
class Timing:
    name: str
    outcome: str
    html_length: int
    best_ms: float
    worst_ms: float


def measure(name: str, source: str, runs: int, collect: bool) -> Timing:
    assert len(source) == LENGTH, (name, len(source))
    outcome, html = "rendered", ""
    samples = []
    for _ in range(runs + 1):  # the first run warms caches and is not counted
        if collect:
            # A full collection in this process takes 30-60 ms (about 130,000 tracked objects:
            # the app, SQLAlchemy, the confusables table). Starting each run from a collected
            # heap charges a run for its own garbage, not for what earlier runs left behind.
            gc.collect()
        started = time.perf_counter()
        try:
            html = markup.render(source, post_ops.resolve_mentions)
            outcome = "rendered"
        except markup.MarkupError as refusal:
            outcome = f"refused: {refusal}"
        samples.append((time.perf_counter() - started) * 1000)
    counted = samples[1:]
    return Timing(name, outcome, len(html), min(counted), max(counted))


def member_app(directory: str):
    """An app on a fresh database with MEMBERS members named by three letters."""
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{directory}/bench.db",
            "SECRET_KEY": "markup benchmark",
            "SEARCH_INDEXER": "off",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # only to create the members fast
        },
        instance_path=directory,
    )
    with app.test_request_context("/"):
        upgrade()
        for name in ("abc", "amina", "karim"):
            register_member(name, f"{name}@example.org", "benchmark password")
        names = []
        for letters in product(NAME_LETTERS, repeat=3):
            name = "".join(letters)
            try:
                register_member(name, f"{name}@example.org", "benchmark password")
            except OperationError:
                continue  # taken, or looks like a name already taken
            names.append(name)
            if len(names) == MEMBERS:
                break
        db.session.commit()
    return app, names


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per input")
    parser.add_argument(
        "--no-collect",
        action="store_true",
        help="do not run the garbage collector between runs (worst cases then include "
        "full-collection pauses caused by earlier runs)",
    )
    arguments = parser.parse_args()
    runs = max(1, arguments.runs)

    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="brain-bench-markup-") as directory:
        print(f"registering {MEMBERS:,} members for mention resolution ...", flush=True)
        app, names = member_app(directory)
        timings = []
        with app.test_request_context("/"):
            for name, build in pathological_inputs(names).items():
                timings.append(measure(name, build(), runs, not arguments.no_collect))
            db.engine.dispose()

    width = max(len(t.name) for t in timings)
    print(f"\n{LENGTH:,} characters each, best/worst of {runs} runs after one warm-up\n")
    print(f"{'input':<{width}}  {'best ms':>8}  {'worst ms':>8}  {'html':>7}  outcome")
    for t in timings:
        print(
            f"{t.name:<{width}}  {t.best_ms:8.1f}  {t.worst_ms:8.1f}  {t.html_length:7,}  "
            f"{t.outcome}"
        )
    print(
        f"\nload average (1 min) {load_before:.2f} before, {os.getloadavg()[0]:.2f} after, "
        f"on {os.cpu_count()} CPUs"
    )
    steady = max(timings, key=lambda t: t.best_ms)
    # The best run is the input's own cost; the worst adds whatever else the machine was doing.
    print(f"slowest input at its best: {steady.name}, {steady.best_ms:.1f} ms")
    worst = max(timings, key=lambda t: t.worst_ms)
    print(f"slowest input at its worst: {worst.name} ({worst.outcome})")
    print(
        f"worst case: {worst.worst_ms:.1f} ms (ceiling {CEILING_MS:.0f} ms) "
        f"ratio worst/100ms = {worst.worst_ms / CEILING_MS:.2f}"
    )
    return 1 if worst.worst_ms > CEILING_MS else 0


if __name__ == "__main__":
    sys.exit(main())
