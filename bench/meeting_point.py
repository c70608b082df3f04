"""Meeting Point benchmark (issue 6): the home page with its facet counts and the suggested
matches on a request's page, with 10,000 cooperation posts among 100,000 posts overall.
Target: p95 at most 100 ms for each page, timed in-process (Flask test client) over 200
requests after 20 warm-up requests.

On a fresh temporary SQLite database and index folder:

1. data: ordinary boards, 200 members and their topics come from bench/corpus.py; the members
   get profiles (country, spoken languages, areas of expertise); a "meeting-point" board gets
   10,000 cooperation topics with replies, each with its details (kind, status, form, 1-3
   themes, 1-3 countries and their regions, 0-3 SDGs, 1-2 working languages), its status
   history and some expressions of interest. Everything is written with Core ``insert()`` in
   the shape brain.ops gives it (the operations would take far too long for this much); the
   Whoosh index is then built with ``Indexer.rebuild(procs=2)``.
2. pages, as a logged-in member whose profile yields "Suggested for you": the home page (its
   counts over every post and the member's suggestions are kept while the Meeting Point is
   unchanged), the home page again with the change counters (the Meeting Point's and the
   content's) moved before each request (so nothing kept serves it: neither counts nor the
   facet table nor fragments), the home page filtered by a theme and a region, the home page
   with words (text search and facets; 10 words in turn, kept fragments serve the repeats),
   the same with the counters moved before each request, and the page of a request topic
   (cooperation panel with suggestions; 220 topics in turn, so each is a first view). The session
   cookie keeps brain.pagecache (guests only) out of the way: every response is rendered.
   What the process holds before the pages is frozen out of the garbage collector, as
   brain/wsgi.py does in each worker. Each figure is p50/p95/max of ``time.perf_counter``
   around ``client.get``, with this process's CPU time beside it (other work on a shared
   machine stretches only the first) and the garbage collector's pauses; pages that cycle
   through a few addresses also show each address's median. The same pages are then
   requested again with SQL statements counted and timed, apart from the timed runs so the
   listener does not weigh on them.
3. functions: what those pages call, alone, each call in a request context of its own:
   listing, facet_counts, suggestions_for_member, cooperation_topics, the facet table's read,
   similar_cooperations, suggestions_for. They show where a page's time goes.
4. profile: for each page that misses its target (every page with --profile), pyinstrument
   over a few more requests: functions by time of their own, and brain's functions by total.

Run: ``.venv/bin/python bench/meeting_point.py [--cooperations 10000] [--posts 100000]``;
``--keep`` then ``--reuse DIR`` measures again on the same database and index.
The exit status is 0 either way: timings on a shared machine are information.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import re
import shutil
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from pathlib import Path
from urllib.parse import unquote

import corpus
from flask import Flask, url_for
from flask_babel import force_locale
from flask_login import login_user
from flask_migrate import upgrade
from sqlalchemy import bindparam, event, func, insert, select, update
from sqlalchemy import text as sql_text

from brain import create_app, markup, search
from brain.extensions import db
from brain.meeting import counts, matching, profiles, queries
from brain.models import (
    Board,
    ContentVersion,
    Cooperation,
    CooperationTag,
    Counter,
    Interest,
    Post,
    StatusChange,
    Topic,
    User,
)
from brain.ops import sessions
from brain.ops.text import slugify
from brain.vocabulary import meeting as catalog

TARGET_MS = 100.0
RUNS = 200
WARMUP = 20
SQL_RUNS = 20  # requests per page with the SQL listener on
SQL_SHOWN = 3  # the statements shown per page, those that take most
SQL_WIDTH = 150
PROFILE_RUNS = 40
MEMBERS = 200
COOPERATIONS = 10_000
POSTS = 100_000
PERIOD = timedelta(days=730)
CHUNK = 5_000  # rows per executemany

# -- what the Meeting Point holds -------------------------------------------------------------

KIND_SHARES = {"request": 0.42, "offer": 0.38, "experience": 0.20}
STATUS_SHARES = {
    "open": 0.52,
    "in_discussion": 0.26,
    "matched": 0.08,
    "completed": 0.06,
    "closed": 0.05,
    "withdrawn": 0.03,
}
# The statuses a post went through to reach each final one (allowed by catalog.TRANSITIONS).
STATUS_PATHS = {
    "open": ("open",),
    "in_discussion": ("open", "in_discussion"),
    "matched": ("open", "in_discussion", "matched"),
    "completed": ("open", "in_discussion", "matched", "completed"),
    "closed": ("open", "closed"),
    "withdrawn": ("open", "withdrawn"),
}
MODALITY_SHARES = {
    "peer-exchange": 0.25,
    "training": 0.20,
    "partnership": 0.15,
    "study-visit": 0.12,
    "expert-deployment": 0.12,
    "technology-transfer": 0.08,
    "resource-mobilisation": 0.08,
}
# South-South cooperation: most posts concern Africa, Latin America and Asia.
REGION_SHARES = {
    "202": 0.30,
    "419": 0.28,
    "142": 0.18,
    "150": 0.10,
    "015": 0.08,
    "021": 0.03,
    "009": 0.03,
}
# The most active countries of each region come first; the region's others follow.
ACTIVE_COUNTRIES = {
    "202": "SN ML BF CI GH NG KE ZA CM BJ RW UG TZ ET MZ",
    "419": "BR AR MX CO EC BO UY CL PE CR",
    "142": "IN ID PH BD VN KH NP JO LB",
    "150": "FR ES IT PT BE DE",
    "015": "MA TN EG DZ",
    "021": "CA US",
    "009": "FJ AU NZ",
}
ACTIVE = frozenset(" ".join(ACTIVE_COUNTRIES.values()).split())
# Working languages by region of the first country.
REGION_LANGUAGES = {
    "202": {"fr": 0.45, "en": 0.45, "pt": 0.10},
    "419": {"es": 0.70, "pt": 0.25, "en": 0.05},
    "142": {"en": 0.80, "ar": 0.20},
    "150": {"en": 0.40, "fr": 0.30, "es": 0.15, "pt": 0.15},
    "015": {"ar": 0.60, "fr": 0.40},
    "021": {"en": 0.80, "fr": 0.20},
    "009": {"en": 1.0},
}
SDG_WEIGHTS = {8: 10, 1: 6, 5: 6, 17: 5, 10: 5, 2: 4, 4: 3, 11: 3, 12: 3, 13: 3}
SDG_WEIGHTS.update({number: 1.5 for number in catalog.SDGS if number not in SDG_WEIGHTS})
THEME_COUNTS = {1: 0.50, 2: 0.35, 3: 0.15}
COUNTRY_COUNTS = {1: 0.55, 2: 0.30, 3: 0.15}
SDG_COUNTS = {0: 0.25, 1: 0.35, 2: 0.25, 3: 0.15}
SECOND_LANGUAGE = 0.35
REPLIES_MEAN = 2.0
HIDDEN_SHARE = 0.005  # of cooperation topics, hidden by a moderator
INTEREST_MEAN = 1.2  # expressions of interest per offer or request
# Areas of expertise that match no theme, in the members' languages.
OTHER_EXPERTISE = (
    "accounting",
    "fundraising",
    "mentoring",
    "comptabilité",
    "plaidoyer",
    "contabilidad",
    "incidencia",
    "contabilidade",
    "الإدارة",
)


class Weighted:
    """Draws keys with the given weights (a fixed ``random.Random`` makes it repeatable)."""

    def __init__(self, weights: dict):
        self.keys = list(weights)
        self.cumulative = list(accumulate(weights.values()))

    def draw(self, rng: random.Random):
        return rng.choices(self.keys, cum_weights=self.cumulative)[0]

    def distinct(self, rng: random.Random, count: int) -> list:
        chosen: list = []
        while len(chosen) < min(count, len(self.keys)):
            key = self.draw(rng)
            if key not in chosen:
                chosen.append(key)
        return chosen


def _country_weights(region: str) -> dict[str, float]:
    active = ACTIVE_COUNTRIES[region].split()
    rest = [code for code in catalog.REGION_COUNTRIES[region].split() if code not in active]
    return {code: 1 / (rank + 2) ** 1.2 for rank, code in enumerate(active + rest)}


def _theme_weights(rng: random.Random) -> dict[str, float]:
    codes = list(catalog.THEMES)
    rng.shuffle(codes)
    return {code: 1 / (rank + 2) ** 0.9 for rank, code in enumerate(codes)}


class Draws:
    """The distributions of the Meeting Point's details, drawn from one ``random.Random``."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.kinds = Weighted(KIND_SHARES)
        self.statuses = Weighted(STATUS_SHARES)
        self.modalities = Weighted(MODALITY_SHARES)
        self.regions = Weighted(REGION_SHARES)
        self.sdgs = Weighted(SDG_WEIGHTS)
        self.theme_counts = Weighted(THEME_COUNTS)
        self.country_counts = Weighted(COUNTRY_COUNTS)
        self.sdg_counts = Weighted(SDG_COUNTS)
        self.themes = Weighted(_theme_weights(rng))
        self.countries = {region: Weighted(_country_weights(region)) for region in REGION_SHARES}
        self.languages = {region: Weighted(REGION_LANGUAGES[region]) for region in REGION_SHARES}

    def country(self) -> str:
        return self.countries[self.regions.draw(self.rng)].draw(self.rng)

    def language_of(self, country: str) -> str:
        return self.languages[catalog.REGION_OF[country]].draw(self.rng)


# -- the database -----------------------------------------------------------------------------


@dataclass
class Bench:
    tmp: Path
    app: Flask
    board_id: int = 0
    member_id: int = 0
    request_topics: list[int] = field(default_factory=list)  # visible requests
    words: list[str] = field(default_factory=list)
    theme_regions: list[tuple[str, str]] = field(default_factory=list)


def make_bench(tmp: Path) -> Bench:
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp / 'brain.db'}",
            "SECRET_KEY": "x",
            "SEARCH_INDEXER": "off",
            "TESTING": True,
        },
        instance_path=str(tmp / "instance"),
    )
    with app.app_context():
        upgrade()
    return Bench(tmp, app)


def _next_id(connection, model) -> int:
    return (connection.scalar(select(func.max(model.id))) or 0) + 1


def give_profiles(bench: Bench, draws: Draws) -> list[tuple[int, str | None]]:
    """Country, spoken languages and expertise for corpus.load's authors (the themes named in
    a language the member speaks, as a person would write them)."""
    rng = draws.rng
    rows = []
    with bench.app.test_request_context():
        member_ids = db.session.scalars(select(User.id).order_by(User.id)).all()
        for member_id in member_ids:
            country = draws.country() if rng.random() < 0.9 else None
            first = draws.language_of(country) if country else rng.choice(["en", "fr", "es"])
            spoken = [first] + [c for c in ("en", "fr", "es") if c != first and rng.random() < 0.3]
            expertise = None
            if rng.random() < 0.85:
                with force_locale(rng.choice(spoken)):
                    words = [
                        str(catalog.THEMES[code]).lower()
                        for code in draws.themes.distinct(rng, draws.theme_counts.draw(rng))
                    ]
                if rng.random() < 0.3:
                    words.append(rng.choice(OTHER_EXPERTISE))
                expertise = ", ".join(words)[:300]
            rows.append(
                {
                    "member": member_id,
                    "country": country,
                    "spoken_languages": ",".join(spoken),
                    "expertise": expertise,
                }
            )
        db.session.execute(
            update(User.__table__)
            .where(User.__table__.c.id == bindparam("member"))
            .values(
                country=bindparam("country"),
                spoken_languages=bindparam("spoken_languages"),
                expertise=bindparam("expertise"),
            ),
            rows,
        )
        db.session.commit()
    return [(row["member"], row["country"]) for row in rows]


@dataclass
class Rows:
    topics: list[dict] = field(default_factory=list)
    posts: list[dict] = field(default_factory=list)
    cooperations: list[dict] = field(default_factory=list)
    tags: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    interests: list[dict] = field(default_factory=list)

    def write(self, connection) -> None:
        # Parents before children (foreign keys are on): posts point at topics, details at
        # cooperations. Topics get their first and last post afterwards.
        for model, rows in (
            (Topic, self.topics),
            (Post, self.posts),
            (Cooperation, self.cooperations),
            (CooperationTag, self.tags),
            (StatusChange, self.changes),
            (Interest, self.interests),
        ):
            if rows:
                connection.execute(insert(model), rows)
            rows.clear()


class MeetingPointWriter:
    """Rows of cooperation topics, in the shape brain.ops.cooperation.post_cooperation, replies
    and status changes give them; ids are taken in sequence from those passed in."""

    def __init__(self, draws: Draws, text: corpus.TextGenerator, members, ids: dict, board_id):
        self.draws, self.rng, self.text = draws, draws.rng, text
        self.member_ids = [member_id for member_id, _country in members]
        self.by_country: dict[str, list[int]] = defaultdict(list)
        for member_id, country in members:
            self.by_country[country].append(member_id)
        self.ids = dict(ids)
        self.board_id = board_id
        self.now = datetime.now(UTC).replace(microsecond=0)
        self.rows = Rows()
        self.ends: list[dict] = []  # each topic's first and last post

    def _take(self, name: str) -> int:
        self.ids[name] += 1
        return self.ids[name] - 1

    def topic(self, size: int) -> None:
        """One cooperation topic of *size* posts (its opening post and replies)."""
        rng, draws = self.rng, self.draws
        countries = [draws.country()]
        for _ in range(draws.country_counts.draw(rng) - 1):
            # Triangular cooperation: the other countries are often in another region.
            other = draws.country()
            if other not in countries:
                countries.append(other)
        language = draws.language_of(countries[0])
        kind = draws.kinds.draw(rng)
        # An experience tells of cooperation that took place: it has no partners to find.
        status = (
            draws.statuses.draw(rng)
            if kind != "experience"
            else rng.choice(["open"] * 3 + ["completed"])
        )
        local = self.by_country.get(countries[0])
        author = rng.choice(local if local and rng.random() < 0.7 else self.member_ids)
        created = self.now - PERIOD + PERIOD * (rng.random() * 0.97)
        title = self.text.title(language)
        topic_id = self._take("topic")
        last_at = self._thread(topic_id, author, language, created, size)
        self.rows.topics.append(
            {
                "id": topic_id,
                "board_id": self.board_id,
                "author_id": author,
                "title": title,
                "slug": slugify(title),
                "language": language,
                "created_at": created,
                "last_activity_at": last_at,
                "reply_count": size - 1,
                "post_count": size,
                "hidden_at": self.now if rng.random() < HIDDEN_SHARE else None,
            }
        )
        changed_at = self._history(topic_id, author, status, created)
        self.rows.cooperations.append(
            {
                "topic_id": topic_id,
                "kind": kind,
                "status": status,
                "modality": draws.modalities.draw(rng),
                "status_changed_at": changed_at,
                **self._timeframe(created),
            }
        )
        self._tags(topic_id, countries, language)
        if kind != "experience":
            self._interests(topic_id, author, status, language, created)

    def _thread(self, topic_id: int, author: int, language: str, created, size: int):
        """The opening post and its replies; returns the time of the last one."""
        rng = self.rng
        positions: list[tuple[int, str, int]] = []  # (id, tree_path, depth)
        at = created
        for n in range(size):
            post_id = self._take("post")
            if n == 0:
                parent_id, writer, post_language = None, author, language
                place = corpus.tree_position(post_id, None)
            else:
                parent = positions[0] if rng.random() < 0.6 else rng.choice(positions)
                parent_id, place = parent[0], corpus.tree_position(post_id, parent[1:])
                writer = rng.choice(self.member_ids)
                post_language = language if rng.random() < 0.9 else self.text.language()
                at = min(at + timedelta(hours=rng.expovariate(1 / 30)), self.now)
            positions.append((post_id, *place))
            body = self.text.post(post_language).body
            self.rows.posts.append(
                {
                    "id": post_id,
                    "topic_id": topic_id,
                    "author_id": writer,
                    "parent_id": parent_id,
                    "tree_path": place[0],
                    "depth": place[1],
                    "language": post_language,
                    "body_source": body,
                    "body_html": corpus.body_html(body),
                    "renderer_version": markup.RENDERER_VERSION,
                    "created_at": at,
                }
            )
        self.ends.append({"topic": topic_id, "first": positions[0][0], "last": positions[-1][0]})
        return at

    def _history(self, topic_id: int, author: int, status: str, created) -> datetime:
        """One status change per step to *status*; returns the time of the last."""
        path = STATUS_PATHS[status]
        at = created
        for step, new in enumerate(path):
            if step:
                at = min(at + timedelta(days=self.rng.expovariate(1 / 20)), self.now)
            self.rows.changes.append(
                {
                    "id": self._take("change"),
                    "topic_id": topic_id,
                    "actor_id": author,
                    "old_status": path[step - 1] if step else None,
                    "new_status": new,
                    "note": "",
                    "created_at": at,
                }
            )
        return at

    def _timeframe(self, created) -> dict:
        rng = self.rng
        starts_on: date | None = None
        ends_on: date | None = None
        ongoing = False
        if rng.random() < 0.5:
            starts_on = (created + timedelta(days=rng.randint(0, 180))).date()
            ongoing = rng.random() < 0.3
            if not ongoing:
                ends_on = starts_on + timedelta(days=rng.randint(30, 720))
        return {"starts_on": starts_on, "ends_on": ends_on, "ongoing": ongoing}

    def _tags(self, topic_id: int, countries: list[str], language: str) -> None:
        rng, draws = self.rng, self.draws
        languages = {language}
        if rng.random() < SECOND_LANGUAGE:
            languages.add(rng.choice(["en", "en", "fr", "es", "pt", "ar", "und"]))
        themes = draws.themes.distinct(rng, draws.theme_counts.draw(rng))
        sdgs = draws.sdgs.distinct(rng, draws.sdg_counts.draw(rng))
        tags = (
            {("theme", code) for code in themes}
            | {("country", code) for code in countries}
            | {("region", code) for code in catalog.regions_of(countries)}
            | {("sdg", str(number)) for number in sdgs}
            | {("language", code) for code in languages}
        )
        self.rows.tags.extend(
            {"topic_id": topic_id, "facet": facet, "value": value} for facet, value in sorted(tags)
        )

    def _interests(self, topic_id: int, author: int, status: str, language: str, created) -> None:
        """Members who expressed interest; a matched or completed post has accepted partners."""
        rng = self.rng
        extra = int(rng.expovariate(1 / INTEREST_MEAN))
        accepted = 0
        if status in ("matched", "completed"):
            accepted = 1 + (rng.random() < 0.3)
        elif status == "in_discussion":
            extra += 1
        members = [m for m in rng.sample(self.member_ids, accepted + extra + 1) if m != author]
        for n, member_id in enumerate(members[: accepted + extra]):
            at = min(created + timedelta(days=rng.expovariate(1 / 10)), self.now)
            self.rows.interests.append(
                {
                    "id": self._take("interest"),
                    "topic_id": topic_id,
                    "member_id": member_id,
                    "message": self.text.post(language, words=20).body,
                    "created_at": at,
                    "accepted_at": at + timedelta(days=3) if n < accepted else None,
                }
            )


def load_meeting_point(bench: Bench, draws: Draws, text, sizes: list[int], members) -> None:
    """The meeting-point board and one cooperation topic per entry of *sizes* (its posts)."""
    with bench.app.app_context():
        engine = db.engine
    with engine.begin() as connection:
        board_id = _next_id(connection, Board)
        connection.execute(
            insert(Board),
            [
                {
                    "id": board_id,
                    "slug": bench.app.config["MEETING_POINT_BOARD"],
                    "name": "Meeting Point",
                    "description": "Offers, requests and experiences (synthetic benchmark)",
                    "language": "en",
                    "position": 0,
                }
            ],
        )
        ids = {
            "topic": _next_id(connection, Topic),
            "post": _next_id(connection, Post),
            "change": _next_id(connection, StatusChange),
            "interest": _next_id(connection, Interest),
        }
        writer = MeetingPointWriter(draws, text, members, ids, board_id)
        for size in sizes:
            writer.topic(size)
            if len(writer.rows.posts) >= CHUNK:
                writer.rows.write(connection)
        writer.rows.write(connection)
        connection.execute(
            update(Topic.__table__)
            .where(Topic.__table__.c.id == bindparam("topic"))
            .values(first_post_id=bindparam("first"), last_post_id=bindparam("last")),
            writer.ends,
        )
    bench.board_id = board_id


def build(bench: Bench, cooperations: int, posts: int, seed: int, analyze: bool) -> None:
    rng = random.Random(seed)
    draws = Draws(rng)
    text = corpus.TextGenerator(seed)
    sizes = [min(1 + int(rng.expovariate(1 / REPLIES_MEAN)), 60) for _ in range(cooperations)]
    ordinary = posts - sum(sizes)
    if ordinary <= 0:
        raise SystemExit(f"--posts must exceed the {sum(sizes):,} Meeting Point posts")
    with bench.app.app_context():
        engine = db.engine
    started = time.perf_counter()
    stats = corpus.load(engine, ordinary, seed=seed, authors=MEMBERS, generator=text)
    print(
        f"  ordinary boards: {stats.posts:,} posts in {stats.topics:,} topics, "
        f"{stats.authors} members ({stats.seconds:.0f} s)",
        flush=True,
    )
    members = give_profiles(bench, draws)
    started = time.perf_counter()
    load_meeting_point(bench, draws, text, sizes, members)
    with bench.app.app_context():
        counted = {
            name: db.session.scalar(select(func.count()).select_from(model))
            for name, model in (
                ("cooperations", Cooperation),
                ("tags", CooperationTag),
                ("status changes", StatusChange),
                ("interests", Interest),
                ("posts overall", Post),
            )
        }
        if analyze:
            db.session.execute(sql_text("ANALYZE"))
            db.session.commit()
    print(
        f"  meeting point: {sum(sizes):,} posts; "
        + ", ".join(f"{count:,} {name}" for name, count in counted.items())
        + f" ({time.perf_counter() - started:.0f} s)"
        + (" — ANALYZE run" if analyze else ""),
        flush=True,
    )
    started = time.perf_counter()
    with bench.app.app_context():
        indexed = bench.app.extensions["brain_search"].rebuild(procs=2)
    print(f"  index: {indexed:,} posts in {time.perf_counter() - started:.0f} s", flush=True)


def reuse(bench: Bench) -> None:
    """What build() records, read back from a database it built."""
    with bench.app.app_context():
        board = db.session.scalar(
            select(Board).where(Board.slug == bench.app.config["MEETING_POINT_BOARD"])
        )
        if board is None:
            raise SystemExit(f"{bench.tmp}: no Meeting Point board; not a kept run")
        bench.board_id = board.id
        counted = db.session.scalar(select(func.count()).select_from(Cooperation))
    print(f"  meeting point: {counted:,} cooperations", flush=True)


# Words for the text search of the home page: frequent and rarer ones, in every language.
WORDS = (
    "cooperative",
    "coopérative",
    "cooperativa",
    "التعاونية",
    "housing",
    "financement",
    "vivienda",
    "catadores",
    "training",
    "quilombola",
)


def choose_cases(bench: Bench, runs: int, warmup: int, seed: int) -> None:
    """The member, the request topics, the theme-and-region pairs and the words to ask for."""
    rng = random.Random(seed + 7)
    with bench.app.test_request_context():
        for member in db.session.scalars(select(User).order_by(User.id)):
            interests = profiles.profile_interests(member)
            # A member from an active country: a typical reader, not an outlier.
            active = member.country in ACTIVE
            if active and {"theme", "country", "language"} <= set(interests):
                login_user(member)
                if matching.suggestions_for_member(member):
                    bench.member_id = member.id
                    print(
                        f"  member {member.username}: country {member.country}, speaks "
                        f"{member.spoken_languages_csv}, expertise “{member.expertise}” → "
                        f"themes {sorted(interests['theme'])}",
                        flush=True,
                    )
                    break
        if not bench.member_id:
            raise SystemExit("no member's profile yields suggestions")
        requests = db.session.scalars(
            select(Topic.id)
            .join(Cooperation, Cooperation.topic_id == Topic.id)
            .where(
                Topic.board_id == bench.board_id,
                Topic.hidden_at.is_(None),
                Cooperation.kind == "request",
            )
            .order_by(Topic.id)
        ).all()
        bench.request_topics = rng.sample(requests, min(len(requests), runs + warmup))
        # Theme and region pairs across the range, from the most frequent to rare ones.
        theme, region = CooperationTag.__table__.alias(), CooperationTag.__table__.alias()
        pairs = db.session.execute(
            select(theme.c.value, region.c.value, func.count().label("n"))
            .join(region, region.c.topic_id == theme.c.topic_id)
            .where(theme.c.facet == "theme", region.c.facet == "region")
            .group_by(theme.c.value, region.c.value)
            .order_by(func.count().desc(), theme.c.value, region.c.value)
        ).all()
        step = max(1, len(pairs) // 10)
        bench.theme_regions = [(row[0], row[1]) for row in pairs[::step][:10]]
    bench.words = list(WORDS)


# -- timing -----------------------------------------------------------------------------------


def percentile(seconds: list[float], share: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    ordered = sorted(seconds)
    rank = max(1, -(-len(ordered) * share // 1))
    return 1000 * ordered[int(rank) - 1]


@dataclass
class Timing:
    name: str
    seconds: list[float]  # wall-clock time of each run
    target_ms: float | None = None
    cpu: list[float] = field(default_factory=list)  # this process's CPU time of each run

    @property
    def p95(self) -> float:
        return percentile(self.seconds, 0.95)

    @property
    def missed(self) -> bool:
        return self.target_ms is not None and self.p95 > self.target_ms

    def line(self) -> str:
        """Name, wall-clock p50/p95/max and CPU p50/p95 in ms, then the verdict if any."""
        wall = [percentile(self.seconds, 0.5), self.p95, 1000 * max(self.seconds)]
        cpu = [percentile(self.cpu, 0.5), percentile(self.cpu, 0.95)] if self.cpu else []
        shown = f"  {self.name:<46}" + "".join(f"{ms:8.1f}" for ms in wall)
        shown += " │" + "".join(f"{ms:8.1f}" for ms in cpu)
        if self.target_ms is None:
            return shown
        verdict = "MISSED" if self.missed else "OK"
        return f"{shown} │ {self.p95 / self.target_ms:5.2f}  {verdict}"


TABLE_HEAD = (
    f"  {'':<46}{'p50':>8}{'p95':>8}{'max':>8} │{'CPU p50':>8}{'p95':>8} │ p95/{TARGET_MS:.0f}"
)


@dataclass
class Page:
    name: str
    urls: list[str]  # warm-up requests take the first ones, then the measured ones, cycling
    marker: bytes  # what the response must contain for the figure to mean what it says
    marked: int = 0  # timed responses that contain it
    gc: str = ""  # garbage collection during the timed requests
    by_url: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    before: Callable[[], None] | None = None  # run before each request, outside the timing


def pages(bench: Bench) -> list[Page]:
    with bench.app.test_request_context():
        topics = [db.session.get(Topic, topic_id) for topic_id in bench.request_topics]
        topic_urls = [url_for("forum.topic", topic_id=t.id, slug=t.slug) for t in topics]
        home = url_for("meeting.home")
        filtered = [url_for("meeting.home", theme=t, region=r) for t, r in bench.theme_regions]
        worded = [url_for("meeting.home", q=word) for word in bench.words]

    def meeting_point_changed() -> None:
        """What a new post or a change of status does: both counters move (the Meeting
        Point's and the content's), so the counts, the facet table, the suggestions and the
        fragments each process keeps are worked out again."""
        with bench.app.app_context(), db.engine.begin() as connection:
            connection.execute(
                update(ContentVersion)
                .where(ContentVersion.id.in_([Counter.MEETING_POINT, Counter.CONTENT]))
                .values(value=ContentVersion.value + 1)
            )

    return [
        Page("home (facets, suggested for you)", [home], b'id="for-you-heading"'),
        Page(
            "home, just after a change (nothing kept)",
            [home],
            b'id="for-you-heading"',
            before=meeting_point_changed,
        ),
        Page("home ?theme=…&region=…", filtered, b'class="facets"'),
        Page("home ?q=… (text search + facets)", worded, b'class="facets"'),
        Page(
            "home ?q=…, just after a change (nothing kept)",
            worded,
            b'class="facets"',
            before=meeting_point_changed,
        ),
        Page("request topic (panel + suggestions)", topic_urls, b'class="suggestions"'),
    ]


def logged_in_client(bench: Bench):
    client = bench.app.test_client()
    with bench.app.app_context():  # a login session on the server, as logging in opens
        session_id = sessions.open_session(db.session.get(User, bench.member_id))
        db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = session_id
        session["_fresh"] = True
    return client


def _get(client, page: Page, url: str):
    if page.before is not None:
        page.before()
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    page.marked += page.marker in response.data
    return response


class GcLog:
    """Collections of the oldest generation and the time all collections took, while on:
    the pauses behind the slowest requests when the ORM builds many objects."""

    def __init__(self):
        self.full = 0
        self.seconds = 0.0
        self._started = 0.0

    def _callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._started
            self.full += info["generation"] == 2

    def __enter__(self):
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc):
        gc.callbacks.remove(self._callback)

    def summary(self, runs: int) -> str:
        return f"GC {1000 * self.seconds / runs:.1f} ms per request, {self.full} full collections"


def time_page(client, page: Page, runs: int, warmup: int) -> Timing:
    for n in range(warmup):
        _get(client, page, page.urls[n % len(page.urls)])
    if not page.marked:
        raise SystemExit(f"{page.name}: no response shows {page.marker!r}")
    page.marked = 0
    seconds, cpu = [], []
    with GcLog() as collections:
        for n in range(runs):
            url = page.urls[(warmup + n) % len(page.urls)]
            if page.before is not None:
                page.before()
            started, cpu_started = time.perf_counter(), time.process_time()
            response = client.get(url)
            seconds.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)
            assert response.status_code == 200, f"{url}: {response.status_code}"
            page.marked += page.marker in response.data
            page.by_url[url].append(seconds[-1])
    page.gc = collections.summary(runs)
    return Timing(page.name, seconds, TARGET_MS, cpu)


def by_url(page: Page) -> str:
    """The median of each address, slowest first, when a page cycles through a few."""
    medians = sorted(
        ((percentile(times, 0.5), url) for url, times in page.by_url.items()), reverse=True
    )
    return "\n".join(f"        p50 {ms:7.1f} ms  {unquote(url)}" for ms, url in medians)


_LITERALS = re.compile(r"\?(?:, \?)+")


class SqlLog:
    """Statements run and their time, while listening on the engine."""

    def __init__(self, engine):
        self.engine = engine
        self.by_statement: dict[str, list[float]] = defaultdict(list)
        self._started: list[float] = []

    def _before(self, conn, cursor, statement, *args):
        self._started.append(time.perf_counter())

    def _after(self, conn, cursor, statement, *args):
        shape = _LITERALS.sub("?, …", " ".join(statement.split()))
        self.by_statement[shape].append(time.perf_counter() - self._started.pop())

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def sql_of_page(bench: Bench, client, page: Page, runs: int) -> str:
    """Statements per request, their time, and the three that take most (shortened)."""
    with bench.app.app_context():
        engine = db.engine
    with SqlLog(engine) as log:
        for n in range(runs):
            _get(client, page, page.urls[n % len(page.urls)])
    count = sum(len(times) for times in log.by_statement.values()) / runs
    total = sum(sum(times) for times in log.by_statement.values()) / runs
    heaviest = sorted(log.by_statement.items(), key=lambda item: -sum(item[1]))[:SQL_SHOWN]
    lines = [f"  {page.name}: {count:.0f} statements, {1000 * total:.1f} ms in SQL per request"]
    for statement, times in heaviest:
        lines.append(
            f"      {1000 * sum(times) / runs:6.1f} ms/request ×{len(times) / runs:4.1f}  "
            f"{statement[:SQL_WIDTH]}"
        )
    return "\n".join(lines)


def time_function(bench: Bench, name: str, call: Callable, prepare: Callable, runs: int) -> Timing:
    """*call(*prepare(n))* in a request context of its own per run, as the member; only the
    call is timed (prepare loads what the page would have at hand)."""
    seconds, cpu = [], []
    for n in range(-WARMUP // 4, runs):
        with bench.app.test_request_context("/meeting-point/"):
            login_user(db.session.get(User, bench.member_id))
            args = prepare(n)
            started, cpu_started = time.perf_counter(), time.process_time()
            call(*args)
            elapsed, cpu_elapsed = time.perf_counter() - started, time.process_time() - cpu_started
        if n >= 0:
            seconds.append(elapsed)
            cpu.append(cpu_elapsed)
    return Timing(name, seconds, cpu=cpu)


def time_functions(bench: Bench, runs: int) -> list[Timing]:
    from brain.forum import queries as forum_queries
    from brain.meeting.views import panel

    def member(n):
        return (db.session.get(User, bench.member_id),)

    def pair(n):
        theme, region = bench.theme_regions[n % len(bench.theme_regions)]
        return (queries.Selection(chosen={"theme": {theme}, "region": {region}}),)

    def word(n):
        return (bench.words[n % len(bench.words)],)

    def worded(n):
        return (queries.Selection(topic_ids=search.cooperation_topics(*word(n))),)

    def topic(n):
        return (db.session.get(Topic, bench.request_topics[n % len(bench.request_topics)]),)

    def opening(n):
        return (topic(n)[0].first_post_id,)

    def scored(n):
        cooperation = topic(n)[0].cooperation
        return cooperation, search.similar_cooperations(*opening(n))

    def thread(n):
        return topic(n)[0], 1, bench.app.config["POSTS_PER_PAGE"], False

    cases = [
        ("home: listing", queries.listing, lambda n: (queries.Selection(), 1)),
        ("home: facet_counts", counts.facet_counts, lambda n: (queries.Selection(),)),
        ("home: suggestions_for_member", matching.suggestions_for_member, member),
        ("theme+region: listing", queries.listing, lambda n: (*pair(n), 1)),
        ("theme+region: facet_counts", counts.facet_counts, pair),
        ("words: search.cooperation_topics", search.cooperation_topics, word),
        ("words: listing", queries.listing, lambda n: (*worded(n), 1)),
        ("words: facet_counts", counts.facet_counts, worded),
        ("after a change: the facet table read", queries._read_table, lambda n: ()),
        ("request: forum topic_page (thread)", forum_queries.topic_page, thread),
        ("request: search.similar_cooperations", search.similar_cooperations, opening),
        ("request: suggestions_for (text scores given)", matching.suggestions_for, scored),
        ("request: panel() (all of the above two)", panel, topic),
    ]
    timings = []
    for name, call, prepare in cases:
        timings.append(time_function(bench, name, call, prepare, runs))
        print(timings[-1].line(), flush=True)
    return timings


# -- profiling --------------------------------------------------------------------------------


def profile_page(client, page: Page, runs: int, html: Path | None) -> str:
    """Where a page's time goes: functions by time of their own, brain's by total time."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for n in range(runs):
        client.get(page.urls[n % len(page.urls)])
    profiler.stop()
    if html is not None:
        html.write_text(profiler.output_html())
    root = profiler.last_session.root_frame()
    whole = root.time or 1.0
    own: dict[str, float] = defaultdict(float)
    total: dict[str, float] = defaultdict(float)
    stack = [(root, frozenset())]
    while stack:
        frame, above = stack.pop()
        if frame.is_synthetic:
            continue  # its time is already its parent's own time
        key = f"{frame.function} ({frame.file_path_short}:{frame.line_no})"
        own[key] += frame.total_self_time
        # A recursive function counts once, at its outermost call.
        if "/brain/" in (frame.file_path or "") and key not in above:
            total[key] += frame.time
        stack.extend((child, above | {key}) for child in frame.children)
    lines = [f"  {page.name}: {1000 * whole / runs:.1f} ms per request under the profiler"]
    lines.append("    time of their own:")
    for key, seconds in sorted(own.items(), key=lambda item: -item[1])[:12]:
        lines.append(f"      {100 * seconds / whole:5.1f}%  {key}")
    lines.append("    brain's functions, total time:")
    for key, seconds in sorted(total.items(), key=lambda item: -item[1])[:12]:
        lines.append(f"      {100 * seconds / whole:5.1f}%  {key}")
    return "\n".join(lines)


# -- the run ----------------------------------------------------------------------------------


def heading(text: str) -> None:
    print(f"\n{text}", flush=True)


def load_average() -> str:
    """The machine's load: other processes on a shared machine stretch wall-clock times (the
    CPU times beside them are this process's own work)."""
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cooperations", type=int, default=COOPERATIONS)
    parser.add_argument("--posts", type=int, default=POSTS, help="posts overall")
    parser.add_argument("--runs", type=int, default=RUNS, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="profile every page")
    parser.add_argument(
        "--analyze", action="store_true", help="run ANALYZE after loading (the app does not)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary folder (and profiles as HTML)"
    )
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        help="use the database and index a --keep run left in DIR instead of building them "
        "(same --seed; the sizes are those of that run)",
    )
    args = parser.parse_args()
    if args.reuse:
        args.keep = True  # never delete what was asked for again
    tmp = Path(args.reuse) if args.reuse else Path(tempfile.mkdtemp(prefix="brain-meeting-bench-"))
    try:
        bench = make_bench(tmp)
        if args.reuse:
            heading(f"1. data: reused from {tmp}")
            reuse(bench)
        else:
            heading(
                f"1. data: {args.cooperations:,} cooperation posts, {args.posts:,} posts overall"
            )
            build(bench, args.cooperations, args.posts, args.seed, args.analyze)
        choose_cases(bench, args.runs, WARMUP, args.seed)

        heading(f"2. pages: {args.runs} requests each after {WARMUP} warm-up, logged in; ms")
        gc.collect()
        print(f"  {load_average()}; {len(gc.get_objects()):,} objects tracked by the GC")
        # As a worker does after start-up (brain/wsgi.py): what exists now lives on, so the
        # collector's full passes leave it out.
        gc.freeze()
        client = logged_in_client(bench)
        measured = []
        print(TABLE_HEAD)
        for page in pages(bench):
            measured.append((page, time_page(client, page, args.runs, WARMUP)))
            print(measured[-1][1].line(), flush=True)
            shown = f"{page.marked} of {args.runs} show {page.marker.decode()}"
            print(f"      ({shown}; {page.gc})", flush=True)
            if 1 < len(page.urls) <= len(WORDS):
                print(by_url(page), flush=True)
        heading(f"   SQL per request ({SQL_RUNS} more requests each, with a listener)")
        for page, _timing in measured:
            print(sql_of_page(bench, client, page, SQL_RUNS), flush=True)

        heading(f"3. functions alone: {args.runs} calls each, ms (no target: where time goes)")
        print(TABLE_HEAD)
        time_functions(bench, args.runs)

        profiled = [(page, t) for page, t in measured if args.profile or t.missed]
        if profiled:
            heading(f"4. profile (pyinstrument, {PROFILE_RUNS} requests each)")
            for n, (page, _timing) in enumerate(profiled):
                html = tmp / f"profile-{n}.html" if args.keep else None
                print(profile_page(client, page, PROFILE_RUNS, html), flush=True)

        heading(f"summary ({load_average()})")
        print(TABLE_HEAD)
        for _page, timing in measured:
            print(timing.line())
        if args.keep:
            print(f"\n  kept: {tmp}")
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
