"""The Discord surface end to end: the real discord.py client against a fake Discord."""

import asyncio
import re
from email import message_from_bytes, policy
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from core.notifications.model import Presence
from core.workspace import Member
from tests import discord_limits as limits
from tests.e2e.discord_harness import DiscordBot, button_in, discord_bot
from tests.e2e.discord_lines import typed
from tests.fake_discord import EPHEMERAL, PRIVILEGED, FakeDiscord, FakeGuild, FakeMember
from tests.waiting import until

PEOPLE = {"alice": "200000000000000001", "bob": "200000000000000002", "ann": "200000000000000003"}


async def test_a_command_is_answered_privately_after_a_defer(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        answer = await bot.command("accounts add sandbox brand", who="alice")
        assert answer.callback_types()[0] == 5, "deferred first"
        assert answer.answers[0]["data"]["flags"] & 64, "privately"
        assert "Added sandbox account brand" in answer.texts()


async def test_a_button_clicked_after_a_restart_still_works(tmp_path: Path) -> None:
    fake = FakeDiscord()
    await fake.start()
    try:
        async with discord_bot(tmp_path, PEOPLE, fake=fake) as bot:
            await bot.command(f"members invite <@{PEOPLE['bob']}> editor", who="alice")
            await bot.app.notify()
            invitation = bot.dms("bob")[-1]
        # A new process: nothing of the first one's memory is left.
        async with discord_bot(tmp_path, PEOPLE, fake=fake) as bot:
            accept = button_in(invitation, "members", "accept")
            assert accept is not None
            answer = await bot.click(invitation, accept, who="bob")
            assert "Welcome! You are editor" in answer.texts()
            assert answer.callback_types() == [6], "the clicked message is updated in place"
            assert fake.resumes == 0 and len(fake.identifies) == 2
    finally:
        await fake.close()


async def test_an_unknown_button_is_no_longer_available(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        message = {"id": "1", "channel_id": bot.guild.channel_id, "components": []}
        for custom_id in ("trypost:frobnicate:1:2", "someone-elses-button", "trypost:"):
            answer = await bot.click(message, custom_id, who="alice", in_guild=True)
            assert answer.callback_types() == [4]
            assert answer.answers[0]["data"]["flags"] & EPHEMERAL
            assert "no longer available" in answer.texts()


async def test_strangers_other_guilds_and_dms_are_refused(tmp_path: Path) -> None:
    people = {**PEOPLE, "eve": "200000000000000009"}
    async with discord_bot(tmp_path, people) as bot:
        await bot.command("accounts add sandbox brand", who="alice")
        # In the guild but never invited.
        answer = await bot.command("list", who="eve")
        assert "not a member of this trypost workspace" in answer.texts()
        # A guild the bot is not in.
        other = FakeGuild("999999999999999999", "Elsewhere", PEOPLE["alice"])
        payload = bot.discord.slash(other, bot.member("alice"), typed("list").discord_options())
        answer = await bot.settled(await bot.discord.interact(payload))
        assert "I am not in this server" in answer.texts()
        # A button of this guild clicked by someone who has left it.
        left = FakeMember("200000000000000010", "mallory")
        message = {"id": "1", "channel_id": "5", "components": []}
        payload = bot.discord.click(f"trypost:show:{bot.guild.id}:1", left, message)
        answer = await bot.settled(await bot.discord.interact(payload))
        assert "no longer in the server" in answer.texts()
        # A command in a DM (it is guild-only; a forged one is still refused).
        payload = bot.discord.slash(bot.guild, bot.member("alice"), typed("list").discord_options())
        dm = bot.discord.click("x", bot.member("alice"), message)
        for key in ("guild_id", "member", "guild_locale"):
            payload.pop(key, None)
        payload.update(channel=dm["channel"], user=dm["user"], context=1)
        payload["data"].pop("guild_id")
        answer = await bot.settled(await bot.discord.interact(payload))
        assert "in your server" in answer.texts()


async def test_a_discord_role_grants_a_trypost_role(tmp_path: Path) -> None:
    people = {**PEOPLE, "mod": "200000000000000004"}
    async with discord_bot(tmp_path, people, roles={"300000000000000001": "Moderators"}) as bot:
        await bot.command("accounts add sandbox brand", who="alice")
        answer = await bot.command("list", who="mod")
        assert "not a member" in answer.texts()
        answer = await bot.command("members role <@300000000000000001> approver", who="alice")
        assert "Moderators" in answer.texts(), answer.texts()
        bot.member("mod").roles.append("300000000000000001")
        await bot.command("settings approvals on", who="alice")
        await bot.command('draft "Check me"', who="alice")
        await bot.command("submit 1", who="alice")
        answer = await bot.command("approve 1", who="mod")
        assert "Approved post 1" in answer.texts(), answer.texts()
        # Without the Discord role, only what a viewer may do is left.
        bot.member("mod").roles.clear()
        answer = await bot.command('schedule "Mine" at tomorrow 9am', who="mod")
        assert "Your role (viewer) cannot" in answer.texts(), answer.texts()


async def test_a_closed_dm_becomes_an_email(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        await bot.command(f"members invite <@{PEOPLE['bob']}> editor", who="alice")
        await bot.app.notify()
        await bot.click(bot.dms("bob")[-1], f"trypost:members:{bot.guild.id}:accept", who="bob")
        await confirm_email(bot, "bob", "bob@example.org", tmp_path)
        bot.discord.refuse_dms.add(PEOPLE["bob"])
        await bot.command("accounts add sandbox brand", who="alice")
        await bot.command('schedule "Hello" at in 10 minutes', who="bob")
        before = len(list((tmp_path / "outbox").glob("*.eml")))
        await bot.command(f'comment 1 "Look <@{PEOPLE["bob"]}>"', who="alice")
        await bot.app.notify()
        await bot.app.notify()  # the failed DM's email is due at once
        refused = bot.discord.calls_to("POST", r"/channels/\d+/messages")
        assert refused, "the DM was tried"
        mails = sorted((tmp_path / "outbox").glob("*.eml"))[before:]
        assert any(b"bob@example.org" in m.read_bytes() for m in mails), "emailed instead"


async def confirm_email(bot: DiscordBot, who: str, address: str, workdir: Path) -> None:
    """``settings email`` on Discord, then the link in the mail, clicked and confirmed."""
    answer = await bot.command(f"settings email {address}", who=who)
    assert "confirm" in answer.texts().lower(), answer.texts()
    await bot.app.notify()
    mail = max((workdir / "outbox").glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    body = message_from_bytes(mail.read_bytes(), policy=policy.default)
    text = body.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    link = re.search(r"https://trypost\.example\.com(/email/confirm/\S+)", text)
    assert link, text
    async with TestClient(TestServer(bot.app.web_app())) as web:
        page = await web.get(link[1])
        assert page.status == 200
        form = re.search(r'action="([^"]+)"', await page.text())
        done = await web.post(form[1] if form else link[1])
        assert done.status == 200, await done.text()


async def test_the_synced_tree_keeps_to_discords_limits(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        synced = bot.discord.commands[bot.guild.id]
        assert [c["name"] for c in synced] == ["trypost"]
        assert limits.problems(synced) == []
        (trypost,) = synced
        assert len(trypost["options"]) <= 25
        assert trypost.get("dm_permission") is False, "guild-only"


async def test_presence_needs_the_intents_and_goes_without(tmp_path: Path) -> None:
    fake = FakeDiscord()
    fake.refuse_privileged_intents = True
    await fake.start()
    try:
        async with discord_bot(tmp_path, PEOPLE, fake=fake) as bot:
            assert len(fake.identifies) == 2 and not fake.identifies[1] & PRIVILEGED
            answer = await bot.command("accounts list", who="alice")
            assert "No accounts" in answer.texts() or "account" in answer.texts()
            assert bot.app.discord is not None
            member = await _member(bot, "alice")
            assert await bot.app.discord.chat.presence(member) is Presence.UNKNOWN
    finally:
        await fake.close()


async def test_presence_follows_the_member_status(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        await bot.command("accounts list", who="alice")
        assert bot.app.discord is not None
        chat = bot.app.discord.chat
        member = await _member(bot, "alice")
        assert await chat.presence(member) is Presence.PRESENT
        for status, seen in (
            ("idle", Presence.AWAY),
            ("dnd", Presence.PRESENT),
            ("offline", Presence.AWAY),
        ):
            await bot.discord.presence_update(bot.guild, PEOPLE["alice"], status)
            for _ in range(500):
                if await chat.presence(member) is seen:
                    break
                await asyncio.sleep(0.01)
            assert await chat.presence(member) is seen, status


async def test_a_dropped_connection_resumes(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        await bot.discord.drop_connection()
        await until(lambda: bot.discord.resumes == 1, "a RESUME")
        answer = await bot.command("accounts add sandbox brand", who="alice")
        assert "Added sandbox account brand" in answer.texts()


async def _member(bot: DiscordBot, name: str) -> Member:
    async with bot.app.uow() as uow:
        workspace = await uow.workspaces.by_discord_guild(bot.guild.id)
        assert workspace is not None
        found = await uow.members.by_name(workspace.id, name)
    assert found is not None
    return found


async def test_global_commands_are_registered_once_and_not_per_guild(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE, discord_commands="global") as bot:
        assert [c["name"] for c in bot.discord.commands[None]] == ["trypost"]
        assert bot.guild.id not in bot.discord.commands
