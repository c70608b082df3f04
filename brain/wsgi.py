"""The WSGI entry point for gunicorn: ``gunicorn brain.wsgi:app``."""

import gc

from brain import create_app

app = create_app()
# What the app built at start-up lives as long as the worker: keep it out of the collector's
# full passes (each took ~100 ms with ~135k tracked objects: bench/meeting_point.py).
gc.freeze()
