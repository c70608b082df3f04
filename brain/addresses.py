"""Addresses that stored content links to, built without a request.

Mention links are rendered once, when a post is written, and stored with it (brain.markup),
so the address of a profile must not depend on the request that happens to write the post;
brain/ops builds it here instead of through ``url_for`` (tests check the two agree)."""

from __future__ import annotations

from urllib.parse import quote


def profile_path(username: str) -> str:
    """The address of a member's profile: ``/u/<username>``, percent-encoded as Werkzeug
    encodes a path segment."""
    return "/u/" + quote(username, safe="")
