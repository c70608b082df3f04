"""Browser fixtures: Debian Chromium kept off the network, the test app served on a real port,
an axe-core check, and a folder for screenshots a person can look at after the run."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from brain.extensions import limiter
from tests.factories import make_board, make_user
from tests.live import served

CHROMIUM = Path("/usr/bin/chromium")
REPO = Path(__file__).resolve().parents[2]
AXE_SCRIPT = REPO / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
HERE = Path(__file__).resolve().parent

# From TESTING.md: headless, no sandbox, and no way out to the network (the resolver rule stops
# even the DNS look-ups Chromium makes for its own services).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
]
MISSING_BROWSER = "Chromium not installed: apt-get install chromium"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}
_SCREENSHOTS_KEY = pytest.StashKey[Path]()


def _browser_required() -> bool:
    return os.environ.get("BRAIN_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Hooks in a conftest see the whole session's items: touch only the ones in this folder.
    mine = [item for item in items if HERE in item.path.parents]
    skip = None
    if not CHROMIUM.exists() and not _browser_required():
        skip = pytest.mark.skip(reason=MISSING_BROWSER)
    for item in mine:
        item.add_marker(pytest.mark.browser)
        item.add_marker(pytest.mark.commits)  # the browser talks to a server in other threads
        if skip is not None:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    folder = config.stash.get(_SCREENSHOTS_KEY, None)
    if folder is not None:
        terminalreporter.write_sep("-", "browser screenshots")
        terminalreporter.write_line(f"Screenshots are in {folder}")


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    if not CHROMIUM.exists():
        # Only reached with BRAIN_REQUIRE_BROWSER=1; otherwise the tests are skipped.
        pytest.fail(f"{MISSING_BROWSER} (BRAIN_REQUIRE_BROWSER=1 requires it)")
    return {"executable_path": str(CHROMIUM), "headless": True, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url() -> None:
    """No fixed base URL: each test gets its own server (see ``live_server``). This also
    replaces pytest-playwright's own fixture, which pytest 9 deprecates (an instance-method
    session fixture) and ``filterwarnings = error`` would turn into an error."""
    return None


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config) -> Path:
    """The folder for screenshots; its path is shown at the end of the run."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pytestconfig.stash[_SCREENSHOTS_KEY] = SCREENSHOTS
    print(f"Browser screenshots go to {SCREENSHOTS}")
    return SCREENSHOTS


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The test app on a real port of 127.0.0.1; yields its base URL (no trailing slash).
    The server thread shares the test's database, so factories can prepare the data."""
    # Every request comes from 127.0.0.1, and the limits are kept for the whole session: start
    # each browser test with fresh counts so that logging in again is never refused.
    with app.app_context():
        limiter.reset()
    with served(app) as base:
        yield base


def _describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(node['target'])}: {node.get('failureSummary', '')}")
    return "\n".join(lines)


def _assert_accessible(page) -> None:
    """Assert that axe-core finds no serious or critical WCAG 2.0/2.1 A and AA violation."""
    # Evaluated rather than added as a <script>: the site's CSP (script-src 'self') rightly
    # refuses inline scripts, and the check must not weaken it.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate(
        "options => axe.run(document, options)",
        {"runOnly": {"type": "tag", "values": WCAG_TAGS}},
    )
    blocking = [v for v in results["violations"] if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe-core on {page.url}:\n{_describe(blocking)}"


@pytest.fixture
def axe_check():
    """``axe_check(page)`` runs axe-core on the page as it is now."""
    return _assert_accessible


# People and a board that the forum's flows share (test_forum_flow, test_writing_flow).


@pytest.fixture
def board():
    return make_board(slug="cooperatives", name="Cooperatives")


@pytest.fixture
def amina():
    return make_user(username="amina", display_name="Amina Diallo")


@pytest.fixture
def bruno():
    return make_user(username="bruno", display_name="Bruno Costa")
