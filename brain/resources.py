"""The files the application needs at run time, found through the package.

The repository keeps ``migrations/``, ``translations/`` and ``static/`` at its top level (the
design card's layout); ``brain/`` holds a link to each, so the same three folders are
``brain/migrations`` and so on whether the package runs from the checkout (``make`` installs
it in editable mode) or from a wheel (the build copies the linked files into the package).
Either way they are found here, through ``importlib.resources``, never through the
repository's folders.

A missing file is an error at start-up (``check``), never a silently empty glossary or a
``db upgrade`` that cannot find its scripts.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources
from pathlib import Path


class MissingResource(RuntimeError):
    """A file the application cannot run without is not where the package says it is."""


# Installed as files (a wheel unpacked into site-packages, or the checkout), never a zip:
# Flask serves static files and Alembic loads its scripts from real paths.
PACKAGE = Path(str(resources.files("brain")))


def _path(*parts: str) -> Path:
    return PACKAGE.joinpath(*parts)


def migrations() -> Path:
    return _path("migrations")


def translations() -> Path:
    return _path("translations")


def static() -> Path:
    return _path("static")


def glossary() -> Path:
    return _path("search", "glossary.tsv")


def templates() -> Path:
    return _path("templates")


def _catalogs() -> list[Path]:
    """The message catalog of every interface language (English is the source: none)."""
    from brain.i18n import INTERFACE_LANGUAGES

    return [
        translations() / language.code / "LC_MESSAGES" / "messages.po"
        for language in INTERFACE_LANGUAGES
        if language.code != "en"
    ]


def required() -> list[Path]:
    """Every file whose absence means a broken installation."""
    files = [
        migrations() / "env.py",
        migrations() / "script.py.mako",
        static() / "css" / "brain.css",
        static() / "js" / "brain.js",
        static() / "favicon.svg",
        static() / "icons" / "reply.svg",
        static() / "css" / "meeting.css",
        static() / "js" / "meeting.js",
        glossary(),
        templates() / "base.html",
    ]
    return files + _catalogs()


def missing() -> list[Path]:
    absent = [path for path in required() if not path.is_file()]
    if not any((migrations() / "versions").glob("*.py")):
        absent.append(migrations() / "versions")
    return absent


def check() -> None:
    """Refuse to start without the files the application needs."""
    absent = missing()
    if absent:
        listed = "\n  ".join(str(path) for path in absent)
        raise MissingResource(
            "Collective Brain is not installed completely; these files are missing:\n  "
            f"{listed}\nReinstall the package (pip install collective-brain, or from a "
            "checkout: make run)."
        )


@cache
def static_version(filename: str) -> str:
    """A short digest of a static file's content, added to its address (``?v=``) so that a
    proxy or browser may keep it for long: a new release changes the address."""
    path = static() / filename
    if not path.is_file():
        return ""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]
