"""The ceiling for bench/topic_page.py: the least work that can show a page of a topic.

A bare Flask app, no extensions: one SQL query (posts joined to their authors, in thread order)
on the same SQLite file as the real app, and a minimal Jinja template. The real topic page does
more (permissions, sessions, translations, pagination, threading), so its rate is compared with
this one's as a ratio. Served by gunicorn:

    BENCH_DATABASE=/path/brain.db gunicorn -w 2 --chdir bench ceiling_app:app
"""

from __future__ import annotations

import os
import sqlite3

from flask import Flask, abort

PER_PAGE = 20

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
{% for post in posts %}<article id="p{{ post.id }}">
<header><b>{{ post.author }}</b> <time>{{ post.created_at }}</time></header>
<div>{{ post.body_html|safe }}</div>
</article>
{% endfor %}</body></html>
"""

POSTS = """
SELECT posts.id, posts.created_at, posts.body_html, users.display_name AS author
FROM posts JOIN users ON users.id = posts.author_id
WHERE posts.topic_id = ?
ORDER BY posts.tree_path
LIMIT ?
"""

app = Flask(__name__)
template = app.jinja_env.from_string(PAGE)


def connection() -> sqlite3.Connection:
    """One connection per worker process (gunicorn sync workers serve one request at a time)."""
    if "connection" not in app.extensions:
        database = sqlite3.connect(os.environ["BENCH_DATABASE"])
        database.row_factory = sqlite3.Row
        app.extensions["connection"] = database
    return app.extensions["connection"]


@app.route("/t/<int:topic_id>")
def topic(topic_id: int):
    posts = connection().execute(POSTS, (topic_id, PER_PAGE)).fetchall()
    if not posts:
        abort(404)
    return template.render(title=f"Topic {topic_id}", posts=posts)
