"""Files attached to posts and avatars: real files made here with Pillow, sent through the
forms, stored on the disk of the test's instance folder, served back and read again.

Hostile files (a script renamed .png, a decompression bomb, a 50 MB file, a GIF carrying
JavaScript, a photo that says where it was taken) are refused or neutralised; files follow
their post's permissions and go with it."""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
import zlib
from pathlib import Path

import pytest
from PIL import ExifTags, Image

from brain.extensions import db, limiter
from brain.models import Attachment, Post, Role, User
from brain.models import utcnow as now
from brain.ops import member_data
from brain.ops import posts as post_ops
from brain.ops import uploads as upload_ops
from tests.factories import (
    PASSWORD,
    csrf_token,
    database,
    fetch,
    log_in,
    make_board,
    make_topic,
    make_user,
    opening_post,
    submit,
)

# --- files made for the tests ---------------------------------------------------------------


def image_bytes(fmt: str, size=(640, 480), colour=(200, 80, 40), **options) -> bytes:
    out = io.BytesIO()
    mode = "RGBA" if fmt == "PNG" else "RGB"
    Image.new(mode, size, colour).save(out, format=fmt, **options)
    return out.getvalue()


def photo_with_gps(size=(3000, 1000)) -> bytes:
    """A JPEG that says where and with what it was taken (and that it is sideways)."""
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Orientation] = 1
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 3.0)
    data = image_bytes("JPEG", size, exif=exif)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)  # it does
    return data


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (60, 40), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, format="GIF", save_all=True, append_images=frames[1:], duration=120)
    return out.getvalue()


def polyglot_gif() -> bytes:
    """A GIF that is also JavaScript: a script in a comment block and after the trailer."""
    payload = b"*/=1;alert(document.cookie);/*"
    gif = bytearray(image_bytes("GIF", (40, 40)))
    assert gif.endswith(b";")
    comment = b"\x21\xfe" + bytes([len(payload)]) + payload + b"\x00"
    # The comment goes before the trailer; more script follows it.
    return bytes(gif[:-1] + comment + b";" + b"\nalert('polyglot');//")


def png_claiming(width: int, height: int) -> bytes:
    """A small PNG whose header claims a huge image (a decompression bomb)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body))
            + kind
            + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width + 1) * 4)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

SAMPLES = {
    "jpeg": ("holiday.jpg", lambda: image_bytes("JPEG"), "image/jpeg", "jpg"),
    "png": ("diagram.png", lambda: image_bytes("PNG"), "image/png", "png"),
    "webp": ("chart.webp", lambda: image_bytes("WEBP"), "image/webp", "webp"),
    "gif": ("moving.gif", animated_gif, "image/gif", "gif"),
    "pdf": ("report.pdf", lambda: PDF, "application/pdf", "pdf"),
}


# --- fixtures and helpers -------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _room_for_files(app):
    app.config["RATELIMIT_UPLOAD"] = "10000 per minute"
    yield
    # The test's transaction is rolled back, not committed: the files it stored would stay
    # in the session app's instance folder, where other tests (backups) would find them.
    shutil.rmtree(Path(app.instance_path) / "uploads", ignore_errors=True)


@pytest.fixture
def board():
    return make_board()


@pytest.fixture
def amina():
    return make_user(username="amina", display_name="Amina Diallo")


def get(client, address: str):
    """GET *address*, its body read and the file behind it closed."""
    response = client.get(address)
    response.get_data()
    response.close()
    return response


def stored_at(name: str) -> Path:
    with database():
        return upload_ops.file_path(name)


def avatar_at(user_id: int, size: str) -> Path:
    with database():
        return upload_ops.avatar_path(user_id, size)


def upload_dir(app) -> Path:
    return Path(app.instance_path) / "uploads"


def new_topic(client, board, *files, body="See the files.", **extra):
    data = {"title": "Files from the meeting", "language": "en", "body": body, **extra}
    data["files"] = [(io.BytesIO(content), name) for name, content in files]
    response = submit(client, f"/b/{board.slug}/new", data, content_type="multipart/form-data")
    # The test client spools a large body to a file of its own; the server may not have
    # read it all (a refusal): close it.
    response.request.environ["wsgi.input"].close()
    return response


def attachments(**where) -> list[Attachment]:
    with database() as session:
        rows = session.query(Attachment).filter_by(**where).order_by(Attachment.id).all()
        for row in rows:
            session.expunge(row)
        return rows


def only_attachment(**where) -> Attachment:
    rows = attachments(**where)
    assert len(rows) == 1, rows
    return rows[0]


def topic_page(client, response) -> str:
    assert response.status_code == 302, response.get_data(as_text=True)
    return client.get(response.headers["Location"], follow_redirects=True).get_data(as_text=True)


def post_of_topic(topic_id: int) -> Post:
    with database() as session:
        post = session.query(Post).filter_by(topic_id=topic_id, parent_id=None).one()
        session.expunge(post)
        return post


def first_post_with_files(client, board, *files) -> tuple[Post, list[Attachment]]:
    response = new_topic(client, board, *files)
    assert response.status_code == 302, response.get_data(as_text=True)
    with database() as session:
        post = session.query(Post).order_by(Post.id.desc()).first()
        session.expunge(post)
    return post, attachments(post_id=post.id)


def error_text(response) -> str:
    html = response.get_data(as_text=True)
    found = re.search(r'<ul class="errors" id="attach-error">(.*?)</ul>', html, re.S)
    assert found, html
    return re.sub(r"<[^>]+>", "", found.group(1)).replace("&#34;", '"').strip()


# --- happy paths ----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", SAMPLES)
def test_each_kind_is_stored_under_a_random_name_and_served_as_what_it_is(
    app, client, board, amina, kind
):
    name, make, content_type, extension = SAMPLES[kind]
    log_in(client, amina)
    response = new_topic(client, board, (name, make()))
    page = topic_page(client, response)
    attachment = only_attachment(owner_id=amina.id)
    assert attachment.post_id is not None and attachment.filename == name
    stored = upload_dir(app) / attachment.key[:2] / f"{attachment.key}.{extension}"
    assert stored.is_file() and name.split(".")[0] not in stored.name
    assert attachment.path in page  # shown under the post

    served = get(client, attachment.path)
    assert served.status_code == 200
    assert served.mimetype == content_type
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    disposition = served.headers["Content-Disposition"]
    assert disposition.startswith("attachment;" if kind == "pdf" else "inline;")
    assert f"filename*=UTF-8''{name}" in disposition
    cache = served.headers["Cache-Control"]
    assert "private" in cache and "max-age=31536000" in cache and "immutable" in cache
    assert "sandbox" in served.headers["Content-Security-Policy"]
    if kind == "pdf":
        assert served.data == PDF
    else:
        assert Image.open(io.BytesIO(served.data)).format == Image.open(io.BytesIO(make())).format
        thumb = get(client, f"/uploads/{attachment.key}.thumb.webp")
        assert thumb.status_code == 200 and thumb.mimetype == "image/webp"
        assert max(Image.open(io.BytesIO(thumb.data)).size) <= 480


def test_several_files_at_once_show_as_thumbnails_linking_to_the_full_images(client, board, amina):
    log_in(client, amina)
    page = topic_page(
        client,
        new_topic(
            client,
            board,
            ("one.jpg", image_bytes("JPEG")),
            ("two.png", image_bytes("PNG")),
            ("notes.pdf", PDF),
        ),
    )
    files = attachments(owner_id=amina.id)
    assert len(files) == 3
    for file in files:
        assert f'href="{file.path}"' in page
    image = files[0]
    assert f'<img class="attachment-thumb" src="/uploads/{image.key}.thumb.webp"' in page
    assert 'class="attachments"' in page and "notes.pdf" in page


def test_a_name_in_any_script_survives_in_the_download_header(client, board, amina):
    log_in(client, amina)
    new_topic(client, board, ("تقرير السنة.pdf", PDF))
    served = get(client, only_attachment(owner_id=amina.id).path)
    disposition = served.headers["Content-Disposition"]
    assert "filename*=UTF-8''%D8%AA%D9%82%D8%B1%D9%8A%D8%B1%20" in disposition
    assert 'filename="' in disposition and disposition.isascii()


def test_photos_lose_their_location_and_camera_details_and_are_capped_in_size(client, board, amina):
    log_in(client, amina)
    new_topic(client, board, ("where-i-live.jpg", photo_with_gps((3000, 1000))))
    attachment = only_attachment(owner_id=amina.id)
    served = Image.open(io.BytesIO(get(client, attachment.path).data))
    exif = served.getexif()
    assert not exif.get_ifd(ExifTags.IFD.GPSInfo)
    assert ExifTags.Base.Make not in exif and len(exif) == 0
    assert b"PhoneMaker" not in get(client, attachment.path).data
    assert served.size == (2048, 683)  # the longest side capped, the shape kept
    assert (attachment.width, attachment.height) == (2048, 683)


def test_files_larger_than_other_forms_accept_go_through_the_composer(client, board, amina):
    big_pdf = PDF + b"%" * (3 * 1024 * 1024)  # over MAX_CONTENT_LENGTH, under the file limit
    log_in(client, amina)
    assert new_topic(client, board, ("big.pdf", big_pdf)).status_code == 302
    assert get(client, only_attachment(owner_id=amina.id).path).data == big_pdf


def test_a_photo_taken_sideways_is_stored_the_right_way_up(client, board, amina):
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # rotate 90° clockwise to view
    log_in(client, amina)
    new_topic(client, board, ("sideways.jpg", image_bytes("JPEG", (400, 200), exif=exif)))
    served = Image.open(io.BytesIO(get(client, only_attachment(owner_id=amina.id).path).data))
    assert served.size == (200, 400)


def test_an_animated_gif_stays_animated(client, board, amina):
    log_in(client, amina)
    new_topic(client, board, ("moving.gif", animated_gif()))
    served = Image.open(io.BytesIO(get(client, only_attachment(owner_id=amina.id).path).data))
    assert served.format == "GIF" and served.n_frames == 3


def test_a_reply_can_carry_files(client, board, amina):
    topic = make_topic(board=board, author=amina)
    log_in(client, amina)
    response = submit(
        client,
        f"/p/{topic.first_post_id}/reply",
        {"body": "The minutes", "language": "en", "files": [(io.BytesIO(PDF), "minutes.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    reply = fetch(Post, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert [a.filename for a in attachments(post_id=reply.id)] == ["minutes.pdf"]


def test_editing_adds_and_removes_files(client, board, amina):
    log_in(client, amina)
    post, (first,) = first_post_with_files(client, board, ("one.png", image_bytes("PNG")))
    form = {
        "title": "Files from the meeting",
        "language": "en",
        "body": "See the files.",
        "version": str(fetch(Post, post.id).version),
    }
    response = submit(
        client,
        f"/p/{post.id}/edit",
        {**form, "files": [(io.BytesIO(image_bytes("JPEG")), "two.jpg")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    assert [a.filename for a in attachments(post_id=post.id)] == ["one.png", "two.jpg"]
    edit_page = client.get(f"/p/{post.id}/edit").get_data(as_text=True)
    assert f'name="detach" value="{first.key}"' in edit_page
    form["version"] = str(fetch(Post, post.id).version)
    response = submit(client, f"/p/{post.id}/edit", {**form, "detach": first.key})
    assert response.status_code == 302
    assert [a.filename for a in attachments(post_id=post.id)] == ["two.jpg"]
    assert get(client, first.path).status_code == 404
    assert not stored_at(first.stored_name).exists()


def test_files_sent_with_a_preview_are_kept_and_attached_when_posting(client, board, amina):
    log_in(client, amina)
    preview = new_topic(client, board, ("plan.png", image_bytes("PNG")), preview="1")
    assert preview.status_code == 200
    held = only_attachment(owner_id=amina.id)
    assert held.post_id is None
    html = preview.get_data(as_text=True)
    assert f'name="attached" type="hidden" value="{held.key}"' in html
    assert f"![plan]({held.path})" in html  # what to write to show it in the text
    # The file is its sender's alone until it is posted.
    assert get(client, held.path).status_code == 200
    other = client.application.test_client()
    log_in(other, make_user(username="kwame"))
    assert get(other, held.path).status_code == 404

    response = new_topic(client, board, body=f"Here: ![plan]({held.path})", attached=held.key)
    page = topic_page(client, response)
    attached = only_attachment(owner_id=amina.id)
    assert attached.post_id is not None
    assert f'<img src="{held.path}" alt="plan">' in page  # shown in the text too


def test_nobody_attaches_files_another_member_sent(client, board, amina):
    log_in(client, amina)
    new_topic(client, board, ("mine.png", image_bytes("PNG")), preview="1")
    held = only_attachment(owner_id=amina.id)
    other = client.application.test_client()
    kwame = make_user(username="kwame")
    log_in(other, kwame)
    response = new_topic(other, board, attached=held.key)
    assert response.status_code == 302
    assert only_attachment(owner_id=amina.id).post_id is None


def test_the_composers_script_can_send_files_first_and_gets_markdown_back(client, board, amina):
    log_in(client, amina)
    response = client.post(
        "/uploads",
        data={
            "csrf_token": csrf_token(client),
            "files": [(io.BytesIO(image_bytes("WEBP")), "map.webp")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 201
    (sent,) = response.get_json()["files"]
    assert sent["markdown"] == f"![map](/uploads/{sent['key']}.webp)"
    refused = client.post(
        "/uploads",
        data={"csrf_token": csrf_token(client), "files": [(io.BytesIO(b"<?php"), "x.png")]},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400 and "not a file we accept" in refused.get_json()["error"]
    new_topic(client, board, body=sent["markdown"], attached=sent["key"])
    assert only_attachment(owner_id=amina.id).post_id is not None


def test_an_image_the_text_shows_is_not_shown_again_under_the_post(client, board, amina):
    log_in(client, amina)
    sent = []
    for name in ("map.webp", "team.webp"):
        response = client.post(
            "/uploads",
            data={
                "csrf_token": csrf_token(client),
                "files": [(io.BytesIO(image_bytes("WEBP")), name)],
            },
            content_type="multipart/form-data",
        )
        assert response.status_code == 201
        sent.append(response.get_json()["files"][0])
    shown, only_attached = sent
    page = topic_page(
        client,
        new_topic(
            client,
            board,
            body=f"Our map: {shown['markdown']}",
            attached=f"{shown['key']} {only_attached['key']}",
        ),
    )
    assert f'src="/uploads/{shown["key"]}.webp"' in page  # in the text
    assert f'src="/uploads/{shown["key"]}.thumb.webp"' not in page  # not again below it
    assert f'src="/uploads/{only_attached["key"]}.thumb.webp"' in page


# --- hostile files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"<?php system($_GET['c']); ?>",
        b"<!doctype html><script>alert(document.cookie)</script>",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>1</script></svg>',
        b"\x89PNG\r\n\x1a\n but not really a PNG after its first bytes",
    ],
    ids=["php", "html", "svg", "fake-png"],
)
def test_files_that_are_not_what_their_name_says_are_refused_and_nothing_is_kept(
    app, client, board, amina, content
):
    log_in(client, amina)
    before = sorted(upload_dir(app).rglob("*")) if upload_dir(app).exists() else []
    response = new_topic(client, board, ("innocent.png", content))
    assert response.status_code == 200  # the form again, with the reason under the field
    message = error_text(response)
    assert "innocent" in message and ("not a file we accept" in message or "damaged" in message)
    assert attachments(owner_id=amina.id) == []
    with database() as session:
        assert session.query(Post).count() == 0  # nothing half-posted either
    after = sorted(upload_dir(app).rglob("*")) if upload_dir(app).exists() else []
    assert after == before


def test_a_file_already_written_goes_again_when_a_later_one_is_refused(app, client, board, amina):
    log_in(client, amina)
    before = set(upload_dir(app).rglob("*.jpg")) if upload_dir(app).exists() else set()
    response = new_topic(
        client, board, ("good.jpg", image_bytes("JPEG")), ("bad.png", b"<svg onload=x>")
    )
    assert response.status_code == 200 and "bad" in error_text(response)
    assert attachments(owner_id=amina.id) == []
    assert set(upload_dir(app).rglob("*.jpg")) == before


@pytest.mark.parametrize("size", [(30_000, 30_000), (8_000, 8_000)], ids=["huge", "large"])
def test_a_decompression_bomb_is_refused_without_being_decoded(client, board, amina, size):
    log_in(client, amina)
    bomb = png_claiming(*size)
    assert len(bomb) < 200_000
    response = new_topic(client, board, ("bomb.png", bomb))
    assert response.status_code == 200
    assert "too many pixels" in error_text(response)
    assert attachments(owner_id=amina.id) == []


def test_a_50_mb_file_gets_the_413_page_in_the_sites_layout(client, board, amina):
    log_in(client, amina)
    response = new_topic(client, board, ("huge.jpg", b"\xff\xd8\xff" + b"\0" * (50 * 1024 * 1024)))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert '<main id="main"' in html and "Too large" in html
    assert "at most 10 MB each" in html and "25 MB" in html
    assert attachments(owner_id=amina.id) == []


def test_other_forms_keep_their_small_limit(client, amina):
    log_in(client, amina)
    response = submit(client, "/settings", {"locale": "en", "timezone": "x" * 400_000})
    assert response.status_code == 413


def test_a_form_with_files_still_refuses_an_oversized_text_field(client, board, amina):
    log_in(client, amina)
    response = new_topic(client, board, ("a.pdf", PDF), body="x" * (300 * 1024))
    assert response.status_code == 413
    assert attachments(owner_id=amina.id) == []


def test_a_file_over_the_per_file_limit_is_refused_on_the_form(app, client, board, amina):
    app.config["UPLOAD_MAX_BYTES"] = 20 * 1024
    log_in(client, amina)
    response = new_topic(client, board, ("big.jpg", image_bytes("JPEG", (2000, 2000), quality=100)))
    assert response.status_code == 200
    assert error_text(response) == "“big.jpg” is too large: at most 20 kB per file."


def test_a_polyglot_gif_loses_its_script_when_re_encoded(client, board, amina):
    log_in(client, amina)
    new_topic(client, board, ("cat.gif", polyglot_gif()))
    attachment = only_attachment(owner_id=amina.id)
    served = get(client, attachment.path)
    assert served.mimetype == "image/gif"
    assert b"alert" not in served.data and b"polyglot" not in served.data
    assert Image.open(io.BytesIO(served.data)).format == "GIF"
    # It cannot be asked for as something else either.
    assert get(client, f"/uploads/{attachment.key}.js").status_code == 404
    assert get(client, f"/uploads/{attachment.key}.html").status_code == 404


def test_a_damaged_image_is_refused_with_a_clear_message(client, board, amina):
    log_in(client, amina)
    truncated = image_bytes("JPEG", (800, 600))[:600]
    response = new_topic(client, board, ("broken.jpg", truncated))
    assert response.status_code == 200 and "could not be read" in error_text(response)


def test_file_addresses_that_do_not_exist_are_404(client):
    for address in ["/uploads/nothing", "/uploads/" + "0" * 32 + ".png", "/uploads/../brain.db"]:
        assert get(client, address).status_code == 404


def test_sending_files_needs_the_forms_csrf_token(client, board, amina):
    log_in(client, amina)
    response = client.post(
        f"/b/{board.slug}/new",
        data={
            "title": "No token",
            "language": "en",
            "body": "x",
            "files": [(io.BytesIO(PDF), "a.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert attachments(owner_id=amina.id) == []
    json_route = client.post(
        "/uploads", data={"files": [(io.BytesIO(PDF), "a.pdf")]}, content_type="multipart/form-data"
    )
    assert json_route.status_code == 400 and attachments(owner_id=amina.id) == []


def test_a_suspended_member_cannot_send_files(client, amina):
    from datetime import timedelta

    with database() as session:
        session.get(User, amina.id).suspended_until = now() + timedelta(days=1)
        session.commit()
    log_in(client, amina)
    response = client.post(
        "/uploads",
        data={"csrf_token": csrf_token(client), "files": [(io.BytesIO(PDF), "a.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    assert attachments(owner_id=amina.id) == []


def test_sending_files_is_rate_limited(app, client, amina):
    app.config["RATELIMIT_UPLOAD"] = "2 per minute"
    limiter.reset()
    log_in(client, amina)

    def send():
        return client.post(
            "/uploads",
            data={"csrf_token": csrf_token(client), "files": [(io.BytesIO(PDF), "a.pdf")]},
            content_type="multipart/form-data",
        )

    assert [send().status_code for _ in range(3)] == [201, 201, 429]
    limiter.reset()


# --- limits ---------------------------------------------------------------------------------


def test_each_member_has_a_quota_for_files(app, client, board, amina):
    pdf = PDF + b"%" * 10_000
    app.config["UPLOAD_QUOTA_BYTES"] = 25_000
    log_in(client, amina)
    assert new_topic(client, board, ("a.pdf", pdf), ("b.pdf", pdf)).status_code == 302
    response = new_topic(client, board, ("c.pdf", pdf))
    assert response.status_code == 200
    assert "past your space for files" in error_text(response)
    assert len(attachments(owner_id=amina.id)) == 2
    # Another member has their own space.
    other = client.application.test_client()
    log_in(other, make_user(username="kwame"))
    assert new_topic(other, board, ("c.pdf", pdf)).status_code == 302


def test_a_post_carries_a_limited_number_of_files(app, client, board, amina):
    app.config["UPLOAD_MAX_FILES"] = 2
    log_in(client, amina)
    response = new_topic(client, board, *[(f"{n}.pdf", PDF) for n in range(3)])
    assert response.status_code == 200 and error_text(response) == "At most 2 files per post."


# --- who sees the files ---------------------------------------------------------------------


def test_a_file_in_a_members_only_board_is_not_for_guests(client, amina):
    board = make_board(slug="alumni", name="Alumni", members_only=True)
    log_in(client, amina)
    _post, (attachment,) = first_post_with_files(client, board, ("inside.png", image_bytes("PNG")))
    member = client.application.test_client()
    log_in(member, make_user(username="kwame"))
    assert get(member, attachment.path).status_code == 200
    guest = client.application.test_client()
    for address in [attachment.path, f"/uploads/{attachment.key}.thumb.webp"]:
        response = get(guest, address)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_file_of_a_hidden_post_follows_the_post(client, board, amina):
    log_in(client, amina)
    post, (attachment,) = first_post_with_files(client, board, ("plan.pdf", PDF))
    with database() as session:
        session.get(Post, post.id).hidden_at = now()
        session.commit()
    assert get(client, attachment.path).status_code == 200  # its author still sees it
    other = client.application.test_client()
    log_in(other, make_user(username="kwame"))
    assert get(other, attachment.path).status_code == 404
    moderator = client.application.test_client()
    log_in(moderator, make_user(username="ada", role=Role.ADMIN))
    assert get(moderator, attachment.path).status_code == 200
    guest = client.application.test_client()
    assert get(guest, attachment.path).status_code == 404


def test_deleting_a_post_removes_its_files_from_disk_and_database(client, board, amina):
    log_in(client, amina)
    post, files = first_post_with_files(
        client, board, ("a.jpg", image_bytes("JPEG")), ("b.pdf", PDF)
    )
    paths = [stored_at(f.stored_name) for f in files]
    paths.append(stored_at(files[0].thumbnail_name))
    assert all(path.is_file() for path in paths)
    response = submit(client, f"/p/{post.id}/delete")
    assert response.status_code == 302
    assert attachments(post_id=post.id) == []
    assert not any(path.exists() for path in paths)
    assert get(client, files[0].path).status_code == 404


def test_a_deletion_rolled_back_keeps_the_files(client, board, amina):
    log_in(client, amina)
    post, (attachment,) = first_post_with_files(client, board, ("keep.pdf", PDF))
    with database() as session:
        post_ops.delete_post(session.get(Post, post.id))
        session.flush()
        session.rollback()
    assert stored_at(attachment.stored_name).is_file()
    assert get(client, attachment.path).status_code == 200


def test_files_waiting_for_a_post_are_swept_after_a_day(client, board, amina):
    from datetime import timedelta

    log_in(client, amina)
    new_topic(client, board, ("draft.pdf", PDF), preview="1")
    held = only_attachment(owner_id=amina.id)
    with database() as session:
        assert upload_ops.sweep_pending(now()) == 0
        assert upload_ops.sweep_pending(now() + timedelta(days=2)) == 1
        session.commit()
    assert attachments(owner_id=amina.id) == []
    assert not stored_at(held.stored_name).exists()


def test_deleting_an_account_with_its_posts_removes_its_files_and_avatar(client, board, amina):
    log_in(client, amina)
    _post, (attachment,) = first_post_with_files(client, board, ("me.jpg", image_bytes("JPEG")))
    set_avatar(client, image_bytes("PNG", (300, 300)))
    avatar = avatar_at(amina.id, "l")
    assert avatar.is_file()
    with database() as session:
        member_data.delete_account(session.get(User, amina.id), PASSWORD, remove_posts=True)
        session.commit()
    assert attachments(owner_id=amina.id) == []
    assert not stored_at(attachment.stored_name).exists()
    assert not avatar.exists()


def test_deleting_an_account_that_keeps_its_posts_keeps_their_files_but_not_the_avatar(
    client, board, amina
):
    log_in(client, amina)
    _post, (attachment,) = first_post_with_files(client, board, ("chart.png", image_bytes("PNG")))
    new_topic(client, board, ("draft.pdf", PDF), preview="1")
    set_avatar(client, image_bytes("PNG", (300, 300)))
    with database() as session:
        member_data.delete_account(session.get(User, amina.id), PASSWORD, remove_posts=False)
        session.commit()
    assert [a.key for a in attachments(owner_id=amina.id)] == [attachment.key]
    assert stored_at(attachment.stored_name).is_file()
    assert not avatar_at(amina.id, "s").exists()


def test_the_copy_of_a_members_data_lists_their_files(client, board, amina):
    log_in(client, amina)
    _post, (attachment,) = first_post_with_files(client, board, ("plan.pdf", PDF))
    copy = client.get("/settings/data").get_json()
    assert copy["files"][0]["address"] == attachment.path
    assert copy["files"][0]["name"] == "plan.pdf"


def test_a_topic_page_reads_every_posts_files_at_once(client, board, amina, count_queries):
    log_in(client, amina)
    post, _files = first_post_with_files(client, board, ("a.pdf", PDF))
    url = client.get(f"/p/{post.id}").headers["Location"]
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for n in range(3):
        submit(
            client,
            f"/p/{post.id}/reply",
            {"body": f"Reply {n}", "language": "en", "files": [(io.BytesIO(PDF), f"{n}.pdf")]},
            content_type="multipart/form-data",
        )
    client.get(url)  # marks the new replies read
    with count_queries() as many:
        html = client.get(url).get_data(as_text=True)
    assert html.count('class="attachment attachment-document"') == 4
    assert len(many) == len(few), "\n\n".join(set(many) - set(few))


# --- avatars --------------------------------------------------------------------------------


def set_avatar(client, data: bytes, name: str = "me.png"):
    response = client.post(
        "/settings/avatar",
        data={
            "csrf_token": csrf_token(client, "/settings/profile"),
            "avatar": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )
    response.request.environ["wsgi.input"].close()  # a large body is spooled to a file
    return response


def test_a_member_uploads_a_picture_shown_instead_of_initials(client, board, amina):
    log_in(client, amina)
    profile_form = client.get("/settings/profile").get_data(as_text=True)
    assert (
        'action="/settings/avatar"' in profile_form
        and 'enctype="multipart/form-data"' in profile_form
    )
    assert "avatar avatar-l avatar-c" in profile_form  # initials until then
    response = set_avatar(client, photo_with_gps((800, 500)))
    assert response.status_code == 302 and response.headers["Location"] == "/settings/profile"
    page = client.get("/settings/profile").get_data(as_text=True)
    found = re.search(r'<img class="avatar avatar-l avatar-picture" src="([^"]+)"', page)
    assert found, page
    served = get(client, found.group(1).replace("&amp;", "&"))
    assert served.status_code == 200 and served.mimetype == "image/webp"
    picture = Image.open(io.BytesIO(served.data))
    assert picture.size == (256, 256)
    assert not picture.getexif()
    # Guests see it too, as they see the member's profile.
    guest = client.application.test_client()
    assert get(guest, found.group(1).replace("&amp;", "&")).status_code == 200
    # And it is the avatar shown beside their posts.
    topic_html = topic_page(client, new_topic(client, board))
    assert f"/avatars/{amina.id}-s.webp" in topic_html


def test_a_member_removes_their_picture_and_initials_come_back(client, amina):
    log_in(client, amina)
    set_avatar(client, image_bytes("JPEG", (300, 400)))
    page = client.get("/settings/profile").get_data(as_text=True)
    assert "Remove the picture" in page
    response = submit(client, "/settings/avatar/remove")
    assert response.status_code == 302
    page = client.get("/settings/profile").get_data(as_text=True)
    assert "avatar-picture" not in page and "avatar avatar-l avatar-c" in page
    assert get(client, f"/avatars/{amina.id}-l.webp").status_code == 404


@pytest.mark.parametrize(
    "content, name, words",
    [
        (PDF, "me.pdf", "not a picture we accept"),
        (b"<svg onload=alert(1)>", "me.png", "not a picture we accept"),
        (png_claiming(30_000, 30_000), "me.png", "too many pixels"),
    ],
    ids=["pdf", "svg", "bomb"],
)
def test_an_avatar_that_is_not_a_picture_is_refused_with_the_reason(
    client, amina, content, name, words
):
    log_in(client, amina)
    response = set_avatar(client, content, name)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert words in html and 'id="avatar-error"' in html
    assert not avatar_at(amina.id, "s").exists()


def test_avatar_macro_keeps_initials_for_members_without_a_picture(app, amina):
    with app.test_request_context("/"):
        template = app.jinja_env.from_string(
            '{% from "_avatar.html" import avatar %}{{ avatar(user, "s") }}'
        )
        html = template.render(user=db.session.get(User, amina.id))
    assert 'class="avatar avatar-s avatar-c' in html and ">AD</span>" in html


# --- Markdown images ------------------------------------------------------------------------


def test_images_from_other_sites_become_links_and_our_files_stay_images(client, board, amina):
    log_in(client, amina)
    post, (attachment,) = first_post_with_files(client, board, ("map.png", image_bytes("PNG")))
    version = str(fetch(Post, post.id).version)
    body = f"![tracker](https://evil.example/pixel.gif)\n\n![map]({attachment.path})"
    form = {"title": "A map", "language": "en", "body": body, "version": version}
    assert submit(client, f"/p/{post.id}/edit", form).status_code == 302
    html = fetch(Post, post.id).body_html
    assert '<img src="https://evil.example' not in html
    assert 'href="https://evil.example/pixel.gif"' in html and ">tracker</a>" in html
    assert f'<img src="{attachment.path}" alt="map">' in html


def test_the_composer_has_a_labelled_file_input_for_drag_and_drop(client, board, amina):
    log_in(client, amina)
    html = client.get(f"/b/{board.slug}/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    field = re.search(r"<input[^>]*type=\"file\"[^>]*>", html).group(0)
    assert "data-drop" in field and "multiple" in field and 'id="files"' in field
    assert '<label for="files">Attach images or PDFs</label>' in html
    assert "up to 10 MB each" in html


def test_the_topic_of_a_deleted_post_still_shows_without_its_files(client, board, amina):
    log_in(client, amina)
    topic = make_topic(board=board, author=amina)
    response = submit(
        client,
        f"/p/{topic.first_post_id}/reply",
        {"body": "x", "language": "en", "files": [(io.BytesIO(PDF), "gone.pdf")]},
        content_type="multipart/form-data",
    )
    reply_id = int(response.headers["Location"].rsplit("/", 1)[1])
    submit(client, f"/p/{reply_id}/delete")
    page = client.get(client.get(f"/p/{reply_id}").headers["Location"]).get_data(as_text=True)
    assert "gone.pdf" not in page and "This post was deleted" in page
    assert opening_post(topic) is not None


def test_file_names_lose_folders_and_marks_that_reorder_text():
    assert upload_ops.clean_filename("../../etc/passwd", "png") == "passwd.png"
    assert upload_ops.clean_filename("C:\\temp\\evil.html", "jpg") == "evil.jpg"
    # "photo‮gnp.exe" displays as "photoexe.png": the mark goes, the real type decides.
    assert upload_ops.clean_filename("photo\u202egnp.exe", "jpg") == "photognp.jpg"
    assert upload_ops.clean_filename("line\r\nbreak.pdf", "pdf") == "linebreak.pdf"
    assert upload_ops.clean_filename("", "pdf") == "file.pdf"


# --- issue 13's leftovers: files shown by the text, avatars in the quota, the clean-up -------


def send_first(client, content: bytes, name: str) -> dict:
    """A file sent by the composer's script (the toolbar's image button), as it answers."""
    response = client.post(
        "/uploads",
        data={"csrf_token": csrf_token(client), "files": [(io.BytesIO(content), name)]},
        content_type="multipart/form-data",
    )
    response.request.environ["wsgi.input"].close()  # as new_topic does
    assert response.status_code == 201, response.get_data(as_text=True)
    (sent,) = response.get_json()["files"]
    return sent


def test_a_file_the_text_shows_is_attached_even_when_the_form_lost_its_key(client, board, amina):
    log_in(client, amina)
    sent = send_first(client, image_bytes("PNG"), "field.png")
    other = client.application.test_client()
    log_in(other, make_user(username="kwame"))
    kwame_sent = send_first(other, image_bytes("PNG"), "his.png")
    # A draft restored by the browser: the text, without the hidden field's keys.
    body = f"Our field: {sent['markdown']}\n\nAnd his: {kwame_sent['markdown']}"
    page = topic_page(client, new_topic(client, board, body=body))
    mine = only_attachment(key=sent["key"])
    assert mine.post_id is not None
    assert f'<img src="{mine.path}" alt="field">' in page
    # Readers see it, as any file of the post.
    assert get(other, mine.path).status_code == 200
    # Naming another member's file attaches nothing of theirs.
    assert only_attachment(key=kwame_sent["key"]).post_id is None


def test_files_the_text_shows_count_towards_the_limit_per_post(app, client, board, amina):
    app.config["UPLOAD_MAX_FILES"] = 2
    log_in(client, amina)
    sent = [send_first(client, PDF, f"{n}.pdf") for n in range(3)]
    body = "\n\n".join(s["markdown"] for s in sent)
    response = new_topic(client, board, body=body)
    assert response.status_code == 200 and error_text(response) == "At most 2 files per post."
    assert all(a.post_id is None for a in attachments(owner_id=amina.id))


def test_the_markdown_sent_back_names_the_file_without_brackets(client, amina):
    log_in(client, amina)
    sent = send_first(client, image_bytes("PNG"), "plan [v2].png")
    assert sent["markdown"] == f"![plan v2](/uploads/{sent['key']}.png)"


def test_an_avatar_counts_in_the_members_space_for_files(app, client, board, amina):
    log_in(client, amina)
    assert set_avatar(client, image_bytes("PNG", (600, 600))).status_code == 302
    with database() as session:
        picture = upload_ops.avatar_bytes(amina.id)
        assert picture > 0
        assert upload_ops.used_bytes(session.get(User, amina.id)) == picture
    # Room for the PDF alone, but not beside the picture.
    pdf = PDF + b"%" * 2_000
    app.config["UPLOAD_QUOTA_BYTES"] = len(pdf) + picture // 2
    response = new_topic(client, board, ("plan.pdf", pdf))
    assert response.status_code == 200
    assert "past your space for files" in error_text(response)
    assert attachments(owner_id=amina.id) == []


def test_an_avatar_past_the_quota_is_refused_and_the_old_one_stays(app, client, board, amina):
    log_in(client, amina)
    assert (
        set_avatar(client, image_bytes("PNG", (300, 300), colour=(10, 10, 10))).status_code == 302
    )
    old = avatar_at(amina.id, "l").read_bytes()
    pdf = PDF + b"%" * 5_000
    assert new_topic(client, board, ("plan.pdf", pdf)).status_code == 302
    used = len(pdf) + len(old) + avatar_at(amina.id, "s").stat().st_size
    # A new picture replaces the old one: it fits while it takes no more room than it did.
    app.config["UPLOAD_QUOTA_BYTES"] = used + 10
    noise = Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG")
    bigger = out.getvalue()  # noise: far more bytes once encoded than one colour
    response = set_avatar(client, bigger, "busy.png")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "past your space for files" in html and 'id="avatar-error"' in html
    assert avatar_at(amina.id, "l").read_bytes() == old
    app.config["UPLOAD_QUOTA_BYTES"] = 50 * 1024 * 1024
    assert set_avatar(client, bigger, "busy.png").status_code == 302
    assert avatar_at(amina.id, "l").read_bytes() != old


def _age(path: Path, days: float) -> None:
    then = now().timestamp() - days * 24 * 3600
    os.utime(path, (then, then))


def _hold_for(client, board, days: float) -> Attachment:
    """A file sent with a preview and left there, *days* ago. (A preview sweeps the files
    left a day ago: make the older ones last.)"""
    new_topic(client, board, ("draft.png", image_bytes("PNG")), preview="1")
    held = [a for a in attachments(post_id=None) if a.filename == "draft.png"][-1]
    _sent_ago([held], days)
    return held


def _sent_ago(files: list[Attachment], days: float) -> None:
    from datetime import timedelta

    with database() as session:
        for file in files:
            session.get(Attachment, file.id).created_at = now() - timedelta(days=days)
        session.commit()


def test_brain_uploads_prune_removes_what_no_post_or_member_holds(app, client, board, amina):
    log_in(client, amina)
    _post, (posted,) = first_post_with_files(client, board, ("kept.pdf", PDF))
    recent = _hold_for(client, board, days=0.5)
    old = _hold_for(client, board, days=2)
    set_avatar(client, image_bytes("PNG", (300, 300)))
    folder = upload_dir(app)
    # Left on disk by processes that died before their transaction ended.
    stray = folder / "ab" / ("ab" + "0" * 30 + ".png")
    part = folder / "cd" / (".cd" + "1" * 30 + ".jpg.0a1b2c3d.part")
    fresh = folder / "ef" / ("ef" + "2" * 30 + ".png")  # its transaction may still run
    gone_avatar = folder / "avatars" / "999999-s.webp"  # a member no longer there
    unknown = folder / "ab" / "README.txt"  # not a name of ours: left alone
    for path in (stray, part, fresh, gone_avatar, unknown):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    for path in (stray, part, gone_avatar, unknown, stored_at(posted.stored_name)):
        _age(path, 3)
    for path in folder.joinpath("avatars").glob(f"{amina.id}-*.webp"):
        _age(path, 3)
    old_files = [stored_at(old.stored_name), stored_at(old.thumbnail_name)]
    for path in old_files:
        _age(path, 2)

    result = app.test_cli_runner().invoke(args=["uploads", "prune"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "1 files never posted and 3 stray files removed."
    assert [a.key for a in attachments(post_id=None)] == [recent.key]
    assert not any(path.exists() for path in [*old_files, stray, part, gone_avatar])
    assert all(path.exists() for path in [fresh, unknown, stored_at(recent.stored_name)])
    assert stored_at(posted.stored_name).is_file()
    assert get(client, posted.path).status_code == 200
    assert avatar_at(amina.id, "s").is_file() and avatar_at(amina.id, "l").is_file()
    # Nothing left to do the second time.
    again = app.test_cli_runner().invoke(args=["uploads", "prune"])
    assert again.output.strip() == "0 files never posted and 0 stray files removed."


def test_the_worker_prunes_every_hour_in_batches(client, board, amina):
    from datetime import datetime

    from huey.api import PeriodicTask

    from brain import tasks  # noqa: F401 - what the worker imports
    from brain.queue import huey
    from brain.uploads.tasks import prune_uploads

    task = prune_uploads.task_class()
    assert isinstance(task, PeriodicTask)
    assert type(task).__name__ in {type(t).__name__ for t in huey._registry.periodic_tasks}
    schedule = task.validate_datetime
    hours = [datetime(2026, 1, 1, hour, 23) for hour in range(24)]
    assert all(schedule(hour) for hour in hours)
    assert not schedule(datetime(2026, 1, 1, 5, 24))
    log_in(client, amina)
    held = [_hold_for(client, board, days=0) for _ in range(3)]
    _sent_ago(held, 2)
    with database():
        pruned = upload_ops.prune(batch=2)  # two rounds
    assert pruned.waiting == 3
    assert attachments(owner_id=amina.id) == []
    assert not any(stored_at(a.stored_name).exists() for a in held)
    _hold_for(client, board, days=2)
    assert prune_uploads.call_local().waiting == 1
    assert attachments(owner_id=amina.id) == []


def test_deleting_an_account_with_its_posts_removes_the_files_others_put_on_them(
    client, board, amina
):
    """A moderator's file added to a member's post goes with the member's posts; the files
    the member added to other people's posts stay with those."""
    from werkzeug.datastructures import FileStorage

    topic = make_topic(board=board, author=amina)
    ada = make_user(username="ada", role=Role.ADMIN)
    theirs = make_topic(board=board, author=ada)
    with database() as session:
        member, moderator = session.get(User, amina.id), session.get(User, ada.id)
        on_hers = upload_ops.store(moderator, [FileStorage(io.BytesIO(PDF), "mod.pdf")])[0]
        on_his = upload_ops.store(member, [FileStorage(io.BytesIO(PDF), "hers.pdf")])[0]
        on_hers.post_id, on_his.post_id = topic.first_post_id, theirs.first_post_id
        session.commit()
        keys = (on_hers.key, on_his.key)
        paths = {a.key: upload_ops.file_path(a.stored_name) for a in (on_hers, on_his)}
        member_data.delete_account(member, PASSWORD, remove_posts=True)
        session.commit()
    assert [a.key for a in attachments()] == [keys[1]]
    assert not paths[keys[0]].exists() and paths[keys[1]].is_file()


def test_the_topic_pages_reply_box_takes_files_and_keeps_nothing_personal(
    app, client, board, amina
):
    app.config["PAGE_CACHE_SECONDS"] = 30  # the box is kept (brain.fragments)
    app.extensions["brain_fragments"].clear()
    topic = make_topic(board=board, author=make_user(username="bruno"))
    url = f"/t/{topic.id}-{topic.slug}"
    log_in(client, amina)
    html = client.get(url).get_data(as_text=True)
    box = re.search(r'<section class="reply-box".*?</section>', html, re.S).group(0)
    assert 'enctype="multipart/form-data"' in box
    field = re.search(r'<input[^>]*type="file"[^>]*>', box).group(0)
    assert 'name="files"' in field and "data-drop" in field and "multiple" in field
    assert '<label for="files">Attach images or PDFs</label>' in box
    # Posted from there, the file joins the reply.
    action = re.search(r'<form method="post" action="([^"]+)"', box).group(1)
    response = submit(
        client,
        action,
        {"body": "The minutes", "language": "en", "files": [(io.BytesIO(PDF), "minutes.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert only_attachment(owner_id=amina.id).filename == "minutes.pdf"
    # The box is the same for everyone but for its form's tokens.
    other = client.application.test_client()
    log_in(other, make_user(username="kwame"))
    theirs = re.search(
        r'<section class="reply-box".*?</section>', other.get(url).get_data(as_text=True), re.S
    ).group(0)
    strip = re.compile(r'<input[^>]*type="hidden"[^>]*>|data-owner="[^"]*"')
    mine = re.search(
        r'<section class="reply-box".*?</section>', client.get(url).get_data(as_text=True), re.S
    ).group(0)
    assert strip.sub("", mine) == strip.sub("", theirs)
    assert csrf_token(client, url) not in theirs
