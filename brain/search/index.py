"""The Whoosh index on disk and the one indexer that writes to it.

Any process may enqueue (brain.search.outbox); whichever process holds the inter-process lock
applies the outbox to Whoosh, so gunicorn workers never contend for Whoosh's own write lock and
no LockError can reach a person. A process killed mid-way leaves its outbox rows in place; the
next drain replays them (re-indexing a post is idempotent).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from markupsafe import Markup
from sqlalchemy import delete, insert, select, text
from sqlalchemy.orm import Session, joinedload
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import TEXT
from whoosh.searching import Searcher
from whoosh.writing import NO_MERGE

from brain.models import Cooperation, Post, SearchOutbox, Topic
from brain.permissions import is_public_post, public_post_clause
from brain.search import concepts, glossary
from brain.search.analysis import ANALYSIS_VERSION, ANALYSIS_VERSIONS
from brain.search.outbox import Follower
from brain.search.schema import (
    MEETING_FIELDS,
    build_schema,
    concept_field,
    content_field,
    language_of,
    meeting_concept_field,
    meeting_field,
)
from brain.search.sequences import SEQUENCE_COLUMN
from brain.search.shown import SHOWN_COLUMN
from brain.search.snapshot import OpenFiles, Snapshot, open_snapshot

log = logging.getLogger(__name__)
# The index holds the posts everyone may see (brain.permissions), in SQL with topics joined.
_indexable_rows = public_post_clause()
BATCH = 500
# compound=False: opening a searcher maps segment files instead of copying them into memory.
# Blocks of 1,024 postings (Whoosh's default is 128): brain.search.vectors reads a word's
# postings whole, and each block costs a read, a decompression and an unpickling; common
# words' queries are ~20 % faster and a rebuild writes fewer blocks.
WRITER_ARGS = {"compound": False, "codec": W3Codec(blocklimit=1024)}
# Memory for a rebuild's postings, per writing process, before Whoosh sorts them in runs on
# disk and merges the runs (pickling each posting twice): a writer of 50,000 posts fits.
REBUILD_MEMORY_MB = 1024
# A rebuild commits a segment every this many posts per writing process, so that no writer
# ever spills to disk and the time grows linearly with the posts (a 1,000,000-post rebuild is
# ten commits with procs=2). Later commits merge the small segments, never the large ones.
REBUILD_POSTS_PER_WRITER = 50_000
# Beside the index: the brain.search.analysis versions that analysed its documents.
VERSION_FILE = "analysis-version"


# The end of a block (paragraph, list item, heading, quote, table cell…) or a line break: a
# sentence ends there for the analyzer (brain.search.analysis), even without a full stop.
_BLOCK_END = re.compile(
    r"</(?:p|li|h[1-6]|blockquote|pre|div|tr|td|th|dd|dt|ul|ol|table)\s*>|<br\s*/?>|<hr\s*/?>",
    re.IGNORECASE,
)


def indexable_posts(batch: int):
    """Every post search shows, oldest first, with what its document needs, read *batch*
    at a time (a rebuild's read, for either backend)."""
    return (
        select(Post)
        .join(Post.topic)
        .options(
            joinedload(Post.author),
            joinedload(Post.topic).selectinload(Topic.cooperation),
        )
        .where(_indexable_rows)
        .order_by(Post.id)
        .execution_options(yield_per=batch)
    )


def refresh_statistics(engine) -> None:
    """On PostgreSQL, ANALYZE what a rebuild reads, first. Without statistics (a database
    just restored or loaded in bulk, before autovacuum has looked, or where it is off) the
    planner guessed a few posts and joined each post to every topic: a rebuild of 1,000,000
    posts did not finish in an hour. SQLite plans these joins by their keys regardless."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as connection:
        connection.execute(text("ANALYZE posts, topics, users, cooperations"))
        connection.commit()


def text_of(html: str) -> str:
    """A post's rendered HTML as text, one line a block."""
    blocks = (Markup(part).striptags() for part in _BLOCK_END.split(html))  # noqa: S704
    return "\n".join(block for block in blocks if block)


def document(post: Post) -> dict:
    topic = post.topic
    text = text_of(post.body_html)
    if post.is_opening:
        text = f"{topic.title}\n{text}"
    language = language_of(post.language)
    fields = {
        "post_id": str(post.id),
        "topic_id": str(topic.id),
        "topic": topic.id,
        "board_id": str(topic.board_id),
        "author": post.author.username_key,
        "language": post.language,
        "created": post.created_at.replace(tzinfo=None),
        "opening": post.is_opening,
        # One text object for the fields made from it: the first to need its words analyses
        # it, the others reuse them (brain.search.analysis.analysed). In a rebuild with
        # several processes, that happens in the process that writes the document.
        SHOWN_COLUMN: (post.id, post.language, text),
        content_field(language): text,
        concept_field(language): text,
        SEQUENCE_COLUMN: (text, language),
    }
    if post.is_opening and topic.cooperation is not None:
        fields["coop"] = " ".join(cooperation_tokens(topic.cooperation))
        fields[meeting_field(language)] = text
        fields[meeting_concept_field(language)] = text
    return fields


def cooperation_tokens(cooperation) -> list[str]:
    """The Meeting Point details as index terms, "facet:value"."""
    tokens = [
        f"kind:{cooperation.kind}",
        f"status:{cooperation.status}",
        f"modality:{cooperation.modality}",
    ]
    return tokens + [f"{tag.facet}:{tag.value}" for tag in cooperation.tags]


class _HeldSearcher:
    """A thread's searcher (brain.search.snapshot). Only the thread that holds it closes it
    (or the end of that thread, which drops its locals), never while a reading() block of the
    thread is using it."""

    def __init__(self, epoch: int):
        self.snapshot: Snapshot | None = None
        self.pid = os.getpid()
        self.epoch = epoch  # Indexer._epoch when opened: a rebuilt index is another index
        self.depth = 0  # how many reading() blocks of the thread are using it

    @property
    def searcher(self) -> Searcher:
        return self.snapshot.searcher

    def close(self) -> None:
        if self.snapshot is not None and self.pid == os.getpid():
            self.snapshot.close()
        self.snapshot = None

    def __del__(self):
        self.close()


@contextmanager
def _file_lock(path: Path, blocking: bool) -> Iterator[bool]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class Indexer(Follower):
    """Owns one app's index folder: opening it, applying the outbox, rebuilding, checking."""

    def __init__(self, directory: str, engine, mode: str = "thread"):
        self.directory = Path(directory)
        self.engine = engine
        self.mode = mode  # "thread": a background thread per process; "sync": at each commit
        self._lock_path = self.directory.parent / f"{self.directory.name}.lock"
        self._process_lock = threading.Lock()
        self._open_lock = threading.Lock()
        self._holding = threading.local()  # how deep this thread is in the file lock
        self._follow_init()
        self._local = threading.local()
        self._epoch = 0  # bumped when the index is replaced (rebuild, clear)
        self._files = OpenFiles(self.directory)  # what this process's searchers read
        self._ix = None
        self._ix_pid: int | None = None

    # -- the index -----------------------------------------------------------------------

    def index(self):
        if self._ix is None or self._ix_pid != os.getpid():
            # Opening may create the index or add fields to it: one process and one thread
            # at a time. The file lock comes first, as on every other path.
            with self._exclusive(blocking=True), self._open_lock:
                if self._ix is None or self._ix_pid != os.getpid():
                    self.directory.mkdir(parents=True, exist_ok=True)
                    if whoosh_index.exists_in(str(self.directory)):
                        self._open_existing()
                    else:
                        self._ix = whoosh_index.create_in(str(self.directory), build_schema())
                        self._write_version()
                    self._ix_pid = os.getpid()
        return self._ix

    @contextmanager
    def _exclusive(self, blocking: bool) -> Iterator[bool]:
        """The inter-process lock, re-entrant within a thread (opening the index inside a
        drain must not wait for the drain)."""
        depth = getattr(self._holding, "depth", 0)
        if depth:
            self._holding.depth = depth + 1
            try:
                yield True
            finally:
                self._holding.depth = depth
            return
        with _file_lock(self._lock_path, blocking) as locked:
            self._holding.depth = 1 if locked else 0
            try:
                yield locked
            finally:
                self._holding.depth = 0

    def _open_existing(self) -> None:
        """Open the index on disk, brought up to this version's schema and analysis."""
        try:
            self._ix = whoosh_index.open_dir(str(self.directory))
        except (AttributeError, ImportError) as error:
            # Whoosh keeps the analyzers in the index, pickled: the analysis code they name
            # is gone. Start empty; every post is queued to be indexed again.
            log.warning("The search index cannot be read by this version (%s): re-indexing", error)
            self._ix = whoosh_index.create_in(str(self.directory), build_schema())
            self._reanalyse()
            return
        stamp = self._stamp()
        every_post = stamp.get("version") != ANALYSIS_VERSION or stamp.get(
            "glossary"
        ) != concepts.signature(glossary.GLOSSARY)
        self._add_new_fields(enqueue=not every_post)
        if every_post:
            self._reanalyse()
        else:
            done = stamp.get("languages", {})
            changed = [lang for lang, v in ANALYSIS_VERSIONS.items() if done.get(lang, 1) != v]
            if changed:
                self._reanalyse(changed)

    def _stamp(self) -> dict:
        try:
            stamp = json.loads((self.directory / VERSION_FILE).read_text())
        except (OSError, ValueError):
            return {}  # an index made before the file existed
        return stamp if isinstance(stamp, dict) else {}

    def _write_version(self) -> None:
        stamp = {
            "version": ANALYSIS_VERSION,
            "languages": ANALYSIS_VERSIONS,
            "glossary": concepts.signature(glossary.GLOSSARY),
        }
        (self.directory / VERSION_FILE).write_text(json.dumps(stamp) + "\n")

    def _reanalyse(self, languages: list[str] | None = None) -> None:
        """An index analysed by an older version: its text fields get this version's
        analyzers (Whoosh keeps them in the index), and every post (in *languages*, when
        only theirs changed) is queued to be indexed again. Until the indexer reaches a
        post, it is found as the old analysis had it."""
        writer = self._ix.writer(**WRITER_ARGS)
        schema = build_schema()
        for name, field in schema.items():
            if isinstance(field, TEXT) and name in self._ix.schema.names():
                writer.remove_field(name)
                writer.add_field(name, field)
        for name in self._ix.schema.names():
            if name not in schema.names():  # a field this version no longer has
                writer.remove_field(name)
        writer.commit()
        self._ix = whoosh_index.open_dir(str(self.directory))
        with Session(self.engine) as session:
            posts = select(Post.id).join(Post.topic).where(_indexable_rows)
            if languages is not None:
                posts = posts.where(Post.language.in_(languages))
            post_ids = session.scalars(posts)
            rows = [{"post_id": post_id} for post_id in post_ids]
            if rows:
                session.execute(insert(SearchOutbox), rows)
            session.commit()
        self._write_version()

    def _add_new_fields(self, enqueue: bool = True) -> None:
        """Give an index made by an older version the fields added since. Documents indexed
        before lack them until `brain search rebuild`, except the cooperation posts when the
        Meeting Point's own fields are new: those are queued to be indexed again."""
        missing = [
            (name, field)
            for name, field in build_schema().items()
            if name not in self._ix.schema.names()
        ]
        if not missing:
            return
        writer = self._ix.writer(**WRITER_ARGS)
        for name, field in missing:
            writer.add_field(name, field)
        writer.commit()
        self._ix = whoosh_index.open_dir(str(self.directory))
        if enqueue and any(name in MEETING_FIELDS for name, _field in missing):
            self._enqueue_cooperation_posts()

    def _enqueue_cooperation_posts(self) -> None:
        with Session(self.engine) as session:
            openings = select(Topic.first_post_id).join(
                Cooperation, Cooperation.topic_id == Topic.id
            )
            post_ids = session.scalars(openings.where(Topic.first_post_id.is_not(None))).all()
            session.add_all(SearchOutbox(post_id=post_id) for post_id in post_ids)
            session.commit()

    @contextmanager
    def reading(self) -> Iterator[Searcher]:
        """This thread's long-lived searcher, brought up to the latest commit as the block
        starts and left as it is until the block ends: everything read inside comes from one
        snapshot of the index, whatever the indexer commits meanwhile. Blocks nest (an inner
        one shares the outer one's searcher)."""
        held = self._held()
        held.depth += 1
        try:
            yield held.searcher
        finally:
            held.depth -= 1

    def searcher(self) -> Searcher:
        """This thread's searcher, as reading() gives it; it stays usable until this thread
        asks for it again outside a reading() block."""
        return self._held().searcher

    def _held(self) -> _HeldSearcher:
        """Per thread, because a Whoosh searcher keeps state between calls (file positions,
        caches) and cannot serve two threads at once; the files under it are the process's,
        shared by every thread (brain.search.snapshot). Only the owning thread replaces it,
        and never while a block uses it."""
        held = getattr(self._local, "held", None)
        if held is not None and held.depth:
            return held
        if held is None or held.pid != os.getpid() or held.epoch != self._epoch:
            if held is not None:
                held.close()
            held = self._local.held = _HeldSearcher(self._epoch)
        if held.snapshot is None or not held.searcher.up_to_date():
            # Not Whoosh's refresh(): it reuses segment readers whose deletions may be out of
            # date. A new snapshot opens in a few milliseconds (compound=False), and opens
            # only the files of segments committed since (the others stay open).
            fresh = open_snapshot(self.index(), self._files)
            held.close()
            held.snapshot = fresh
        return held

    def _forget_searcher(self) -> None:
        """After the index was replaced: each thread opens a new searcher at its next read
        (other threads' searchers are theirs to close, possibly in the middle of a block)."""
        self._epoch += 1
        held = getattr(self._local, "held", None)
        if held is not None and not held.depth:
            held.close()

    # -- applying the outbox -------------------------------------------------------------

    def drain(self, blocking: bool = False) -> int:
        """Apply the outbox to the index; returns how many posts were (re)indexed or removed.

        Without *blocking*, gives up at once when another process holds the lock: that process
        re-checks the outbox after releasing it, so nothing enqueued before then is missed.
        """
        applied = 0
        with self._process_lock:
            while True:
                with self._exclusive(blocking) as locked:
                    if not locked:
                        return applied
                    applied += self._apply_outbox()
                if not self.pending():
                    return applied

    def _apply_outbox(self) -> int:
        applied = 0
        while True:
            with Session(self.engine) as session:
                rows = session.execute(
                    select(SearchOutbox.id, SearchOutbox.post_id)
                    .order_by(SearchOutbox.id)
                    .limit(BATCH)
                ).all()
                if not rows:
                    return applied
                post_ids = {row.post_id for row in rows}
                posts = {
                    post.id: post
                    for post in session.scalars(
                        select(Post)
                        .options(
                            joinedload(Post.author),
                            joinedload(Post.topic).joinedload(Topic.board),
                            joinedload(Post.topic).selectinload(Topic.cooperation),
                        )
                        .where(Post.id.in_(post_ids))
                    )
                }
                writer = self.index().writer(**WRITER_ARGS)
                try:
                    for post_id in sorted(post_ids):
                        post = posts.get(post_id)
                        if post is not None and is_public_post(post):
                            writer.update_document(**document(post))
                        else:
                            writer.delete_by_term("post_id", str(post_id))
                except BaseException:
                    writer.cancel()
                    raise
                writer.commit()
                # Only now is the work safe in Whoosh: forget exactly the rows we applied.
                session.execute(
                    delete(SearchOutbox).where(SearchOutbox.id.in_([row.id for row in rows]))
                )
                session.commit()
                applied += len(post_ids)

    # -- whole-index operations ----------------------------------------------------------

    def rebuild(self, progress=None, procs: int = 1) -> int:
        """Index every indexable post from scratch; returns how many were indexed."""
        refresh_statistics(self.engine)
        with self._exclusive(blocking=True):
            with Session(self.engine) as session:
                session.execute(delete(SearchOutbox))
                session.commit()
            if self.directory.exists():
                shutil.rmtree(self.directory)
            self.directory.mkdir(parents=True)
            self._ix = whoosh_index.create_in(str(self.directory), build_schema())
            self._write_version()
            self._ix_pid = os.getpid()
            self._forget_searcher()
            args = dict(WRITER_ARGS, limitmb=REBUILD_MEMORY_MB)
            if procs > 1:
                args.update(procs=procs, multisegment=True)
            per_commit = REBUILD_POSTS_PER_WRITER * max(procs, 1)
            writer = None
            count = 0
            with Session(self.engine) as session:
                for post in session.scalars(indexable_posts(1000)):
                    if writer is None:
                        writer = self._ix.writer(**args)
                    writer.add_document(**document(post))
                    count += 1
                    if progress is not None:
                        progress(1)
                    if count % per_commit == 0:
                        # NO_MERGE: merging the segments already written would pool them all again.
                        writer.commit(mergetype=NO_MERGE)
                        writer = None
            if writer is not None:
                writer.commit(mergetype=NO_MERGE)
            return count

    def check(self) -> dict[str, list[int]]:
        """Drift between database and index: posts missing from it, and entries to remove."""
        # Opening first: an index analysed by an older version queues its posts again, and
        # they are then counted as pending rather than left unreported.
        self.index()
        with Session(self.engine) as session:
            expected = set(session.scalars(select(Post.id).join(Post.topic).where(_indexable_rows)))
            pending = set(session.scalars(select(SearchOutbox.post_id)))
        with self.reading() as searcher:
            indexed = {int(fields["post_id"]) for fields in searcher.all_stored_fields()}
        return {
            "missing": sorted(expected - indexed - pending),
            "stale": sorted(indexed - expected - pending),
            "pending": sorted(pending),
        }

    def optimize(self) -> None:
        with self._exclusive(blocking=True):
            # compound=False as every writer: a compound segment is copied into memory by
            # every searcher that opens it.
            self.index().optimize(**WRITER_ARGS)

    def clear(self) -> None:
        """Empty the index and the outbox (tests)."""
        with self._exclusive(blocking=True):
            with Session(self.engine) as session:
                session.execute(delete(SearchOutbox))
                session.commit()
            self._forget_searcher()
            writer = self.index().writer(**WRITER_ARGS)
            writer.commit(mergetype=_clear_all())


def _clear_all():
    from whoosh.writing import CLEAR

    return CLEAR
