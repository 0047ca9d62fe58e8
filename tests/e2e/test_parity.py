"""The same scenarios on the console, on Slack and on Discord."""

import sqlite3
from collections import Counter
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from bot.commands.errors import ParseError
from tests.e2e.console import run_console
from tests.e2e.console_durations import parse as parse_duration
from tests.e2e.discord_harness import DiscordBot, button_in, discord_bot
from tests.e2e.discord_lines import typed
from tests.e2e.scenarios import OWNER, SCENARIOS, TOLD, Step
from tests.e2e.slack_harness import SlackBot, filled, rich_text, slack_bot

NAMES = sorted(SCENARIOS)
CLOCK = "2026-11-25T10:00:00Z"  # the Slack harness starts at the same instant
# Who is who on Slack: fixed ids, and profiles that give the console's names and
# addresses, so both surfaces name (and email) the same people.
SLACK_IDS = {OWNER: "U1", "bob": "U2", "ann": "U3"}
MENTIONS = {name: f"<@{user}>" for name, user in SLACK_IDS.items()}
DISCORD_IDS = {
    OWNER: "200000000000000001",
    "bob": "200000000000000002",
    "ann": "200000000000000003",
}
DISCORD_MENTIONS = {name: f"<@{user}>" for name, user in DISCORD_IDS.items()}


@pytest.mark.parametrize("name", NAMES)
def test_scenario_on_the_console(tmp_path: Path, name: str) -> None:
    steps = SCENARIOS[name]
    lines: list[tuple[str, Step | None]] = []
    acting = OWNER
    for step in steps:
        if step.actor != acting and not step.line.startswith(":"):
            lines.append((f":as {step.actor}", None))
            acting = step.actor
        lines.append((step.written(), step))
    script = "\n".join(line for line, _ in lines) + "\n"
    run = run_console(tmp_path, script, as_name=OWNER, clock=CLOCK)
    assert run.returncode == 0, run.stderr
    answers = run.answers()
    assert [line for line, _ in answers] == [line for line, _ in lines]
    for (line, wanted), (_, answer) in zip(lines, answers, strict=True):
        for phrase in wanted.expect if wanted else ():
            assert phrase in answer, f"{line!r}: {phrase!r} not in {answer!r}"
    if name in TOLD:
        dms = Counter(
            line.split("DM → @", 1)[1].split(":", 1)[0]
            for line in run.output.splitlines()
            if line.startswith("DM → @")
        )
        _assert_told(tmp_path, TOLD[name], dms)


@pytest.mark.parametrize("name", NAMES)
async def test_scenario_on_slack(tmp_path: Path, name: str) -> None:
    async with slack_bot(tmp_path) as bot:
        for who, user in SLACK_IDS.items():
            bot.slack.users[user] = {"display_name": who, "email": f"{who}@localhost"}
        for step in SCENARIOS[name]:
            await _slack_step(bot, step)
            # As the worker's 5-second job would: notices out before the next step.
            await bot.app.notify()
        if name in TOLD:
            dms = Counter({who: len(bot.dms(user)) for who, user in SLACK_IDS.items()})
            _assert_told(tmp_path, TOLD[name], +dms)


async def _slack_step(bot: SlackBot, step: Step) -> None:
    if step.line.startswith(":advance "):
        await bot.advance(parse_duration(step.line.removeprefix(":advance ")))
        return
    if step.line.startswith(":presence "):
        who, state = step.line.split()[1:3]
        bot.slack.presence[SLACK_IDS[who]] = "away" if state == "away" else "active"
        return
    user = SLACK_IDS[step.actor]
    if step.click:
        answer = "\n".join(await _press(bot, step, user))
    else:
        answer = "\n".join(await bot.command(step.written(MENTIONS), user=user))
    for phrase in step.expect:
        assert phrase in answer, f"{step.line!r}: {phrase!r} not in {answer!r}"


async def _press(bot: SlackBot, step: Step, user: str) -> list[str]:
    """The button of the latest DM to ``user`` standing for the step's line; when it
    opens a modal, the line's quoted words are written in it and submitted."""
    assert step.click
    target = step.line.split()[1]
    dms = [
        dm
        for dm in bot.dms(user)
        if any(
            b.get("value") == target
            for b in _buttons(dm)
            if b["action_id"].startswith(f"trypost:{step.click}#")
        )
    ]
    assert dms, f"{step.line!r}: no DM to {user} with a {step.click} {target} button"
    if step.click not in ("changes", "comment"):
        return await bot.click_in(dms[-1], step.click, user=user)
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click_in(dms[-1], step.click, user=user, wait=False)
    view = await bot.modal(opened)
    if step.click == "changes":
        submitted = filled(view, "feedback", {"value": step.quoted})
    else:
        submitted = filled(view, "text", rich_text(step.quoted))
    assert await bot.submit(submitted, user=user) == {}, "accepted: the modal closes"
    return await bot.replies(f"click{bot.serial}")


@pytest.mark.parametrize("name", NAMES)
async def test_scenario_on_discord(tmp_path: Path, name: str) -> None:
    async with discord_bot(tmp_path, DISCORD_IDS) as bot:
        for step in SCENARIOS[name]:
            await _discord_step(bot, step)
            await bot.app.notify()
        if name in TOLD:
            dms = Counter({who: len(bot.dms(who)) for who in DISCORD_IDS})
            # Discord gives no addresses, and nobody here set one (`settings email`).
            _assert_told(tmp_path, TOLD[name], +dms, emailed=False)


async def _discord_step(bot: DiscordBot, step: Step) -> None:
    if step.line.startswith(":advance "):
        await bot.advance(parse_duration(step.line.removeprefix(":advance ")))
        return
    if step.line.startswith(":presence "):
        who, state = step.line.split()[1:3]
        await bot.discord.presence_update(
            bot.guild, DISCORD_IDS[who], "idle" if state == "away" else "online"
        )
        return
    line = step.written(DISCORD_MENTIONS)
    try:
        typed(line)
    except ParseError:
        # Discord offers only the commands there are: a misspelt one cannot be sent.
        return
    if step.click:
        answer = await _discord_press(bot, step)
    else:
        answer = (await bot.command(line, who=step.actor)).texts()
    for phrase in step.expect:
        assert phrase in answer, f"{step.line!r}: {phrase!r} not in {answer!r}"


async def _discord_press(bot: DiscordBot, step: Step) -> str:
    """The button of the latest DM standing for the line; its modal, when it opens one,
    gets the line's quoted words."""
    assert step.click
    target = step.line.split()[1]
    found = [
        (dm, custom_id)
        for dm in bot.dms(step.actor)
        if (custom_id := button_in(dm, step.click, target))
    ]
    assert found, f"{step.line!r}: no DM to {step.actor} with a {step.click} {target} button"
    message, custom_id = found[-1]
    clicked = await bot.click(message, custom_id, who=step.actor)
    if clicked.modal is None:
        return clicked.texts()
    submitted = await bot.submit(
        clicked.modal, {"text": step.quoted}, who=step.actor, message=message, in_guild=False
    )
    return submitted.texts()


def _buttons(message: dict[str, object]) -> list[dict[str, str]]:
    blocks = message.get("blocks")
    found: list[dict[str, str]] = []
    for block in blocks if isinstance(blocks, list) else []:
        if block.get("type") == "actions":
            found += block.get("elements", [])
    return found


def _assert_told(
    workdir: Path, told: dict[str, tuple[str, ...]], dms: Counter[str], *, emailed: bool = True
) -> None:
    """Inbox records, DMs and emails per member are exactly what the scenario says."""
    with sqlite3.connect(workdir / "trypost.db") as db:
        rows = db.execute(
            "select m.name, n.type from notifications n join members m on m.id = n.recipient_id"
            " order by n.id"
        ).fetchall()
    inbox: dict[str, list[str]] = {}
    for who, kind in rows:
        inbox.setdefault(who, []).append(kind)
    assert {who: tuple(kinds) for who, kinds in inbox.items()} == told
    assert dms == Counter({who: len(kinds) for who, kinds in told.items()})
    mails = [
        message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in sorted((workdir / "outbox").glob("*.eml"))
    ]
    to = [(m["To"].addresses[0].username, str(m["Subject"])) for m in mails]
    if not emailed:
        assert to == []
        return
    assert Counter(who for who, _ in to) == Counter({w: len(kinds) for w, kinds in told.items()})
    for who, kinds in told.items():
        if "mentioned_in_comment" in kinds:
            assert any(w == who and "mentioned you" in subject for w, subject in to), who
