"""What a person does in the browser, written once for the browser tests."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

# The language switcher's label in every interface language (from translations/*/messages.po).
LANGUAGE_LABEL = re.compile(r"^(Language|Langue|Idioma|اللغة)$")


def log_in(page: Page, base_url: str, username: str, password: str = PASSWORD) -> None:
    """Log in through the English login form."""
    page.goto(f"{base_url}/login")
    page.get_by_label("Username or email", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Welcome back")


def switch_language(page: Page, language_name: str) -> None:
    """Pick a language, by its own name, in the switcher on the page and press its button."""
    choice = page.get_by_role("combobox", name=LANGUAGE_LABEL)
    choice.select_option(label=language_name)
    switcher = page.locator("form").filter(has=choice)
    switcher.get_by_role("button").click()


def post_with_text(page: Page, text: str):
    """The post (an article) whose body contains *text*."""
    return page.get_by_role("article").filter(has=page.locator(".post-body", has_text=text))
