"""Issue 13, security: Discord interactions count only from guilds the bot is in, and from
people who are members of both the guild and its trypost workspace.

Through the real discord.py client against the loopback fake Discord: every command of
the grammar, buttons and modal submissions sent from a guild the bot is not in, by a
guild member never invited, by someone outside the guild, by a member who has left the
guild (with the DM buttons they were sent), or aimed at another guild than the one they
are clicked in. Each is refused in words, and not one row of the database changes.
"""

from pathlib import Path
from typing import Any

from bot.discord.render import button_id
from core.messages import Reply
from tests.e2e.discord_harness import DiscordBot, discord_bot
from tests.e2e.discord_lines import typed
from tests.fake_discord import EPHEMERAL, FakeGuild, FakeInteraction, FakeMember, user_object
from tests.security.buttons import drawn
from tests.security.db_state import changed, dump
from tests.unit.test_role_matrix import MATRIX, OWN_INVITATION

PEOPLE = {
    "alice": "200000000000000001",  # the guild's owner: the workspace's owner
    "bob": "200000000000000002",  # invited as editor, accepted
    "eve": "200000000000000009",  # in the guild, never invited
}
MALLORY = FakeMember("200000000000000010", "mallory")  # in no guild of the bot's
ELSEWHERE = "999999999999999999"
# Every command the grammar makes (the role matrix names each), as typed in Discord:
# people are mentions there.
LINES = [
    line.replace("@newbie", f"<@{PEOPLE['eve']}>").replace("@author", f"<@{PEOPLE['bob']}>")
    for line in [*MATRIX, *OWN_INVITATION]
]


def _message(channel: str, custom_id: str) -> dict[str, Any]:
    return {
        "id": "1",
        "channel_id": channel,
        "components": [
            {"type": 1, "components": [{"type": 2, "custom_id": custom_id, "style": 2}]}
        ],
    }


def _refused(answer: FakeInteraction, *expected: str) -> str:
    said = answer.texts()
    assert any(words in said for words in expected), (expected, said)
    assert "went wrong" not in said, said
    assert all(
        (a.get("data") or a).get("flags", 0) & EPHEMERAL
        for a in answer.answers
        if "embeds" in (a.get("data") or a)
    ), ("said privately", answer.answers)
    return said


async def _team(bot: DiscordBot) -> None:
    await bot.command("accounts add sandbox brand", who="alice")
    await bot.command(f"members invite <@{PEOPLE['bob']}> editor", who="alice")
    await bot.command("members accept", who="bob")
    await bot.command('draft "Keep me"', who="alice")
    await bot.command('schedule "Later" at tomorrow 9am', who="alice")


def _buttons(guild: str) -> list[str]:
    """The custom ids of every button the renderers draw, for posts 1 and 2 of ``guild``."""
    return [button_id(b.action, guild, b.target) for b in drawn((1, 2), 1, 1, "brand", [Reply()])]


async def test_an_unknown_guild_and_its_buttons_get_nothing_done(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        await _team(bot)
        before = await dump(bot.app.engine)
        # Alice owns this guild too, but the bot was never added to it.
        other = FakeGuild(ELSEWHERE, "Elsewhere", PEOPLE["alice"], channel_id="555")
        alice = bot.member("alice")
        other.members[alice.user_id] = alice

        for line in LINES:
            form = typed(line)
            payload = bot.discord.slash(other, alice, form.discord_options(), bot._resolved(form))
            answer = await bot.settled(await bot.discord.interact(payload))
            _refused(answer, "I am not in this server")

        for custom_id in _buttons(ELSEWHERE):
            message = _message(other.channel_id, custom_id)
            # Clicked in the unknown guild, and in a DM (the id names the unknown guild).
            for where in (other, None):
                payload = bot.discord.click(custom_id, alice, message, where)
                answer = await bot.settled(await bot.discord.interact(payload))
                if answer.modal is not None:
                    payload = bot.discord.submit_modal(
                        answer.modal, {"text": "x"}, alice, where, message
                    )
                    answer = await bot.settled(await bot.discord.interact(payload))
                _refused(answer, "I am not in this server")

        # A button naming the unknown guild, clicked in ours: refused where it is clicked.
        for custom_id in _buttons(ELSEWHERE):
            message = _message(bot.guild.channel_id, custom_id)
            answer = await bot.click(message, custom_id, who="alice", in_guild=True)
            if answer.modal is not None:
                answer = await bot.submit(answer.modal, {"text": "x"}, who="alice", message=message)
            _refused(answer, "belongs to another server")
        assert changed(before, await dump(bot.app.engine)) == {}


async def test_only_members_of_the_guild_and_the_workspace_get_anything_done(
    tmp_path: Path,
) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        await _team(bot)
        guild = bot.guild.id
        before = await dump(bot.app.engine)
        not_member = "not a member of this trypost workspace"

        for line in LINES:
            said = _refused(await bot.command(line, who="eve"), not_member, "no invitation")
            assert "Keep me" not in said
            # Someone outside the guild, in an interaction naming it (Discord would not
            # send it; a forged one is still refused).
            form = typed(line)
            payload = bot.discord.slash(
                bot.guild, MALLORY, form.discord_options(), bot._resolved(form)
            )
            _refused(await bot.settled(await bot.discord.interact(payload)), not_member,
                     "no invitation")  # fmt: skip

        for custom_id in _buttons(guild):
            message = _message(bot.guild.channel_id, custom_id)
            for who, where, words in (
                ("eve", bot.guild, not_member),
                (MALLORY, None, "no longer in the server"),
            ):
                member = bot.member(who) if isinstance(who, str) else who
                payload = bot.discord.click(custom_id, member, message, where)
                answer = await bot.settled(await bot.discord.interact(payload))
                if answer.modal is not None:
                    values = {"text": "x"}
                    payload = bot.discord.submit_modal(answer.modal, values, member, where, message)
                    answer = await bot.settled(await bot.discord.interact(payload))
                _refused(answer, words)
        assert changed(before, await dump(bot.app.engine)) == {}

        # Bob, a member, leaves the guild: the buttons of his DMs no longer work.
        bob = bot.member("bob")
        show = button_id("show", guild, "1")
        answer = await bot.click(_message("77", show), show, who="bob")
        assert "Keep me" in answer.texts(), "while he is in it, they do"
        before = await dump(bot.app.engine)
        del bot.guild.members[bob.user_id]
        await bot.discord.dispatch(
            "GUILD_MEMBER_REMOVE",
            {"guild_id": bot.guild.id, "user": user_object(bob.user_id, bob.name)},
        )
        channel = bot.discord.dm_channels.get(bob.user_id, "77")
        for custom_id in _buttons(bot.guild.id):
            message = _message(channel, custom_id)
            answer = await bot.settled(
                await bot.discord.interact(bot.discord.click(custom_id, bob, message))
            )
            if answer.modal is not None:
                payload = bot.discord.submit_modal(answer.modal, {"text": "x"}, bob, None, message)
                answer = await bot.settled(await bot.discord.interact(payload))
            _refused(answer, "no longer in the server")
        assert changed(before, await dump(bot.app.engine)) == {}
