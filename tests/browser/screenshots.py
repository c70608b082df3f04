"""The README's screenshots, taken in Chromium from the demo community so they stay current.

    make screenshots        (or: .venv/bin/python -m tests.browser.screenshots [folder])

Loads the demo content into a throwaway instance, serves it on 127.0.0.1, and writes PNGs to
docs/screenshots/: the home page, a thread, the Meeting Point, a thread on a phone and an
Arabic page, in light mode, as a member sees them, at 1280×800 (desktop) and 390×844 (phone)."""

from __future__ import annotations

import logging
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, MISSING_BROWSER, REPO
from tests.browser.demo_site import DemoSite, demo_site, log_in

FOLDER = REPO / "docs" / "screenshots"
MEMBER = "grace"  # a member of the demo who reads the site in English
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


SCROLL_TO_POST = """number => {
  const post = document.querySelectorAll('main article')[number];
  if (post) window.scrollTo(0, post.getBoundingClientRect().top + window.scrollY - 8);
}"""


@dataclass(frozen=True)
class Shot:
    file: str
    page: str  # a path, or a key of DemoSite.topics
    viewport: dict
    language: str = "en"
    from_post: int = 0  # scroll the page so that this post (0: the first) starts the picture


SHOTS = [
    Shot("home.png", "/", DESKTOP),
    Shot("thread.png", "thread", DESKTOP),
    Shot("meeting-point.png", "/meeting-point/", DESKTOP),
    Shot("phone-thread.png", "thread", PHONE, from_post=1),  # the replies, nested
    Shot("arabic.png", "arabic", DESKTOP, language="ar"),
]


def _address(site: DemoSite, shot: Shot) -> str:
    path = site.topics.get(shot.page, shot.page)
    return f"{site.base}{path}{'&' if '?' in path else '?'}lang={shot.language}"


def take(site: DemoSite, folder: Path) -> list[Path]:
    """Write every screenshot of SHOTS into *folder*; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            for shot in SHOTS:
                phone = shot.viewport is PHONE
                context = browser.new_context(
                    viewport=shot.viewport,
                    color_scheme="light",
                    is_mobile=phone,
                    has_touch=phone,
                    reduced_motion="reduce",
                )
                page = context.new_page()
                log_in(page, site, MEMBER)
                page.goto(_address(site, shot))
                if shot.from_post:
                    page.evaluate(SCROLL_TO_POST, shot.from_post)
                path = folder / shot.file
                page.screenshot(path=path, animations="disabled", caret="hide")
                written.append(path)
                context.close()
        finally:
            browser.close()
    return written


def main(argv: list[str]) -> int:
    if not CHROMIUM.exists():
        print(MISSING_BROWSER, file=sys.stderr)
        return 1
    folder = Path(argv[0]) if argv else FOLDER
    logging.disable(logging.INFO)  # no line per migration or request
    with (
        tempfile.TemporaryDirectory(prefix="brain-screenshots-") as instance,
        demo_site(Path(instance)) as site,
    ):
        for path in take(site, folder):
            print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
