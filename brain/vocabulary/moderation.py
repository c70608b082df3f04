"""The moderation log in words: what each ModerationAction is called in the reader's language.
The one place the log's pages (moderation and administration) take their words from."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

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
