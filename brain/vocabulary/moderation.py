"""The moderation log in words: what each ModerationAction is called in the reader's language,
and what its details say. The one place the log's pages (moderation and administration) take
their words from."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime

from babel import Locale
from flask import url_for
from flask_babel import format_datetime, get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from brain.i18n import list_of
from brain.models.moderation import ModerationAction

ACTION_LABELS = {
    ModerationAction.PIN: _l("pinned"),
    ModerationAction.UNPIN: _l("unpinned"),
    ModerationAction.LOCK: _l("locked"),
    ModerationAction.UNLOCK: _l("unlocked"),
    ModerationAction.MOVE: _l("moved"),
    ModerationAction.MERGE: _l("merged"),
    ModerationAction.SPLIT: _l("split"),
    ModerationAction.HIDE_POST: _l("hid a post"),
    ModerationAction.RESTORE_POST: _l("restored a post"),
    ModerationAction.HIDE_TOPIC: _l("hid a topic"),
    ModerationAction.RESTORE_TOPIC: _l("restored a topic"),
    ModerationAction.AUTO_HIDE: _l("hidden after reports"),
    ModerationAction.RESOLVE_REPORTS: _l("resolved reports"),
    ModerationAction.SUSPEND: _l("suspended"),
    ModerationAction.UNSUSPEND: _l("lifted a suspension"),
    ModerationAction.BAN: _l("banned"),
    ModerationAction.UNBAN: _l("lifted a ban"),
    ModerationAction.APPROVE: _l("approved"),
    ModerationAction.SET_ROLE: _l("changed the role"),
    ModerationAction.CREATE_BOARD: _l("created a board"),
    ModerationAction.EDIT_BOARD: _l("changed a board"),
    ModerationAction.REORDER_BOARDS: _l("reordered the boards"),
    ModerationAction.TRANSLATE_BOARD: _l("translated a board"),
    ModerationAction.ADD_MODERATOR: _l("added a moderator"),
    ModerationAction.REMOVE_MODERATOR: _l("removed a moderator"),
}


def action_name(action: ModerationAction | str) -> str:
    """*action* in words; a stored value this version does not know is shown as it is."""
    label = ACTION_LABELS.get(action)
    return str(action) if label is None else str(label)


RESOLUTION_LABELS = {"hide": _l("post hidden"), "dismiss": _l("post kept")}
ROLE_LABELS = {"member": _l("Member"), "moderator": _l("Moderator"), "admin": _l("Administrator")}
# The board settings an EDIT_BOARD entry names, in the words of the board form.
BOARD_SETTING_LABELS = {
    "slug": _l("Address"),
    "name": _l("Name"),
    "description": _l("Description"),
    "language": _l("Language of the name and description"),
    "members_only": _l("Only members can read this board"),
    "read_only": _l("Read-only: only moderators can start topics and reply"),
}
DIRECTION_LABELS = {"up": _l("moved up"), "down": _l("moved down")}

# The shapes brain.ops writes an entry's details in (plain text, readable in the database).
_RESOLVED = re.compile(r"(hide|dismiss) \((\d+)\)")
_MOVED = re.compile(r"(\S+) → (\S+)")
_SPLIT = re.compile(r"→ topic (\d+)")
_MERGED = re.compile(r"topic \d+ «(.*)» → \d+", re.DOTALL)
_ROLE = re.compile(r"(member|moderator|admin)(?:: (.+))?")


def details_in_words(entry, board_names: Mapping[str, str]) -> Markup:
    """What a log *entry*'s details say, in the reader's language: "post hidden · 2 reports",
    "from Finance to Housing" (*board_names*: slug → the board's name in that language), "until
    5 March 2027"... Details this version cannot read are shown as they are; an empty Markup
    when there is nothing to add to the action's name and the entry's place."""
    details = entry.details or ""
    words = _words(entry.action, details, board_names) if details else None
    if words is None:
        return Markup('<bdi dir="auto">{}</bdi>').format(details) if details else Markup("")
    return words


def _words(action, details: str, board_names: Mapping[str, str]) -> Markup | None:
    if action == ModerationAction.RESOLVE_REPORTS and (match := _RESOLVED.fullmatch(details)):
        resolution, count = match.group(1), int(match.group(2))
        return Markup(" · ").join([RESOLUTION_LABELS[resolution], _reports(count)])
    if action == ModerationAction.AUTO_HIDE and details.isdigit():
        return _reports(int(details))
    if action == ModerationAction.MOVE and (match := _MOVED.fullmatch(details)):
        source, target = (_board(slug, board_names) for slug in match.groups())
        return _fill(_("from %(source)s to %(target)s"), source=source, target=target)
    if action == ModerationAction.SPLIT and (match := _SPLIT.fullmatch(details)):
        url = url_for("forum.topic", topic_id=int(match.group(1)))
        return Markup('<a href="{}">{}</a>').format(url, _("into a new topic"))
    if action == ModerationAction.MERGE and (match := _MERGED.fullmatch(details)):
        title = Markup('<bdi dir="auto">{}</bdi>').format(match.group(1))
        return _fill(_("from the topic “%(title)s”"), title=title)
    if action == ModerationAction.SUSPEND:
        try:
            until = datetime.fromisoformat(details).replace(tzinfo=UTC)
        except ValueError:
            return None
        return _fill(_("until %(date)s"), date=format_datetime(until, "medium"))
    if action == ModerationAction.SET_ROLE and (match := _ROLE.fullmatch(details)):
        role = ROLE_LABELS[match.group(1)]
        if not match.group(2):
            return Markup("{}").format(role)
        boards = list_of(_board(slug, board_names) for slug in match.group(2).split(", "))
        return Markup("{}: {}").format(role, boards)
    if action == ModerationAction.EDIT_BOARD:
        names = details.split(", ")
        if not all(name in BOARD_SETTING_LABELS for name in names):
            return None
        return list_of(BOARD_SETTING_LABELS[name] for name in names)
    if action == ModerationAction.TRANSLATE_BOARD:
        languages = Locale.parse(str(get_locale() or "en")).languages
        return list_of(languages.get(code, code) for code in details.split(", "))
    if action == ModerationAction.REORDER_BOARDS and details in DIRECTION_LABELS:
        return Markup("{}").format(DIRECTION_LABELS[details])
    if action == ModerationAction.CREATE_BOARD:
        return Markup("")  # the slug: the board itself is linked beside it
    return None


def _fill(pattern: str, **values) -> Markup:
    """A translated *pattern* ("from %(source)s to %(target)s") with *values* put in: the
    pattern and plain values escaped, markup values (a name in a <bdi>) kept."""
    return escape(pattern) % values


def _reports(count: int) -> Markup:
    return escape(ngettext("%(num)s report", "%(num)s reports", count))


def _board(slug: str, board_names: Mapping[str, str]) -> Markup:
    """A board by the slug a log entry kept: its name now, else the slug (a removed board)."""
    return Markup("<bdi>{}</bdi>").format(board_names.get(slug, slug))
