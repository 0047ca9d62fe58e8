"""A real SMTP server (aiosmtpd) that can be down, busy or refusing for a while.

``mode`` says how the next SMTP conversations go:

- ``accept``: every message is taken and recorded;
- ``busy``: ``421`` to MAIL FROM (the server is shutting down or overloaded);
- ``rcpt_451``: ``451`` to RCPT TO (greylisting, a local problem);
- ``data_451``: ``451`` after the message body (the message is not kept);
- ``lose_answer``: the message is kept, then the connection drops before ``250``
  reaches the client (it cannot know the server has it).

:meth:`FaultySmtp.down` stops listening (connection refused), :meth:`FaultySmtp.up`
listens again on the same port. Counters are the sink's own: ``mail_from`` (one per
attempt that got as far as MAIL FROM) and ``messages`` (what the server kept).
"""

import email
import email.policy
import socket
import threading
from email.message import EmailMessage
from types import TracebackType
from typing import Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

HOST = "127.0.0.1"


class _Handler:
    def __init__(self, sink: "FaultySmtp") -> None:
        self._sink = sink

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        with self._sink.lock:
            self._sink.mail_from += 1
        if self._sink.mode == "busy":
            return "421 4.3.2 Service not available, closing transmission channel"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self._sink.mode == "rcpt_451":
            return "451 4.7.1 Greylisted, please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._sink.mode == "data_451":
            return "451 4.3.0 Local error in processing"
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._sink.lock:
            self._sink.messages.append(message)
            self._sink.recipients.append(list(envelope.rcpt_tos))
        if self._sink.mode == "lose_answer" and server.transport is not None:
            server.transport.close()
        return "250 Message accepted for delivery"


class FaultySmtp:
    """Starts down: nothing listens on :attr:`port` until :meth:`up`."""

    def __init__(self) -> None:
        self.mode = "accept"
        self.lock = threading.Lock()
        self.mail_from = 0
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self._controller: Controller | None = None
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            self.port: int = probe.getsockname()[1]

    @property
    def url(self) -> str:
        return f"smtp://{HOST}:{self.port}"

    def up(self) -> None:
        if self._controller is None:
            self._controller = Controller(_Handler(self), hostname=HOST, port=self.port)
            self._controller.start()

    def down(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def message_ids(self) -> list[str]:
        with self.lock:
            return [str(m["Message-ID"]) for m in self.messages]

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.down()
