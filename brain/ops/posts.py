"""Starting topics, replying, editing and deleting posts.

The verbs a member performs check that they may (brain.permissions) and refuse with the
reason (NotAllowed), whoever calls them: a view, the Meeting Point, the command line."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import aliased

from brain import markup, permissions
from brain.addresses import profile_path
from brain.extensions import db
from brain.models import Board, Post, PostRevision, Topic, User, utcnow
from brain.models.forum import (
    MAX_TREE_DEPTH,
    PATH_SEGMENT,
    TITLE_MAX,
    TITLE_MIN,
    path_segment,
)
from brain.ops import notifications, uploads, watching
from brain.ops.errors import OperationError, require
from brain.ops.text import clean_text, slugify


def resolve_mentions(names: set[str]) -> dict[str, str]:
    """Map each @name that belongs to a member to that member's profile address."""
    keys = {name.casefold(): name for name in names}
    found = db.session.execute(
        select(User.username_key, User.username).where(User.username_key.in_(keys))
    ).all()
    return {keys[key]: profile_path(username) for key, username in found}


def render_body(source: str) -> str:
    try:
        return markup.render(source, resolve_mentions)
    except markup.BodyTooLong as exc:
        raise OperationError(
            _l("The text is too long: at most %(n)s characters.", n=markup.MAX_BODY_LENGTH)
        ) from exc
    except markup.MarkupTooComplex as exc:
        raise OperationError(
            _l("The text has too much formatting or nesting to display. Please simplify it.")
        ) from exc


def _place_in_tree(post: Post, parent: Post | None) -> None:
    """Give a flushed *post* its path below *parent* (the caller has set its id)."""
    if parent is None:
        post.tree_path, post.depth = path_segment(post.id), 0
        return
    parent_path = parent.tree_path
    if parent.depth + 1 >= MAX_TREE_DEPTH:
        # Past the stored depth, a reply becomes the newest sibling of its parent: the thread
        # keeps its order and parent_id still says what it answers.
        parent_path = parent_path[:-PATH_SEGMENT]
    post.tree_path = parent_path + path_segment(post.id)
    post.depth = len(post.tree_path) // PATH_SEGMENT - 1


_visible = Post.deleted_at.is_(None) & Post.hidden_at.is_(None)
_newest = aliased(Post)
# A topic's counters and its newest visible post, in one statement (recount_topic).
_RECOUNT = select(
    func.count(Post.id),
    func.count(Post.id).filter(_visible),
    func.max(Post.created_at).filter(_visible),
    select(_newest.id)
    .where(
        _newest.topic_id == bindparam("topic_id"),
        _newest.deleted_at.is_(None),
        _newest.hidden_at.is_(None),
    )
    .order_by(_newest.created_at.desc(), _newest.id.desc())
    .limit(1)
    .scalar_subquery(),
).where(Post.topic_id == bindparam("topic_id"))


def recount_topic(topic: Topic) -> None:
    """Recompute the topic's counters and last activity from its posts.

    The topic's row is locked first, so two transactions recounting one topic take turns:
    the second counts after the first has committed, and sees its post. (PostgreSQL reads a
    fresh snapshot for each statement; without the lock both would count before either
    committed, and the last to write would leave the total one short. SQLite serialises
    writers anyway.) FOR NO KEY UPDATE, not FOR UPDATE: inserting a post holds a KEY SHARE
    lock on its topic through the foreign key, which FOR UPDATE would wait on — a deadlock
    between two repliers."""
    db.session.flush()
    db.session.execute(select(Topic.id).where(Topic.id == topic.id).with_for_update(key_share=True))
    total, visible, last_at, last_id = db.session.execute(_RECOUNT, {"topic_id": topic.id}).one()
    # Set together after the one statement: a query between them would flush the first
    # ones, and the topic would be updated twice.
    topic.post_count = total
    topic.reply_count = max(visible - 1, 0)
    topic.last_activity_at = last_at or topic.created_at
    topic.last_post_id = last_id


def _new_post(
    topic: Topic, author: User, body: str, language: str, parent: Post | None, when=None
) -> Post:
    source = clean_text(body)
    post = Post(
        topic=topic,
        author=author,
        parent=parent,
        language=language,
        body_source=source,
        body_html=render_body(source),
        renderer_version=markup.RENDERER_VERSION,
        created_at=when or utcnow(),
    )
    db.session.add(post)
    db.session.flush()
    _place_in_tree(post, parent)
    return post


def clean_title(title: str) -> str:
    """A title as stored: normalised first, then checked (one character typed can become
    three under normalisation, so a check before it proves nothing)."""
    title = clean_text(title).strip()
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise OperationError(
            _l("Between %(min)d and %(max)d characters.", min=TITLE_MIN, max=TITLE_MAX),
            field="title",
        )
    return title


def start_topic(
    board: Board, author: User, title: str, body: str, language: str, *, when=None
) -> Topic:
    """Open a topic in *board* with its first post (NotAllowed, with the reason, when *author*
    may not)."""
    require(permissions.why_not_start_topic(author, board))
    title = clean_title(title)
    now = when or utcnow()
    topic = Topic(
        board=board,
        author=author,
        title=title,
        slug=slugify(title),
        language=language,
        created_at=now,
        last_activity_at=now,
    )
    db.session.add(topic)
    db.session.flush()
    first = _new_post(topic, author, body, language, None, when=now)
    topic.first_post_id = first.id
    recount_topic(topic)
    watching.watch_topic(author, topic)
    notifications.post_written(first)
    return topic


def reply(parent: Post, author: User, body: str, language: str, *, when=None) -> Post:
    """Answer *parent* (the opening post when replying to the topic as a whole)."""
    require(permissions.why_not_reply_to(author, parent))
    topic = parent.topic
    post = _new_post(topic, author, body, language, parent, when=when)
    recount_topic(topic)
    watching.track_topic(author, topic)
    notifications.post_written(post)
    return post


def edit_post(post: Post, editor: User, body: str, language: str | None = None) -> Post:
    """Replace the post's body, keeping the previous version as a revision."""
    require(permissions.why_not_edit(editor, post))
    source = clean_text(body)
    if source == post.body_source and (language is None or language == post.language):
        return post
    html = render_body(source)
    now = utcnow()
    db.session.add(
        PostRevision(
            post_id=post.id,
            editor_id=editor.id,
            body_source=post.body_source,
            body_html=post.body_html,
            created_at=post.edited_at or post.created_at,
            replaced_at=now,
        )
    )
    post.body_source, post.body_html = source, html
    post.renderer_version = markup.RENDERER_VERSION
    post.edited_at = now
    if language:
        post.language = language
        if post.is_opening:
            post.topic.language = language
    return post


def edit_title(topic: Topic, title: str) -> None:
    topic.title = clean_title(title)
    topic.slug = slugify(topic.title)


def delete_post(post: Post) -> None:
    """Soft-delete: the post stays in the tree as a placeholder so replies keep their place.
    Its files go (from disk once the deletion is committed)."""
    if post.deleted_at is None:
        post.deleted_at = utcnow()
        uploads.remove_post_files(post)
        recount_topic(post.topic)


def rerender_posts(*, everything: bool = False, batch: int = 200) -> int:
    """Render stored sources again with the current renderer; returns how many changed."""
    changed = 0
    query = select(Post).order_by(Post.id)
    if not everything:
        query = query.where(Post.renderer_version < markup.RENDERER_VERSION)
    for post in db.session.scalars(query.execution_options(yield_per=batch)):
        try:
            html = markup.render(post.body_source, resolve_mentions)
        except markup.MarkupError:
            continue  # sources that no longer pass keep their stored HTML
        if html != post.body_html or post.renderer_version != markup.RENDERER_VERSION:
            post.body_html, post.renderer_version = html, markup.RENDERER_VERSION
            changed += 1
    return changed
