"""Members and their roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Enum, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brain.extensions import db
from brain.models.types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # NFKC + casefold of the username: two names that differ only by case cannot coexist.
    username_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The key with confusable characters mapped to one representative ("pаypal" with a
    # Cyrillic a → "paypal"): a new name may not look like an existing one.
    username_skeleton: Mapped[str] = mapped_column(String(64), index=True, default="")
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(64))
    role: Mapped[Role] = mapped_column(
        Enum(Role, native_enum=False, length=16, values_callable=lambda e: [m.value for m in e]),
        default=Role.MEMBER,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # None while an account waits for an administrator's approval (it may read, not write).
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped when every open session must end (password change, ban): part of the login id.
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str | None] = mapped_column(String(64))
    country: Mapped[str | None] = mapped_column(String(2))
    organisation: Mapped[str | None] = mapped_column(String(120))
    bio: Mapped[str | None] = mapped_column(Text)  # Markdown source
    bio_html: Mapped[str | None] = mapped_column(Text)  # rendered and sanitized on write
    # Comma-separated: language codes spoken ("fr,wo"), areas of expertise (free words).
    spoken_languages_csv: Mapped[str | None] = mapped_column("spoken_languages", String(120))
    expertise: Mapped[str | None] = mapped_column(String(300))
    # Suspended members may read but not write until this moment; banned ones not at all.
    suspended_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    banned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "Mark everything as read": every post with an id up to this one is read (TopicRead).
    read_all_up_to: Mapped[int | None] = mapped_column(Integer)
    # The member deleted their account: it is anonymised and can no longer log in.
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Content languages this member reads, comma-separated codes ("fr,es"); empty: all.
    read_languages_csv: Mapped[str | None] = mapped_column("read_languages", String(64))

    moderated_boards: Mapped[list[Board]] = relationship(  # noqa: F821
        secondary="board_moderators", lazy="select"
    )
    editions: Mapped[list[MemberEdition]] = relationship(
        cascade="all, delete-orphan", lazy="select", order_by="MemberEdition.edition"
    )

    # The key of the login session this object was loaded or logged in with (not a column:
    # brain.ops.sessions sets it); part of the login id kept in the session cookie.
    login_key = ""

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}:{self.login_key}"

    @property
    def read_languages(self) -> list[str]:
        return [code for code in (self.read_languages_csv or "").split(",") if code]

    @read_languages.setter
    def read_languages(self, codes: list[str]) -> None:
        self.read_languages_csv = ",".join(codes) or None

    @property
    def spoken_languages(self) -> list[str]:
        return [code for code in (self.spoken_languages_csv or "").split(",") if code]

    @spoken_languages.setter
    def spoken_languages(self, codes: list[str]) -> None:
        self.spoken_languages_csv = ",".join(codes) or None

    @property
    def expertise_list(self) -> list[str]:
        return [word.strip() for word in (self.expertise or "").split(",") if word.strip()]

    @property
    def edition_codes(self) -> list[str]:
        return [row.edition for row in self.editions]

    @property
    def is_pending(self) -> bool:
        return self.approved_at is None

    @property
    def is_banned(self) -> bool:
        return self.banned_at is not None

    def is_suspended(self, now: datetime | None = None) -> bool:
        return self.suspended_until is not None and self.suspended_until > (now or utcnow())

    @property
    def may_write(self) -> bool:
        return not self.is_banned and not self.is_pending and not self.is_suspended()

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    def __repr__(self) -> str:
        return f"<User {self.username}>"


class LoginSession(db.Model):
    """One logged-in browser. The session cookie names it (by a random key whose digest is
    kept here); logging out deletes the row, so a copy of the cookie stops working on every
    server at once. A password change or a ban ends them all (``User.session_epoch``)."""

    __tablename__ = "login_sessions"

    key_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BoardModerator(db.Model):
    __tablename__ = "board_moderators"

    board_id: Mapped[int] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class MemberEdition(db.Model):
    """An edition of the academy a member attended (codes in brain.members.editions)."""

    __tablename__ = "member_editions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    edition: Mapped[str] = mapped_column(String(32), primary_key=True)
