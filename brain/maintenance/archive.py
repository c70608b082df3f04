"""The backup archive: one ``.tar.gz`` holding a manifest, the database and instance files::

    manifest.json              format, created_at, dialect, schema, revision, version, counts
    database/brain.sqlite3     SQLite: a copy made by SQLite's online backup API, or
    database/brain.pgdump      PostgreSQL: ``pg_dump --format=custom``
    instance/brain.cfg         the instance files worth keeping (INSTANCE_FILES, uploads/),
    instance/uploads/...       never the search index (rebuilt on restore), the rate-limit
    instance/secret_key        counters or the mail folder; the secret key only when asked

Backup writes it (write_archive), restore reads it (read_manifest, unpack); nothing else
opens the file.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
import tempfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app

ARCHIVE_FORMAT = 1  # bump when the layout changes; restore refuses formats it does not know
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database/brain.sqlite3"
PG_MEMBER = "database/brain.pgdump"
INSTANCE_PREFIX = "instance/"
# What an instance folder holds that cannot be rebuilt. Left out on purpose: the database file
# (in the snapshot), search/ (rebuilt), ratelimits.sqlite (counters that expire within the
# hour), mail/ (copies of mail "sent" without an SMTP server, with password-reset links).
INSTANCE_FILES = ("brain.cfg", "demo-accounts.json")
INSTANCE_FOLDERS = ("uploads",)
SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name


class Refused(click.ClickException):
    """The command did nothing, for the reason given (exit status 1)."""


def write_archive(output: Path, snapshot: dict, files: list[Path], manifest: dict) -> None:
    """Write the archive beside *output* and rename it into place, so a failed or interrupted
    backup never leaves a truncated file under the final name. Readable by its owner only:
    it holds password hashes and email addresses."""
    instance = Path(current_app.instance_path)
    handle, partial = tempfile.mkstemp(dir=output.parent, prefix=".brain-backup-")
    os.close(handle)
    try:
        with tarfile.open(partial, "w:gz") as archive:
            data = json.dumps(manifest, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime, info.mode = len(data), int(datetime.now(UTC).timestamp()), 0o600
            archive.addfile(info, io.BytesIO(data))
            archive.add(snapshot["file"], arcname=snapshot["database"])
            for path in files:
                archive.add(path, arcname=INSTANCE_PREFIX + str(path.relative_to(instance)))
        os.replace(partial, output)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


def read_manifest(archive: Path) -> dict:
    """The archive's manifest; Refused when the file is not a backup this version reads."""
    not_a_backup = Refused(f"{archive} is not a Collective Brain backup (brain backup makes one).")
    try:
        with tarfile.open(archive, "r:gz") as tar:
            member = tar.extractfile(MANIFEST)
            manifest = json.loads(member.read()) if member else None
            names = tar.getnames()  # reads to the end: a truncated archive is refused here
    except (tarfile.TarError, OSError, EOFError, zlib.error, KeyError, ValueError) as problem:
        raise not_a_backup from problem
    if not isinstance(manifest, dict) or manifest.get("app") != "collective-brain":
        raise not_a_backup
    if manifest.get("database") not in names:
        raise Refused(f"{archive} is an incomplete backup: it holds no database.")
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise Refused(
            f"{archive} is a backup in format {manifest.get('format')}; this version reads "
            f"format {ARCHIVE_FORMAT}. Restore it with the version that wrote it "
            f"({manifest.get('version')})."
        )
    return manifest


def unpack(archive: Path, work: Path) -> None:
    with tarfile.open(archive, "r:gz") as tar:
        tar.extractall(work, filter="data")  # refuses absolute paths, "..", device files
