"""A member's own email address: ask for a new one, confirm it by a link, or drop it.

Discord and the console know no address, and Slack's may not be the one wanted, so
members set their own (``settings email <address>``). The address on file
(``Member.email``, where every notice email goes) changes only when the link sent to the
new address is opened and its button pressed: nobody routes their notices to a mailbox
they cannot read, and a typo costs nothing.

Asking records an ``EMAIL_CHANGE_REQUESTED`` event in the same transaction; the
projector turns it into an inbox notice (``email_confirmation``) whose one delivery is
the confirmation email to the new address, so the outbox sends it, retries it and never
sends it twice. That notice *is* the request: the link names it, and its payload keeps
when the link expires and whether it was used or withdrawn. Surfaces call these
functions with an ``Actor``; the web page calls the two link functions with what the
signed link says (the signature is the authority, as for unsubscribe links).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.errors import Conflict, NotFound, ValidationFailed
from core.events import DomainEvent, EventKind
from core.mailbox import normalize_address
from core.notifications.model import Notification
from core.notifications.ports import InboxFilter, InboxStatus
from core.notifications.types import Category, NoticeType
from core.ports import UnitOfWork
from core.roles import Action
from core.timeparse import show_time
from core.usecases.context import Actor, Services, load_actor
from core.workspace import Member, Workspace

CONFIRMATION_LASTS = timedelta(hours=24)
# How many of a member's newest system notices are read to find their requests.
REQUESTS_READ = 200


class ConfirmationExpired(ValidationFailed):
    """The link's time ran out; a new ``settings email`` sends a new one."""


class ConfirmationUsed(Conflict):
    """The link was used already, or a later request (or ``settings email off``)
    replaced it."""


@dataclass(frozen=True)
class EmailChange:
    """What ``settings email <address>`` did."""

    address: str
    # The address email keeps going to until the new one is confirmed.
    current: str | None
    expires_at: datetime
    timezone: str
    # The address was already the one on file: nothing to confirm, no email sent.
    unchanged: bool = False


@dataclass(frozen=True)
class ConfirmationLink:
    """What a signed confirmation link names."""

    request_id: int
    member_id: int
    workspace_id: int
    address: str


@dataclass(frozen=True)
class OpenRequest:
    """A confirmation that may still be confirmed: what the page shows."""

    member: Member
    workspace: Workspace
    address: str
    expires_at: datetime

    @property
    def timezone(self) -> str:
        return self.member.zone(self.workspace)


@dataclass(frozen=True)
class EmailState:
    """The address on file, and a change waiting for its link, if any."""

    current: str | None
    pending: str | None
    pending_until: datetime | None
    timezone: str


async def request_email_change(svc: Services, actor: Actor, address: str) -> EmailChange:
    """Ask to use ``address``: ValidationFailed when it is not one; otherwise the
    confirmation email is on its way (an event, so a crash cannot lose it). Any earlier
    request still waiting is withdrawn: only the newest link works."""
    new = normalize_address(address)
    now = svc.clock.now()
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.READ)
        zone = member.zone(workspace)
        await _withdraw_pending(uow, member.id, now)
        if member.email is not None and member.email.lower() == new.lower():
            await uow.commit()
            return EmailChange(new, member.email, now, zone, unchanged=True)
        expires = now + CONFIRMATION_LASTS
        await uow.events.add(
            DomainEvent(
                EventKind.EMAIL_CHANGE_REQUESTED,
                workspace.id,
                now,
                payload={
                    "member_id": member.id,
                    "address": new,
                    "expires_at": expires.isoformat(),
                },
            )
        )
        await uow.commit()
    return EmailChange(new, member.email, expires, zone)


async def remove_email(svc: Services, actor: Actor) -> str | None:
    """No address any more (no confirmation needed to receive less); return the one
    removed. A change still waiting for its link is withdrawn too."""
    async with svc.uow() as uow:
        _, member = await load_actor(uow, actor, Action.READ)
        removed, member.email = member.email, None
        await uow.members.update(member)
        await _withdraw_pending(uow, member.id, svc.clock.now())
        await uow.commit()
    return removed


async def check_email_confirmation(svc: Services, link: ConfirmationLink) -> OpenRequest:
    """Whether the link can still confirm, changing nothing (the page's GET): raise
    NotFound, ConfirmationUsed or ConfirmationExpired in words."""
    async with svc.uow() as uow:
        _, opened = await _open(uow, link, svc.clock.now())
    return opened


async def confirm_email(svc: Services, link: ConfirmationLink) -> OpenRequest:
    """Make the link's address the member's (the page's POST), once: the member must
    still be an active member of that workspace and the link the newest, unexpired one."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        request, opened = await _open(uow, link, now)
        member = opened.member
        member.email = opened.address
        await uow.members.update(member)
        request.payload = {**request.payload, "confirmed_at": now.isoformat()}
        request.read_at = request.read_at or now
        await uow.notifications.update(request)
        await uow.commit()
    return opened


async def email_state(svc: Services, actor: Actor) -> EmailState:
    """The address on file and any change waiting for confirmation (read from the
    member's inbox: the newest request notice says)."""
    now = svc.clock.now()
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.READ)
        requests = await _requests(uow, member.id)
    zone = member.zone(workspace)
    newest = requests[0] if requests else None
    if newest is None or not _waiting(newest, now):
        return EmailState(member.email, None, None, zone)
    address = str(newest.payload.get("address"))
    if member.email is not None and address.lower() == member.email.lower():
        return EmailState(member.email, None, None, zone)
    return EmailState(member.email, address, _expiry(newest), zone)


async def _open(
    uow: UnitOfWork, link: ConfirmationLink, now: datetime
) -> tuple[Notification, OpenRequest]:
    request = await uow.notifications.get(link.request_id)
    if (
        request is None
        or request.type is not NoticeType.EMAIL_CONFIRMATION
        or request.recipient_id != link.member_id
        or request.workspace_id != link.workspace_id
        or request.payload.get("address") != link.address
    ):
        raise NotFound(
            "This confirmation link is not for a request I know; ask again in chat with "
            "`settings email <address>`."
        )
    found = await uow.members.with_workspace(link.member_id)
    if found is None or found[1].id != link.workspace_id or not found[0].active:
        raise NotFound("This link is for someone who is no longer a member of that workspace.")
    member, workspace = found
    zone = member.zone(workspace)
    confirmed = request.payload.get("confirmed_at")
    if confirmed:
        at = show_time(datetime.fromisoformat(str(confirmed)), zone)
        raise ConfirmationUsed(f"This link was used already, at {at}: nothing changed now.")
    newer = [r for r in await _requests(uow, member.id) if r.id > request.id]
    if request.payload.get("withdrawn_at") or newer:
        raise ConfirmationUsed(
            "This link was replaced: a later `settings email` asked for another address "
            "(or none). Only the newest link works."
        )
    expires = _expiry(request)
    if now > expires:
        raise ConfirmationExpired(
            f"This link expired at {show_time(expires, zone)}. Say `settings email "
            f"{link.address}` in chat for a new one."
        )
    return request, OpenRequest(member, workspace, link.address, expires)


async def _requests(uow: UnitOfWork, member_id: int) -> list[Notification]:
    """The member's confirmation requests, newest first, archived or not."""
    found: list[Notification] = []
    statuses: tuple[InboxStatus | None, ...] = (None, "archived")
    for status in statuses:
        query = InboxFilter(status=status, category=Category.SYSTEM, limit=REQUESTS_READ)
        found += await uow.notifications.inbox(member_id, query)
    requests = [n for n in found if n.type is NoticeType.EMAIL_CONFIRMATION]
    return sorted(requests, key=lambda n: n.id, reverse=True)


async def _withdraw_pending(uow: UnitOfWork, member_id: int, now: datetime) -> None:
    for request in await _requests(uow, member_id):
        if _waiting(request, now):
            request.payload = {**request.payload, "withdrawn_at": now.isoformat()}
            await uow.notifications.update(request)


def _waiting(request: Notification, now: datetime) -> bool:
    p = request.payload
    return not p.get("confirmed_at") and not p.get("withdrawn_at") and now <= _expiry(request)


def _expiry(request: Notification) -> datetime:
    stored = request.payload.get("expires_at")
    if stored:
        return datetime.fromisoformat(str(stored))
    return request.created_at + CONFIRMATION_LASTS
