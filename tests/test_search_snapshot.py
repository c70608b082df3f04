"""Reading the Whoosh index while it changes: every reading function reads one snapshot, whatever
the indexer commits or merges meanwhile, and no thread closes another's searcher."""

from __future__ import annotations

import threading
import time

import pytest

from brain import search
from brain.models import Board, Post, User
from brain.ops import cooperation as cooperation_ops
from brain.ops import posts as post_ops
from brain.search import whoosh_backend
from tests.factories import database, make_board, make_topic, make_user

WORDS = ("rotating", "funds", "savings", "tontines", "bakery", "housing", "credit", "seeds")


@pytest.fixture
def meeting_board(app) -> Board:
    return make_board(slug=app.config["MEETING_POINT_BOARD"], name="Meeting Point")


def cooperation_post(author: User, board: Board, n: int) -> int:
    """A cooperation post whose words depend on *n*; returns its opening post's id."""
    body = " ".join(WORDS[(n + i) % len(WORDS)] for i in range(5))
    with database() as session:
        topic = cooperation_ops.post_cooperation(
            session.get(Board, board.id),
            session.get(User, author.id),
            f"Post {n} about {WORDS[n % len(WORDS)]}",
            body,
            "en",
            cooperation_ops.Details(
                kind="request",
                modality="training",
                themes=["care"],
                countries=["SN"],
                sdgs=[8],
                languages=["fr"],
            ),
        )
        session.commit()
        return topic.first_post_id


def segment_count(app) -> int:
    with app.extensions["brain_search"].indexer.index().reader() as reader:
        return len(list(reader.leaf_readers()))


def merge_first(monkeypatch, app, name: str) -> list:
    """Make brain.search.whoosh_backend's *name* first merge every segment of the index into
    one (which deletes the merged segments' files), as the indexer of another thread or
    process may at any moment; returns a list that records each merge."""
    original = getattr(whoosh_backend, name)
    merges = []

    def merging(*args, **kwargs):
        if not merges:
            merges.append(segment_count(app))
            app.extensions["brain_search"].optimize()
        return original(*args, **kwargs)

    monkeypatch.setattr(whoosh_backend, name, merging)
    return merges


# Each reading function, and a helper it calls once it has begun reading.
READERS = {
    "similar_cooperations": "meeting_field",
    "cooperation_topics": "_topic_reader",
    "search": "_excerpt",
}


@pytest.mark.parametrize("function", READERS)
def test_a_merge_in_the_middle_of_a_read_changes_nothing_it_reads(
    app, meeting_board, monkeypatch, function
):
    author = make_user()
    posts = [cooperation_post(author, meeting_board, n) for n in range(4)]
    for n in range(3):  # more posts with the same words, each committed (a segment) apart
        make_topic(board=meeting_board, author=author, title=f"Funds {n}",
                   body="rotating funds and savings", language="en")  # fmt: skip
    assert segment_count(app) > 1
    calls = {
        "similar_cooperations": lambda: search.similar_cooperations(posts[0]),
        "cooperation_topics": lambda: search.cooperation_topics("funds"),
        "search": lambda: search.search("funds", [meeting_board.id]),
    }
    with app.test_request_context("/"):
        merges = merge_first(monkeypatch, app, READERS[function])
        during = calls[function]()
        monkeypatch.undo()
        after = calls[function]()  # from the merged segment
    assert merges and segment_count(app) == 1  # the merge did happen, mid-read
    if function == "search":
        during, after = ([hit.post_id for hit in r.hits] for r in (during, after))
    assert after and during == after


def test_a_rebuild_in_another_thread_leaves_a_searcher_in_use_open(app, meeting_board):
    author = make_user()
    post_id = cooperation_post(author, meeting_board, 0)
    indexer = app.extensions["brain_search"].indexer
    opened, rebuilt = threading.Event(), threading.Event()
    read = []

    def reader():
        with app.app_context():
            searcher = indexer.searcher()
            docnum = searcher.document_number(post_id=str(post_id))
            opened.set()
            rebuilt.wait(30)
            read.append(searcher.stored_fields(docnum)["post_id"])

    thread = threading.Thread(target=reader)
    thread.start()
    assert opened.wait(30)
    with app.app_context():
        indexer.rebuild()
    rebuilt.set()
    thread.join(30)
    assert read == [str(post_id)]


@pytest.mark.commits
def test_pages_read_the_index_safely_while_posts_are_written_and_merged(app, meeting_board):
    # One thread writes cooperation posts and edits them (each commit applies the outbox to
    # the index, merging segments now and then) while three threads read as pages do.
    writes, readers, limit = 40, 3, 60.0
    author = make_user()
    first = [cooperation_post(author, meeting_board, n) for n in range(5)]
    done = threading.Event()
    failures: list[BaseException] = []
    reads = [0] * readers

    def write() -> None:
        try:
            for n in range(writes):
                if n % 2:
                    cooperation_post(author, meeting_board, n)
                    continue
                with database() as session:
                    body = " ".join(WORDS[(3 * n + i) % len(WORDS)] for i in range(6))
                    post = session.get(Post, first[n % len(first)])
                    post_ops.edit_post(post, session.get(User, author.id), body)
                    session.commit()
        except BaseException as problem:  # reported by the test
            failures.append(problem)
        finally:
            done.set()

    def read(k: int) -> None:
        with app.test_request_context("/"):
            while not done.is_set() and not failures:
                try:
                    search.similar_cooperations(first[reads[k] % len(first)])
                    search.cooperation_topics("funds savings")
                    search.search("savings", [meeting_board.id])
                except BaseException as problem:  # reported by the test
                    failures.append(problem)
                reads[k] += 1
                time.sleep(0.001)  # a page's other work: lets the writer's thread run too

    threads = [threading.Thread(target=write)]
    threads += [threading.Thread(target=read, args=(k,)) for k in range(readers)]
    deadline = time.monotonic() + limit
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(max(0.1, deadline - time.monotonic()))
    done.set()
    assert failures == []
    assert all(count > 10 for count in reads)  # the readers did read while the index changed


def test_optimizing_keeps_segments_in_separate_files(app, meeting_board):
    # A compound segment would be copied into memory by every searcher that opens it.
    author = make_user()
    for n in range(3):
        cooperation_post(author, meeting_board, n)
    indexer = app.extensions["brain_search"].indexer
    indexer.optimize()
    assert segment_count(app) == 1
    assert not [path for path in indexer.directory.iterdir() if path.suffix == ".seg"]
