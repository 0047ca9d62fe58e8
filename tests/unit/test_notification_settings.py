"""`settings notifications` says, per type, what chat and email will do (issue 8, point 7).

Each type is listed under its category with its chat and email state, never a per-category
"partly"; then the email mode, the digest hour in the member's zone, the away-only choice
and how to change each. The reply is neutral: the console and Slack both draw it, within
Slack's limits.
"""

import pytest

from bot.commands.dispatch import Context, dispatch
from bot.commands.grammar import parse
from bot.console.render import render_text
from bot.slack.blocks import MAX_FIELD_TEXT, MAX_MESSAGE_BLOCKS, MAX_TEXT, to_blocks
from core.messages import Reply
from core.notifications.types import TYPES, Category, EmailDefault, chosen_types
from tests.unit.conftest import World


async def say(world: World, *lines: str) -> Reply:
    ctx = Context(world.svc, world.owner)
    reply = Reply()
    for line in lines:
        reply = await dispatch(parse(line), ctx)
    return reply


def fields(reply: Reply) -> dict[str, str]:
    return {field.name: field.value for field in reply.fields}


def states(reply: Reply) -> dict[str, str]:
    """``post_published`` → ``chat on · email on``, read back from the reply's lines."""
    found = {}
    for line in (reply.text or "").splitlines():
        if line.startswith("• ") and "): " in line:
            named, state = line.rsplit("): ", 1)
            found[named.rsplit("(", 1)[1]] = state
    return found


async def test_every_type_is_listed_with_what_chat_and_email_do(world: World) -> None:
    reply = await say(world, "settings notifications")
    shown = states(reply)
    # Every type a member chooses for (an address confirmation is no one's choice).
    assert set(shown) == {t.value for t in chosen_types()}, "every type, by the name commands take"
    assert "email_confirmation" not in shown
    assert shown["post_published"] == "chat on · email on"
    assert shown["post_failed"] == "chat on · email on"
    assert shown["post_scheduled"] == "chat on · email off"
    assert shown["post_ready"] == "chat on · email never"
    for comment_type in ("mentioned_in_comment", "comment_on_your_post", "comment_reply"):
        assert shown[comment_type] == "chat on · email only when away"
    assert "Post published (post_published): chat on · email on" in (reply.text or "")
    said = render_text(reply)
    assert "chat partly" not in said and "email partly" not in said


async def test_types_sit_under_their_category_in_order(world: World) -> None:
    reply = await say(world, "settings notifications")
    lines = (reply.text or "").splitlines()
    headings = [line for line in lines if line and not line.startswith("• ")]
    assert [h.lower() for h in headings] == [c.value for c in Category]
    current = ""
    for line in lines:
        if line and not line.startswith("• "):
            current = line.lower()
        elif line:
            notice = line.rsplit("(", 1)[1].split(")")[0]
            assert TYPES[next(t for t in TYPES if t.value == notice)].category.value == current


async def test_one_type_changed_reads_as_that_type_not_partly(world: World) -> None:
    reply = await say(world, "settings notifications email off post_failed")
    shown = states(reply)
    assert shown["post_failed"] == "chat on · email off"
    assert shown["post_published"] == "chat on · email on"  # the rest of its category
    reply = await say(world, "settings notifications chat off comment_reply")
    assert states(reply)["comment_reply"] == "chat off · email only when away"
    assert states(reply)["comment_on_your_post"] == "chat on · email only when away"
    # A chat-only type stays "never", whatever is asked for all types.
    reply = await say(world, "settings notifications email on")
    assert states(reply)["post_ready"] == "chat on · email never"
    assert states(reply)["post_scheduled"] == "chat on · email on"


async def test_mode_digest_hour_and_away_only_are_spelled_out(world: World) -> None:
    first = fields(await say(world, "settings timezone Asia/Tokyo", "settings notifications"))
    assert first["Email"] == "immediately, one by one"
    assert first["Digest hour"] == "09:00 Asia/Tokyo (used with `digest`)"
    assert first["Email only when I'm away"] == "off"
    digest = fields(await say(world, "settings notifications digest 8"))
    assert digest["Email"] == "one daily digest at 08:00 Asia/Tokyo"
    assert digest["Digest hour"] == "08:00 Asia/Tokyo"
    away = await say(world, "settings notifications away-only on")
    assert fields(away)["Email only when I'm away"] == "on"
    # Away-only applies to every type that emails: each line says so.
    assert states(away)["post_published"] == "chat on · email only when away"
    assert states(away)["post_ready"] == "chat on · email never"
    back = fields(await say(world, "settings notifications immediate"))
    assert back["Email"] == "immediately, one by one"


async def test_the_address_says_whether_email_can_go_at_all(world: World) -> None:
    assert fields(await say(world, "settings notifications"))["Email address"].startswith("none")
    async with world.uow() as uow:
        member = await uow.members.get(world.owner.member_id)
        assert member is not None
        member.email = "olive@example.test"
        await uow.members.update(member)
        await uow.commit()
    assert fields(await say(world, "settings notifications"))["Email address"] == (
        "olive@example.test"
    )


async def test_the_footer_says_how_to_change_each(world: World) -> None:
    footer = (await say(world, "settings notifications")).footer or ""
    for command in ("email off", "chat on", "digest 8", "immediate", "away-only on|off"):
        assert f"`settings notifications {command}" in footer, command


@pytest.mark.parametrize("everything_changed", [False, True])
async def test_console_and_slack_draw_it_within_slacks_limits(
    world: World, everything_changed: bool
) -> None:
    lines = ["settings timezone America/Argentina/ComodRivadavia", "settings notifications"]
    if everything_changed:
        lines += ["settings notifications chat off", "settings notifications digest 23"]
    reply = await say(world, *lines)
    text = render_text(reply)
    assert "  Publishing\n  • Post published (post_published): chat" in text
    assert "  Email only when I'm away: off" in text
    blocks = to_blocks(reply)
    assert len(blocks) <= MAX_MESSAGE_BLOCKS
    assert blocks[0]["type"] == "header"
    sections = [b for b in blocks if b["type"] == "section"]
    for block in sections:
        if "text" in block:
            assert len(block["text"]["text"]) <= MAX_TEXT
        for field in block.get("fields", []):
            assert len(field["text"]) <= MAX_FIELD_TEXT
    # The whole list reads as one section, not cut and not split into columns.
    listing = [b["text"]["text"] for b in sections if "text" in b]
    assert len(listing) == 1 and all(f"({t.value})" in listing[0] for t in chosen_types())
    assert not any(b["type"] == "context" and "not shown" in str(b) for b in blocks)
    never = [t for t, spec in TYPES.items() if spec.email is EmailDefault.NEVER]
    assert all(f"({t.value}): chat " in listing[0] for t in never)
