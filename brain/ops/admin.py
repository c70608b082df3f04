"""Administration: boards (creating, ordering, translating them, choosing their moderators)
and what an administrator does to a member's account (role, approval, suspension, ban).

Callers check that the actor is an administrator. These functions change rows, record what
they did in the moderation log, and never commit.
"""

from __future__ import annotations

import re
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from brain.extensions import db
from brain.models import Board, BoardModerator, BoardTranslation, Role, User, utcnow
from brain.models.moderation import ModerationAction
from brain.ops import notifications
from brain.ops.accounts import approve_member, set_role
from brain.ops.errors import OperationError
from brain.ops.moderation import ban_member, record, suspend_member
from brain.ops.text import clean_text

# A board's address: /b/<slug>. Lowercase ASCII so it reads the same in every script.
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SLUG_MAX = 64
NAME_MAX = 120
DESCRIPTION_MAX = 2000

BOARD_SETTINGS = ("slug", "name", "description", "language", "members_only", "read_only")


def _check_slug(slug: str, board: Board | None = None) -> None:
    if not SLUG.fullmatch(slug) or len(slug) > SLUG_MAX:
        raise OperationError(
            _l("Use lowercase letters a–z, digits and single hyphens, such as “social-finance”."),
            field="slug",
        )
    taken = select(Board.id).where(Board.slug == slug)
    if board is not None:
        taken = taken.where(Board.id != board.id)
    if db.session.scalar(taken) is not None:
        raise OperationError(_l("Another board already has this address."), field="slug")


def _text(value: str, limit: int) -> str:
    return clean_text(value or "").strip()[:limit]


def create_board(
    actor: User,
    *,
    slug: str,
    name: str,
    description: str = "",
    language: str = "en",
    members_only: bool = False,
    read_only: bool = False,
) -> Board:
    """A new board, listed after every other one."""
    _check_slug(slug)
    last = db.session.scalar(select(func.max(Board.position)))
    board = Board(
        slug=slug,
        name=_text(name, NAME_MAX),
        description=_text(description, DESCRIPTION_MAX),
        language=language,
        members_only=members_only,
        read_only=read_only,
        position=(last or 0) + 1,
    )
    db.session.add(board)
    db.session.flush()
    record(actor, ModerationAction.CREATE_BOARD, board=board, details=slug)
    return board


def update_board(board: Board, actor: User, **changes) -> list[str]:
    """Change the settings named in BOARD_SETTINGS; returns the names of those that changed."""
    unknown = set(changes) - set(BOARD_SETTINGS)
    if unknown:
        raise TypeError(f"not a board setting: {', '.join(sorted(unknown))}")
    if "slug" in changes:
        _check_slug(changes["slug"], board)
    if "name" in changes:
        changes["name"] = _text(changes["name"], NAME_MAX)
    if "description" in changes:
        changes["description"] = _text(changes["description"], DESCRIPTION_MAX)
    changed = [key for key, value in changes.items() if getattr(board, key) != value]
    for key in changed:
        setattr(board, key, changes[key])
    if changed:
        record(actor, ModerationAction.EDIT_BOARD, board=board, details=", ".join(changed))
    return changed


def move_board(board: Board, actor: User, offset: int) -> bool:
    """Swap *board* with its neighbour above (offset -1) or below (+1); False at either end.

    Positions are renumbered from 1 on the way, so boards created with equal positions
    (or gaps left by removed ones) still move one step at a time.
    """
    boards = list(db.session.scalars(select(Board).order_by(Board.position, Board.id)))
    index = next(i for i, item in enumerate(boards) if item.id == board.id)
    target = index + offset
    if not 0 <= target < len(boards):
        return False
    boards[index], boards[target] = boards[target], boards[index]
    for position, item in enumerate(boards, start=1):
        item.position = position
    direction = "up" if offset < 0 else "down"
    record(actor, ModerationAction.REORDER_BOARDS, board=board, details=direction)
    return True


def translate_board(board: Board, actor: User, texts: dict[str, tuple[str, str]]) -> list[str]:
    """Set *board*'s name and description in each language of *texts* ({locale: (name,
    description)}); an empty name removes that language's translation. Returns the
    languages that changed."""
    existing = {row.locale: row for row in board.translations}
    changed = []
    for locale, (name, description) in texts.items():
        name, description = _text(name, NAME_MAX), _text(description, DESCRIPTION_MAX)
        row = existing.get(locale)
        if not name:
            if row is not None:
                board.translations.remove(row)
                changed.append(locale)
        elif row is None:
            board.translations.append(
                BoardTranslation(locale=locale, name=name, description=description)
            )
            changed.append(locale)
        elif (row.name, row.description) != (name, description):
            row.name, row.description = name, description
            changed.append(locale)
    if changed:
        record(actor, ModerationAction.TRANSLATE_BOARD, board=board, details=", ".join(changed))
    return changed


def moderators_of(board: Board) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .join(BoardModerator, BoardModerator.user_id == User.id)
            .where(BoardModerator.board_id == board.id)
            .order_by(func.lower(User.display_name), User.id)
        )
    )


def add_moderator(board: Board, actor: User, member: User) -> None:
    """Make *member* a moderator of *board* (a plain member becomes a moderator)."""
    if member.role == Role.ADMIN:
        raise OperationError(_l("Administrators already moderate every board."), field="username")
    if member.is_banned:
        raise OperationError(_l("A banned member cannot moderate."), field="username")
    if any(item.id == board.id for item in member.moderated_boards):
        raise OperationError(_l("This member already moderates this board."), field="username")
    if member.role == Role.MEMBER:
        set_role(member, Role.MODERATOR, [board])
    else:
        member.moderated_boards.append(board)
    record(actor, ModerationAction.ADD_MODERATOR, board=board, member=member)


def remove_moderator(board: Board, actor: User, member: User) -> None:
    """Take *board* from *member*'s boards; with none left they are a member again."""
    remaining = [item for item in member.moderated_boards if item.id != board.id]
    if len(remaining) == len(member.moderated_boards):
        raise OperationError(_l("This member does not moderate this board."))
    if remaining:
        member.moderated_boards = remaining
    else:
        set_role(member, Role.MEMBER)
    record(actor, ModerationAction.REMOVE_MODERATOR, board=board, member=member)


def change_role(member: User, actor: User, role: Role, boards: list[Board]) -> bool:
    """Make *member* a member, a moderator of *boards*, or an administrator; False when
    nothing changed. Administrators cannot demote themselves: another one must."""
    if member.id == actor.id and role != Role.ADMIN:
        raise OperationError(
            _l("You cannot give up your own administrator role; ask another administrator."),
            field="role",
        )
    if role == Role.MODERATOR and not boards:
        raise OperationError(_l("Choose the boards this moderator looks after."), field="boards")
    boards = boards if role == Role.MODERATOR else []
    before = {item.id for item in member.moderated_boards}
    if member.role == role and before == {item.id for item in boards}:
        return False
    set_role(member, role, boards)
    details = role.value
    if boards:
        details += ": " + ", ".join(item.slug for item in boards)
    record(actor, ModerationAction.SET_ROLE, member=member, details=details)
    return True


def approve(member: User, actor: User) -> bool:
    """Let a pending member post; False if they were not waiting."""
    if not approve_member(member):
        return False
    notifications.account_approved(member, actor)
    record(actor, ModerationAction.APPROVE, member=member)
    return True


def suspend(member: User, actor: User, until: datetime, reason: str) -> None:
    if member.id == actor.id:
        raise OperationError(_l("You cannot suspend yourself."), field="until")
    if until <= utcnow():
        raise OperationError(_l("Choose a date in the future."), field="until")
    if not clean_text(reason).strip():
        raise OperationError(_l("Say why: it is recorded in the moderation log."), field="reason")
    suspend_member(member, actor, until, reason)


def ban(member: User, actor: User, reason: str) -> None:
    if member.id == actor.id:
        raise OperationError(_l("You cannot ban yourself."), field="reason")
    if member.is_banned:
        raise OperationError(_l("This member is already banned."), field="reason")
    if not clean_text(reason).strip():
        raise OperationError(_l("Say why: it is recorded in the moderation log."), field="reason")
    ban_member(member, actor, reason)
