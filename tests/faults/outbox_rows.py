"""What the outbox holds for a member, read back from the database the bot writes."""

from core.notifications.model import Channel, Delivery
from core.notifications.ports import InboxFilter
from storage.uow import SqlUnitOfWorkFactory


async def deliveries_of(
    uow_factory: SqlUnitOfWorkFactory, member_id: int, channel: Channel
) -> list[Delivery]:
    """Every delivery of ``channel`` of the member's notices, oldest notice first."""
    async with uow_factory() as uow:
        notices = await uow.notifications.inbox(member_id, InboxFilter(limit=1000))
        found = [d for n in notices for d in await uow.deliveries.of_notification(n.id)]
    return sorted((d for d in found if d.channel is channel), key=lambda d: d.notification_id)
