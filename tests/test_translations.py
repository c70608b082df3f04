"""Every string a person can see is translated in every catalog, with the same placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from brain.i18n import INTERFACE_LANGUAGES, TRANSLATIONS_DIR

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "lazy_pgettext": ((1, "c"), 2),
}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")
TRANSLATED = [lang.code for lang in INTERFACE_LANGUAGES if lang.code != "en"]


@pytest.fixture(scope="module")
def source_messages() -> Catalog:
    """The messages in the code today, extracted the way `make messages` does."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    catalog = Catalog()
    for path, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS
    ):
        catalog.add(message, None, [(path, lineno)], context=context)
    assert len(catalog) > 100, "extraction found too few messages"
    return catalog


def load(language: str) -> Catalog:
    path = TRANSLATIONS_DIR / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as po_file:
        return read_po(po_file)


def as_tuple(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


@pytest.mark.parametrize("language", TRANSLATED)
def test_catalog_has_every_message_translated(source_messages, language):
    catalog = load(language)
    missing, empty, fuzzy = [], [], []
    for message in source_messages:
        if not message.id:
            continue
        translated = catalog.get(message.id, context=message.context)
        if translated is None:
            missing.append(message.id)
        elif translated.fuzzy:
            fuzzy.append(message.id)
        elif not all(as_tuple(translated.string)):
            empty.append(message.id)
    assert not missing, f"{language}: not in the catalog: {missing}"
    assert not empty, f"{language}: empty translations: {empty}"
    assert not fuzzy, f"{language}: fuzzy translations: {fuzzy}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_the_placeholders(language):
    problems = []
    for message in load(language):
        if not message.id:
            continue
        expected = set(PLACEHOLDER.findall(as_tuple(message.id)[0]))
        for text in as_tuple(message.string):
            if text and set(PLACEHOLDER.findall(text)) != expected:
                problems.append((message.id, text))
    assert not problems, f"{language}: placeholders differ: {problems}"


@pytest.mark.parametrize(("language", "forms"), [("fr", 2), ("es", 2), ("pt", 2), ("ar", 6)])
def test_plural_forms_are_complete(language, forms):
    catalog = load(language)
    assert catalog.num_plurals == forms
    for message in catalog:
        if message.id and message.pluralizable:
            assert len(message.string) == forms and all(message.string), message.id


def test_pages_come_out_translated(client):
    """The compiled catalogs are used: the login page in Portuguese and Arabic."""
    english = client.get("/login?lang=en").get_data(as_text=True)
    for language in TRANSLATED:
        page = client.get(f"/login?lang={language}").get_data(as_text=True)
        assert "Username or email" in english
        assert "Username or email" not in page, language
        assert "Skip to the content" not in page, language
