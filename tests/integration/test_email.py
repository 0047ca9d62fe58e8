"""Email out: a real SMTP conversation with an aiosmtpd sink, and the .eml folder."""

import email
import email.policy
import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.email.compose import compose, compose_for_sending
from bot.email.factory import build_mailer
from bot.email.files import FileMailer
from bot.email.links import BadLink, LinkSigner
from bot.email.smtp import BadSmtpUrl, SmtpMailer, SmtpTarget
from core.messages import Button, Field, Reply, Tone
from core.notifications.ports import DeliveryFailed, EmailNotice
from core.notifications.types import Category

HOST = "127.0.0.1"
SECRET = "integration-secret-key-do-not-leak"
PASSWORD = "hunter2-smtp-password"
PUBLIC_URL = "https://trypost.example.com"
SENDER = "Trypost <bot@mail.example.com>"


class RecordingHandler:
    """An SMTP sink: records each envelope, or answers RCPT with ``refuse``."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.envelopes: list[Envelope] = []

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.refuse:
            return self.refuse
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _sink(handler: RecordingHandler) -> Iterator[Controller]:
    controller = Controller(handler, hostname=HOST, port=_free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def sink() -> Iterator[tuple[Controller, RecordingHandler]]:
    handler = RecordingHandler()
    with _sink(handler) as controller:
        yield controller, handler


@pytest.fixture
def refusing_sink(request: pytest.FixtureRequest) -> Iterator[Controller]:
    with _sink(RecordingHandler(refuse=request.param)) as controller:
        yield controller


@pytest.fixture
def links() -> LinkSigner:
    return LinkSigner(SECRET, PUBLIC_URL + "/")


def _failed_post_notice(key: str = "trypost-delivery-41") -> EmailNotice:
    reply = Reply(
        title="❌ Post 4 failed",
        text="“Spring <sale> & more”",
        tone=Tone.ERROR,
        fields=(Field("Scheduled", "2026-03-01 09:00 UTC"),),
        items=("❌ x: text over 280 characters",),
        buttons=(
            Button("Retry", "retry", "4"),
            Button("Open post", "show", "4"),
            Button("Status page", "open", url="https://status.example.com/?a=1&b=2"),
        ),
    )
    return EmailNotice(
        key=key,
        to="ann@example.com",
        recipient_name="Ann",
        recipient_id=7,
        workspace_id=3,
        subject="Post 4 failed",
        items=[reply],
        categories=[Category.PUBLISHING],
    )


def _parse(raw: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None
    assert html is not None
    return str(text.get_content()), str(html.get_content())


# --- SMTP --------------------------------------------------------------------------


async def test_smtp_mailer_delivers_a_notice_with_both_parts_and_one_click_unsubscribe(
    sink: tuple[Controller, RecordingHandler], links: LinkSigner
) -> None:
    controller, handler = sink
    mailer = SmtpMailer(f"smtp://{HOST}:{controller.port}", SENDER, links)

    await mailer.send(_failed_post_notice())

    [envelope] = handler.envelopes
    assert envelope.mail_from == "bot@mail.example.com"
    assert envelope.rcpt_tos == ["ann@example.com"]
    raw = envelope.content
    assert isinstance(raw, bytes)
    message = _parse(raw)
    assert message["Message-ID"] == "<trypost-delivery-41@mail.example.com>"
    assert message["To"] == "Ann <ann@example.com>"
    assert message["Subject"] == "Post 4 failed"
    assert message["Date"]
    assert message.get_content_type() == "multipart/alternative"

    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{PUBLIC_URL}/unsubscribe/")
    assert unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = unsubscribe[1:-1].rsplit("/", 1)[1]
    asked = links.read_unsubscribe_token(token)
    assert (asked.member_id, asked.categories) == (7, (Category.PUBLISHING,))

    text, html = _parts(message)
    for part in (text, html):
        assert "Post 4 failed" in part
        assert _post_links(links, part) == [(3, 4)]
        assert "/trypost retry 4" in part
        assert unsubscribe[1:-1] in part
        assert links.unsubscribe_url(7, None) in part
    assert "Spring <sale> & more" in text
    assert "Spring &lt;sale&gt; &amp; more" in html
    assert 'href="https://status.example.com/?a=1&amp;b=2"' in html
    assert SECRET.encode() not in raw


async def test_smtp_server_down_is_a_transient_failure(links: LinkSigner) -> None:
    mailer = SmtpMailer(f"smtp://{HOST}:{_free_port()}", SENDER, links, timeout=5)

    with pytest.raises(DeliveryFailed) as failed:
        await mailer.send(_failed_post_notice())

    assert failed.value.transient


@pytest.mark.parametrize("refusing_sink", ["550 5.1.1 No such mailbox here"], indirect=True)
async def test_recipient_refused_with_550_is_permanent_with_the_servers_reason(
    refusing_sink: Controller, links: LinkSigner
) -> None:
    mailer = SmtpMailer(f"smtp://{HOST}:{refusing_sink.port}", SENDER, links)

    with pytest.raises(DeliveryFailed) as failed:
        await mailer.send(_failed_post_notice())

    assert not failed.value.transient
    assert "550" in failed.value.reason
    assert "No such mailbox here" in failed.value.reason


@pytest.mark.parametrize("refusing_sink", ["451 4.3.0 Try again later"], indirect=True)
async def test_recipient_deferred_with_4xx_is_transient(
    refusing_sink: Controller, links: LinkSigner
) -> None:
    mailer = SmtpMailer(f"smtp://{HOST}:{refusing_sink.port}", SENDER, links)

    with pytest.raises(DeliveryFailed) as failed:
        await mailer.send(_failed_post_notice())

    assert failed.value.transient
    assert "451" in failed.value.reason


async def test_smtp_password_never_appears_in_errors_or_logs(
    sink: tuple[Controller, RecordingHandler],
    links: LinkSigner,
    caplog: pytest.LogCaptureFixture,
) -> None:
    controller, _ = sink
    # The sink offers no AUTH over plain text: the login fails, and must not leak.
    url = f"smtp://bot%40example.com:{PASSWORD}@{HOST}:{controller.port}"
    mailer = SmtpMailer(url, SENDER, links)
    caplog.set_level(logging.DEBUG)

    with pytest.raises(DeliveryFailed) as failed:
        await mailer.send(_failed_post_notice())

    assert failed.value.transient
    assert "AUTH" in failed.value.reason
    assert PASSWORD not in failed.value.reason
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(mailer.target)
    assert PASSWORD not in str(mailer.target)


def test_smtp_url_sets_tls_mode_default_ports_and_decoded_credentials() -> None:
    plain = SmtpTarget.from_url("smtp://user%40example.com:p%3Ass@mail.example.com")
    implicit = SmtpTarget.from_url("smtps://mail.example.com")
    custom = SmtpTarget.from_url("smtp://mail.example.com:2525")

    assert (plain.port, plain.implicit_tls) == (587, False)
    assert (plain.username, plain.password) == ("user@example.com", "p:ss")
    assert (implicit.port, implicit.implicit_tls, implicit.username) == (465, True, None)
    assert custom.port == 2525


@pytest.mark.parametrize(
    "url", ["http://mail.example.com", "smtp://", f"smtp://u:{PASSWORD}@host:notaport"]
)
def test_unusable_smtp_url_is_refused_without_repeating_the_password(url: str) -> None:
    with pytest.raises(BadSmtpUrl) as refused:
        SmtpTarget.from_url(url)

    assert PASSWORD not in str(refused.value)


# --- .eml files --------------------------------------------------------------------


async def test_file_mailer_writes_one_eml_per_key_and_a_resend_replaces_it(
    tmp_path: Path, links: LinkSigner
) -> None:
    mailer = FileMailer(tmp_path / "outbox", SENDER, links)

    await mailer.send(_failed_post_notice("trypost-delivery-1"))
    await mailer.send(_failed_post_notice("trypost-delivery-1"))
    await mailer.send(_failed_post_notice("trypost-delivery-2"))

    files = sorted(p.name for p in (tmp_path / "outbox").iterdir())
    assert files == ["trypost-delivery-1.eml", "trypost-delivery-2.eml"]
    message = _parse((tmp_path / "outbox" / "trypost-delivery-1.eml").read_bytes())
    assert message["Message-ID"] == "<trypost-delivery-1@mail.example.com>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


async def test_file_mailer_keeps_a_hostile_key_inside_its_folder(
    tmp_path: Path, links: LinkSigner
) -> None:
    mailer = FileMailer(tmp_path / "outbox", SENDER, links)

    await mailer.send(_failed_post_notice("../../escape"))

    assert [p.parent for p in tmp_path.rglob("*.eml")] == [tmp_path / "outbox"]


async def test_unwritable_outbox_folder_is_a_transient_failure(
    tmp_path: Path, links: LinkSigner
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    mailer = FileMailer(blocker, SENDER, links)

    with pytest.raises(DeliveryFailed) as failed:
        await mailer.send(_failed_post_notice())

    assert failed.value.transient


def test_mailer_is_smtp_when_a_server_is_set_and_files_otherwise(
    tmp_path: Path, links: LinkSigner
) -> None:
    assert isinstance(build_mailer("smtp://mail.example.com", SENDER, tmp_path, links), SmtpMailer)
    assert isinstance(build_mailer(None, SENDER, tmp_path, links), FileMailer)
    with pytest.raises(ValueError, match="not an email address"):
        build_mailer(None, "nobody", tmp_path, links)


# --- composing ---------------------------------------------------------------------


def test_digest_lists_every_item_under_one_heading(links: LinkSigner) -> None:
    items = [
        Reply(title=f"✅ Post {n} published", buttons=(Button("Open post", "show", str(n)),))
        for n in (11, 12, 13)
    ]
    notice = EmailNotice(
        key="trypost-digest-7-2026-03-01",
        to="ann@example.com",
        recipient_name="Ann",
        recipient_id=7,
        workspace_id=3,
        subject="Your trypost digest: 3 notice(s)",
        items=items,
        categories=[Category.PUBLISHING, Category.TEAM],
        digest=True,
    )

    text, html = _parts(compose(notice, SENDER, links))

    for part in (text, html):
        assert part.count("Your trypost digest: 3 notice(s)") >= 1
        for n in (11, 12, 13):
            assert f"Post {n} published" in part
        assert sorted(set(_post_links(links, part))) == [(3, 11), (3, 12), (3, 13)]
    assert html.count("<h2") == 3
    assert "publishing, team" in text


def test_message_id_is_the_same_for_every_retry_of_a_notice(links: LinkSigner) -> None:
    first = compose(_failed_post_notice(), SENDER, links)
    again = compose(_failed_post_notice(), SENDER, links)

    assert first["Message-ID"] == again["Message-ID"] == "<trypost-delivery-41@mail.example.com>"


def test_address_with_a_line_break_is_a_permanent_failure(links: LinkSigner) -> None:
    notice = _failed_post_notice()
    hostile = replace(notice, to="ann@example.com\r\nBcc: eve@evil.test")

    with pytest.raises(DeliveryFailed) as failed:
        compose_for_sending(hostile, SENDER, links)

    assert not failed.value.transient


# --- signed links ------------------------------------------------------------------


def test_links_round_trip_and_refuse_forgery_and_the_wrong_kind(links: LinkSigner) -> None:
    unsubscribe = links.unsubscribe_token(7, [Category.SYSTEM, Category.PUBLISHING])
    everything = links.unsubscribe_token(7, None)
    post = links.post_token(3, 4)

    assert links.read_unsubscribe_token(unsubscribe).categories == (
        Category.PUBLISHING,
        Category.SYSTEM,
    )
    assert links.read_unsubscribe_token(everything).categories is None
    assert (links.read_post_token(post).workspace_id, links.read_post_token(post).number) == (3, 4)
    for bad in (unsubscribe[:-2] + "xx", post, "garbage"):
        with pytest.raises(BadLink):
            links.read_unsubscribe_token(bad)
    with pytest.raises(BadLink):
        LinkSigner("another secret", PUBLIC_URL).read_post_token(post)
    with pytest.raises(BadLink):
        links.read_post_token(unsubscribe)


def test_a_post_link_expires_after_its_days(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as clock

    from bot.email.links import POST_LINK_DAYS

    links = LinkSigner(SECRET, PUBLIC_URL)
    token = links.post_token(3, 7)
    assert links.read_post_token(token).number == 7
    later = clock.time() + POST_LINK_DAYS * 86400 + 60
    monkeypatch.setattr(clock, "time", lambda: later)
    with pytest.raises(BadLink, match="expired"):
        links.read_post_token(token)


def _post_links(links: LinkSigner, part: str) -> list[tuple[int, int]]:
    """The posts a part links to; tokens carry a timestamp, so read them back."""
    import re

    found = re.findall(re.escape(PUBLIC_URL) + r"/posts/([A-Za-z0-9_.\-]+)", part)
    return [(ref.workspace_id, ref.number) for ref in map(links.read_post_token, found)]
