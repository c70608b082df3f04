"""Reading the forum: each function is a fixed number of queries, whatever the data size."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from math import ceil

from flask_babel import get_locale
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import joinedload, lazyload, load_only, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from brain import fragments
from brain.extensions import db
from brain.forum.unread import not_muted_by
from brain.models import Board, Cooperation, Post, PostRevision, Topic, User
from brain.models.forum import PATH_SEGMENT
from brain.permissions import Actor, can_read_board, public_post_clause
from brain.web import board_link

# Indentation stops here; deeper replies continue at this depth and name whom they answer.
VISUAL_DEPTH_CAP = 5
# The levels of indentation a phone shows (0 to this); brain.css hides deeper replies at phone
# widths, and a "continue this thread" link opens them in a view of their own (subthread_page).
PHONE_DEPTH_CAP = 3


@dataclass
class ThreadEntry:
    post: Post
    indent: int
    # Set when the answered post is not shown right above in the tree: the reader needs a link.
    replying_to: Post | None
    # The post whose sub-thread holds the replies a phone does not show here (see
    # PHONE_DEPTH_CAP): set on the last post a phone shows before them, or on the first of
    # them when the page begins with them.
    continue_id: int | None = None


@dataclass
class TopicPage:
    entries: list[ThreadEntry]
    page: int
    pages: int
    flat: bool


def board_by_slug(slug: str) -> Board | None:
    return db.session.scalar(_BOARD_BY_SLUG, {"slug": slug[:64]})


# Every board page starts with it: built once. Its translations only when a page shows its
# name (not when the page is kept).
_BOARD_BY_SLUG = (
    select(Board).where(Board.slug == bindparam("slug")).options(lazyload(Board.translations))
)


@dataclass(frozen=True)
class TopicFacts:
    """What a topic page asks of its topic before it knows whether the page is kept: who may
    read it and reply in it (brain.permissions reads these as it reads a Topic), its address,
    its feed's title and how many posts it has. Plain data, kept while the content is
    unchanged (``topic_facts``): a kept page then loads no topic at all."""

    id: int
    slug: str
    title: str
    author_id: int
    hidden_at: datetime | None
    is_locked: bool
    post_count: int
    board: BoardFacts

    @property
    def board_id(self) -> int:
        return self.board.id


def topic_facts(topic_id: int) -> TopicFacts | None:
    return fragments.kept("topic-facts", topic_id, make=lambda: _topic_facts(topic_id))


def _topic_facts(topic_id: int) -> TopicFacts | None:
    row = db.session.connection().execute(_TOPIC_FACTS, {"topic_id": topic_id}).first()
    if row is None:
        return None
    board = BoardFacts(row.board_id, row.board_slug, row.members_only, row.read_only)
    return TopicFacts(
        row.id, row.slug, row.title, row.author_id, row.hidden_at, row.is_locked,
        row.post_count, board,
    )  # fmt: skip


_TOPIC_FACTS = (
    select(
        Topic.id,
        Topic.slug,
        Topic.title,
        Topic.author_id,
        Topic.hidden_at,
        Topic.is_locked,
        Topic.post_count,
        Board.id.label("board_id"),
        Board.slug.label("board_slug"),
        Board.members_only,
        Board.read_only,
    )
    .join(Board, Board.id == Topic.board_id)
    .where(Topic.id == bindparam("topic_id"))
)


def topic_with_cooperation(topic_id: int) -> Topic | None:
    """The topic, with its board and its Meeting Point details in the same query (None for
    an ordinary topic)."""
    row = db.session.execute(_TOPIC_WITH_BOARD, {"topic_id": topic_id}).first()
    if row is None:
        return None
    topic, board, cooperation = row
    set_committed_value(topic, "board", board)
    set_committed_value(topic, "cooperation", cooperation)
    return topic


# Every topic page starts with it: built once, three entities rather than eager-loading
# options (which cost more to apply than the query takes). The board's translations only when
# a page shows its name (not when that part is kept).
_TOPIC_WITH_BOARD = (
    select(Topic, Board, Cooperation)
    .join(Board, Board.id == Topic.board_id)
    .outerjoin(Cooperation, Cooperation.topic_id == Topic.id)
    .where(Topic.id == bindparam("topic_id"))
    .options(lazyload(Board.translations))
)


@dataclass(frozen=True)
class BoardFacts:
    """What deciding who may read a board, and start topics in it, needs of it
    (brain.permissions reads these as it reads a Board)."""

    id: int
    slug: str
    members_only: bool
    read_only: bool


@dataclass(frozen=True)
class BoardAccess:
    readable: tuple[int, ...]  # in the boards' order
    unreadable: tuple[int, ...]
    by_slug: dict[str, int]  # the readable ones


def board_access(actor: Actor) -> BoardAccess:
    """The ids of the boards *actor* may read and may not, without loading the boards: kept
    while the content is unchanged (brain.fragments), so a kept page costs no query here."""
    entries = fragments.kept("board-entries", make=_board_entries)
    readable = [entry for entry in entries if can_read_board(actor, entry)]
    ids = {entry.id for entry in readable}
    return BoardAccess(
        readable=tuple(entry.id for entry in readable),
        unreadable=tuple(entry.id for entry in entries if entry.id not in ids),
        by_slug={entry.slug: entry.id for entry in readable},
    )


def board_facts(*, slug: str | None = None, board_id: int | None = None) -> BoardFacts | None:
    """One board's facts, by its slug or id, kept with every board's (no query)."""
    for facts in fragments.kept("board-entries", make=_board_entries):
        if facts.slug == slug or facts.id == board_id:
            return facts
    return None


def _board_entries() -> tuple[BoardFacts, ...]:
    rows = db.session.execute(
        select(Board.id, Board.slug, Board.members_only, Board.read_only).order_by(
            Board.position, Board.id
        )
    )
    return tuple(BoardFacts(*row) for row in rows)


@dataclass(frozen=True)
class BoardName:
    """A board as a list of links or a choice of boards shows it: named in the page's
    language (``name_in`` answers as a Board's does, for the page's language)."""

    id: int
    slug: str
    name: str
    link: Markup  # a link to the board, named (brain.web.board_link)

    def name_in(self, _locale: str) -> str:
        return self.name


def board_names(actor: Actor) -> list[BoardName]:
    """The boards *actor* may read, in order, named in the page's language: kept while the
    content is unchanged (brain.fragments, per language), so listing them costs no query."""
    readable = set(board_access(actor).readable)
    return [
        board for board in fragments.kept("board-names", make=_board_names) if board.id in readable
    ]


def _board_names() -> tuple[BoardName, ...]:
    locale = str(get_locale() or "en")
    boards = db.session.scalars(select(Board).order_by(Board.position, Board.id)).all()
    return tuple(
        BoardName(board.id, board.slug, board.name_in(locale), board_link(board))
        for board in boards
    )


def readable_boards(actor: Actor) -> list[Board]:
    return boards_by_access(actor)[0]


def boards_by_access(actor: Actor) -> tuple[list[Board], list[int]]:
    """The boards *actor* may read, in order, and the ids of those they may not (one query)."""
    # Their translations only when a page shows their names (``with_translations``).
    boards = db.session.scalars(
        select(Board).order_by(Board.position, Board.id).options(lazyload(Board.translations))
    ).all()
    readable = [board for board in boards if can_read_board(actor, board)]
    unreadable = [board.id for board in boards if not can_read_board(actor, board)]
    return readable, unreadable


def with_translations(boards: list[Board]) -> list[Board]:
    """*boards*, their names in every language loaded in one query (before a list shows
    them: each board would load its own)."""
    if boards:
        db.session.scalars(
            select(Board)
            .where(Board.id.in_([board.id for board in boards]))
            .options(selectinload(Board.translations))
        ).all()
    return boards


def board_stats(board_ids: list[int]) -> dict[int, tuple[int, int, object]]:
    """{board id: (topics, posts, last activity)} in one grouped query."""
    if not board_ids:
        return {}
    rows = db.session.execute(
        select(
            Topic.board_id,
            func.count(Topic.id),
            func.coalesce(func.sum(Topic.reply_count + 1), 0),
            func.max(Topic.last_activity_at),
        )
        .where(Topic.board_id.in_(board_ids))
        .group_by(Topic.board_id)
    ).all()
    return {board_id: (topics, posts, last) for board_id, topics, posts, last in rows}


def _topic_listing():
    return select(Topic).options(
        joinedload(Topic.author),
        # Names only when a list shows them (not when it is kept: brain.fragments).
        joinedload(Topic.board).lazyload(Board.translations),
        joinedload(Topic.last_post)
        .load_only(Post.id, Post.author_id, Post.created_at)
        .joinedload(Post.author),
    )


def _in_languages(query, languages: list[str] | None):
    return query if not languages else query.where(Topic.language.in_(languages))


def recent_topics(
    board_ids: list[int],
    limit: int = 10,
    languages: list[str] | None = None,
    reader: Actor | None = None,
) -> list[Topic]:
    """The latest active topics of the boards; without the ones *reader* muted, if given."""
    if not board_ids:
        return []
    query = (
        _in_languages(_topic_listing(), languages)
        .where(Topic.board_id.in_(board_ids), Topic.hidden_at.is_(None))
        .order_by(Topic.last_activity_at.desc(), Topic.id.desc())
        .limit(limit)
    )
    if reader is not None and (not_muted := not_muted_by(reader)) is not None:
        query = query.where(not_muted)
    return list(db.session.scalars(query).unique())


def board_topics(
    board: Board,
    page: int,
    per_page: int,
    languages: list[str] | None = None,
    include_hidden: bool = False,
):
    query = _in_languages(_topic_listing(), languages)
    if not include_hidden:
        query = query.where(Topic.hidden_at.is_(None))
    query = query.where(Topic.board_id == board.id).order_by(
        Topic.is_pinned.desc(), Topic.last_activity_at.desc(), Topic.id.desc()
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=True, max_per_page=100)


@dataclass(frozen=True)
class ListingOutline:
    """A page of a board's topic list as plain data kept between requests: its place among
    the pages and the ids of its topics."""

    page: int
    pages: int
    topic_ids: tuple[int, ...]


class KeptListing:
    """A page of a board's topics whose rows are read only when a template asks for them,
    that is when the list is not kept as a fragment."""

    def __init__(self, outline: ListingOutline, load, loaded=None):
        self._load, self._loaded = load, loaded
        self.page, self.pages, self.topic_ids = outline.page, outline.pages, outline.topic_ids

    @cached_property
    def items(self) -> list[Topic]:
        return (self._loaded or self._load()).items


def kept_board_topics(
    board: Board,
    page: int,
    per_page: int,
    languages: list[str] | None = None,
    include_hidden: bool = False,
) -> KeptListing:
    """``board_topics``, its outline kept while the content is unchanged (brain.fragments)."""
    loaded = []

    def load():
        return board_topics(board, page, per_page, languages, include_hidden)

    def outline() -> ListingOutline:
        listing = load()
        loaded.append(listing)
        return ListingOutline(
            listing.page, listing.pages, tuple(topic.id for topic in listing.items)
        )

    filtered = tuple(languages) if languages else None
    kept = fragments.kept(
        "board-outline", board.id, page, per_page, filtered, include_hidden, make=outline
    )
    return KeptListing(kept, load, loaded[0] if loaded else None)


def page_count(total: int, per_page: int) -> int:
    return max(ceil(total / per_page), 1)


def topic_page(topic: Topic, page: int, per_page: int, flat: bool) -> TopicPage | None:
    """One page of the topic in tree (depth-first) or flat (chronological) order."""
    pages = page_count(topic.post_count, per_page)
    if page > pages:
        return None
    order = (Post.id,) if flat else (Post.tree_path,)
    posts = db.session.scalars(
        _thread_posts()
        .where(Post.topic_id == topic.id)
        .order_by(*order)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return TopicPage(_thread_entries(posts, flat), page, pages, flat)


@dataclass(frozen=True)
class PageOutline:
    """What a page of a topic is made of, as plain data kept between requests
    (brain.fragments): its place among the pages, and each post's id and author."""

    page: int
    pages: int
    flat: bool
    authors: tuple[tuple[int, int | None], ...]


class KeptTopicPage:
    """A page of a topic whose posts are read from the database only when a template asks
    for them, that is when the page's posts are not kept as a fragment."""

    def __init__(self, outline: PageOutline, load, loaded: TopicPage | None = None):
        self.outline, self._load, self._loaded = outline, load, loaded
        self.page, self.pages, self.flat = outline.page, outline.pages, outline.flat
        self.authors = outline.authors
        self.post_ids = [post_id for post_id, _author in outline.authors]

    @cached_property
    def entries(self) -> list[ThreadEntry]:
        thread = self._loaded or self._load()
        entries = thread.entries if thread is not None else []
        if tuple((entry.post.id, entry.post.author_id) for entry in entries) != self.authors:
            # The posts changed since the outline was kept, and the counter does not say so
            # yet: the reader's view was keyed on the outline, so nothing is kept from here.
            fragments.distrust()
        return entries


def kept_topic_page(topic: Topic, page: int, per_page: int, flat: bool) -> KeptTopicPage | None:
    """``topic_page``, its outline kept while the content is unchanged (brain.fragments):
    the posts themselves are read only when they are rendered."""
    loaded: list[TopicPage] = []

    def load() -> TopicPage | None:
        return topic_page(topic, page, per_page, flat)

    def outline() -> PageOutline | None:
        thread = load()
        if thread is None:
            return None
        loaded.append(thread)
        authors = tuple((entry.post.id, entry.post.author_id) for entry in thread.entries)
        return PageOutline(thread.page, thread.pages, thread.flat, authors)

    kept = fragments.kept("topic-outline", topic.id, page, per_page, flat, make=outline)
    if kept is None:
        return None
    return KeptTopicPage(kept, load, loaded[0] if loaded else None)


def subthread_page(root: Post, page: int, per_page: int) -> TopicPage | None:
    """One page of the conversation below *root* (itself included), as a tree in which *root*
    is not indented: what "continue this thread" opens when a phone cannot show more depth."""
    in_subtree = (Post.topic_id == root.topic_id) & Post.tree_path.startswith(
        root.tree_path, autoescape=True
    )
    total = db.session.scalar(select(func.count(Post.id)).where(in_subtree))
    pages = page_count(total, per_page)
    if page > pages:
        return None
    posts = db.session.scalars(
        _thread_posts()
        .where(in_subtree)
        .order_by(Post.tree_path)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return TopicPage(_thread_entries(posts, False, top_depth=root.depth), page, pages, False)


def _thread_posts():
    """Posts with what a thread shows of them: the author, and who the parent's author is."""
    parent_columns = load_only(
        Post.id, Post.author_id, Post.parent_id, Post.deleted_at, Post.hidden_at
    )
    return select(Post).options(
        joinedload(Post.author),
        joinedload(Post.parent).options(parent_columns).joinedload(Post.author),
    )


def _ancestor_id(post: Post, depth: int) -> int:
    """The id of *post*'s ancestor at *depth*, read from its tree path (no query)."""
    return int(post.tree_path[depth * PATH_SEGMENT : (depth + 1) * PATH_SEGMENT])


def _thread_entries(posts: list[Post], flat: bool, top_depth: int = 1) -> list[ThreadEntry]:
    """The posts as a thread: replies at *top_depth* (those to the topic, or the root of a
    sub-thread) are not indented, each level below is, up to VISUAL_DEPTH_CAP."""
    entries = []
    shown: set[int] = set()
    for post in posts:
        level = post.depth - top_depth
        indent = 0 if flat else min(max(level, 0), VISUAL_DEPTH_CAP)
        replying_to = None
        parent = post.parent
        if parent is not None and not parent.is_opening:
            beyond_cap = level > VISUAL_DEPTH_CAP
            if flat or beyond_cap or parent.id not in shown:
                replying_to = parent
        shown.add(post.id)
        entries.append(ThreadEntry(post, indent, replying_to))
    if not flat:
        _mark_continuations(entries, top_depth)
    return entries


def _mark_continuations(entries: list[ThreadEntry], top_depth: int) -> None:
    """Set ``continue_id`` where a phone stops showing replies (see PHONE_DEPTH_CAP)."""
    for index, entry in enumerate(entries):
        following = entries[index + 1] if index + 1 < len(entries) else None
        if entry.indent == PHONE_DEPTH_CAP and following and following.indent > PHONE_DEPTH_CAP:
            entry.continue_id = entry.post.id
        elif entry.indent > PHONE_DEPTH_CAP and index == 0:
            # The page begins below the depth a phone shows: their ancestor is on an earlier page.
            entry.continue_id = _ancestor_id(entry.post, top_depth + PHONE_DEPTH_CAP)


def post_page(post: Post, per_page: int, flat: bool) -> int:
    """The page of its topic on which *post* appears."""
    if flat:
        before = select(func.count(Post.id)).where(
            Post.topic_id == post.topic_id, Post.id < post.id
        )
    else:
        before = select(func.count(Post.id)).where(
            Post.topic_id == post.topic_id, Post.tree_path < post.tree_path
        )
    return db.session.scalar(before) // per_page + 1


def member_activity(user: User, board_ids: list[int], limit: int = 10):
    topics = db.session.scalars(
        select(Topic)
        .options(joinedload(Topic.board))
        .where(Topic.author_id == user.id, Topic.board_id.in_(board_ids), Topic.hidden_at.is_(None))
        .order_by(Topic.created_at.desc())
        .limit(limit)
    ).all()
    posts = db.session.scalars(
        select(Post)
        .join(Post.topic)
        .options(joinedload(Post.topic).joinedload(Topic.board))
        .where(
            Post.author_id == user.id,
            public_post_clause(board_ids),
            Post.parent_id.is_not(None),
        )
        .order_by(Post.created_at.desc())
        .limit(limit)
    ).all()
    return topics, posts


def post_revisions(post: Post) -> list[PostRevision]:
    """The earlier versions of *post*, newest first, with who replaced each."""
    return list(
        db.session.scalars(
            select(PostRevision)
            .options(joinedload(PostRevision.editor))
            .where(PostRevision.post_id == post.id)
            .order_by(PostRevision.replaced_at.desc(), PostRevision.id.desc())
        )
    )
