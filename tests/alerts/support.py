"""Real parts for the alerts tests: an SMTP server on loopback (aiosmtpd) that keeps what it
is sent and can refuse or be down, published events built as an editor builds them, and an
independent check of webhook signatures (written from the README's recipe, not with
alerts.webhooks)."""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import hmac
import socket
import time
from email.message import Message

from aiosmtpd.controller import Controller

from relations.models import Event
from tests.factories import InteractionFactory, MeetingFactory, ParticipantFactory, SourceFactory


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _Handler:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse = 0
        self.refused = 0

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            self.refuse -= 1
            self.refused += 1
            return "451 4.3.0 Mailbox busy, try again later"
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


class SmtpServer:
    """aiosmtpd on 127.0.0.1: ``messages`` holds what it accepted; ``refuse = n`` answers the
    next n mails with a temporary failure; ``stop()`` and ``start()`` take it down and up on
    the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.handler = _Handler()
        self.controller: Controller | None = None

    @property
    def messages(self) -> list[Message]:
        return self.handler.messages

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def subjects(self) -> list[str]:
        return [
            str(email.header.make_header(email.header.decode_header(m["Subject"])))
            for m in self.messages
        ]


def body_text(message: Message) -> str:
    parts = message.walk() if message.is_multipart() else [message]
    for part in parts:
        if part.get_content_type() == "text/plain":
            return part.get_payload(decode=True).decode()
    return ""


def publish_event(
    *actors, title="Lavrov meets Cohen", score=None, factory=MeetingFactory, date=None, **fields
) -> Event:
    """A draft with participants, an interaction between the first two actors and a source,
    then published in a second save, as the admin's "Save and publish" does."""
    event = factory(title=title, date=date or dt.date(2026, 11, 20), **fields)
    for actor in actors:
        ParticipantFactory(event=event, actor=actor)
    if len(actors) >= 2:
        extra = {} if score is None else {"score": score}
        InteractionFactory(event=event, source=actors[0], target=actors[1], **extra)
    SourceFactory(event=event)
    event.status = Event.Status.PUBLISHED
    event.save()
    return event


def signature_ok(secret: str, header: str, body: bytes, tolerance: float = 300) -> bool:
    """The receiver's side: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    expected = hmac.new(secret.encode(), fields["t"].encode() + b"." + body, hashlib.sha256)
    fresh = abs(time.time() - int(fields["t"])) <= tolerance
    return fresh and hmac.compare_digest(expected.hexdigest(), fields["v1"])
