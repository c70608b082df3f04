"""The accessibility check itself: it must be able to fail, or its passes mean nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page


def test_the_accessibility_check_reports_an_unlabelled_field(page: Page, axe_check):
    page.set_content(
        "<!doctype html><html lang='en'><title>Form</title>"
        "<main><form><input type='text' name='q'></form></main></html>"
    )
    with pytest.raises(AssertionError, match="label"):
        axe_check(page)
