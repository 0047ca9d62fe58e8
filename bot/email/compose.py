"""An EmailNotice as a MIME message: a text and an HTML part, one-click unsubscribe.

The notice arrives as neutral replies (the same the chat DM shows); buttons become
links where the web can do the same (open the post, a URL) and otherwise the chat
command that does it, since an email cannot click a chat button.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy as email_policy
from email.errors import HeaderParseError
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy, Policy
from email.utils import format_datetime, parseaddr
from functools import cache

from bot.email.links import LinkSigner
from bot.email.templating import environment
from core.messages import Button, Field, Reply
from core.notifications.ports import AddressConfirmation, DeliveryFailed, EmailNotice
from core.timeparse import show_time

CHAT_PREFIX = "/trypost"


class BadAddress(ValueError):
    """A sender or recipient that is not an email address; retrying will not fix it."""


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class ChatCommand:
    label: str
    command: str


@dataclass(frozen=True)
class ItemView:
    """One reply as the templates draw it."""

    title: str | None
    text: str | None
    tone: str
    fields: tuple[Field, ...]
    items: tuple[str, ...]
    block: str | None
    footer: str | None
    links: tuple[Link, ...]
    commands: tuple[ChatCommand, ...]


def compose(
    notice: EmailNotice, sender: str, links: LinkSigner, *, now: datetime | None = None
) -> EmailMessage:
    """Build the message; the Message-ID comes from ``notice.key``, so every retry of
    one notice carries the same id and receivers can drop duplicates."""
    from_address = sender_address(sender)
    to_address = _address(notice.to, name=notice.recipient_name)
    unsubscribe_url = links.unsubscribe_url(notice.recipient_id, notice.categories)
    context = {
        "subject": _one_line(notice.subject),
        "recipient_name": notice.recipient_name,
        "digest": notice.digest,
        "items": [_view(item, notice, links) for item in notice.items],
        "about": ", ".join(c.value for c in notice.categories) or "these",
        "unsubscribe_url": unsubscribe_url,
        "unsubscribe_all_url": links.unsubscribe_url(notice.recipient_id, None),
        "settings_command": f"{CHAT_PREFIX} settings",
    }
    templates = environment()
    message = EmailMessage(policy=_policy())
    message["From"] = from_address
    message["To"] = to_address
    message["Subject"] = context["subject"]
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = f"<{notice.key}@{from_address.domain or 'localhost'}>"
    message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    # RFC 3834: a machine wrote this; out-of-office replies should stay quiet.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(templates.get_template("notice.txt.j2").render(context))
    message.add_alternative(
        templates.get_template("notice.html.j2").render(context), subtype="html"
    )
    return message


CONFIRM_SUBJECT = "Confirm your email address for trypost"


def compose_confirmation(
    email: AddressConfirmation, sender: str, links: LinkSigner, *, now: datetime | None = None
) -> EmailMessage:
    """The confirmation email: to the new address, with the signed link; the Message-ID
    comes from ``email.key`` as for notices. No unsubscribe: it is not a notice, and
    whoever reads the new address must not be able to turn the member's email off."""
    from_address = sender_address(sender)
    context = {
        "subject": CONFIRM_SUBJECT,
        "recipient_name": email.recipient_name,
        "address": email.to,
        "confirm_url": links.confirm_url(
            email.request_id, email.recipient_id, email.workspace_id, email.to
        ),
        "until": show_time(email.expires_at, email.timezone),
        "settings_command": f"{CHAT_PREFIX} settings",
    }
    templates = environment()
    message = EmailMessage(policy=_policy())
    message["From"] = from_address
    message["To"] = _address(email.to, name=email.recipient_name)
    message["Subject"] = CONFIRM_SUBJECT
    message["Date"] = format_datetime(now or datetime.now(UTC))
    message["Message-ID"] = f"<{email.key}@{from_address.domain or 'localhost'}>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(templates.get_template("confirm_email.txt.j2").render(context))
    message.add_alternative(
        templates.get_template("confirm_email.html.j2").render(context), subtype="html"
    )
    return message


class _UrlHeader(UnstructuredHeader, BaseHeader):
    """A header holding ``<URL>``: never folded nor RFC 2047-encoded. The stdlib turns
    a token longer than a line into encoded words, which no mail client would read
    back as a URL; a long line (under the 998 limit) is what receivers expect."""

    def fold(self, *, policy: Policy) -> str:
        return f"{self.name}: {self}{policy.linesep}"


@cache
def _policy() -> "EmailPolicy[EmailMessage]":
    registry = HeaderRegistry()
    registry.map_to_type("list-unsubscribe", _UrlHeader)
    return email_policy.default.clone(header_factory=registry)


def compose_for_sending(notice: EmailNotice, sender: str, links: LinkSigner) -> EmailMessage:
    """``compose``, with an impossible recipient as a permanent delivery failure:
    retrying a notice to an address that cannot exist would never end."""
    try:
        return compose(notice, sender, links)
    except BadAddress as error:
        raise DeliveryFailed(str(error), transient=False) from None


def compose_confirmation_for_sending(
    email: AddressConfirmation, sender: str, links: LinkSigner
) -> EmailMessage:
    """``compose_confirmation``, with an impossible address as a permanent failure."""
    try:
        return compose_confirmation(email, sender, links)
    except BadAddress as error:
        raise DeliveryFailed(str(error), transient=False) from None


def _view(reply: Reply, notice: EmailNotice, links: LinkSigner) -> ItemView:
    web: list[Link] = []
    chat: list[ChatCommand] = []
    for button in reply.buttons:
        url = _button_url(button, notice, links)
        if url is not None:
            web.append(Link(button.label, url))
        else:
            chat.append(ChatCommand(button.label, f"{CHAT_PREFIX} {button.command}"))
    return ItemView(
        title=reply.title,
        text=reply.text,
        tone=reply.tone.value,
        fields=reply.fields,
        items=reply.items,
        block=reply.block,
        footer=reply.footer,
        links=tuple(web),
        commands=tuple(chat),
    )


def _button_url(button: Button, notice: EmailNotice, links: LinkSigner) -> str | None:
    if button.url:
        return button.url
    if button.action == "show" and button.target.isascii() and button.target.isdigit():
        return links.post_url(notice.workspace_id, int(button.target))
    return None


def sender_address(sender: str) -> Address:
    """TRYPOST_MAIL_FROM as an address ("bot@example.com" or "Trypost <bot@…>");
    raise BadAddress, naming the setting, when it is not one."""
    try:
        return _address(sender)
    except BadAddress as bad:
        raise BadAddress(f"TRYPOST_MAIL_FROM: {bad}") from None


def _address(raw: str, *, name: str = "") -> Address:
    """An Address from "x@y" or "Name <x@y>"; refuse anything else, and header
    injection (line breaks) in particular."""
    parsed_name, addr = parseaddr(raw)
    if "@" not in addr or any(c in raw + name for c in "\r\n"):
        raise BadAddress(f"“{raw}” is not an email address")
    try:
        return Address(display_name=_one_line(name or parsed_name), addr_spec=addr)
    except (ValueError, HeaderParseError) as error:
        raise BadAddress(f"“{raw}” is not an email address: {error}") from None


def _one_line(text: str) -> str:
    return " ".join(text.split())
