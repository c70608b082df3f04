"""The package finds its files through itself, refuses to start without them, and the wheel's
file list (setup.cfg's package_data) names every one of them. .ci/deploy-check builds the wheel
and runs it outside the checkout; these are the quick checks behind it."""

from __future__ import annotations

import configparser
import hashlib
import re
from fnmatch import fnmatch
from pathlib import Path

import pytest

from brain import create_app, resources
from brain.search import glossary

CHECKOUT = Path(__file__).resolve().parent.parent


def _package_data_patterns() -> list[str]:
    config = configparser.ConfigParser()
    config.read(CHECKOUT / "setup.cfg")
    return config["options.package_data"]["brain"].split()


def _shipped(relative: str, patterns: list[str]) -> bool:
    # setuptools' "**" also matches no folder at all; fnmatch's "*" crosses "/" anyway.
    return any(fnmatch(relative, pattern.replace("**/", "")) for pattern in patterns)


def test_every_file_the_app_needs_is_in_the_wheel_file_list():
    patterns = _package_data_patterns()
    needed = [*resources.required(), *resources.migrations().glob("versions/*.py")]
    needed += [path for path in resources.static().rglob("*") if path.is_file()]
    needed += [path for path in resources.templates().rglob("*.html")]
    assert len(needed) > 30
    for path in needed:
        relative = path.relative_to(resources.PACKAGE).as_posix()
        assert _shipped(relative, patterns), f"{relative} would be missing from the wheel"


def test_the_data_folders_are_the_repositorys_top_level_folders():
    # One copy of each: brain/migrations and the others lead to the design card's folders.
    for name in ("migrations", "translations", "static"):
        assert (resources.PACKAGE / name).resolve() == (CHECKOUT / name).resolve()


def _package_copy_without(tmp_path: Path, missing: str) -> Path:
    """A package folder like the installed one, made of links, with one file left out."""
    copy = tmp_path / "brain"
    for path in resources.required():
        relative = path.relative_to(resources.PACKAGE)
        if relative.as_posix() == missing:
            continue
        (copy / relative).parent.mkdir(parents=True, exist_ok=True)
        (copy / relative).symlink_to(path)
    versions = copy / "migrations" / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    for script in resources.migrations().glob("versions/*.py"):
        (versions / script.name).symlink_to(script)
    return copy


@pytest.mark.parametrize(
    "missing",
    ["search/glossary.tsv", "migrations/env.py", "static/css/brain.css",
     "translations/ar/LC_MESSAGES/messages.po"],
)  # fmt: skip
def test_a_missing_file_stops_the_start_with_its_name(tmp_path, monkeypatch, missing):
    monkeypatch.setattr(resources, "PACKAGE", _package_copy_without(tmp_path, missing))
    with pytest.raises(resources.MissingResource, match=re.escape(missing.split("/")[-1])):
        create_app(instance_path=str(tmp_path / "instance"))


def test_a_complete_package_copy_starts(tmp_path, monkeypatch):
    monkeypatch.setattr(resources, "PACKAGE", _package_copy_without(tmp_path, missing=""))
    app = create_app(instance_path=str(tmp_path / "instance"))
    assert Path(app.static_folder) == tmp_path / "brain" / "static"


def test_a_missing_glossary_is_an_error_not_an_empty_glossary(tmp_path):
    with pytest.raises(FileNotFoundError):
        glossary.concepts(tmp_path / "glossary.tsv")
    assert len(glossary.concepts()) > 20  # the real one


def test_static_addresses_carry_a_digest_of_the_content(client):
    page = client.get("/").get_data(as_text=True)
    found = re.search(r'href="/static/css/brain\.css\?v=([0-9a-f]{12})"', page)
    assert found, "the stylesheet's address has no version"
    content = (resources.static() / "css" / "brain.css").read_bytes()
    assert found.group(1) == hashlib.sha256(content).hexdigest()[:12]
    with client.get(f"/static/css/brain.css?v={found.group(1)}") as response:
        assert response.status_code == 200
        assert response.get_data() == content


def test_the_lock_file_pins_every_dependency_the_package_names():
    config = configparser.ConfigParser()
    config.read(CHECKOUT / "setup.cfg")
    names = [
        re.match(r"[A-Za-z0-9_.-]+", line).group(0).lower().replace("_", "-")
        for line in config["options"]["install_requires"].split("\n")
        if line.strip()
    ]
    lock = (CHECKOUT / "requirements.lock").read_text()
    pinned = {
        found.group(1).lower().replace("_", "-")
        for found in re.finditer(r"^([A-Za-z0-9_.-]+)==", lock, re.MULTILINE)
    }
    assert set(names) <= pinned, set(names) - pinned
