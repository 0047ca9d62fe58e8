"""Discord interactions under fuzzing: hypothesis strategies for what Discord may send the
bot, and a player that sends them, as Discord does, to a bot of
:mod:`tests.e2e.discord_harness`.

Shared by ``tests/e2e/test_discord_fuzz.py`` (a small, fixed profile in CI) and
``bench/fuzz_discord.py`` (10,000 interactions through one bot). What is drawn keeps to
the shapes of Discord's payloads (``../shared/fixtures/discord/``), with any values in
their fields:

- ``/trypost`` typed from a grammar line (``tests/console_fuzzing.py`` and the words
  below), or drawn from the command's own registered options, with any values for their
  types; a few are *stale* (a wrong option type, an unknown option or subcommand, a
  missing required option), as Discord sends them while its copy of the commands lags
  behind a deploy;
- autocomplete of any option that offers it, with any typed text;
- buttons and selects (string, user, role, mentionable, channel) with any custom id;
- modal submissions with any custom id and any inputs (in action rows or labels);
- from the guild's owner, a member, someone the bot has not seen, in the guild, in a DM
  or in a guild the bot is not in, with odd user and member fields (names, nicknames,
  roles, permissions).

An interaction is *answered* when the bot sent Discord its interaction callback.
"""

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as seeded
from hypothesis import strategies as st

from bot.commands.errors import ParseError
from bot.commands.grammar import VERBS
from bot.discord.commands import trypost_command
from bot.discord.interactions import DiscordListeners
from tests.console_fuzzing import TIMES, random_line
from tests.e2e.discord_harness import DiscordBot
from tests.e2e.discord_lines import typed
from tests.e2e.test_slack_fuzz import Loud
from tests.fake_discord import BOT_USER, FakeGuild, FakeMember, snowflake, user_object

PEOPLE = {"olive": "100000000000000001", "eve": "100000000000000002"}
# What the bot holds before the fuzz starts, so that clicks and commands find posts.
SETUP = (
    "accounts add sandbox brand",
    "accounts add sandbox news",
    'schedule "Seed post" at tomorrow 9am on brand label launch',
    'draft "A draft" on news',
    'now "Out already" on brand',
    f"members invite <@{PEOPLE['eve']}> editor",
)
# Replaced, when sent, by the id of the bot's guild (buttons and modals carry it).
HOME = "<home-guild>"
ELSEWHERE = "290926798626357999"  # a guild the bot is not in (from the fixtures)
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3, 4, 5, 6, 7, 8, 9, 10, 11
)  # fmt: skip
MAX_INT = 2**53 - 1  # Discord's integer options are within ±2^53


def _schema() -> dict[str, Any]:
    """``/trypost`` as the bot registers it with Discord."""
    tree = app_commands.CommandTree(discord.Client(intents=discord.Intents.none()))
    stub = DiscordListeners(None, None)  # type: ignore[arg-type]  # never called
    return trypost_command(stub).to_dict(tree)


SCHEMA = _schema()


def _leaves(node: dict[str, Any], path: tuple[str, ...] = ()) -> Iterator[tuple[Any, ...]]:
    for option in node.get("options", []):
        if option["type"] == 1:
            yield (*path, option["name"]), option.get("options", [])
        elif option["type"] == 2:
            yield from _leaves(option, (*path, option["name"]))


LEAVES = sorted(_leaves(SCHEMA))

# --- values ------------------------------------------------------------------------------

TEXT = st.text(max_size=100)
WORDS = st.sampled_from(
    ["schedule", "now", "draft", "show", "retry", "approve", "comment", "labels", "list",
     "accounts", "members", "settings", "inbox", '"hi"', '"x y"', "1", "2", "999999999999",
     "at", "tomorrow", "9am", "on", "label", "with", "https://example.com/a.png", "#1",
     "\u202e", "\u0000", "@eve", "<@1>", "all"]
)  # fmt: skip
LINES = st.one_of(
    st.lists(WORDS, min_size=1, max_size=6).map(" ".join),
    st.randoms(use_true_random=False).map(random_line),
)
STRINGS = st.one_of(
    st.sampled_from(
        ["", " ", "1", "#1", "all", "brand", "news", "brand, news", "launch", "sandbox", "on",
         "off", "UTC", "Europe/Paris", "Mars/Olympus", "a@example.com", "https://example.com",
         "9" * 100, "①", "<@100000000000000002>", "<@&1>", "@eve", "\u0000", "\u202e", "👍"]
    ),
    st.sampled_from(TIMES),
    TEXT,
)  # fmt: skip
INTEGERS = st.one_of(
    st.sampled_from([1, 2, 3, 4, 0, -1, MAX_INT, -MAX_INT]), st.integers(-MAX_INT, MAX_INT)
)
SNOWFLAKES = st.one_of(
    st.sampled_from([*PEOPLE.values(), ELSEWHERE, BOT_USER, "1", "0", "18446744073709551615"]),
    st.integers(1, 2**63 - 1).map(str),
)
# A user or role option names one of these; it is resolved when the interaction is sent.
REFS = st.sampled_from(["olive", "eve", "stranger", "bot", "role", "everyone"])
ATTACHMENTS = st.fixed_dictionaries(
    {
        "filename": st.one_of(st.sampled_from(["a.png", "clip.mp4", "x"]), TEXT),
        "size": st.integers(0, 2**31),
        "url": st.one_of(
            st.sampled_from(["https://cdn.example.com/a.png", "http://127.0.0.1:1/a.png", "x"]),
            TEXT,
        ),
        "content_type": st.sampled_from(["image/png", "video/mp4", "text/html", ""]),
    }
)


def _value(option: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = option["type"]
    if option.get("choices"):
        chosen = st.sampled_from([c["value"] for c in option["choices"]])
        return st.one_of(chosen, chosen, chosen, STRINGS)  # stale choices, rarely
    if kind in (USER, ROLE, MENTIONABLE):
        return REFS.map(lambda ref: {"ref": ref})
    if kind == ATTACHMENT:
        return ATTACHMENTS.map(lambda a: {"attachment": a})
    return {
        STRING: STRINGS,
        INTEGER: INTEGERS,
        NUMBER: st.floats(-1e15, 1e15),
        BOOLEAN: st.booleans(),
        CHANNEL: SNOWFLAKES,
    }.get(kind, STRINGS)


STALE = st.sampled_from(
    ["", "", "", "", "", "", "", "", "wrong type", "unknown option", "missing", "unknown sub"]
)


@st.composite
def command_data(draw: st.DrawFn, *, autocomplete: bool = False) -> dict[str, Any]:
    """A ``/trypost`` leaf with options drawn from its registered ones."""
    choices = [leaf for leaf in LEAVES if not autocomplete or any(
        o.get("autocomplete") for o in leaf[1])]  # fmt: skip
    path, options = draw(st.sampled_from(choices))
    stale = "" if autocomplete else draw(STALE)
    sent = []
    for option in options:
        if not (option.get("required") or draw(st.booleans())):
            continue
        value = draw(_value(option))
        kind = option["type"]
        if stale == "wrong type":
            kind, value = draw(st.sampled_from([
                (STRING, draw(STRINGS)), (INTEGER, draw(INTEGERS)), (BOOLEAN, True)]))  # fmt: skip
            stale = ""
        sent.append({"name": option["name"], "type": kind, "value": value})
    if autocomplete:
        offering = [o for o in sent if _offers(options, o["name"])]
        if not offering:
            name = draw(st.sampled_from([o["name"] for o in options if o.get("autocomplete")]))
            offering = [{"name": name, "type": STRING}]
            sent.append(offering[0])
        focused = draw(st.sampled_from(offering))
        focused.update(focused=True, value=draw(STRINGS))  # typed text, whatever the type
    if stale == "unknown option":
        sent.append({"name": draw(TEXT), "type": STRING, "value": draw(STRINGS)})
    elif stale == "missing" and sent:
        sent.pop(0)
    elif stale == "unknown sub":
        path = (*path[:-1], draw(st.text(min_size=1, max_size=32)))
    return {"path": list(path), "options": sent}


def _offers(options: list[dict[str, Any]], name: str) -> bool:
    return any(o["name"] == name and o.get("autocomplete") for o in options)


TARGETS = st.one_of(
    st.sampled_from(["", "1", "2", "3", "999999999999", "-1", "0", "①", "²", "١٢", "x",
                     "1 reply 1", "1 reply x", "reply", "brand", "accept", "all", "1 confirm"]),
    TEXT,
)  # fmt: skip
GUILD_IDS = st.sampled_from([HOME, HOME, HOME, "", ELSEWHERE, "1", "①", "١٢", "9" * 30])
CUSTOM_IDS = st.one_of(
    st.sampled_from(["trypost:retry#1", "trypost:approve#999999", "trypost:#", "trypost:",
                     "trypost:show#-1", "x" * 100, ""]),
    st.builds(
        "trypost:{}:{}:{}".format,
        st.one_of(st.sampled_from(sorted(VERBS)), st.sampled_from(["", "x", "Show"])),
        GUILD_IDS,
        TARGETS,
    ),
    TEXT,
).map(lambda custom_id: custom_id[:100])  # fmt: skip
MODAL_IDS = st.one_of(
    st.builds(
        "trypost-modal:{}:{}:{}".format,
        st.sampled_from(["schedule", "changes", "comment", "x", ""]),
        GUILD_IDS,
        TARGETS,
    ),
    CUSTOM_IDS,
).map(lambda custom_id: custom_id[:100])
INPUT_IDS = st.one_of(st.sampled_from(["text", "accounts", "when", "labels"]), TEXT)
INPUT_VALUES = st.one_of(STRINGS, st.text(max_size=400))


def _input(custom_id: str, value: str, labelled: bool) -> dict[str, Any]:
    text_input = {"type": 4, "custom_id": custom_id, "value": value}
    if labelled:  # newer clients: a label holding the input
        return {"type": 18, "id": 1, "component": text_input}
    return {"type": 1, "components": [text_input]}


MODAL_INPUTS = st.lists(
    st.one_of(
        st.builds(_input, INPUT_IDS, INPUT_VALUES, st.booleans()),
        st.builds(
            lambda custom_id, values: {
                "type": 18,
                "component": {"type": 3, "custom_id": custom_id, "values": values},
            },  # fmt: skip
            INPUT_IDS,
            st.lists(TEXT, max_size=3),
        ),
    ),
    max_size=5,
)


@dataclass
class Person:
    """Who sends the interaction, and from where: ``who`` is one of PEOPLE or someone the
    bot has not seen; ``where`` is ``guild`` (the bot's), ``dm`` or ``elsewhere``."""

    who: str
    where: str
    user: dict[str, Any] = field(default_factory=dict)  # fields over Discord's user object
    member: dict[str, Any] = field(default_factory=dict)  # and over the member object


PERSONS = st.builds(
    Person,
    st.sampled_from(["olive", "eve", "eve", "stranger"]),
    st.sampled_from(["guild", "guild", "guild", "guild", "dm", "elsewhere"]),
    st.fixed_dictionaries(
        {},
        optional={
            "username": st.text(min_size=1, max_size=32),
            "global_name": st.one_of(st.none(), st.text(max_size=32)),
            "discriminator": st.sampled_from(["0", "1337", "0001"]),
            "avatar": st.one_of(st.none(), st.just("a_d5efa99b3eeaa7dd43acca82f5692432")),
            "public_flags": st.integers(0, 2**31),
            "bot": st.booleans(),
        },
    ),
    st.fixed_dictionaries(
        {},
        optional={
            "nick": st.one_of(st.none(), st.text(max_size=32)),
            "roles": st.lists(SNOWFLAKES, max_size=3),
            "permissions": st.sampled_from(["0", "2147483647", "2199023255551", "8"]),
            "pending": st.booleans(),
            "communication_disabled_until": st.sampled_from(
                [None, "2026-11-26T10:00:00.000000+00:00", "2020-01-01T00:00:00+00:00"]
            ),
        },
    ),
)


@dataclass
class Fuzzed:
    """One interaction to send. ``kind``: ``line`` (a grammar line typed into the form),
    ``command``, ``autocomplete``, ``button``, ``select`` or ``modal``."""

    kind: str
    person: Person
    data: dict[str, Any]


COMPONENTS = st.builds(
    lambda kind, custom_id, values, in_dm: {
        "component_type": kind, "custom_id": custom_id, "values": values, "in_dm": in_dm},
    st.sampled_from([3, 5, 6, 7, 8]),
    CUSTOM_IDS,
    st.lists(st.one_of(SNOWFLAKES, TEXT), max_size=3),
    st.booleans(),
)  # fmt: skip
INTERACTIONS = st.one_of(
    st.builds(Fuzzed, st.just("line"), PERSONS, LINES.map(lambda line: {"line": line})),
    st.builds(Fuzzed, st.just("command"), PERSONS, command_data()),
    st.builds(Fuzzed, st.just("autocomplete"), PERSONS, command_data(autocomplete=True)),
    st.builds(Fuzzed, st.just("button"), PERSONS, CUSTOM_IDS.map(lambda c: {"custom_id": c})),
    st.builds(Fuzzed, st.just("select"), PERSONS, COMPONENTS),
    st.builds(
        Fuzzed,
        st.just("modal"),
        PERSONS,
        st.fixed_dictionaries(
            {"custom_id": MODAL_IDS, "components": MODAL_INPUTS, "from_message": st.booleans()}
        ),
    ),
)


def drawn(count: int, seed: int) -> list[Fuzzed]:
    """``count`` interactions, the same for the same seed (hypothesis's own generation,
    without shrinking or its database)."""
    found: list[Fuzzed] = []

    @seeded(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(INTERACTIONS)
    def collect(fuzzed: Fuzzed) -> None:
        found.append(fuzzed)

    collect()
    return found


# --- sending -------------------------------------------------------------------------------


class Traces(Loud):
    """Records logged at ERROR, and any record that carries a traceback."""

    def __init__(self) -> None:
        super().__init__()
        self.setLevel(logging.DEBUG)

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            super().emit(record)


async def seed(bot: DiscordBot) -> None:
    for line in SETUP:
        await bot.command(line, who="olive")


def payload_of(bot: DiscordBot, fuzzed: Fuzzed) -> dict[str, Any] | None:
    """The interaction as Discord would send it; None for a line Discord's form cannot
    hold (the grammar refuses it, so there is no form to fill)."""
    fake, person = bot.discord, fuzzed.person
    if person.who in PEOPLE:
        member = bot.member(person.who)
    else:  # names shared by a few newcomers each, as display names are
        ident = snowflake()
        member = FakeMember(ident, f"newcomer{ident[-3:]}")
    guild: FakeGuild | None = bot.guild
    if person.where == "elsewhere":
        guild = FakeGuild(ELSEWHERE, "Elsewhere", "1", channel_id="645027906669510667")
    elif person.where == "dm" and fuzzed.kind not in ("line", "command", "autocomplete"):
        guild = None  # /trypost is guild-only: Discord sends it from guilds
    data = json.loads(json.dumps(fuzzed.data).replace(HOME, bot.guild.id))
    if fuzzed.kind == "line":
        try:
            form = typed(data["line"])
        except (ParseError, ValueError):
            return None
        data = {"options": form.discord_options()}
    elif fuzzed.kind in ("command", "autocomplete"):
        data = {"options": _nested(data["path"], data["options"])}
    assert guild is not None or fuzzed.kind in ("button", "select", "modal")
    if fuzzed.kind in ("line", "command", "autocomplete"):
        assert guild is not None
        resolved = _resolve(bot, data["options"])
        payload = fake.slash(guild, member, data["options"], resolved or None)
        payload["type"] = 4 if fuzzed.kind == "autocomplete" else 2
    elif fuzzed.kind == "modal":
        channel = guild.channel_id if guild else fake.dm_channels.get(member.user_id, "1")
        payload = fake.submit_modal(data, {}, member, guild, _message(channel, []))
        payload["data"]["components"] = data["components"]
        if not data["from_message"]:
            del payload["message"]
    else:
        channel = guild.channel_id if guild else "1"
        component: dict[str, Any] = {"type": 2, "style": 1, "label": "x"}
        if fuzzed.kind == "select":
            component = {"type": data["component_type"], "options": []}
        component["custom_id"] = data["custom_id"]
        payload = fake.click(data["custom_id"], member, _message(channel, [component]), guild)
        if fuzzed.kind == "select":
            payload["data"].update(component_type=data["component_type"], values=data["values"])
    _dress(payload, person)
    return payload


def _nested(path: list[str], options: list[dict[str, Any]]) -> list[dict[str, Any]]:
    nested: dict[str, Any] = {"name": path[-1], "type": 1, "options": options}
    if len(path) == 2:
        nested = {"name": path[0], "type": 2, "options": [nested]}
    return [nested]


def _resolve(bot: DiscordBot, options: list[dict[str, Any]]) -> dict[str, Any]:
    """Discord's ``resolved`` for the options naming people, roles or attachments (a
    reference drawn by name becomes an id here)."""
    resolved: dict[str, dict[str, Any]] = {}
    for option in _flat(options):
        value = option.get("value")
        if isinstance(value, dict) and "ref" in value:
            option["value"] = _referred(bot, value["ref"], option["type"], resolved)
        elif isinstance(value, dict) and "attachment" in value:
            ident = snowflake()
            attachment = {"id": ident, "proxy_url": value["attachment"]["url"]}
            resolved.setdefault("attachments", {})[ident] = {**value["attachment"], **attachment}
            option["value"] = ident
        elif option.get("type") in (USER, MENTIONABLE) and isinstance(value, str):
            _person(bot, value, resolved)  # a mention typed in a line
    return resolved


def _flat(options: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for option in options:
        if option.get("type") in (1, 2):
            yield from _flat(option.get("options", []))
        else:
            yield option


def _referred(bot: DiscordBot, ref: str, kind: int, resolved: dict[str, Any]) -> str:
    if ref in ("role", "everyone") and kind != USER:
        ident = bot.guild.id if ref == "everyone" else next(iter(bot.guild.roles), "1")
        name = "@everyone" if ref == "everyone" else bot.guild.roles.get(ident, "mods")
        resolved.setdefault("roles", {})[ident] = {
            "id": ident, "name": name, "permissions": "0", "position": 1, "color": 0,
            "hoist": False, "managed": False, "mentionable": True, "flags": 0,
        }  # fmt: skip
        return ident
    ident = {"bot": BOT_USER, "stranger": "300000000000000009"}.get(ref) or PEOPLE.get(ref, "1")
    _person(bot, ident, resolved)
    return ident


def _person(bot: DiscordBot, ident: str, resolved: dict[str, Any]) -> None:
    member = bot.guild.members.get(ident)
    if member is None:  # not in the guild: Discord resolves the user, not a member
        resolved.setdefault("users", {})[ident] = user_object(ident, f"user{ident[-4:]}")
        return
    whole = member.member_object()
    resolved.setdefault("users", {})[ident] = whole.pop("user")
    resolved.setdefault("members", {})[ident] = {**whole, "permissions": "0"}


def _message(channel: str, components: list[dict[str, Any]]) -> dict[str, Any]:
    """A message of the bot's with these components (the one clicked)."""
    return {
        "id": snowflake(),
        "channel_id": channel,
        "type": 0,
        "content": "",
        "embeds": [],
        "components": [{"type": 1, "components": components}] if components else [],
        "author": {**user_object(BOT_USER, "TryPost"), "bot": True},
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": "2026-11-25T10:00:00.000000+00:00",
        "edited_timestamp": None,
        "flags": 0,
    }


def _dress(payload: dict[str, Any], person: Person) -> None:
    """The person's odd fields over the user and member objects Discord sends."""
    if "member" in payload:
        payload["member"].update(person.member)
        payload["member"]["user"].update(person.user)
    if "user" in payload:
        payload["user"].update(person.user)


@dataclass
class Played:
    sent: int = 0
    skipped: int = 0  # lines Discord's form cannot hold
    not_answered: list[dict[str, Any]] = field(default_factory=list)
    crashes: list[str] = field(default_factory=list)


async def play(
    bot: DiscordBot,
    interactions: list[Fuzzed],
    *,
    within: float = 10.0,
    played: Played | None = None,
) -> Played:
    """Send each interaction, waiting until the bot is done with it; what was not
    answered within ``within`` seconds, and crashes (an exception out of the harness, the
    bot's gateway connection gone), are kept."""
    played = played or Played()
    for fuzzed in interactions:
        payload = payload_of(bot, fuzzed)
        if payload is None:
            played.skipped += 1
            continue
        played.sent += 1
        try:
            answered = await bot.interact(payload, within=within)
        except Exception as crashed:  # the harness or the fake, not the bot's answer
            played.crashes.append(f"{type(crashed).__name__}: {crashed}")
            answered = True
        if not answered:
            played.not_answered.append(payload)
        task = bot.app.discord._task if bot.app.discord else None
        if task is not None and task.done():
            played.crashes.append("the bot's Discord connection ended")
            break
    return played
