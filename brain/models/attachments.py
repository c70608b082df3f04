"""Files members attach to their posts: images (re-encoded) and PDFs.

The bytes live on disk under the instance folder (brain.ops.uploads); a row here says whose
file it is, which post it belongs to — none while it waits in a composer (sent with a
preview, or uploaded by the page's script before the post is written) — and how to serve it.
A file follows its post: readable by whoever may read the post, removed with it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from brain.extensions import db
from brain.models.types import UTCDateTime, str_enum, utcnow
from brain.models.users import User

KEY_LENGTH = 32  # hex characters of the random name: 128 bits, never guessed
THUMB_SIDE = 480  # longest side of the thumbnail shown under a post


class FileKind(enum.StrEnum):
    IMAGE = "image"
    PDF = "pdf"


class Attachment(db.Model):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The random name on disk and in the address (/uploads/<key>.<extension>).
    key: Mapped[str] = mapped_column(String(KEY_LENGTH), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[FileKind] = mapped_column(str_enum(FileKind, length=8))
    # What the content is (found from the bytes, never from the name or the browser).
    extension: Mapped[str] = mapped_column(String(8))
    content_type: Mapped[str] = mapped_column(String(64))
    # The name the member's file had (cleaned, with the extension of what it really is).
    filename: Mapped[str] = mapped_column(String(255))
    # Bytes on disk, thumbnail included: what counts against the member's quota.
    size: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[User] = relationship()

    @property
    def is_image(self) -> bool:
        return self.kind == FileKind.IMAGE

    @property
    def stored_name(self) -> str:
        return f"{self.key}.{self.extension}"

    @property
    def thumbnail_name(self) -> str | None:
        return f"{self.key}.thumb.webp" if self.is_image else None

    @property
    def thumbnail_size(self) -> tuple[int, int] | None:
        """(width, height) of the thumbnail, so the page keeps its place while it loads."""
        if not self.width or not self.height:
            return None
        scale = min(1, THUMB_SIDE / max(self.width, self.height))
        return max(1, round(self.width * scale)), max(1, round(self.height * scale))

    @property
    def path(self) -> str:
        """The address of the file on this site (what a post's Markdown may show)."""
        return f"/uploads/{self.stored_name}"

    def __repr__(self) -> str:
        return f"<Attachment {self.stored_name} post={self.post_id}>"
