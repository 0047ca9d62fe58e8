"""The fake Discord (tests/discord_fake.py) against the real discord.py 2.7 client.

A ``discord.Client`` with a ``CommandTree`` (``/ping`` with subcommands) and a persistent
``DynamicItem`` button logs in over the fake REST API and connects to the fake gateway;
each test drives it the way Discord would and reads what the bot answered.
"""

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest
from discord import app_commands

from tests.discord_fake import EPHEMERAL, FakeDiscord
from tests.discord_limits import problems
from tests.slack_fake import no_proxy_env
from tests.waiting import until

GUILD = "900000000000000001"
OWNER = "800000000000000001"
ALICE = "800000000000000002"
WITHIN = 10.0


class Knock(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]], template=r"knock:(?P<n>\d+)"
):
    """A stateless button: its custom_id carries all it needs, so it outlives restarts."""

    def __init__(self, n: int) -> None:
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label="Knock", custom_id=f"knock:{n}", style=discord.ButtonStyle.primary
        )
        super().__init__(button)
        self.n = n

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> "Knock":
        return cls(int(match["n"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"knocked {self.n}", ephemeral=True)


def build_client(intents: discord.Intents) -> tuple[discord.Client, app_commands.CommandTree]:
    # No chunking and a short guild wait: READY is dispatched 0.1 s after the last guild.
    client = discord.Client(intents=intents, chunk_guilds_at_startup=False, guild_ready_timeout=0.1)
    tree = app_commands.CommandTree(client)
    ping = app_commands.Group(name="ping", description="Check that the bot answers")

    @ping.command(name="echo", description="Say it back")
    async def echo(interaction: discord.Interaction, text: str) -> None:
        await interaction.response.send_message(f"echo {text}", ephemeral=True)

    @echo.autocomplete("text")
    async def echo_text(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=f"{current}lo", value=f"{current}lo")]

    @ping.command(name="slow", description="Answer after thinking")
    async def slow(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("done thinking", ephemeral=True)

    @ping.command(name="door", description="Show a button")
    async def door(interaction: discord.Interaction) -> None:
        view: discord.ui.View = discord.ui.View(timeout=None)
        view.add_item(Knock(7))
        await interaction.response.send_message("a door", view=view)

    tree.add_command(ping)
    client.add_dynamic_items(Knock)
    return client, tree


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    """The fake, with one guild, pointed at by discord.py (put back after)."""
    base = discord.http.Route.BASE
    gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
    with no_proxy_env():
        async with FakeDiscord() as running:
            running.add_guild(GUILD, "Sandbox", owner_id=OWNER)
            running.add_member(GUILD, OWNER, "owner")
            running.add_member(GUILD, ALICE, "alice", global_name="Alice", status="idle")
            discord.http.Route.BASE = running.api_url
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = running.gateway_url
            try:
                yield running
            finally:
                discord.http.Route.BASE = base
                discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = gateway


@contextlib.asynccontextmanager
async def connected(
    fake: FakeDiscord, intents: discord.Intents | None = None
) -> AsyncIterator[tuple[discord.Client, app_commands.CommandTree]]:
    client, tree = build_client(intents or discord.Intents.default())
    await client.login(fake.token)
    task = asyncio.create_task(client.connect())
    try:
        await asyncio.wait_for(client.wait_until_ready(), WITHIN)
        yield client, tree
    finally:
        await client.close()
        await asyncio.wait_for(task, WITHIN)


async def synced(fake: FakeDiscord, tree: app_commands.CommandTree) -> None:
    tree.copy_global_to(guild=discord.Object(int(GUILD)))
    await tree.sync(guild=discord.Object(int(GUILD)))


async def test_ready_and_guild_create_fill_the_cache(fake: FakeDiscord) -> None:
    async with connected(fake) as (client, _):
        guild = client.get_guild(int(GUILD))
        assert guild is not None and guild.name == "Sandbox"
        assert guild.member_count == 3  # owner, alice and the bot, as Discord counts
        assert [c.name for c in guild.text_channels] == ["general"]
        assert client.user is not None and str(client.user.id) == fake.bot_user_id
        assert client.application_id == int(fake.application_id)
    assert fake.identifies == 1
    assert fake.intents == [discord.Intents.default().value]
    assert fake.calls_to("GET", "/users/@me") and fake.calls_to("GET", "/oauth2/applications/@me")


async def test_a_wrong_token_is_refused_as_discord_does(fake: FakeDiscord) -> None:
    client, _ = build_client(discord.Intents.default())
    try:
        with pytest.raises(discord.LoginFailure):
            await client.login("not-the-token")
    finally:
        await client.close()


async def test_tree_sync_lands_in_the_fake_commands(fake: FakeDiscord) -> None:
    async with connected(fake) as (_, tree):
        tree.copy_global_to(guild=discord.Object(int(GUILD)))
        commands = await tree.sync(guild=discord.Object(int(GUILD)))
        (ping,) = fake.commands[GUILD]
        assert ping["name"] == "ping" and ping["guild_id"] == GUILD
        assert [o["name"] for o in ping["options"]] == ["echo", "slow", "door"]
        assert [c.id for c in commands] == [int(ping["id"])]
        again = await tree.sync(guild=discord.Object(int(GUILD)))
        assert again[0].id == commands[0].id  # an overwrite keeps the id, as on Discord
    assert problems(fake.commands[GUILD]) == []
    assert None not in fake.commands


async def test_a_slash_command_gets_its_ephemeral_answer(fake: FakeDiscord) -> None:
    async with connected(fake) as (_, tree):
        await synced(fake, tree)
        interaction = await fake.interact(fake.slash(GUILD, ALICE, "ping echo", {"text": "hi"}))
        answer = await interaction.answered(WITHIN)
        assert answer["type"] == 4
        assert answer["data"]["flags"] & EPHEMERAL and interaction.ephemeral
        assert interaction.texts() == ["echo hi"]
        leaf = interaction.payload["data"]["options"][0]["options"][0]
        assert leaf == {"type": 3, "name": "text", "value": "hi"}  # typed from the sync


async def test_autocomplete_gets_choices(fake: FakeDiscord) -> None:
    async with connected(fake) as (_, tree):
        await synced(fake, tree)
        typing = fake.autocomplete(GUILD, ALICE, "ping echo", {"text": "hel"}, focused="text")
        interaction = await fake.interact(typing)
        assert (await interaction.answered(WITHIN))["type"] == 8
        assert interaction.choices == [{"name": "hello", "value": "hello"}]


async def test_a_deferred_command_gets_a_follow_up(fake: FakeDiscord) -> None:
    async with connected(fake) as (_, tree):
        await synced(fake, tree)
        interaction = await fake.interact(fake.slash(GUILD, OWNER, "ping slow"))
        answer = await interaction.answered(WITHIN)
        assert answer["type"] == 5 and answer["data"]["flags"] & EPHEMERAL
        await interaction.wait_for(lambda i: i.followups, "a follow-up", WITHIN)
        assert interaction.texts() == ["done thinking"]
        assert interaction.followups[0]["flags"] & EPHEMERAL


async def test_a_click_on_a_dynamic_item_is_dispatched_and_answered(fake: FakeDiscord) -> None:
    async with connected(fake) as (_, tree):
        await synced(fake, tree)
        door = await fake.interact(fake.slash(GUILD, OWNER, "ping door"))
        await door.answered(WITHIN)
        assert [b["custom_id"] for b in door.components()] == ["knock:7"]
        assert fake.messages[fake.guilds[GUILD].general] == [door.original]
        click = await fake.interact(fake.click("knock:7", ALICE, door.original))
        assert (await click.answered(WITHIN))["type"] == 4
        assert click.texts() == ["knocked 7"]
        # No message given: one showing the button is made up (in a DM this time).
        dm_click = await fake.interact(fake.click("knock:8", ALICE))
        await dm_click.answered(WITHIN)
        assert dm_click.texts() == ["knocked 8"]
        assert "guild_id" not in dm_click.payload and "user" in dm_click.payload


async def test_dms_arrive_and_a_refused_dm_raises_forbidden(fake: FakeDiscord) -> None:
    fake.refuse_dms.add(OWNER)
    fake.fail_next("POST", r"/channels/\d+/messages", 429)  # discord.py waits and retries
    async with connected(fake) as (client, _):
        dm = await client.create_dm(discord.Object(int(ALICE)))
        sent = await dm.send("hello", embed=discord.Embed(title="Review", description="due"))
        assert [m["id"] for m in fake.dms_to(ALICE)] == [str(sent.id)]
        assert fake.dms_to(ALICE)[0]["content"] == "hello"
        assert len(fake.calls_to("POST", r"/channels/\d+/messages")) == 2
        refused = await client.create_dm(discord.Object(int(OWNER)))
        with pytest.raises(discord.Forbidden) as error:
            await refused.send("hello")
        assert error.value.code == 50007
        assert fake.dms_to(OWNER) == []


async def test_a_dropped_connection_resumes_and_replays_what_was_missed(
    fake: FakeDiscord,
) -> None:
    async with connected(fake) as (client, tree):
        await synced(fake, tree)
        await fake.drop_connection()
        # Sent while the client is away: kept, and replayed on RESUME.
        interaction = await fake.interact(fake.slash(GUILD, ALICE, "ping echo", {"text": "back"}))
        await until(lambda: fake.resumes == 1, "a RESUME", within=WITHIN)
        await interaction.answered(WITHIN)
        assert interaction.texts() == ["echo back"]
        events = [event["t"] for event in fake.gateway.sent]
        assert events[-2:] == ["INTERACTION_CREATE", "RESUMED"]  # replayed, then resumed
        assert fake.identifies == 1 and fake.gateway.connections == 2
        assert fake.gateway.resumes[0]["session_id"] == fake.gateway.session_id
        assert client.get_guild(int(GUILD)) is not None


async def test_privileged_intents_not_granted_raise(fake: FakeDiscord) -> None:
    fake.refuse_privileged_intents = True
    intents = discord.Intents.default()
    intents.presences = True
    client, _ = build_client(intents)
    await client.login(fake.token)
    try:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(client.connect(), WITHIN)
    finally:
        await client.close()
    assert fake.intents == [intents.value]


async def test_a_presence_update_changes_the_cached_member(fake: FakeDiscord) -> None:
    intents = discord.Intents.default()
    intents.members = intents.presences = True
    async with connected(fake, intents) as (client, _):
        guild = client.get_guild(int(GUILD))
        assert guild is not None
        alice = guild.get_member(int(ALICE))
        assert alice is not None and alice.status is discord.Status.idle
        await fake.presence_update(GUILD, ALICE, "dnd")
        await until(lambda: alice.status is discord.Status.dnd, "alice's new status", within=WITHIN)


async def test_a_modal_is_shown_and_its_submission_read(fake: FakeDiscord) -> None:
    class Note(discord.ui.Modal, title="A note"):
        text: discord.ui.TextInput["Note"] = discord.ui.TextInput(label="Note", custom_id="text")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            await interaction.response.send_message(f"noted {self.text.value}", ephemeral=True)

    async with connected(fake) as (client, tree):

        @tree.command(name="note", description="Write a note")
        async def note(interaction: discord.Interaction) -> None:
            await interaction.response.send_modal(Note(custom_id="note"))

        await tree.sync()
        shown = await fake.interact(fake.slash(GUILD, ALICE, "note"))
        await shown.answered(WITHIN)
        assert shown.modal is not None and shown.modal["title"] == "A note"
        assert "guild_id" not in shown.payload["data"]  # a global command
        submitted = await fake.interact(fake.submit_modal("note", {"text": "hi"}, ALICE, GUILD))
        await submitted.answered(WITHIN)
        assert submitted.texts() == ["noted hi"]


def test_problems_find_what_discord_would_refuse() -> None:
    fine = {"name": "ping", "description": "Ping", "type": 1, "options": []}
    assert problems([fine]) == []
    too_long = {**fine, "description": "x" * 101}
    assert problems([too_long]) == ["/ping: description is 101 characters (1-100)"]
    shouting = {**fine, "name": "Ping"}
    assert problems([shouting]) == ["/Ping: name 'Ping' is not lowercase"]
    optional = {"type": 3, "name": "a", "description": "A"}
    required = {"type": 3, "name": "b", "description": "B", "required": True}
    assert problems([{**fine, "options": [optional, required]}]) == [
        "/ping b: a required option after an optional one"
    ]
    chosen = {**optional, "autocomplete": True, "choices": [{"name": "x", "value": "x"}]}
    assert problems([{**fine, "options": [chosen]}]) == [
        "/ping a: autocomplete together with choices"
    ]
    assert len(problems([{**fine, "name": f"c{i}"} for i in range(101)])) == 1
