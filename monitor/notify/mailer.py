"""Mailers: the one seam between composed messages and the outside world.

`SmtpMailer` speaks SMTP (security none · starttls · tls, optional AUTH); `FileMailer` writes
each message as an `.eml` file named after its Message-ID (so a repeated send overwrites, never
doubles); `FakeMailer` keeps messages in memory for unit tests. `mailer_for(settings)` picks SMTP
when `email.smtp_host` is set, else files in `email.outbox_dir`.

Failures are translated at this boundary: TransientMailError (connection refused or dropped,
timeouts, TLS trouble, 4xx replies) means "try again later"; PermanentMailError (5xx replies,
a refused address) means "give up and record it".
"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
import tempfile
from collections.abc import Iterable
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import parseaddr
from pathlib import Path
from typing import Protocol

from monitor.config import EmailSettings
from monitor.errors import MailError, PermanentMailError, TransientMailError

DEFAULT_TIMEOUT_S = 30.0
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


class Mailer(Protocol):
    def send(self, message: EmailMessage) -> None:
        """Deliver one message to its `To` address, or raise a MailError subclass."""


def envelope_sender(message: EmailMessage) -> str:
    return parseaddr(str(message["From"]))[1]


def envelope_recipient(message: EmailMessage) -> str:
    """Exactly the one address in `To`: the envelope never takes recipients from other text."""
    address = parseaddr(str(message["To"]))[1]
    if not address or "@" not in address:
        raise PermanentMailError(f"bad recipient address: {message['To']!r}")
    return address


def classify_reply(code: int, text: str) -> MailError:
    """An SMTP reply code → our error: 4xx transient, anything else permanent."""
    detail = f"{code} {text}".strip()
    return TransientMailError(detail) if 400 <= code < 500 else PermanentMailError(detail)


def _reply_text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return " ".join(text.split())


def _refused(e: smtplib.SMTPRecipientsRefused) -> MailError:
    replies = list(e.recipients.values())
    transient = replies and all(400 <= code < 500 for code, _ in replies)
    detail = "; ".join(f"{code} {_reply_text(msg)}" for code, msg in replies)
    error = TransientMailError if transient else PermanentMailError
    return error(f"recipient refused: {detail}")


class SmtpMailer:
    """One connection per message: simple, and a dead connection never poisons the next send."""

    def __init__(self, settings: EmailSettings, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self.settings = settings
        self.timeout_s = timeout_s

    def send(self, message: EmailMessage) -> None:
        recipient = envelope_recipient(message)
        try:
            with self._connect() as smtp:
                self._login(smtp)
                smtp.send_message(message, envelope_sender(message), [recipient])
        except smtplib.SMTPRecipientsRefused as e:
            raise _refused(e) from e
        except smtplib.SMTPAuthenticationError as e:
            # Our credentials, not the message: fixing the config lets the retries through.
            raise TransientMailError(f"authentication failed: {e.smtp_code}") from e
        except smtplib.SMTPResponseException as e:
            raise classify_reply(e.smtp_code, _reply_text(e.smtp_error)) from e
        except (smtplib.SMTPException, OSError) as e:
            # Refused or dropped connections, timeouts, TLS failures, STARTTLS unsupported.
            raise TransientMailError(f"{type(e).__name__}: {e}") from e

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.smtp_security == "tls":
            context = ssl.create_default_context()
            return smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=self.timeout_s,
                                    context=context)
        smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=self.timeout_s)
        if s.smtp_security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except Exception:
                smtp.close()
                raise
        return smtp

    def _login(self, smtp: smtplib.SMTP) -> None:
        if self.settings.smtp_user:
            smtp.login(self.settings.smtp_user, self.settings.smtp_password)


class FileMailer:
    """Writes `<outbox_dir>/<message-id>.eml` atomically (temp file, then rename)."""

    def __init__(self, outbox_dir: Path) -> None:
        self.outbox_dir = outbox_dir

    def path_for(self, message: EmailMessage) -> Path:
        message_id = str(message["Message-ID"] or "").strip("<>")
        name = _UNSAFE_FILENAME.sub("_", message_id) or "message"
        return self.outbox_dir / f"{name}.eml"

    def send(self, message: EmailMessage) -> None:
        envelope_recipient(message)
        target = self.path_for(message)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(message.as_bytes(policy=SMTP_POLICY))
            os.replace(temp, target)
        except OSError as e:
            raise TransientMailError(f"cannot write {target}: {e}") from e


class FakeMailer:
    """In-memory mailer for unit tests: records what it sent; raises the scripted failures
    (one per send, in order) before sending anything."""

    def __init__(self, failures: Iterable[MailError] = ()) -> None:
        self.sent: list[EmailMessage] = []
        self.failures = list(failures)

    def send(self, message: EmailMessage) -> None:
        envelope_recipient(message)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(message)


def mailer_for(settings: EmailSettings, lease_s: float | None = None) -> Mailer:
    """SMTP when a host is configured, else `.eml` files in `outbox_dir`. With the sender's
    lease, the SMTP timeout is kept to a quarter of it, so a send started before the sender's
    half-lease cut-off finishes before the lease could pass to another worker."""
    if settings.smtp_host:
        timeout_s = DEFAULT_TIMEOUT_S if lease_s is None else min(DEFAULT_TIMEOUT_S, lease_s / 4)
        return SmtpMailer(settings, timeout_s)
    return FileMailer(settings.outbox_dir)
