"""The Mailer port over SMTP (aiosmtplib): ``smtp://`` with STARTTLS when offered,
``smtps://`` with implicit TLS.

Failures become ``DeliveryFailed``: whatever may pass later (the server down or busy,
a timeout, a 4xx, our own configuration such as a refused login) is transient, so the
outbox keeps the notice and retries; only a 5xx refusal of the message itself (every
recipient, or its content) is permanent.
"""

import logging
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from bot.email.compose import (
    compose_confirmation_for_sending,
    compose_for_sending,
    sender_address,
)
from bot.email.links import LinkSigner
from core.notifications.ports import AddressConfirmation, DeliveryFailed, EmailNotice

log = logging.getLogger(__name__)

DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
DEFAULT_TIMEOUT = 30.0


class BadSmtpUrl(ValueError):
    """TRYPOST_SMTP_URL cannot be used; the message never repeats the password."""


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> "SmtpTarget":
        """``smtp://user:pass@host:port`` or ``smtps://…``; user and password may be
        percent-encoded (an ``@`` in a user name is ``%40``)."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS:
            raise BadSmtpUrl("TRYPOST_SMTP_URL must start with smtp:// or smtps://")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise BadSmtpUrl("TRYPOST_SMTP_URL has a port that is not a number") from None
        if not parts.hostname:
            raise BadSmtpUrl("TRYPOST_SMTP_URL names no host: smtp://user:pass@host:587")
        return cls(
            host=parts.hostname,
            port=port,
            implicit_tls=parts.scheme == "smtps",
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    def __str__(self) -> str:
        """For logs: never the credentials."""
        return f"{'smtps' if self.implicit_tls else 'smtp'}://{self.host}:{self.port}"


class SmtpMailer:
    """Sends each notice in one SMTP session; implements the core ``Mailer``."""

    def __init__(
        self, url: str, sender: str, links: LinkSigner, *, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.target = SmtpTarget.from_url(url)
        self._sender = sender
        self._envelope_from = sender_address(sender).addr_spec
        self._links = links
        self._timeout = timeout

    async def send(self, email: EmailNotice) -> None:
        await self._send(email.key, compose_for_sending(email, self._sender, self._links), email.to)

    async def send_confirmation(self, email: AddressConfirmation) -> None:
        message = compose_confirmation_for_sending(email, self._sender, self._links)
        await self._send(email.key, message, email.to)

    async def _send(self, key: str, message: EmailMessage, recipient: str) -> None:
        try:
            await self._transmit(message, recipient)
        except DeliveryFailed as failed:
            log.warning(
                "email not sent",
                extra={
                    "key": key,
                    "server": str(self.target),
                    "reason": failed.reason,
                    "transient": failed.transient,
                },
            )
            raise
        log.info("email sent", extra={"key": key, "server": str(self.target)})

    async def _transmit(self, message: EmailMessage, recipient: str) -> None:
        target = self.target
        try:
            await aiosmtplib.send(
                message,
                sender=self._envelope_from,
                recipients=[recipient],
                hostname=target.host,
                port=target.port,
                username=target.username,
                password=target.password,
                use_tls=target.implicit_tls,
                # None: upgrade with STARTTLS when the server offers it.
                start_tls=False if target.implicit_tls else None,
                timeout=self._timeout,
            )
        except aiosmtplib.SMTPRecipientsRefused as refused:
            raise _recipients_refused(refused.recipients) from None
        except aiosmtplib.SMTPRecipientRefused as refused:
            raise _recipients_refused([refused]) from None
        except aiosmtplib.SMTPDataError as error:
            raise _response(error, "the message was refused") from None
        except aiosmtplib.SMTPAuthenticationError as error:
            raise DeliveryFailed(
                f"the SMTP server refused our login ({error.code}); check TRYPOST_SMTP_URL"
            ) from None
        except aiosmtplib.SMTPResponseException as error:
            # A refused sender, HELO or connection greeting: our side or the server's
            # state, not this notice; keep it and retry.
            raise DeliveryFailed(f"SMTP {error.code}: {_one_line(error.message)}") from None
        except (OSError, TimeoutError) as error:
            # aiosmtplib's connection errors and timeouts are OSError / TimeoutError too.
            raise DeliveryFailed(f"SMTP server {target} unreachable: {_describe(error)}") from None
        except aiosmtplib.SMTPException as error:
            raise DeliveryFailed(f"SMTP server {target}: {_describe(error)}") from None


def _recipients_refused(refusals: list[aiosmtplib.SMTPRecipientRefused]) -> DeliveryFailed:
    reasons = "; ".join(f"{r.code} {_one_line(r.message)}" for r in refusals)
    permanent = bool(refusals) and all(500 <= r.code < 600 for r in refusals)
    return DeliveryFailed(f"recipient refused: {reasons}", transient=not permanent)


def _response(error: aiosmtplib.SMTPResponseException, what: str) -> DeliveryFailed:
    return DeliveryFailed(
        f"{what}: {error.code} {_one_line(error.message)}",
        transient=not 500 <= error.code < 600,
    )


def _describe(error: BaseException) -> str:
    text = _one_line(str(error))
    return text or type(error).__name__


def _one_line(text: str) -> str:
    return " ".join(text.split())
