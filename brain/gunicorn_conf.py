"""gunicorn settings, the same for `brain serve` (`make run`) and for production:

    gunicorn -c python:brain.gunicorn_conf --bind 127.0.0.1:8000 --workers 4

Options given on gunicorn's command line override these.

Threaded workers, because a synchronous worker is held by one connection until that
connection sends a whole request: browsers open connections ahead of need and send nothing on
them for a while, and three such connections stopped a three-worker server for 30 seconds. A
gthread worker waits for a new connection's first bytes in one of its threads for at most a few
seconds, then in its event loop, and answers other connections with its other threads
meanwhile. A client that trickles its request in slowly still holds a thread: in production, a
buffering reverse proxy (nginx) in front absorbs those.

The app is thread-safe for this: the page cache, the Meeting Point's kept counts and the rate
limit store take a lock around what threads share, and each thread has its own search reader
and database session.
"""

wsgi_app = "brain.wsgi:app"
worker_class = "gthread"
workers = 3
# Enough threads for the connections a browser opens ahead of need (Chromium: up to 6 per
# site) and the requests meanwhile; fewer than SQLAlchemy's default pool (5 + 10 overflow),
# so a thread never waits for a database connection.
threads = 12
keepalive = 5  # seconds an idle kept-alive (or not yet used) connection stays open
accesslog = "-"
# gunicorn ≥ 25 otherwise opens a control socket at one path per user (~/.gunicorn/gunicorn.ctl),
# which every server of that user (tests, a second checkout) would fight over.
control_socket_disable = True
