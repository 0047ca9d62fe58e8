"""Whatever a person types, the dispatcher answers in words and never crashes."""

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.commands.dispatch import Context, dispatch
from bot.commands.errors import ParseError
from bot.commands.grammar import VERBS, parse
from core.messages import Reply
from tests.unit.conftest import make_world

WORDS = st.sampled_from(
    [*VERBS, "at", "on", "label", "with", "1", "2", "#1", "99", "all", "main", "masto",
     "tomorrow", "9am", "yesterday", '"hi"', "'x'", "“quoted”", "confirm", "sandbox",
     "week", "month", "day", "launch", "fail", "UTC", "Europe/Paris", "-1", "0"]
)  # fmt: skip
LINES = st.one_of(
    st.text(max_size=80),
    st.lists(WORDS, min_size=1, max_size=8).map(" ".join),
)


async def answer(lines: list[str]) -> list[Reply]:
    world = await make_world()
    ctx = Context(world.svc, world.owner)
    replies = []
    for line in ['draft "seed"', 'now "published seed"', *lines]:
        try:
            request = parse(line)
        except ParseError:
            continue
        replies.append(await dispatch(request, ctx))
    return replies


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, min_size=1, max_size=4))
def test_no_text_makes_the_dispatcher_fail_inside(lines: list[str]) -> None:
    for reply in asyncio.run(answer(lines)):
        assert "went wrong on my side" not in (reply.text or ""), reply


async def test_a_refused_invitation_creates_nobody() -> None:
    from core.roles import Role

    world = await make_world()
    viewer = await world.member("vic", Role.VIEWER)
    reply = await dispatch(parse("members invite @mallory owner"), Context(world.svc, viewer))
    assert "cannot manage members" in (reply.text or "")
    async with world.uow() as uow:
        assert await uow.members.by_name(world.workspace_id, "mallory") is None
    ok = await dispatch(parse("members invite @mallory editor"), Context(world.svc, world.owner))
    assert "Invited @mallory as editor" in (ok.text or "")
    again = await dispatch(parse("members invite @mallory admin"), Context(world.svc, world.owner))
    assert "already invited as editor" in (again.text or "")
