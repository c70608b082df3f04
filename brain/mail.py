"""Outgoing email over SMTP (or into instance/mail/ when no server is configured).

Messages are written in the recipient's interface language: callers render the subject and
body inside ``force_locale(user.locale)``.
"""

from __future__ import annotations

import smtplib
import ssl
import time
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

from flask import current_app


def build(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="collective-brain")
    message.set_content(body)  # UTF-8, encoded as needed for any script
    return message


def send(to: str, subject: str, body: str) -> None:
    """Send one message now. Raises OSError/SMTPException when the server refuses it."""
    message = build(to, subject, body)
    config = current_app.config
    if not config["MAIL_SERVER"]:
        folder = Path(current_app.instance_path) / "mail"
        folder.mkdir(exist_ok=True)
        path = folder / f"{time.time_ns()}.eml"
        path.write_bytes(bytes(message))
        current_app.logger.info("No MAIL_SERVER: mail to %s written to %s", to, path)
        return
    server_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with server_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as server:
        if config["MAIL_USE_TLS"] and not config["MAIL_USE_SSL"]:
            server.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            server.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        server.send_message(message)
