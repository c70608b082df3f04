"""A small HTTP client for tests that serve the app on a real port: its own cookies, no
redirect following (a test looks at the 302 itself), and forms sent with the CSRF token and
hidden fields of the page they came from."""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from werkzeug.serving import make_server

HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')
NAME = re.compile(r'name="([^"]+)"')
VALUE = re.compile(r'value="([^"]*)"')


@dataclass
class Reply:
    status: int
    location: str
    text: str


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One visitor: a cookie jar and a base URL."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects()
        )

    def _open(self, request) -> Reply:
        try:
            # Only http://127.0.0.1 addresses made by served() reach here.
            with self.opener.open(request, timeout=30) as response:
                body = response.read().decode()
                return Reply(response.status, response.headers.get("Location", ""), body)
        except urllib.error.HTTPError as error:
            body = error.read().decode(errors="replace")
            return Reply(error.code, error.headers.get("Location", ""), body)

    def get(self, path: str) -> Reply:
        return self._open(urllib.request.Request(self.base + path))  # noqa: S310 - served()

    def post(self, path: str, data: dict) -> Reply:
        encoded = urllib.parse.urlencode(data, doseq=True).encode()
        return self._open(urllib.request.Request(self.base + path, data=encoded))  # noqa: S310

    def hidden_fields(self, path: str) -> dict[str, str]:
        """The hidden inputs (CSRF token, one-time token, version) of the form at *path*."""
        page = self.get(path)
        assert page.status == 200, (path, page.status)
        fields = {}
        for tag in HIDDEN.findall(page.text):
            name, value = NAME.search(tag), VALUE.search(tag)
            if name and value:
                fields.setdefault(name.group(1), value.group(1))
        return fields

    def log_in(self, username: str, password: str) -> None:
        form = self.hidden_fields("/login")
        reply = self.post("/login", {**form, "login": username, "password": password})
        assert reply.status == 302, reply.text[:500]


def closing(app):
    """*app*, its answers closed however their sending ends. Werkzeug's server leaves an
    answer unclosed when the client goes away in the middle of it (a browser reloading while
    a file is sent): the file is then left open, a ResourceWarning the tests count as an
    error. Here the answer is a generator: dropped by the server, it closes what it sends."""

    def answer(environ, start_response):
        body = app(environ, start_response)
        try:
            yield from body
        finally:
            if hasattr(body, "close"):
                body.close()

    return answer


@contextmanager
def served(app) -> Iterator[str]:
    """*app* on a real port of 127.0.0.1, in threads; yields its base URL."""
    server = make_server("127.0.0.1", 0, closing(app), threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
