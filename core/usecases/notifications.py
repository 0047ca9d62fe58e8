"""Use cases of the inbox and of notification preferences."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from core.errors import NotFound, ValidationFailed
from core.notifications.model import EmailMode, Notification, Preferences
from core.notifications.ports import InboxFilter, InboxStatus
from core.notifications.types import TYPES, Category, NoticeType, chosen_types, types_named
from core.ports import UnitOfWork
from core.roles import Action
from core.timeparse import parse_moment
from core.usecases.context import Actor, Services, load_actor


@dataclass(frozen=True)
class Inbox:
    notifications: list[Notification]
    unread: int
    timezone: str


async def inbox(
    svc: Services,
    actor: Actor,
    status: InboxStatus | None = None,
    category: str | None = None,
    since: str | None = None,
) -> Inbox:
    async with svc.uow() as uow:
        workspace, member = await load_actor(uow, actor, Action.READ)
        zone = member.zone(workspace)
        query = InboxFilter(
            status=status,
            category=_category(category) if category else None,
            since=parse_moment(since, zone, svc.clock.now()) if since else None,
        )
        found = await uow.notifications.inbox(member.id, query)
        unread = await uow.notifications.unread_count(member.id)
    return Inbox(found, unread, zone)


async def unread_count(svc: Services, actor: Actor) -> int:
    async with svc.uow() as uow:
        return await uow.notifications.unread_count(actor.member_id)


async def mark_read(svc: Services, actor: Actor, target: int | Literal["all"]) -> int:
    """Mark one notification (or all) read; return how many changed."""
    return await _set(svc, actor, target, archive=False)


async def archive(svc: Services, actor: Actor, target: int | Literal["all"]) -> int:
    return await _set(svc, actor, target, archive=True)


async def notification(svc: Services, actor: Actor, number: int) -> Notification:
    async with svc.uow() as uow:
        return await _own(uow, actor, number)


async def _own(uow: UnitOfWork, actor: Actor, number: int) -> Notification:
    """A notification of the actor's; anyone else's does not exist for them."""
    found = await uow.notifications.get(number)
    if found is None or found.recipient_id != actor.member_id:
        raise NotFound(f"You have no notification {number}; `inbox` lists them.")
    return found


async def _set(svc: Services, actor: Actor, target: int | Literal["all"], *, archive: bool) -> int:
    now = svc.clock.now()
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.READ)
        if target == "all":
            changed = await (
                uow.notifications.archive_all(actor.member_id, now)
                if archive
                else uow.notifications.mark_all_read(actor.member_id, now)
            )
        else:
            found = await _own(uow, actor, target)
            if archive:
                found.archived_at = found.archived_at or now
            found.read_at = found.read_at or now
            await uow.notifications.update(found)
            changed = 1
        await uow.commit()
    return changed


def _category(word: str) -> Category:
    try:
        return Category(word.lower())
    except ValueError:
        names = ", ".join(c.value for c in Category)
        raise ValidationFailed(f"“{word}” is not a category; categories are {names}.") from None


# --- preferences -------------------------------------------------------------------


async def preferences(svc: Services, actor: Actor) -> Preferences:
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.READ)
        return await uow.preferences.get(actor.member_id)


@dataclass(frozen=True)
class PreferenceChange:
    """One change a member asks for; exactly one field is set."""

    channel: Literal["chat", "email"] | None = None
    enabled: bool | None = None
    topics: Sequence[str] = ()
    email_mode: EmailMode | None = None
    digest_hour: int | None = None
    email_only_when_away: bool | None = None


async def change_preferences(svc: Services, actor: Actor, change: PreferenceChange) -> Preferences:
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.READ)
        prefs = await uow.preferences.get(actor.member_id)
        if change.channel is not None and change.enabled is not None:
            for notice in _topics(change.topics):
                target = prefs.chat if change.channel == "chat" else prefs.email
                target[notice] = change.enabled
        if change.email_mode is not None:
            prefs.email_mode = change.email_mode
        if change.digest_hour is not None:
            if not 0 <= change.digest_hour <= 23:
                raise ValidationFailed("A digest hour is between 0 and 23.")
            prefs.digest_hour = change.digest_hour
        if change.email_only_when_away is not None:
            prefs.email_only_when_away = change.email_only_when_away
        await uow.preferences.save(prefs)
        await uow.commit()
    return prefs


async def unsubscribe(
    svc: Services, member_id: int, categories: Sequence[Category] | None
) -> Preferences:
    """Email off for these categories (None: every type). Called from a signed link,
    which is the member's authority: no role applies."""
    async with svc.uow() as uow:
        if await uow.members.get(member_id) is None:
            raise NotFound("This unsubscribe link is for a member who no longer exists.")
        prefs = await uow.preferences.get(member_id)
        chosen = set(categories) if categories is not None else set(Category)
        for notice, spec in TYPES.items():
            if spec.category in chosen:
                prefs.email[notice] = False
        await uow.preferences.save(prefs)
        await uow.commit()
    return prefs


def _topics(words: Sequence[str]) -> list[NoticeType]:
    if not words or list(words) == ["all"]:
        return chosen_types()
    found: list[NoticeType] = []
    for word in words:
        named = types_named(word)
        if not named:
            raise ValidationFailed(
                f"“{word}” is neither a notification type nor a category; try "
                "publishing, system, approval, comments, team or post_failed."
            )
        found += named
    return found
