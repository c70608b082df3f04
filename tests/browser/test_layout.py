"""The look holds on every kind of page, in every language, on a desktop and on a phone.

The demo community (tests/browser/demo_site.py) is served once for the module; each test walks
through every kind of page in one language at one width, in one browser page, and checks:

- overflow: nothing makes the page wider than the window (document scrollWidth ≤ viewport);
- overlap: no two visible controls (links, buttons, fields) cover each other by more than 1 px;
- target size: every visible form control and button is at least 24×24 CSS px (WCAG 2.5.8;
  links are left to axe-core's own target-size rule, which knows the inline-link exemption);
- checkboxes and radio buttons sit beside their label: some of the label's text shares a line
  with the box (not all above or below it), does not cover it, and starts close to it;
- axe-core: no violation of any impact (WCAG 2.0-2.2 A/AA and axe's best practices);
- the browser console: no errors (a refused inline style or script, a missing file).

All the failures of a run are collected into one message, page by page, naming the language,
the width and the elements. The Nu Html Checker reads the same pages, once per language.

The layout does not depend on the database: the module is skipped on PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page

from tests.browser.conftest import AXE_SCRIPT, REPO
from tests.browser.demo_site import ADMIN, DemoSite, demo_site, log_in
from tests.live import Browser as HttpClient

LANGUAGES = ["en", "fr", "es", "pt", "ar"]
WIDTHS = {1280: 800, 390: 844}  # width → height of the window
VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
MIN_TARGET = 24  # CSS px, WCAG 2.5.8
PER_KIND = 10  # problems of one kind listed per page (a form of 30 checkboxes repeats itself)

pytestmark = pytest.mark.skipif(
    bool(os.environ.get("BRAIN_TEST_DATABASE_URL")),
    reason="the layout does not depend on the database: checked on SQLite only",
)

# One pass over the page as it is laid out; returns {kind: [description, ...]}.
MEASURE = """
({minTarget}) => {
  const found = {overflow: [], overlap: [], 'target size': [], checkbox: []};
  const root = document.documentElement;
  const viewport = root.clientWidth;
  const px = n => Math.round(n);
  const box = r => `x ${px(r.left)}–${px(r.right)}, y ${px(r.top)}–${px(r.bottom)}`;
  const describe = el => {
    let name = el.tagName.toLowerCase();
    if (el.id) name += '#' + el.id;
    else if (el.classList.length) name += '.' + [...el.classList].slice(0, 2).join('.');
    if (el.type && el.tagName === 'INPUT') name += `[type=${el.type}]`;
    if (el.name) name += `[name=${el.name}]`;
    const text = (el.getAttribute('aria-label') || el.innerText || el.value || el.title || '')
      .trim().replace(/\\s+/g, ' ');
    return text ? `${name} "${text.slice(0, 40)}"` : name;
  };
  // The part of the window an element may show in: its scrolling or clipping ancestors' boxes
  // (a scrolled list of choices shows only some of them).
  const clipOf = el => {
    const clip = {left: -Infinity, top: -Infinity, right: Infinity, bottom: Infinity};
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      const style = getComputedStyle(up);
      if (style.overflowX === 'visible' && style.overflowY === 'visible') continue;
      const r = up.getBoundingClientRect();
      if (style.overflowX !== 'visible') {
        clip.left = Math.max(clip.left, r.left);
        clip.right = Math.min(clip.right, r.right);
      }
      if (style.overflowY !== 'visible') {
        clip.top = Math.max(clip.top, r.top);
        clip.bottom = Math.min(clip.bottom, r.bottom);
      }
    }
    return clip;
  };
  const within = (r, clip) => {
    const left = Math.max(r.left, clip.left), right = Math.min(r.right, clip.right);
    const top = Math.max(r.top, clip.top), bottom = Math.min(r.bottom, clip.bottom);
    return {left, right, top, bottom, width: right - left, height: bottom - top};
  };
  const shown = el => {
    // Not inside a closed <details>, display: none or visibility: hidden.
    if (!el.checkVisibility({visibilityProperty: true})) return false;
    const r = within(el.getBoundingClientRect(), clipOf(el));
    // Not laid out, scrolled out of its box, visually hidden (the 1 px clip), or moved out
    // of the page (a skip link).
    if (r.width <= 1 || r.height <= 1) return false;
    return r.bottom + scrollY > 0 && r.right + scrollX > -viewport;
  };

  // Overflow: the outermost elements that stick out past the end of the line (the right in
  // left-to-right pages, the left in right-to-left ones), each with its deepest parts that do.
  // Also when the page does not scroll because the body hides what sticks out: it is cut off.
  const rtl = getComputedStyle(root).direction === 'rtl';
  const sticksOut = el => {
    const r = el.getBoundingClientRect();
    return (r.width > 0 || r.height > 0) && (rtl ? r.left < -1 : r.right > viewport + 1);
  };
  const clipped = el => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== 'visible') return true;
    }
    return false;
  };
  const out = [...document.body.querySelectorAll('*')].filter(
    el => sticksOut(el) && el.checkVisibility() && !clipped(el) &&
      getComputedStyle(el).position !== 'fixed');
  if (root.scrollWidth > viewport || out.length) {
    const outSet = new Set(out);
    const outermost = out.filter(el => !outSet.has(el.parentElement));
    const details = outermost.slice(0, 4).map(el => {
      const deepest = out.filter(
        inner => inner !== el && el.contains(inner) &&
          ![...inner.children].some(child => outSet.has(child)));
      const parts = deepest.slice(0, 3).map(inner =>
        `${describe(inner)} (${box(inner.getBoundingClientRect())})`);
      return `${describe(el)} (${box(el.getBoundingClientRect())})` +
        (parts.length ? `, because of ${parts.join('; ')}` : '');
    });
    const what = root.scrollWidth > viewport
      ? `the page is ${root.scrollWidth} px wide in a ${viewport} px window`
      : `content is cut off at the edge of the ${viewport} px window`;
    found.overflow.push(`${what}: ${details.join(' | ') || 'no single element found'}`);
  }

  // Overlap: every pair of visible controls, line box by line box (a link may wrap).
  const controls = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]')]
    .filter(shown)
    .map(el => {
      const clip = clipOf(el);
      const rects = [...el.getClientRects()].map(r => within(r, clip));
      return {el, rects: rects.filter(r => r.width > 1 && r.height > 1)};
    });
  for (let i = 0; i < controls.length; i++) {
    for (let j = i + 1; j < controls.length; j++) {
      const a = controls[i], b = controls[j];
      if (a.el.contains(b.el) || b.el.contains(a.el)) continue;
      let worst = null;
      for (const ra of a.rects) for (const rb of b.rects) {
        const w = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
        const h = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
        if (w > 1 && h > 1 && (!worst || w * h > worst[0] * worst[1])) worst = [w, h];
      }
      if (worst) found.overlap.push(
        `${describe(a.el)} and ${describe(b.el)} overlap by ${px(worst[0])}×${px(worst[1])} px ` +
        `(${box(a.el.getBoundingClientRect())} / ${box(b.el.getBoundingClientRect())})`);
    }
  }

  // Target size: form controls and buttons (links: axe-core's target-size rule).
  for (const el of document.querySelectorAll(
      'button, input:not([type=hidden]), select, textarea, summary, [role=button]')) {
    if (!shown(el)) continue;
    const r = el.getBoundingClientRect();
    if (r.width < minTarget - 0.5 || r.height < minTarget - 0.5) {
      found['target size'].push(`${describe(el)} is ${px(r.width)}×${px(r.height)} px`);
    }
  }

  // Checkboxes and radio buttons beside their label.
  for (const input of document.querySelectorAll('input[type=checkbox], input[type=radio]')) {
    if (!shown(input) || !input.labels || !input.labels.length) continue;
    const label = input.labels[0];
    // Every piece of the label's text, line by line (a right-to-left line mixing Arabic and
    // digits is laid out in several runs).
    const pieces = [];
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(node);
      pieces.push(...[...range.getClientRects()].filter(r => r.width > 1 && r.height > 1));
    }
    if (!pieces.length) continue;  // a visually hidden label (a grid of choices under headings)
    const r = input.getBoundingClientRect();
    // The text on the box's line(s) (sharing at least half its height with the box): it must
    // exist, sit beside the box and start near it.
    const shared = p => Math.min(r.bottom, p.bottom) - Math.max(r.top, p.top);
    const beside = pieces.filter(p => shared(p) >= Math.min(p.height, r.height) / 2);
    const gap = p => Math.max(r.left, p.left) - Math.min(r.right, p.right);  // < 0: covering
    let problem = null;
    if (!beside.length) {
      const middle = (r.top + r.bottom) / 2;
      problem = pieces.every(p => p.top >= middle) ? 'is below the box'
        : pieces.every(p => p.bottom <= middle) ? 'is above the box' : 'is not beside the box';
    } else if (beside.some(p => gap(p) < -1)) {
      problem = 'covers the box';
    } else if (Math.min(...beside.map(gap)) > 2 * minTarget) {
      problem = `is ${px(Math.min(...beside.map(gap)))} px away from the box`;
    }
    if (problem) {
      const text = {
        left: Math.min(...pieces.map(p => p.left)), right: Math.max(...pieces.map(p => p.right)),
        top: Math.min(...pieces.map(p => p.top)), bottom: Math.max(...pieces.map(p => p.bottom)),
      };
      found.checkbox.push(
        `${describe(input)}: its label "${label.innerText.trim().slice(0, 40)}" ${problem} ` +
        `(box ${box(r)}, label text ${box(text)})`);
    }
  }
  return found;
}
"""


def _axe(page: Page) -> list[str]:
    """axe-core's violations on the page as it is now, of any impact, one line per rule."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        # Evaluated, not added as a <script>: the site's CSP rightly refuses inline scripts.
        # (The layout test's pages have it already, from an init script.)
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    results = page.evaluate(
        "options => axe.run(document, options)",
        # preload: no second download of the style sheets (only css-orientation-lock reads them).
        {
            "runOnly": {"type": "tag", "values": AXE_TAGS},
            "resultTypes": ["violations"],
            "preload": False,
        },
    )
    found = []
    for violation in results["violations"]:
        targets = [" ".join(node["target"]) for node in violation["nodes"]]
        where = ", ".join(targets[:4])
        if len(targets) > 4:
            where += f" and {len(targets) - 4} more"
        summary = violation["nodes"][0].get("failureSummary", "").splitlines()
        why = f" ({summary[1].strip()})" if len(summary) > 1 else ""
        rule = f"[{violation['impact']}] {violation['id']}: {violation['help']}"
        found.append(f"{rule}{why} — {where}")
    return found


def _with_language(path: str, language: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


def _measure(page: Page) -> dict[str, list[str]]:
    """What is wrong with the page as it is now: {kind: [one line per problem]}."""
    found = page.evaluate(MEASURE, {"minTarget": MIN_TARGET})
    found["axe"] = _axe(page)
    return {kind: lines for kind, lines in found.items() if lines}


def _check(page: Page, site: DemoSite, name: str, path: str, language: str) -> list[str]:
    """Open one page of the site and return what is wrong with it, one line per problem."""
    errors: list[str] = []

    def listener(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url', '')})")

    page.on("console", listener)
    try:
        response = page.goto(site.base + _with_language(path, language))
        expected = 404 if name.startswith("error 404") else 200
        problems = []
        if response is None or response.status != expected:
            status = response.status if response else "no response"
            problems.append(f"status {status} instead of {expected}")
            if response is None or response.status >= 500:
                return problems
        found = _measure(page)
        # The 404 page's own status is reported by the console as an error.
        found["console"] = [text for text in errors if expected != 404 or "404" not in text]
        for kind, lines in found.items():
            problems += [f"{kind}: {line}" for line in lines[:PER_KIND]]
            if len(lines) > PER_KIND:
                problems.append(f"{kind}: … and {len(lines) - PER_KIND} more like these")
        return problems
    finally:
        page.remove_listener("console", listener)


# The checks must be able to fail, and must not fail a page that is right.
BROKEN = """<!doctype html><html lang="en"><head><title>Broken</title><style>
  .narrow input { display: block; width: 100%; }
  .banner { width: 3000px; }
  .stack { position: relative; height: 40px; }
  .stack button { position: absolute; top: 0; inset-inline-start: 0; height: 32px; }
  .tiny { font-size: 9px; padding: 0; border: 0; }
</style></head><body><main>
  <form class="narrow"><input type="checkbox" id="keep"><label for="keep">Keep me</label></form>
  <div class="banner">A banner wider than any window</div>
  <div class="stack"><button>Reply</button><button>Report</button></div>
  <button class="tiny">Quote</button>
  <input type="text" name="q">
</main></body></html>"""

RIGHT = """<!doctype html><html lang="en"><head><title>Right</title><style>
  button, summary, input[type=text] { min-height: 32px; min-width: 32px; }
  input[type=checkbox], input[type=radio] { width: 24px; height: 24px; margin: 0; }
  .scroller { height: 60px; overflow: auto; }
  .choice { display: flex; align-items: center; gap: 8px; width: 180px; }
  .choice input { flex: none; }
</style></head><body><main><h1>Settings</h1>
  <form>
    <label><input type="checkbox" name="keep"> Keep me logged in</label>
    <label class="choice"><input type="radio" name="level" value="normal">
      Normal: only when someone answers, quotes or mentions me</label>
    <div dir="rtl" lang="ar"><label><input type="checkbox" name="edition"> إيطاليا 2010 (تورينو)
    </label></div>
    <details><summary>More</summary><button>Hidden while closed</button></details>
    <div class="scroller">
      <label><input type="checkbox" name="a"> First choice</label><br>
      <label><input type="checkbox" name="b"> Second choice</label><br>
      <label><input type="checkbox" name="c"> Third choice</label><br>
      <label><input type="checkbox" name="d"> Fourth choice</label>
    </div>
    <p>A sentence with <a href="#a">an inline link</a> in it.</p>
    <label for="q">Search</label> <input type="text" id="q" name="q"> <button>Search</button>
  </form>
</main></body></html>"""


@pytest.mark.parametrize("direction", ["ltr", "rtl"])
def test_the_layout_checks_report_every_kind_of_fault(page: Page, direction):
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_content(BROKEN.replace('<html lang="en">', f'<html lang="en" dir="{direction}">'))
    found = _measure(page)
    assert "div.banner" in found["overflow"][0]
    assert "px wide in a 390 px window" in found["overflow"][0]
    assert any('"Reply" and button "Report" overlap' in line for line in found["overlap"])
    assert any('button.tiny "Quote" is' in line for line in found["target size"])
    assert any("[type=checkbox]" in line and "×13 px" in line for line in found["target size"])
    assert 'its label "Keep me" is below the box' in found["checkbox"][0]
    assert any("label" in line for line in found["axe"])


def test_content_cut_off_by_a_hidden_overflow_is_reported(page: Page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_content(BROKEN.replace("<style>", "<style> html, body { overflow-x: hidden; }"))
    assert "content is cut off" in _measure(page)["overflow"][0]


def test_the_layout_checks_pass_a_page_that_is_right(page: Page):
    page.set_viewport_size({"width": 390, "height": 844})
    page.set_content(RIGHT)
    assert _measure(page) == {}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Iterator[DemoSite]:
    server_log = logging.getLogger("werkzeug")
    level = server_log.level
    server_log.setLevel(logging.WARNING)  # a line per request would bury the report
    try:
        with demo_site(tmp_path_factory.mktemp("demo-instance")) as served_site:
            yield served_site
    finally:
        server_log.setLevel(level)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_holds_its_layout(browser: Browser, site: DemoSite, language, width):
    site.forget_reading(ADMIN)  # the same "new" markers as the first walk showed
    context = browser.new_context(viewport={"width": width, "height": WIDTHS[width]})
    context.add_init_script(path=str(AXE_SCRIPT))  # once, not evaluated again on every page
    page = context.new_page()
    failures = {}
    try:
        for pages, logged_in in ((site.guest_pages, False), (site.member_pages, True)):
            if logged_in:
                log_in(page, site)
            for name, path in pages.items():
                problems = _check(page, site, name, path, language)
                if problems:
                    failures[f"{name} ({path})"] = problems
    finally:
        context.close()
    checked = len(site.guest_pages) + len(site.member_pages)
    report = [f"{len(failures)} of {checked} pages fail in {language} at {width} px:"]
    for page_name, problems in failures.items():
        report.append(f"\n{page_name} — {language}, {width} px:")
        report += [f"  - {problem}" for problem in problems]
    if failures:
        pytest.fail("\n".join(report), pytrace=False)  # the whole report, not truncated


def _validate(pages: dict[tuple[str, str], str], folder: Path) -> dict[tuple[str, str], list]:
    """The Nu Html Checker over every page in one run.

    Returns {(page, language): [(error, the HTML around it)]}."""
    files = {}
    for number, (key, html) in enumerate(pages.items()):
        path = folder / f"page-{number}.html"
        path.write_text(html, encoding="utf-8")
        files[str(path)] = key
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    try:
        messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    except ValueError:
        pytest.fail(f"the HTML checker did not run: {result.stderr[:2000]}", pytrace=False)
    problems: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for message in messages:
        url = message.get("url", "?")
        key = files.get(url.removeprefix("file:"), (url, "?"))
        headline = f"line {message.get('lastLine')}: {message.get('message')}"
        problems.setdefault(key, []).append((headline, message.get("extract", "").strip()))
    return problems


@pytest.mark.skipif(
    not VNU.exists() or shutil.which("java") is None,
    reason="HTML checker missing: needs Java and `npm install` (vnu-jar)",
)
def test_every_page_is_valid_html_in_every_language(site: DemoSite, tmp_path):
    site.forget_reading(ADMIN)
    pages, problems = {}, {}
    for language in LANGUAGES:
        visitor = HttpClient(site.base)
        for pages_of, logged_in in ((site.guest_pages, False), (site.member_pages, True)):
            if logged_in:
                visitor.log_in(ADMIN, site.passwords[ADMIN])
            for name, path in pages_of.items():
                reply = visitor.get(_with_language(path, language))
                key = (f"{name} ({path})", language)
                pages[key] = reply.text
                expected = 404 if name.startswith("error 404") else 200
                if reply.status != expected:
                    problems[key] = [(f"status {reply.status} instead of {expected}", "")]
    for key, lines in _validate(pages, tmp_path).items():
        problems.setdefault(key, []).extend(lines)
    if problems:
        # The same error in several languages is shown once, with the languages it is in.
        grouped: dict[str, dict[str, tuple[str, list[str]]]] = {}
        for (page, language), errors in problems.items():
            for headline, extract in errors:
                seen = grouped.setdefault(page, {}).setdefault(headline, (extract, []))
                seen[1].append(language)
        report = [f"{len(problems)} of {len(pages)} pages (page × language) are not valid HTML:"]
        for page, errors in grouped.items():
            report.append(f"\n{page}:")
            for headline, (extract, languages) in errors.items():
                report.append(f"  - [{', '.join(languages)}] {headline} {extract!r}")
        pytest.fail("\n".join(report), pytrace=False)
