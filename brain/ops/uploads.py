"""Files members send: images and PDFs attached to posts, and avatars.

What a file is comes from its bytes (their first bytes, then Pillow's decoder restricted to
that one format), never from its name or the type the browser claims. Images are decoded
and encoded again from their pixels: whatever else the file carried goes — EXIF (with the
place a photo was taken), XMP, comments, a script glued to a GIF — and their longest side
is capped. PDFs are kept as sent (they are only ever downloaded, never shown in the page).

Files live under ``instance/uploads/`` with random names (``brain backup`` keeps the
folder). Disk and database change together: a file written in a transaction that rolls back
is removed again, and a file whose row is deleted is removed once the deletion is
committed (``_written`` / ``_doomed`` below, driven by the session's events). What is left
over all the same — files sent for a post that was never written, files a process that died
mid-request left on disk — goes with ``prune`` (hourly in the worker, ``brain uploads
prune`` by hand).

A member's quota counts every file they sent and their avatar.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from babel.units import format_unit
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from brain.extensions import db
from brain.models import Attachment, FileKind, Post, User, utcnow
from brain.models.attachments import KEY_LENGTH, THUMB_SIDE
from brain.ops.errors import OperationError

FOLDER = "uploads"
FIELD = "files"  # the composer's file input: refusals show under it

MAX_SIDE = 2048  # longest side of a stored image
AVATAR_SIDES = {"s": 96, "l": 256}  # square avatars, twice the size they are shown at
# Decoded pixels of one image, every frame of an animation counted: a few kilobytes of
# PNG or GIF can claim gigabytes once decoded (a "decompression bomb"). 50 megapixels lets
# through the largest phone photos. Pillow refuses past twice its own limit on its own; at
# our limit we refuse before decoding anything.
MAX_PIXELS = 50_000_000
MAX_FRAMES = 300
MAX_ICC_BYTES = 64 * 1024
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
PENDING_KEPT = timedelta(days=1)  # files sent with a preview, never posted

_KEY = re.compile(rf"[0-9a-f]{{{KEY_LENGTH}}}")
# A file of this site named in a post's text: ![plan](/uploads/<key>.png) (the composer's
# image button writes these).
_REFERENCE = re.compile(rf"/uploads/([0-9a-f]{{{KEY_LENGTH}}})(?:\.thumb)?\.[a-z]{{3,4}}\b")
# Names on disk: "<key>.<extension>", "<key>.thumb.webp", and what _write leaves when its
# process dies mid-write: ".<name>.<random>.part".
_STORED = re.compile(rf"\.?([0-9a-f]{{{KEY_LENGTH}}})\.")
_AVATAR = re.compile(r"([0-9]+)-[sl]\.webp|\..*\.part")
# Controls, and the marks that reorder text ("photo\u202egnp.exe" shows as "photoexe.png").
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069/\\]")


@dataclass(frozen=True)
class Format:
    pillow: str  # Pillow's name, the only decoder allowed on the bytes
    extension: str
    content_type: str


IMAGE_FORMATS = {
    "jpeg": Format("JPEG", "jpg", "image/jpeg"),
    "png": Format("PNG", "png", "image/png"),
    "gif": Format("GIF", "gif", "image/gif"),
    "webp": Format("WEBP", "webp", "image/webp"),
}
PDF = Format("", "pdf", "application/pdf")
CONTENT_TYPES = {f.extension: f.content_type for f in [*IMAGE_FORMATS.values(), PDF]}
ACCEPTED = ".jpg,.jpeg,.png,.gif,.webp,.pdf"  # the file input's accept= (a hint only)


def _sniff(data: bytes) -> Format | None:
    """What the first bytes say the file is (its "magic number"), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return IMAGE_FORMATS["jpeg"]
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return IMAGE_FORMATS["png"]
    if data.startswith((b"GIF87a", b"GIF89a")):
        return IMAGE_FORMATS["gif"]
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return IMAGE_FORMATS["webp"]
    if data.startswith(b"%PDF-"):
        return PDF
    return None


# --- sizes, in the reader's language -------------------------------------------------------


def size_text(size: int) -> str:
    """*size* bytes as people read it: "10 MB", "10 Mo", "٢٫٥ م.ب" (Babel's units)."""
    locale = str(get_locale() or "en")
    if size >= 1024 * 1024:
        value, unit = size / (1024 * 1024), "digital-megabyte"
    else:
        value, unit = max(size / 1024, 1), "digital-kilobyte"
    return format_unit(round(value, 1), unit, length="short", locale=locale)


# --- one file: read, check, re-encode ------------------------------------------------------


@dataclass
class Prepared:
    """A file ready to be stored: what it is, its bytes, and (images) the thumbnail."""

    format: Format
    filename: str
    data: bytes
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.data) + len(self.thumbnail or b"")


def clean_filename(name: str | None, extension: str) -> str:
    """The member's file name without folders or control characters, ending in the
    extension of what the file really is ("invoice.php.png" that is a PNG stays
    "invoice.php.png"; "photo.html" that is a JPEG becomes "photo.jpg")."""
    name = shown_name(name)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    return f"{stem.strip(' .') or 'file'}.{extension}"


def shown_name(name: str | None) -> str:
    """The name a member gave their file, without folders or control characters: safe to
    show back in a message."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    return _UNSAFE_NAME.sub("", name).strip()[:120] or "file"


def read_limited(stream, name: str | None) -> bytes:
    """The whole file, refusing it as soon as it passes the size limit (never more read)."""
    name = shown_name(name)
    limit = current_app.config["UPLOAD_MAX_BYTES"]
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise OperationError(
            _l(
                "“%(name)s” is too large: at most %(size)s per file.",
                name=name,
                size=size_text(limit),
            ),
            field=FIELD,
        )
    if not data:
        raise OperationError(_l("“%(name)s” is empty.", name=name), field=FIELD)
    return data


def prepare(data: bytes, name: str | None) -> Prepared:
    """Check and re-encode one file sent as *name*; OperationError says what is wrong."""
    shown = shown_name(name)
    found = _sniff(data)
    if found is None:
        raise OperationError(
            _l(
                "“%(name)s” is not a file we accept. Attach JPEG, PNG, WebP or GIF images, "
                "or PDF documents.",
                name=shown,
            ),
            field=FIELD,
        )
    filename = clean_filename(name, found.extension)
    if found is PDF:
        return Prepared(PDF, filename, data)
    image = _open(data, found, shown)
    encoded, thumbnail, (width, height) = _reencode(image, found)
    return Prepared(found, filename, encoded, thumbnail, width, height)


def _open(data: bytes, found: Format, shown: str) -> Image.Image:
    """Pillow's decoder for *found* only, refusing oversized images before decoding them."""
    too_large = OperationError(
        _l(
            "“%(name)s” has too many pixels (at most %(limit)s megapixels): please send a "
            "smaller image.",
            name=shown,
            limit=MAX_PIXELS // 1_000_000,
        ),
        field=FIELD,
    )
    try:
        image = Image.open(io.BytesIO(data), formats=[found.pillow])
        width, height = image.size
        frames = getattr(image, "n_frames", 1)
        if width * height * max(frames, 1) > MAX_PIXELS or frames > MAX_FRAMES:
            raise too_large
        if found.pillow == "JPEG":
            # Decode a large photo at the scale it will be stored at (a half, quarter or
            # eighth): less memory and time, same result.
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))
        image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise too_large from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise OperationError(
            _l(
                "“%(name)s” could not be read as an image: it may be damaged or incomplete.",
                name=shown,
            ),
            field=FIELD,
        ) from exc
    return image


def _bare(image: Image.Image) -> Image.Image:
    """*image* with no metadata left to be written out again (Pillow writes some of
    ``info`` — XMP, comments — back when saving); only which colour is transparent stays."""
    image.info = {k: v for k, v in image.info.items() if k == "transparency"}
    return image


def _fit(image: Image.Image, side: int) -> Image.Image:
    if max(image.size) > side:
        image = image.copy()
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def _for_format(image: Image.Image, pillow: str) -> Image.Image:
    """The image in a mode *pillow*'s encoder writes faithfully."""
    alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    if pillow == "JPEG":
        return image if image.mode in ("RGB", "L") else image.convert("RGB")
    if pillow == "WEBP":
        return image if image.mode in ("RGB", "RGBA") else image.convert("RGBA" if alpha else "RGB")
    if pillow == "GIF":
        return image if image.mode in ("P", "L") else image.convert("RGBA" if alpha else "RGB")
    if image.mode in ("1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"):
        return image
    return image.convert("RGBA" if alpha else "RGB")


def _reencode(image: Image.Image, found: Format) -> tuple[bytes, bytes, tuple[int, int]]:
    """(the stored image, its thumbnail, the stored size) from *image*'s pixels alone."""
    out = io.BytesIO()
    frames = getattr(image, "n_frames", 1)
    if frames > 1 and found.pillow in ("GIF", "WEBP"):
        still = _reencode_animation(image, found, out)
    else:
        # The colour profile is kept (without it, photos from recent phones look washed
        # out); it describes colours, nothing about the person or the place.
        icc = image.info.get("icc_profile")
        # A photo taken sideways is stored the right way up: the orientation is EXIF too.
        still = _bare(_for_format(_fit(ImageOps.exif_transpose(image), MAX_SIDE), found.pillow))
        options = {
            "JPEG": {"quality": 85, "optimize": True},
            "WEBP": {"quality": 85, "method": 4},
            "PNG": {},
            "GIF": {},
        }[found.pillow]
        if icc and len(icc) <= MAX_ICC_BYTES and found.pillow != "GIF":
            options["icc_profile"] = icc
        still.save(out, format=found.pillow, **options)
    return out.getvalue(), _thumbnail(still), still.size


def _reencode_animation(image: Image.Image, found: Format, out: io.BytesIO) -> Image.Image:
    durations, frames = [], []
    for frame in ImageSequence.Iterator(image):
        durations.append(int(frame.info.get("duration", 100)) or 100)
        frames.append(_bare(_fit(frame.convert("RGBA"), MAX_SIDE)))
    loop = int(image.info.get("loop", 0))
    first, rest = frames[0], frames[1:]
    options = {"quality": 85} if found.pillow == "WEBP" else {"disposal": 2}
    first.save(
        out,
        format=found.pillow,
        save_all=True,
        append_images=rest,
        duration=durations,
        loop=loop,
        **options,
    )
    return first


def _thumbnail(image: Image.Image) -> bytes:
    small = _bare(_for_format(_fit(image, THUMB_SIDE), "WEBP"))
    out = io.BytesIO()
    small.save(out, format="WEBP", quality=80, method=4)
    return out.getvalue()


def square(image: Image.Image, side: int) -> Image.Image:
    """The centre of *image*, cropped square and scaled to *side*."""
    return ImageOps.fit(image, (side, side), Image.Resampling.LANCZOS)


# --- the disk, in step with the database ---------------------------------------------------


def root() -> Path:
    return Path(current_app.instance_path) / FOLDER


def file_path(name: str) -> Path:
    """Where the stored file *name* ("<key>.<extension>") lives: spread over 256 folders."""
    return root() / name[:2] / name


def avatar_path(user_id: int, size: str) -> Path:
    return root() / "avatars" / f"{user_id}-{size}.webp"


def _write(path: Path, data: bytes, session: Session | None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    partial.write_bytes(data)
    os.replace(partial, path)  # readers see the whole file or none
    if session is not None:
        session.info.setdefault("uploads_written", []).append(path)


def _doom(paths: Iterable[Path]) -> None:
    """Remove these files once the transaction commits (they stay if it rolls back)."""
    db.session.info.setdefault("uploads_doomed", []).extend(paths)


def _unlink(paths: Iterable[Path]) -> None:
    for path in paths:
        try:
            path.unlink(missing_ok=True)
        except OSError:
            current_app.logger.warning("Could not remove the upload %s", path, exc_info=True)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    session.info.pop("uploads_written", None)
    doomed = session.info.pop("uploads_doomed", None)
    if doomed:
        _unlink(doomed)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, _previous) -> None:
    session.info.pop("uploads_doomed", None)
    written = session.info.pop("uploads_written", None)
    if written:
        _unlink(written)


def _paths_of(attachment: Attachment) -> list[Path]:
    paths = [file_path(attachment.stored_name)]
    if attachment.thumbnail_name:
        paths.append(file_path(attachment.thumbnail_name))
    return paths


def _remove(attachments: Iterable[Attachment]) -> int:
    removed = 0
    for attachment in attachments:
        _doom(_paths_of(attachment))
        db.session.delete(attachment)
        removed += 1
    return removed


# --- quotas ----------------------------------------------------------------------------------


def used_bytes(member: User) -> int:
    """What the member's files and avatar take on disk."""
    files = db.session.scalar(
        select(func.coalesce(func.sum(Attachment.size), 0)).where(Attachment.owner_id == member.id)
    )
    return files + avatar_bytes(member.id)


def avatar_bytes(user_id: int) -> int:
    """What the member's avatar takes on disk (both sizes), 0 without one."""
    total = 0
    for size in AVATAR_SIDES:
        with contextlib.suppress(OSError):
            total += avatar_path(user_id, size).stat().st_size
    return total


def _check_quota(member: User, adding: int, used: int) -> None:
    quota = current_app.config["UPLOAD_QUOTA_BYTES"]
    if used + adding > quota:
        raise OperationError(
            _l(
                "These files would take you past your space for files (%(used)s of "
                "%(quota)s used). Delete some of your earlier posts with files, or send "
                "smaller ones.",
                used=size_text(used),
                quota=size_text(quota),
            ),
            field=FIELD,
        )


def _too_many(most: int) -> OperationError:
    return OperationError(_l("At most %(n)d files per post.", n=most), field=FIELD)


# --- attachments of posts --------------------------------------------------------------------


def _sent_files(files) -> list:
    """The files a form really carried (a file input left empty sends a nameless part)."""
    return [f for f in files or [] if f is not None and getattr(f, "filename", None)]


def store(member: User, files, *, already: int = 0) -> list[Attachment]:
    """Check, re-encode and store *files* (werkzeug FileStorage objects) as *member*'s,
    not yet in any post. *already*: files the post has or will have besides these."""
    sent = _sent_files(files)
    if not sent:
        return []
    most = current_app.config["UPLOAD_MAX_FILES"]
    if already + len(sent) > most:
        raise _too_many(most)
    used = used_bytes(member)
    _check_quota(member, 0, used)
    stored = []
    for storage in sent:
        prepared = prepare(read_limited(storage.stream, storage.filename), storage.filename)
        _check_quota(member, prepared.size, used)
        used += prepared.size
        stored.append(_save(member, prepared))
    return stored


def _save(member: User, prepared: Prepared) -> Attachment:
    attachment = Attachment(
        key=secrets.token_hex(KEY_LENGTH // 2),
        owner_id=member.id,
        kind=FileKind.PDF if prepared.format is PDF else FileKind.IMAGE,
        extension=prepared.format.extension,
        content_type=prepared.format.content_type,
        filename=prepared.filename,
        size=prepared.size,
        width=prepared.width,
        height=prepared.height,
        created_at=utcnow(),
    )
    _write(file_path(attachment.stored_name), prepared.data, db.session)
    if prepared.thumbnail is not None:
        _write(file_path(attachment.thumbnail_name), prepared.thumbnail, db.session)
    db.session.add(attachment)
    return attachment


def parse_keys(text: str | None) -> list[str]:
    """The keys a composer form carries (its files sent earlier), in order, the malformed
    ones left out."""
    keys: dict[str, None] = {}
    for word in re.split(r"[\s,]+", text or ""):
        if _KEY.fullmatch(word):
            keys.setdefault(word)
    return list(keys)[:100]


def referenced_keys(text: str | None) -> list[str]:
    """The keys of this site's files that *text* (a post's Markdown) shows or links to."""
    return list(dict.fromkeys(_REFERENCE.findall(text or "")))[:100]


def held(member: User, keys: list[str]) -> list[Attachment]:
    """*member*'s files named by *keys* that wait for a post, in the order given."""
    if not keys:
        return []
    found = {
        a.key: a
        for a in db.session.scalars(
            select(Attachment).where(
                Attachment.key.in_(keys),
                Attachment.owner_id == member.id,
                Attachment.post_id.is_(None),
            )
        )
    }
    return [found[key] for key in keys if key in found]


def hold(member: User, files, attached: str | None) -> str:
    """Keep *files* sent with a preview until the post is written: returns the keys the
    form carries from now on (those it had, and the new ones)."""
    sweep_pending()
    kept = held(member, parse_keys(attached))
    kept += store(member, files, already=len(kept))
    db.session.flush()
    return " ".join(a.key for a in kept)


def attach(post: Post, member: User, files, attached: str | None = None) -> list[Attachment]:
    """Attach to *post* the files waiting in the form (*attached*) and those sent with it.
    The member's waiting files that the post's text shows (``![…](/uploads/<key>.png)``)
    are attached too, even when the form lost their keys (a draft restored by the browser):
    otherwise the post would show a file only its sender may read, until it is swept."""
    keys = list(dict.fromkeys([*parse_keys(attached), *referenced_keys(post.body_source)]))
    kept = held(member, keys)
    if not kept and not _sent_files(files):
        return []  # nothing to attach: no need to count what the post has
    present = db.session.scalar(
        select(func.count(Attachment.id)).where(Attachment.post_id == post.id)
    )
    most = current_app.config["UPLOAD_MAX_FILES"]
    if present + len(kept) > most:
        raise _too_many(most)
    new = store(member, files, already=present + len(kept))
    for attachment in [*kept, *new]:
        attachment.post_id = post.id
    db.session.flush()
    return [*kept, *new]


def attachments_of(post_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """The files of each post (images first, then documents, each in the order sent)."""
    ids = list(set(post_ids))
    found: dict[int, list[Attachment]] = {post_id: [] for post_id in ids}
    if not ids:
        return found
    for attachment in db.session.scalars(
        select(Attachment)
        .where(Attachment.post_id.in_(ids))
        .order_by(Attachment.post_id, Attachment.kind, Attachment.id)  # images first
    ):
        found[attachment.post_id].append(attachment)
    return found


def by_key(key: str) -> Attachment | None:
    return db.session.scalar(select(Attachment).where(Attachment.key == key))


def remove_post_files(post: Post) -> int:
    """The post is deleted: its files go, from the database now and from disk on commit."""
    return _remove(db.session.scalars(select(Attachment).where(Attachment.post_id == post.id)))


def sweep_pending(now=None, *, limit: int = 200) -> int:
    """Files sent with a preview or by the composer's script whose post was never written,
    a day on (at most *limit* of them: the next sweep takes the rest)."""
    cutoff = (now or utcnow()) - PENDING_KEPT
    return _remove(
        db.session.scalars(
            select(Attachment)
            .where(Attachment.post_id.is_(None), Attachment.created_at < cutoff)
            .order_by(Attachment.id)
            .limit(limit)
        )
    )


@dataclass
class Pruned:
    waiting: int = 0  # files never attached to a post (rows and their files)
    strays: int = 0  # files on disk that no row (or no member, for avatars) accounts for


def prune(now=None, *, batch: int = 200) -> Pruned:
    """Remove what no post or member holds any more, a day on: files sent for a post that
    was never written, and files on disk without a row (a process that died between writing
    a file and committing or rolling back its transaction), avatars of members who are gone
    included. Commits after each batch; the age keeps files of transactions still running."""
    now = now or utcnow()
    pruned = Pruned()
    while True:
        removed = sweep_pending(now, limit=batch)
        db.session.commit()  # the files go from disk here
        pruned.waiting += removed
        if removed < batch:
            break
    pruned.strays = _prune_strays(now.timestamp() - PENDING_KEPT.total_seconds())
    return pruned


def _prune_strays(cutoff: float) -> int:
    folder = root()
    if not folder.is_dir():
        return 0
    removed = 0
    for sub in sorted(folder.iterdir()):
        if not sub.is_dir():
            continue
        old = [p for p in sub.iterdir() if _older(p, cutoff)]
        stray = _stray_avatars(old) if sub.name == "avatars" else _stray_files(old)
        _unlink(stray)
        removed += len(stray)
    return removed


def _older(path: Path, cutoff: float) -> bool:
    """A file (not a folder) last written before *cutoff* (a timestamp)."""
    try:
        info = path.stat()
    except OSError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff


def _stray_files(paths: list[Path]) -> list[Path]:
    named = {p: m.group(1) for p in paths if (m := _STORED.match(p.name))}
    known: set[str] = set()
    keys = sorted(set(named.values()))
    for start in range(0, len(keys), 500):
        known.update(
            db.session.scalars(
                select(Attachment.key).where(Attachment.key.in_(keys[start : start + 500]))
            )
        )
    # A name that is not ours at all is left alone; a leftover ".part" always goes.
    return [p for p, key in named.items() if key not in known or p.name.endswith(".part")]


def _stray_avatars(paths: list[Path]) -> list[Path]:
    found = {p: _AVATAR.fullmatch(p.name) for p in paths}
    ids = {int(m.group(1)) for m in found.values() if m and m.group(1)}
    present = (
        set(db.session.scalars(select(User.id).where(User.id.in_(ids), User.deleted_at.is_(None))))
        if ids
        else set()
    )
    return [
        p for p, m in found.items() if m and (m.group(1) is None or int(m.group(1)) not in present)
    ]


def remove_member_files(member: User, *, with_posts: bool) -> None:
    """An account is deleted: its avatar and files waiting for a post go; with
    *with_posts*, the files of its posts too (otherwise they stay with the posts)."""
    clause = (Attachment.owner_id == member.id) & Attachment.post_id.is_(None)
    if with_posts:
        clause = clause | Attachment.post_id.in_(select(Post.id).where(Post.author_id == member.id))
    _remove(db.session.scalars(select(Attachment).where(clause)))
    _doom([avatar_path(member.id, size) for size in AVATAR_SIDES])


def member_files(member: User) -> list[dict]:
    """A member's files, for the copy of their data."""
    rows = db.session.execute(
        select(
            Attachment.key,
            Attachment.extension,
            Attachment.filename,
            Attachment.content_type,
            Attachment.size,
            Attachment.post_id,
            Attachment.created_at,
        )
        .where(Attachment.owner_id == member.id)
        .order_by(Attachment.id)
    )
    return [
        {
            "address": f"/uploads/{row.key}.{row.extension}",
            "name": row.filename,
            "type": row.content_type,
            "bytes": row.size,
            "post": row.post_id,
            "sent_at": row.created_at.isoformat(),
        }
        for row in rows
    ]


def delete_attachments(post: Post, keys: Iterable[str]) -> int:
    """Remove some of *post*'s files (its editor ticked them for removal)."""
    return _remove(
        db.session.scalars(
            select(Attachment).where(Attachment.post_id == post.id, Attachment.key.in_(list(keys)))
        )
    )


# --- avatars -----------------------------------------------------------------------------


def set_avatar(member: User, storage) -> None:
    """Make the picture in *storage* the member's avatar: cropped square, in two sizes."""
    name = getattr(storage, "filename", None)
    if not name:
        raise OperationError(_l("Choose a picture first."), field="avatar")
    try:
        data = read_limited(storage.stream, name)
        found = _sniff(data)
        if found is None or found is PDF:
            raise OperationError(
                _l(
                    "“%(name)s” is not a picture we accept: send a JPEG, PNG, WebP or GIF image.",
                    name=shown_name(name),
                ),
            )
        image = _open(data, found, shown_name(name))
        image = ImageOps.exif_transpose(image)
    except OperationError as problem:
        raise OperationError(problem.message, field="avatar") from problem
    image = _bare(image.convert("RGBA" if "A" in image.getbands() else "RGB"))
    encoded = {}
    for size, side in AVATAR_SIDES.items():
        out = io.BytesIO()
        _bare(square(image, side)).save(out, format="WEBP", quality=85, method=4)
        encoded[size] = out.getvalue()
    # The avatar counts in the member's space for files; it replaces the one they had.
    used = used_bytes(member) - avatar_bytes(member.id)
    quota = current_app.config["UPLOAD_QUOTA_BYTES"]
    if used + sum(map(len, encoded.values())) > quota:
        raise OperationError(
            _l(
                "Your picture would take you past your space for files (%(used)s of "
                "%(quota)s used). Delete some of your earlier posts with files first.",
                used=size_text(used),
                quota=size_text(quota),
            ),
            field="avatar",
        )
    for size, data in encoded.items():
        _write(avatar_path(member.id, size), data, None)


def remove_avatar(member: User) -> bool:
    """Remove the member's avatar now (initials are shown again); False if there was none."""
    paths = [avatar_path(member.id, size) for size in AVATAR_SIDES]
    had = any(path.exists() for path in paths)
    _unlink(paths)
    return had


def avatar_version(user_id: int, size: str) -> int | None:
    """The version of a member's avatar (when it was written) for its address, or None
    when they have none: a look at the disk, no query, so lists of posts stay cheap."""
    try:
        return avatar_path(user_id, size).stat().st_mtime_ns
    except OSError:
        return None
