"""The server the browser tests talk to (tests/live.py) closes what it was sending when the
browser goes away in the middle of it, as a real server does: a file left open would be a
ResourceWarning, which the suite counts as an error (a browser test failed so, at random)."""

from __future__ import annotations

import socket
import struct
import threading

from tests.live import served

CHUNK = b"x" * 1024


class _Body:
    """An answer that waits, after its first piece, until the client is gone; and notes
    when it is closed."""

    def __init__(self):
        self.client_gone = threading.Event()
        self.closed = threading.Event()

    def __iter__(self):
        yield CHUNK
        self.client_gone.wait(10)

    def close(self):
        self.closed.set()


def test_an_answer_the_client_abandons_is_closed():
    body = _Body()

    def app(_environ, start_response):
        length = str(2 * len(CHUNK))  # more than is sent: the client leaves before the end
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", length)])
        return body

    with served(app) as base:
        port = int(base.rsplit(":", 1)[1])
        client = socket.create_connection(("127.0.0.1", port))
        client.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert client.recv(64).startswith(b"HTTP/1.1 200")
        # Gone at once, as a reloading browser: a reset, not an orderly close.
        client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        client.close()
        threading.Event().wait(0.2)  # the reset reaches the server
        body.client_gone.set()
        assert body.closed.wait(10)
