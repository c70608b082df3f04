"""Compiling the message catalogs (.po → .mo) with Babel alone.

It imports nothing else from the package, so the wheel's build (setup.py, which cannot import
Flask) compiles the catalogs it ships with the same code as ``brain translations compile``.
"""

from __future__ import annotations

from pathlib import Path


def compile_catalogs(source: Path, target: Path | None = None) -> list[Path]:
    """Compile every ``<lang>/LC_MESSAGES/messages.po`` under *source* into a ``messages.mo``
    beside it, or at the same place under *target*; returns the .mo files written."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        mo_path = (target or source) / po_path.relative_to(source).with_suffix(".mo")
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        written.append(mo_path)
    return written
