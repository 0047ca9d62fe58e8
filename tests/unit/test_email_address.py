"""`settings email <address>`: confirmed by a link sent to the new address, before use."""

from datetime import timedelta

import pytest

from bot.commands.dispatch import Context, dispatch
from bot.commands.errors import ParseError
from bot.commands.grammar import parse
from bot.commands.requests import Settings
from core.errors import NotFound, ValidationFailed
from core.events import EventKind
from core.mailbox import normalize_address
from core.notifications.model import Channel, DeliveryStatus
from core.notifications.ports import DeliveryFailed
from core.notifications.types import NoticeType
from core.usecases import members
from core.usecases.context import Actor
from core.usecases.email_address import (
    ConfirmationExpired,
    ConfirmationLink,
    ConfirmationUsed,
    check_email_confirmation,
    confirm_email,
    email_state,
    remove_email,
    request_email_change,
)
from core.workspace import MemberStatus
from tests.unit.conftest import Pipes, World

NEW = "olive@new.example.org"


async def email_of(world: World, actor: Actor) -> str | None:
    async with world.uow() as uow:
        member = await uow.members.get(actor.member_id)
    assert member is not None
    return member.email


def link_of(pipes: Pipes, index: int = -1) -> ConfirmationLink:
    sent = pipes.mail.confirmations[index]
    return ConfirmationLink(sent.request_id, sent.recipient_id, sent.workspace_id, sent.to)


async def someone_joins(world: World, name: str) -> None:
    """A notice for the owner (member_joined, email on by default)."""
    await members.ensure_member(world.svc, world.workspace_id, name)


# --- asking -------------------------------------------------------------------------


async def test_asking_records_an_event_and_sends_the_link_to_the_new_address(
    world: World, pipes: Pipes
) -> None:
    change = await request_email_change(world.svc, world.owner, "Olive@NEW.example.org")
    assert change.address == "Olive@new.example.org" and change.current == "olive@example.test"
    assert change.expires_at == world.clock.now() + timedelta(hours=24)
    [event] = world.events(EventKind.EMAIL_CHANGE_REQUESTED)
    assert event.payload["address"] == "Olive@new.example.org"  # type: ignore[attr-defined]
    assert await email_of(world, world.owner) == "olive@example.test", "not before the link"
    await pipes.flush()
    [sent] = pipes.mail.confirmations
    assert sent.to == "Olive@new.example.org" and sent.recipient_id == world.owner.member_id
    assert sent.expires_at == change.expires_at
    assert pipes.mail.sent == [] and pipes.chat.sent == [], "no notice email, no DM about it"


async def test_until_confirmed_notices_keep_going_to_the_old_address(
    world: World, pipes: Pipes
) -> None:
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    await someone_joins(world, "dana")
    await pipes.flush()
    assert [m.to for m in pipes.mail.sent] == ["olive@example.test"]


async def test_the_link_confirms_once_and_then_notices_go_to_the_new_address(
    world: World, pipes: Pipes
) -> None:
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    link = link_of(pipes)
    opened = await check_email_confirmation(world.svc, link)
    assert opened.address == NEW and await email_of(world, world.owner) == "olive@example.test"
    confirmed = await confirm_email(world.svc, link)
    assert confirmed.member.email == NEW and await email_of(world, world.owner) == NEW
    with pytest.raises(ConfirmationUsed, match="used already"):
        await confirm_email(world.svc, link)
    with pytest.raises(ConfirmationUsed):
        await check_email_confirmation(world.svc, link)
    await someone_joins(world, "dana")
    await pipes.flush()
    assert [m.to for m in pipes.mail.sent] == [NEW]


async def test_a_member_without_an_address_gets_the_link_and_no_email_before(
    world: World, pipes: Pipes
) -> None:
    await remove_email(world.svc, world.owner)
    change = await request_email_change(world.svc, world.owner, NEW)
    assert change.current is None
    await pipes.flush()
    assert [c.to for c in pipes.mail.confirmations] == [NEW]
    await someone_joins(world, "dana")
    await pipes.flush()
    assert pipes.mail.sent == []
    await confirm_email(world.svc, link_of(pipes))
    await someone_joins(world, "erin")
    await pipes.flush()
    assert [m.to for m in pipes.mail.sent] == [NEW]


async def test_a_link_expires_after_a_day_by_the_bots_clock(world: World, pipes: Pipes) -> None:
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    world.clock.advance(timedelta(hours=24, minutes=1))
    with pytest.raises(ConfirmationExpired, match="expired"):
        await check_email_confirmation(world.svc, link_of(pipes))
    with pytest.raises(ConfirmationExpired):
        await confirm_email(world.svc, link_of(pipes))
    assert await email_of(world, world.owner) == "olive@example.test"


async def test_only_the_newest_request_works(world: World, pipes: Pipes) -> None:
    await request_email_change(world.svc, world.owner, "typo@example.org")
    await pipes.flush()
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    old, new = link_of(pipes, 0), link_of(pipes, 1)
    with pytest.raises(ConfirmationUsed, match="replaced"):
        await confirm_email(world.svc, old)
    await confirm_email(world.svc, new)
    assert await email_of(world, world.owner) == NEW


async def test_a_newer_request_not_yet_mailed_still_replaces_the_older_link(
    world: World, pipes: Pipes
) -> None:
    await request_email_change(world.svc, world.owner, "typo@example.org")
    await pipes.flush()
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.projector.run_once()  # the newer request exists, its email not sent yet
    with pytest.raises(ConfirmationUsed):
        await confirm_email(world.svc, link_of(pipes, 0))


async def test_email_off_removes_the_address_and_withdraws_a_waiting_link(
    world: World, pipes: Pipes
) -> None:
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    assert await remove_email(world.svc, world.owner) == "olive@example.test"
    assert await email_of(world, world.owner) is None
    with pytest.raises(ConfirmationUsed):
        await confirm_email(world.svc, link_of(pipes))


async def test_a_request_withdrawn_before_its_email_went_out_is_not_sent(
    world: World, pipes: Pipes
) -> None:
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.projector.run_once()
    await remove_email(world.svc, world.owner)
    await pipes.outbox.dispatch_due()
    assert pipes.mail.confirmations == []
    [delivery] = world.uow.store.deliveries.values()
    assert delivery.status is DeliveryStatus.FAILED and "settled" in (delivery.last_error or "")


async def test_the_confirmation_survives_a_mail_server_that_is_down(
    world: World, pipes: Pipes
) -> None:
    await request_email_change(world.svc, world.owner, NEW)
    pipes.mail.failures.append(DeliveryFailed("SMTP server unreachable"))
    await pipes.flush()
    assert pipes.mail.confirmations == []
    [delivery] = world.uow.store.deliveries.values()
    assert delivery.status is DeliveryStatus.PENDING and delivery.channel is Channel.EMAIL
    world.clock.advance(timedelta(minutes=1))
    await pipes.flush()
    [sent] = pipes.mail.confirmations
    assert sent.key == delivery.key, "the same Message-ID on every try"
    await pipes.flush()
    assert len(pipes.mail.confirmations) == 1, "never twice"


async def test_the_confirmation_ignores_email_preferences_and_the_digest(
    world: World, pipes: Pipes
) -> None:
    await dispatch(parse("settings notifications email off"), Context(world.svc, world.owner))
    await dispatch(parse("settings notifications digest 8"), Context(world.svc, world.owner))
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    assert [c.to for c in pipes.mail.confirmations] == [NEW]


async def test_the_link_needs_a_current_active_member_of_that_workspace(
    world: World, pipes: Pipes
) -> None:
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    link = link_of(pipes)
    other = ConfirmationLink(link.request_id, link.member_id + 100, link.workspace_id, NEW)
    with pytest.raises(NotFound):
        await confirm_email(world.svc, other)
    async with world.uow() as uow:
        member = await uow.members.get(link.member_id)
        assert member is not None
        member.status = MemberStatus.INVITED
        await uow.members.update(member)
        await uow.commit()
    with pytest.raises(NotFound, match="no longer a member"):
        await confirm_email(world.svc, link)


async def test_saying_the_current_address_sends_nothing(world: World, pipes: Pipes) -> None:
    change = await request_email_change(world.svc, world.owner, "olive@EXAMPLE.test")
    assert change.unchanged
    assert world.events(EventKind.EMAIL_CHANGE_REQUESTED) == []


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("olive", "is not an email address"),
        ("olive@localhost", "does not end in a domain name"),
        ("ol ive@example.org", "is not an email address"),
        ("a@b@example.org", "is not an email address"),
        ("ol..ive@example.org", "name before the @"),
        ('"olive"@example.org', "name before the @"),
        ("olive@10.0.0.1", "not a domain"),
        ("olive@-bad.example", "does not end in a domain name"),
        ("x" * 65 + "@example.org", "name before the @"),
    ],
)
async def test_a_malformed_address_is_refused_in_words(world: World, typed: str, said: str) -> None:
    with pytest.raises(ValidationFailed, match=said):
        await request_email_change(world.svc, world.owner, typed)
    assert world.events(EventKind.EMAIL_CHANGE_REQUESTED) == []


def test_addresses_keep_one_spelling() -> None:
    assert normalize_address(" Ann.Lee+news@Example.ORG ") == "Ann.Lee+news@example.org"
    assert normalize_address("ann@bücher.example") == "ann@xn--bcher-kva.example"
    assert normalize_address("ann@example.org.") == "ann@example.org"


# --- the command --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "email"),
    [
        ("settings email ann@example.org", "ann@example.org"),
        ("settings email off", "off"),
        ("settings email NONE", "off"),
        ("settings email <mailto:ann@example.org|ann@example.org>", "ann@example.org"),
        ("settings email mailto:ann@example.org", "ann@example.org"),
    ],
)
def test_the_grammar_reads_an_address_or_off(line: str, email: str) -> None:
    assert parse(line) == Settings(email=email)


def test_the_grammar_asks_for_the_address() -> None:
    with pytest.raises(ParseError, match="needs an email address or `off`"):
        parse("settings email")


async def test_the_reply_says_where_the_link_went_and_where_email_goes_meanwhile(
    world: World, pipes: Pipes
) -> None:
    ctx = Context(world.svc, world.owner)
    reply = await dispatch(parse(f"settings email {NEW}"), ctx)
    assert reply.text is not None
    assert reply.text.startswith(f"I sent a confirmation link to {NEW};")
    assert "Until then email keeps going to olive@example.test" in reply.text
    await pipes.flush()  # the request is read from its inbox notice, made by the projector
    shown = await dispatch(parse("settings"), ctx)
    email = next(f.value for f in shown.fields if f.name == "Email")
    assert email.startswith(f"olive@example.test ({NEW} waits for its confirmation link")
    await confirm_email(world.svc, link_of(pipes))
    shown = await dispatch(parse("settings"), ctx)
    assert next(f.value for f in shown.fields if f.name == "Email") == NEW


async def test_a_bad_address_is_one_sentence_in_chat(world: World) -> None:
    reply = await dispatch(parse("settings email nope"), Context(world.svc, world.owner))
    assert reply.text == "“nope” is not an email address; say it like `you@example.org`."


async def test_email_off_says_what_is_left(world: World, pipes: Pipes) -> None:
    reply = await dispatch(parse("settings email off"), Context(world.svc, world.owner))
    assert reply.text == (
        "I removed olive@example.test: notices reach you in chat and in your inbox only."
    )
    state = await email_state(world.svc, world.owner)
    assert state.current is None and state.pending is None


async def test_the_request_is_in_the_inbox(world: World, pipes: Pipes) -> None:
    await request_email_change(world.svc, world.owner, NEW)
    await pipes.flush()
    [notice] = [
        n for n in world.uow.store.notifications.values()
        if n.type is NoticeType.EMAIL_CONFIRMATION
    ]  # fmt: skip
    box = await dispatch(parse("inbox"), Context(world.svc, world.owner))
    assert any(f"Confirm {NEW}" in item for item in box.items), box
    assert notice.recipient_id == world.owner.member_id
