"""Pages are valid HTML, checked by the Nu Html Checker (vnu.jar from npm, run with Java)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from brain.models import Board, Role, User
from tests.factories import (
    log_in,
    make_board,
    make_reply,
    make_topic,
    make_user,
    opening_post,
)

VNU = (
    Path(__file__).resolve().parent.parent
    / "node_modules"
    / "vnu-jar"
    / "build"
    / "dist"
    / "vnu.jar"
)
pytestmark = pytest.mark.skipif(
    not VNU.exists() or shutil.which("java") is None,
    reason="HTML checker missing: needs Java and `npm install` (vnu-jar)",
)


def validate(pages: dict[str, str], tmp_path: Path) -> dict[str, list[str]]:
    """Run the checker once over every page; returns {page: [error messages]}."""
    files = {}
    for name, html in pages.items():
        path = tmp_path / (name.strip("/").replace("/", "_").replace("?", "_") or "home")
        path = path.with_suffix(".html")
        path.write_text(html, encoding="utf-8")
        files[str(path)] = name
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", *files],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(result.stderr or '{"messages": []}')["messages"]
    problems: dict[str, list[str]] = {}
    for message in messages:
        page = files.get(message.get("url", "").removeprefix("file:"), message.get("url"))
        problems.setdefault(page, []).append(
            f"{message.get('lastLine')}: {message.get('message')} {message.get('extract', '')!r}"
        )
    return problems


def test_every_kind_of_page_is_valid_html(client, tmp_path):
    board = make_board()
    author = make_user(username="amina", role=Role.ADMIN)
    topic = make_topic(board=board, author=author, body="**Hi** @amina https://ilo.org")
    first = opening_post(topic)
    reply = make_reply(
        parent=first, author=author, body="> quoted\n\n| a | b |\n|---|---|\n| 1 | 2 |"
    )
    make_reply(parent=reply, author=author, body="- one\n- two")
    urls = [
        "/",
        "/b/cooperatives",
        f"/t/{topic.id}-{topic.slug}",
        "/login",
        "/register",
        "/u/amina",
        "/search?q=hi",
        "/no-such-page",
        "/?lang=ar",
        f"/t/{topic.id}-{topic.slug}?view=flat",
    ]
    pages = {url: client.get(url).get_data(as_text=True) for url in urls}
    log_in(client, author)
    for url in [
        "/b/cooperatives/new",
        f"/p/{reply.id}/reply",
        f"/p/{reply.id}/edit",
        f"/p/{reply.id}/delete",
        f"/p/{reply.id}/revisions",
        "/settings",
        "/settings/profile",
        "/settings/password",
        "/members?country=SN&edition=agadir-2013",
        "/mod/reports",
        "/mod/log",
        f"/p/{reply.id}/hide",
        f"/t/{topic.id}/move",
    ]:
        pages[url] = client.get(url).get_data(as_text=True)
    pages["/reset"] = client.application.test_client().get("/reset").get_data(as_text=True)
    problems = validate(pages, tmp_path)
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)


def test_the_meeting_point_pages_are_valid_html(client, tmp_path):
    from brain.ops import cooperation
    from tests.factories import database

    asker, offerer = make_user(username="asker"), make_user(username="offerer")
    with database() as session:
        board = Board(slug="meeting-point", name="Meeting Point", description="", position=1)
        session.add(board)
        topics = []
        for author, kind in ((asker, "request"), (offerer, "offer")):
            details = cooperation.Details(
                kind=kind,
                modality="training",
                themes=["social-finance"],
                countries=["MX", "SN"],
                sdgs=[1, 8],
                languages=["es", "fr"],
            )
            topics.append(
                cooperation.post_cooperation(
                    board, session.get(User, author.id), f"A {kind}", "Text", "es", details
                )
            )
        session.commit()
        request_url = f"/t/{topics[0].id}-{topics[0].slug}"
    pages = {
        url: client.get(url).get_data(as_text=True)
        for url in (
            "/meeting-point/",
            "/meeting-point/?theme=social-finance",
            "/meeting-point/overview",
        )
    }
    log_in(client, asker)
    pages[request_url] = client.get(request_url).get_data(as_text=True)
    pages["/meeting-point/new"] = client.get("/meeting-point/new").get_data(as_text=True)
    pages["details"] = client.get(f"/meeting-point/{topics[0].id}/details").get_data(as_text=True)
    other = client.application.test_client()
    log_in(other, offerer)
    pages["as a partner"] = other.get(request_url).get_data(as_text=True)
    problems = validate(pages, tmp_path)
    assert not problems, json.dumps(problems, indent=1, ensure_ascii=False)
