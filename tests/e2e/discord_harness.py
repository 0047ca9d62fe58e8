"""The whole bot with its real discord.py client, connected to a loopback fake Discord.

Interactions arrive over the fake's gateway as Discord sends them; what the bot answers
(callbacks, edits, follow-ups, DMs) lands in the fake's records. Waiting is
deterministic: an interaction is done when it has been answered and discord.py runs no
listener or command any more.
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord

from bot.app import App, build_app
from bot.settings import Settings
from core.clock import ManualClock
from tests.e2e.discord_lines import Typed, typed
from tests.fake_discord import (
    TOKEN,
    FakeDiscord,
    FakeGuild,
    FakeInteraction,
    FakeMember,
    buttons_of,
)
from tests.waiting import WITHIN

START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
# discord.py's own tasks: a dispatched event, and an application command being run.
_DISCORD_TASKS = ("discord.py: ", "CommandTree-invoker")


@dataclass
class DiscordBot:
    app: App
    clock: ManualClock
    discord: FakeDiscord
    guild: FakeGuild

    def member(self, name: str) -> FakeMember:
        return next(m for m in self.guild.members.values() if m.name == name)

    async def command(self, line: str, *, who: str) -> FakeInteraction:
        """``/trypost`` as the scenario line says, typed into Discord's form."""
        form = typed(line)
        return await self.slash(form, who=who)

    async def slash(self, form: Typed, *, who: str) -> FakeInteraction:
        payload = self.discord.slash(
            self.guild, self.member(who), form.discord_options(), self._resolved(form)
        )
        return await self.settled(await self.discord.interact(payload))

    async def click(
        self, message: dict[str, Any], custom_id: str, *, who: str, in_guild: bool = False
    ) -> FakeInteraction:
        payload = self.discord.click(
            custom_id, self.member(who), message, self.guild if in_guild else None
        )
        return await self.settled(await self.discord.interact(payload))

    async def submit(
        self,
        modal: dict[str, Any],
        values: dict[str, str],
        *,
        who: str,
        message: dict[str, Any] | None = None,
        in_guild: bool = True,
    ) -> FakeInteraction:
        payload = self.discord.submit_modal(
            modal, values, self.member(who), self.guild if in_guild else None, message
        )
        return await self.settled(await self.discord.interact(payload))

    async def interact(self, payload: dict[str, Any], *, within: float = WITHIN) -> bool:
        """Send any interaction; False when the bot did not answer it within ``within``
        seconds (it is still waited for to finish)."""
        interaction = await self.discord.interact(payload)
        try:
            await asyncio.wait_for(interaction.answered.wait(), within)
        except TimeoutError:
            await self.settled_all()
            return False
        await self.settled_all()
        return True

    async def settled_all(self) -> None:
        """Wait until discord.py runs no listener or command any more."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + WITHIN
        while busy := _discord_busy():
            # Awaited, not polled: a poll's sleep was most of an interaction's time.
            assert loop.time() < deadline, "the bot never finished"
            await asyncio.wait(busy, timeout=deadline - loop.time())

    def dms(self, who: str) -> list[dict[str, Any]]:
        return self.discord.dm_messages(self.member(who).user_id)

    async def settled(self, interaction: FakeInteraction) -> FakeInteraction:
        """Wait until the bot answered and has nothing of it left running."""
        await asyncio.wait_for(interaction.answered.wait(), WITHIN)
        await self.settled_all()
        return interaction

    async def advance(self, delta: Any) -> None:
        self.clock.advance(delta)
        await self.app.ticker.tick()
        await self.app.notify()

    def _resolved(self, form: Typed) -> dict[str, Any] | None:
        users, members, roles = {}, {}, {}
        for ident in form.user_ids():
            if ident in self.guild.roles:
                roles[ident] = {
                    "id": ident,
                    "name": self.guild.roles[ident],
                    "permissions": "0",
                    "position": 1,
                    "color": 0,
                    "hoist": False,
                    "managed": False,
                    "mentionable": True,
                    "flags": 0,
                }
                continue
            member = self.guild.members[ident]
            whole = member.member_object()
            users[ident] = whole.pop("user")
            members[ident] = {**whole, "permissions": "0"}
        if not (users or roles):
            return None
        return {"users": users, "members": members, "roles": roles}


def button_in(message: dict[str, Any], action: str, target: str) -> str | None:
    """The custom id of the message's ``action`` button for ``target``, if it has one."""
    for component in buttons_of(message):
        custom_id = str(component.get("custom_id", ""))
        parts = custom_id.split(":", 3)
        if len(parts) == 4 and parts[1] == action and parts[3] == target:
            return custom_id
    return None


def _discord_busy() -> "set[asyncio.Task[Any]]":
    current = asyncio.current_task()
    return {
        task
        for task in asyncio.all_tasks()
        if task is not current and not task.done() and task.get_name().startswith(_DISCORD_TASKS)
    }


@asynccontextmanager
async def discord_bot(
    tmp_path: Path,
    people: dict[str, str],
    *,
    fake: FakeDiscord | None = None,
    roles: dict[str, str] | None = None,
    **settings: Any,
) -> AsyncIterator[DiscordBot]:
    """The bot in one guild whose owner is the first of ``people`` (name → user id), with
    guild ``roles`` (id → name)."""
    own = fake is None
    fake = fake or FakeDiscord()
    if own:
        await fake.start()
    names = list(people)
    guild = next(iter(fake.guilds.values()), None)
    if guild is None:
        guild = fake.add_guild("Parity", FakeMember(people[names[0]], names[0]))
    for name in names[1:]:
        guild.members.setdefault(people[name], FakeMember(people[name], name))
    guild.roles.update(roles or {})
    options: dict[str, Any] = {
        "database_url": f"sqlite+aiosqlite:///{tmp_path / 'trypost.db'}",
        "secret_key": "e2e-secret",
        "discord_bot_token": TOKEN,
        "discord_api_url": fake.api_url,
        "discord_gateway_url": fake.gateway_url,
        "sandbox_dir": tmp_path / "sandbox-posts",
        "media_dir": tmp_path / "media",
        "outbox_dir": tmp_path / "outbox",
        "public_url": "https://trypost.example.com",
        **settings,
    }
    clock = ManualClock(START)
    app = await build_app(Settings(**options), clock=clock)
    try:
        assert app.discord is not None
        await app.discord.start()
        yield DiscordBot(app, clock, fake, guild)
    finally:
        await app.aclose()
        if own:
            await fake.close()


__all__ = ["DiscordBot", "button_in", "discord", "discord_bot"]
