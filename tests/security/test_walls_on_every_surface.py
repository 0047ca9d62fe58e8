"""Issue 13, security: another workspace's posts, comments, notifications, accounts,
labels and people, named on every command over Slack and on every button over Slack
(block actions, and the modals some open) and Discord (components, and their modals).

Globex, another workspace of the same database, holds posts 1-4 (a draft in review, a
scheduled post, a published one, a failed one), comments, reactions, labels, an account
and notifications. A member of our workspace tries each of its numbers and names on
every command the grammar makes and every button the renderers draw: every attempt is
refused, none shows anything of Globex, and not one row of the database changes.

tests/integration/test_workspace_walls.py tries the commands through the dispatcher on
SQLite and PostgreSQL; this goes through the chat surfaces the way people reach them.
"""

import dataclasses
from pathlib import Path
from typing import Any, get_args

from bot.app import App
from bot.commands.dispatch import Context, dispatch
from bot.commands.grammar import parse
from bot.commands.requests import Request
from bot.discord.render import view_of
from bot.slack import modals
from bot.slack.blocks import to_blocks
from core.messages import Button, Reply
from core.notifications.ports import InboxFilter
from core.usecases.context import Actor
from tests.e2e.discord_harness import discord_bot
from tests.e2e.slack_harness import SlackBot, filled, rich_text, slack_bot
from tests.fake_discord import EPHEMERAL
from tests.integration.test_workspace_walls import ATTEMPTS, _team
from tests.security.buttons import actions, drawn
from tests.security.db_state import Dump, changed, dump

THEIRS = "GLOBEX"
POSTS = (1, 2, 3, 4)
# Every command naming something of a workspace other than by number: its accounts,
# labels and people (Globex's owner is "globex-owner").
BY_NAME = [
    "accounts remove news", "accounts mode news fail", "accounts reconnect news",
    "labels remove launch", "list label launch", "members role @globex-owner viewer",
    "members remove @globex-owner",
]  # fmt: skip
# Request fields that name something the workspace holds.
NAMING = frozenset({"post", "comment", "reply_to", "target", "name", "user", "label"})


def _attempts(comment: int, notice: int) -> list[str]:
    lines = [a.format(p=p, c=comment, n=notice) for a in ATTEMPTS for p in POSTS]
    return sorted(set(lines)) + BY_NAME


def test_every_command_naming_something_is_tried() -> None:
    """A new command that takes a post, comment, notification or name must be added to
    the attempts (here or in test_workspace_walls), or this fails."""
    naming = {
        kind for kind in get_args(Request) if NAMING & {f.name for f in dataclasses.fields(kind)}
    }
    tried = {type(parse(line)) for line in _attempts(1, 1)}
    assert naming <= tried, sorted(k.__name__ for k in naming - tried)


@dataclasses.dataclass
class Globex:
    actor: Actor
    comment: int
    notice: int
    # What Globex's own owner is shown: the buttons a forwarded message would carry.
    replies: list[Reply]


async def _say(app: App, actor: Actor, line: str) -> Reply:
    return await dispatch(parse(line), Context(app.services, actor))


async def _globex(app: App) -> Globex:
    theirs = await _team(app.services, "globex")
    for line in ("accounts add sandbox news", "labels add launch", f'draft "{THEIRS} draft"',
                 "submit 1", f'schedule "{THEIRS} later" at tomorrow 9am label launch',
                 f'now "{THEIRS} live"', "accounts mode news fail", f'now "{THEIRS} failed"',
                 "accounts mode news ok", f'comment 2 "{THEIRS} note"',
                 f'comment 2 reply 1 "{THEIRS} answer"', "react 1 🎉"):  # fmt: skip
        await _say(app, theirs, line)
    shown = await _say(app, theirs, "show 4")
    assert THEIRS in (shown.text or "") + (shown.title or ""), "post 4 is theirs"
    assert "failed" in str(shown).lower(), shown
    await app.notify()
    async with app.uow() as uow:
        notices = await uow.notifications.inbox(theirs.member_id, InboxFilter())
    assert notices, "Globex has notifications to aim at"
    shown_to_them = ("show 1", "show 2", "show 3", "show 4", "delete 1", "comments 2", "inbox")
    replies = [await _say(app, theirs, line) for line in shown_to_them]
    return Globex(theirs, 1, notices[0].id, replies)


def _targets(globex: Globex) -> list[Button]:
    found = drawn(POSTS, globex.comment, globex.notice, "news", globex.replies)
    # The buttons of every kind the renderers draw are here, aimed at Globex.
    assert {"retry", "duplicate", "unschedule", "delete", "approve", "changes", "comment",
            "show", "comments", "read", "accounts", "members"} <= actions(found)  # fmt: skip
    return found


def _refused_without_a_trace(said: str, what: str) -> None:
    assert THEIRS not in said, (what, said)
    assert "went wrong" not in said, (what, said)


async def _unchanged(app: App, before: Dump) -> None:
    assert changed(before, await dump(app.engine)) == {}


# --- Slack ---------------------------------------------------------------------------


async def _slack_click(bot: SlackBot, button: Button) -> str:
    """Click the button as Slack draws it; write in its modal when it opens one."""
    [element] = [
        e for block in to_blocks(Reply(buttons=(button,))) if block["type"] == "actions"
        for e in block["elements"]
    ]  # fmt: skip
    action_id, value = element["action_id"], element.get("value", "")
    if modals.asks_for_text(button.action, value) is None:
        said = "\n".join(await bot.click(action_id, value))
        assert "❌" in said, (button, said)
        return said
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click(action_id, value, wait=False)
    view = await bot.modal(opened)
    block = "text" if button.action == "comment" else "feedback"
    words = rich_text("taken over") if block == "text" else {"value": "taken over"}
    answer: dict[str, Any] = await bot.submit(filled(view, block, words))
    assert answer.get("response_action") == "errors", (button, answer)
    return str(answer)


async def test_slack_commands_and_buttons_never_reach_another_workspace(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        globex = await _globex(bot.app)
        [ours] = await bot.command("accounts add sandbox main")
        assert "Added sandbox account main" in ours
        before = await dump(bot.app.engine)

        for line in _attempts(globex.comment, globex.notice):
            said = "\n".join(await bot.command(line))
            _refused_without_a_trace(said, line)
            # A listing by another workspace's label lists none of ours: not a refusal.
            assert "❌" in said or line.startswith("list "), (line, said)
        await _unchanged(bot.app, before)

        buttons = _targets(globex)
        for button in buttons:
            _refused_without_a_trace(await _slack_click(bot, button), button.command)
        await bot.wait_for(list)
        await _unchanged(bot.app, before)
        assert THEIRS not in str(bot.slack.calls), "nothing of Globex was sent to Slack"


# --- Discord -------------------------------------------------------------------------

PEOPLE = {"alice": "200000000000000001"}


async def test_discord_buttons_never_reach_another_workspace(tmp_path: Path) -> None:
    async with discord_bot(tmp_path, PEOPLE) as bot:
        globex = await _globex(bot.app)
        ours = await bot.command("accounts add sandbox main", who="alice")
        assert "Added sandbox account main" in ours.texts()
        before = await dump(bot.app.engine)

        for button in _targets(globex):
            view = view_of(Reply(buttons=(button,)), bot.guild.id)
            assert view is not None, button
            [custom_id] = [str(item.custom_id) for item in view.children]  # type: ignore[attr-defined]
            view.stop()
            message = {
                "id": "1",
                "channel_id": bot.guild.channel_id,
                "components": [{"type": 1, "components": [
                    {"type": 2, "custom_id": custom_id, "style": 2, "label": button.label}]}],
            }  # fmt: skip
            answer = await bot.click(message, custom_id, who="alice", in_guild=True)
            if answer.modal is not None:
                answer = await bot.submit(
                    answer.modal, {"text": "taken over"}, who="alice", message=message
                )
            said = answer.texts()
            _refused_without_a_trace(said, button.command)
            assert "❌" in said, (button, said)
            assert any((a.get("data") or a).get("flags", 0) & EPHEMERAL for a in answer.answers), (
                "refused beside the message, privately, never wiping it",
                button,
            )
        await _unchanged(bot.app, before)
        assert THEIRS not in str([c.body for c in bot.discord.calls])
