"""The one place that turns Markdown into safe HTML.

Posts are rendered once, when written: CommonMark (GitHub's cmark-gfm, linear-time on any
input) produces HTML with raw HTML omitted and unsafe URLs dropped; bleach then applies the
allowlist below, links @mentions of existing members, and marks every link
``rel="nofollow ugc noopener"``. The result is stored beside the source with RENDERER_VERSION,
so ``brain rerender`` can bring old posts up to date when this module changes.

bleach's HTML tokenizer costs time per tag and per entity, and html5lib is quadratic in nesting
depth, so rendered HTML is bounded in both before it reaches bleach (see ``MarkupTooComplex``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import partial

import bleach
import cmarkgfm
from bleach.html5lib_shim import Filter
from cmarkgfm.cmark import Options

# 2: images from other sites become links (their servers would learn each reader's address).
RENDERER_VERSION = 2

MAX_BODY_LENGTH = 20_000
# Tags plus character references in the rendered HTML, and element nesting depth: together
# they keep the worst case under 100 ms (bench/markup.py measures it).
MAX_MARKUP_COST = 2_500
MAX_NESTING = 24
# A post links at most this many distinct members, and at most MAX_MENTION_LINKS mentions in
# all; the rest stay plain text. Resolving and linking is the one cost the complexity guard
# does not see (4,000 mentions took ~95 ms before these caps: bench/markup.py).
MAX_MENTIONED = 50
MAX_MENTION_LINKS = 200

ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4",
        "h5", "h6", "hr", "i", "img", "input", "li", "ol", "p", "pre", "strong", "sub",
        "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
    }
)  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": ["href", "title", "rel", "class"],
    "img": ["src", "alt", "title"],
    "input": ["type", "checked", "disabled"],  # GitHub task lists, see _task_list_items
    "th": ["align"],
    "td": ["align"],
    "ol": ["start"],
    "code": ["class"],
}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

MENTION = re.compile(r"(?<![\w@/.])@([\w][\w.-]{0,30}[\w]|[\w])", re.UNICODE)
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)[^>]*?(/?)>")
_VOID = frozenset({"br", "hr", "img", "input"})

MentionResolver = Callable[[set[str]], dict[str, str]]
"""Given candidate names, returns {name as written: profile URL} for those that exist."""


class MarkupError(ValueError):
    """The source cannot be published; the message is meant for the writer."""


class BodyTooLong(MarkupError):
    pass


class MarkupTooComplex(MarkupError):
    pass


def _cmark(source: str) -> str:
    options = Options.CMARK_OPT_VALIDATE_UTF8 | Options.CMARK_OPT_FOOTNOTES
    return cmarkgfm.github_flavored_markdown_to_html(source, options)


def _check_complexity(html: str) -> None:
    cost = html.count("<") + html.count("&")
    if cost > MAX_MARKUP_COST:
        raise MarkupTooComplex("too much formatting")
    depth = 0
    for match in _TAG.finditer(html):
        closing, name, self_closing = match.groups()
        if name.lower() in _VOID or self_closing:
            continue
        depth += -1 if closing else 1
        if depth > MAX_NESTING:
            raise MarkupTooComplex("nested too deeply")


def is_local(url: str) -> bool:
    """A path on this site ("/files/…"), not another site's address ("//host/…")."""
    return url.startswith("/") and not url.startswith(("//", "/\\"))


class _LinkFilter(Filter):
    """Adds rel to every link, turns @name in plain text into a link to the member, and an
    image from another site into a link to it: a reader's browser never fetches from a
    server the writer chose (which would learn every reader's address)."""

    def __init__(self, source, mentions: dict[str, str] | None = None):
        super().__init__(source)
        self.mentions = mentions or {}
        self.links_left = MAX_MENTION_LINKS

    def __iter__(self):
        # Inside these, text is shown as written: no mention links.
        verbatim = 0
        links = 0
        for token in super().__iter__():
            kind = token["type"]
            name = token.get("name")
            if name == "img" and not is_local(token["data"].get((None, "src"), "")):
                yield from self._image_as_link(token["data"], inside_link=links > 0)
                continue
            if kind == "StartTag" and name == "a":
                token["data"][(None, "rel")] = LINK_REL
                links += 1
            elif kind == "EndTag" and name == "a":
                links = max(links - 1, 0)
            if kind == "StartTag" and name in ("a", "code", "pre"):
                verbatim += 1
            elif kind == "EndTag" and name in ("a", "code", "pre"):
                verbatim = max(verbatim - 1, 0)
            if kind == "Characters" and not verbatim and self.mentions and self.links_left:
                yield from self._link_mentions(token["data"])
                continue
            yield token

    def _image_as_link(self, attrs: dict, inside_link: bool):
        src = attrs.get((None, "src"), "")
        text = attrs.get((None, "alt"), "").strip() or src
        if inside_link or not src:  # a link cannot hold another; its text is enough
            if text:
                yield {"type": "Characters", "data": text}
            return
        link = {(None, "href"): src, (None, "class"): "remote-image", (None, "rel"): LINK_REL}
        yield {"type": "StartTag", "name": "a", "namespace": None, "data": link}
        yield {"type": "Characters", "data": text}
        yield {"type": "EndTag", "name": "a", "namespace": None}

    def _link_mentions(self, text: str):
        position = 0
        for match in MENTION.finditer(text):
            url = self.mentions.get(match.group(1))
            if url is None:
                continue
            if not self.links_left:
                break
            self.links_left -= 1
            if match.start() > position:
                yield {"type": "Characters", "data": text[position : match.start()]}
            attrs = {(None, "href"): url, (None, "class"): "mention", (None, "rel"): LINK_REL}
            yield {"type": "StartTag", "name": "a", "namespace": None, "data": attrs}
            yield {"type": "Characters", "data": match.group(0)}
            yield {"type": "EndTag", "name": "a", "namespace": None}
            position = match.end()
        if position < len(text):
            yield {"type": "Characters", "data": text[position:]}


def mention_candidates(source: str) -> set[str]:
    """The first MAX_MENTIONED names written as @name in *source* (the filter decides which
    become links)."""
    names: dict[str, None] = {}
    for match in MENTION.finditer(source):
        names.setdefault(match.group(1))
        if len(names) == MAX_MENTIONED:
            break
    return set(names)


def render(source: str, resolve_mentions: MentionResolver | None = None) -> str:
    """Render Markdown *source* to sanitized HTML, or raise MarkupError."""
    if len(source) > MAX_BODY_LENGTH:
        raise BodyTooLong("too long")
    html = _cmark(source)
    _check_complexity(html)
    mentions = {}
    if resolve_mentions is not None:
        candidates = mention_candidates(source)
        if candidates:
            mentions = resolve_mentions(candidates)
    cleaner = bleach.Cleaner(
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        protocols=ALLOWED_PROTOCOLS,
        strip=True,
        strip_comments=True,
        filters=[partial(_LinkFilter, mentions=mentions)],
    )
    return cleaner.clean(html).strip()


def quote(source: str, author: str) -> str:
    """Markdown that quotes *source*, attributed to *author*, ready for a reply."""
    lines: Iterable[str] = source.strip().splitlines() or [""]
    quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
    return f"@{author}:\n{quoted}\n\n"
