"""Keeping a post's media: by content hash, within the workspace's quota.

Owners hear of it at 80 % and at 95 % (once each, as the line is crossed); past 100 %
a new file is refused with the numbers, and nothing is written.
"""

from core.errors import ValidationFailed
from core.events import DomainEvent, EventKind
from core.media import MediaRef, StoredMedia
from core.roles import Action
from core.usecases.context import Actor, Services, load_actor

WARN_AT = (80, 95)


async def store_media(svc: Services, actor: Actor, source: str, data: bytes, alt: str = "") -> str:
    """Keep the bytes for the workspace and return the post's media item for them."""
    files = svc.media_files
    if files is None:
        raise ValidationFailed("This bot keeps no media; give a link instead.")
    facts = await files.inspect(data)
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.WRITE_POST)
        known = await uow.media.by_hashes(actor.workspace_id, [facts.sha256])
        if not known:
            used = await uow.media.usage(actor.workspace_id)
            after = used + facts.size
            if after > svc.media_quota:
                raise ValidationFailed(
                    f"The workspace's media storage is full: {_mb(used)} of {_mb(svc.media_quota)}"
                    f" used, and this file needs {_mb(facts.size)}. Remove old posts' media or "
                    "ask the operator for a larger TRYPOST_MEDIA_QUOTA_MB."
                )
            await files.write(facts, data)
            await uow.media.add(
                StoredMedia(
                    actor.workspace_id,
                    facts.sha256,
                    facts.content_type,
                    facts.size,
                    facts.width,
                    facts.height,
                )
            )
            for line in _crossed(used, after, svc.media_quota):
                await uow.events.add(
                    DomainEvent(
                        EventKind.STORAGE_LIMIT,
                        actor.workspace_id,
                        svc.clock.now(),
                        payload={"percent": line, "used": after, "quota": svc.media_quota},
                    )
                )
            await uow.commit()
    return str(MediaRef(facts.sha256, source, alt.strip()))


def _crossed(before: int, after: int, quota: int) -> list[int]:
    return [line for line in WARN_AT if before * 100 < line * quota <= after * 100]


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"
