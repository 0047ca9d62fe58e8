"""The monthly cap holds on every path into a month (issue 8, point 9).

The world's clock stands at 2026-11-25 10:00 UTC; the cap is 2 posts a month.
"""

import pytest

from core.errors import ValidationFailed
from core.usecases import posts as cases
from core.usecases.plan import set_monthly_cap
from core.usecases.posts import NewPost
from tests.unit.conftest import World

FULL = "allows 2 posts a month"
DECEMBER = "2026-12-03 09:00"


async def _fill(world: World, when: str = "in 1 hour") -> None:
    await set_monthly_cap(world.svc, world.owner, 2)
    for i in range(2):
        await cases.schedule_post(world.svc, world.owner, NewPost(f"fill {i}", when=when))


async def test_schedule_into_a_full_month_is_refused(world: World) -> None:
    await _fill(world)
    with pytest.raises(ValidationFailed, match=FULL):
        await cases.schedule_post(world.svc, world.owner, NewPost("more", when="in 2 hours"))


async def test_publish_now_in_a_full_month_is_refused(world: World) -> None:
    await _fill(world)
    with pytest.raises(ValidationFailed, match=FULL):
        await cases.publish_now(world.svc, world.owner, NewPost("now"))


async def test_rescheduling_a_draft_into_a_full_month_is_refused(world: World) -> None:
    draft = await cases.create_draft(world.svc, world.owner, NewPost("draft"))
    await _fill(world)
    with pytest.raises(ValidationFailed, match=FULL):
        await cases.reschedule_post(world.svc, world.owner, draft.number, "in 3 hours")


async def test_moving_a_scheduled_post_into_a_full_month_is_refused(world: World) -> None:
    await set_monthly_cap(world.svc, world.owner, 2)
    december = await cases.schedule_post(world.svc, world.owner, NewPost("dec", when=DECEMBER))
    for i in range(2):
        await cases.schedule_post(world.svc, world.owner, NewPost(f"nov {i}", when="in 1 hour"))
    with pytest.raises(ValidationFailed, match=FULL):
        await cases.reschedule_post(world.svc, world.owner, december.number, "in 2 hours")


async def test_moving_a_post_within_its_own_full_month_is_fine(world: World) -> None:
    await _fill(world)
    await cases.reschedule_post(world.svc, world.owner, 1, "in 5 hours")


async def test_duplicate_then_reschedule_into_a_full_month_is_refused(world: World) -> None:
    await _fill(world)
    copy = await cases.duplicate_post(world.svc, world.owner, 1)
    with pytest.raises(ValidationFailed, match=FULL):
        await cases.reschedule_post(world.svc, world.owner, copy.number, "in 4 hours")
    await cases.reschedule_post(world.svc, world.owner, copy.number, DECEMBER)  # room there
