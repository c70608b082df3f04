"""The WSGI entry point for gunicorn: ``gunicorn brain.wsgi:app``."""

from brain import create_app

app = create_app()
