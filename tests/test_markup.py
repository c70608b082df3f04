"""Markdown rendering and sanitization (brain.markup)."""

from __future__ import annotations

import re

import pytest

from brain import markup


def render(source: str, members: tuple[str, ...] = ()) -> str:
    return markup.render(source, lambda names: {n: f"/u/{n}" for n in names if n in members})


def test_commonmark_basics():
    html = render("# Title\n\n**bold** and _italic_\n\n- one\n- two\n\n> quoted")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>italic</em>" in html
    assert "<li>one</li>" in html and "<blockquote>" in html


def test_bare_urls_become_links_with_rel():
    html = render("See https://www.ilo.org for details")
    assert '<a href="https://www.ilo.org" rel="nofollow ugc noopener">' in html


def test_every_link_gets_rel_nofollow_ugc_noopener():
    html = render("[ILO](https://www.ilo.org) and <https://unsse.org>")
    assert html.count('rel="nofollow ugc noopener"') == 2


def test_mentions_of_members_link_to_their_profile():
    html = render("Thanks @amina and @nobody!", members=("amina",))
    assert '<a href="/u/amina" class="mention" rel="nofollow ugc noopener">@amina</a>' in html
    assert "@nobody" in html and "/u/nobody" not in html


def test_mentions_in_code_and_emails_are_not_linked():
    html = render("`@amina` and amina@example.org", members=("amina",))
    assert "/u/amina" not in html


@pytest.mark.parametrize(
    "source",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<a href="javascript:alert(1)">x</a>',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](  javascript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "![x](data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=)",
        "![x](javascript:alert(1))",
        "<iframe src=https://evil.example></iframe>",
        '<div style="background:url(javascript:alert(1))">x</div>',
        "<svg onload=alert(1)>",
        "[x](vbscript:msgbox(1))",
        '<a href="#" onclick="alert(1)">x</a>',
        "<style>body{display:none}</style>",
    ],
)
def test_dangerous_input_is_neutralised(source):
    html = render(source).lower()
    assert "<script" not in html
    assert "javascript:" not in html and "vbscript:" not in html
    assert "data:" not in html
    assert not re.search(r"<[^>]+\son\w+=", html), html
    assert "<iframe" not in html and "<svg" not in html and "<style" not in html
    assert "style=" not in html


def test_raw_html_is_not_passed_through():
    assert "<b>" not in render("<b>bold?</b>")


def test_images_from_other_sites_become_links_so_readers_browsers_never_fetch_them():
    html = render("![a cat](https://example.org/a.png) ![](http://example.org/b.gif)")
    assert "<img" not in html
    assert (
        '<a href="https://example.org/a.png" class="remote-image" '
        'rel="nofollow ugc noopener">a cat</a>' in html
    )
    assert ">http://example.org/b.gif</a>" in html  # no alt text: the address is the text


def test_a_linked_image_from_another_site_keeps_one_link_with_its_text():
    html = render("[![logo](https://example.org/l.png)](https://example.org/)")
    assert "<img" not in html
    assert html.count("<a ") == 1
    assert '<a href="https://example.org/" rel="nofollow ugc noopener">logo</a>' in html


def test_images_on_this_site_stay_images():
    assert '<img src="/files/a.png" alt="a">' in render("![a](/files/a.png)")
    assert "<img" not in render("![a](//example.org/a.png)")  # another site, any scheme


def test_the_content_security_policy_loads_images_from_this_site_only(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self';" in policy


def test_body_over_the_limit_is_refused():
    with pytest.raises(markup.BodyTooLong):
        markup.render("a" * (markup.MAX_BODY_LENGTH + 1))


PATHOLOGICAL = {
    "brackets": "[" * markup.MAX_BODY_LENGTH,
    "unclosed links": "[a](" * (markup.MAX_BODY_LENGTH // 4),
    "nested quotes": ">" * markup.MAX_BODY_LENGTH,
    "nested lists": "".join("  " * i + "- a\n" for i in range(2000))[: markup.MAX_BODY_LENGTH],
    "emphasis": "*a" * (markup.MAX_BODY_LENGTH // 2),
    "backticks": "`" * markup.MAX_BODY_LENGTH,
    "angle brackets": "<" * markup.MAX_BODY_LENGTH,
    "ampersands": "&" * markup.MAX_BODY_LENGTH,
    "table rows": "|a|b|\n|-|-|\n" + "|a|\n" * (markup.MAX_BODY_LENGTH // 4 - 4),
    "headers": "# a\n" * (markup.MAX_BODY_LENGTH // 4),
    "autolinks": "http://a.b " * (markup.MAX_BODY_LENGTH // 11),
    "mentions": "@ab " * (markup.MAX_BODY_LENGTH // 4),
}


@pytest.mark.parametrize("name", PATHOLOGICAL)
def test_pathological_input_renders_or_is_refused_cleanly(name):
    source = PATHOLOGICAL[name][: markup.MAX_BODY_LENGTH]
    try:
        html = render(source, members=("ab",))
    except markup.MarkupTooComplex:
        return
    assert isinstance(html, str)
    assert "<script" not in html


def test_deep_nesting_is_refused_not_rendered():
    with pytest.raises(markup.MarkupTooComplex):
        markup.render("> " * 200 + "deep")


def test_quote_prefixes_every_line_and_names_the_author():
    quoted = markup.quote("first line\n\nsecond", "amina")
    assert quoted == "@amina:\n> first line\n>\n> second\n\n"


def test_mentions_are_linked_up_to_a_bounded_number():
    from brain import markup

    names = [f"m{i:03d}" for i in range(80)]
    known = {name: f"/u/{name}" for name in names}
    asked = []

    def resolve(candidates):
        asked.append(len(candidates))
        return {name: known[name] for name in candidates}

    html = markup.render(" ".join(f"@{name}" for name in names), resolve)
    assert asked == [markup.MAX_MENTIONED]
    assert html.count('class="mention"') == markup.MAX_MENTIONED
    many = markup.render("@m001 " * 1000, resolve)
    assert many.count('class="mention"') == markup.MAX_MENTION_LINKS


@pytest.mark.parametrize(
    "username", ["amina", "kofi.mensah", "ana-maria_2", "نادية", "Zoë", "李明"]
)
def test_mention_links_are_the_profile_addresses_the_site_serves(app, username):
    from flask import url_for

    from brain.addresses import profile_path

    with app.test_request_context("/"):
        assert profile_path(username) == url_for("members.profile", username=username)
