"""Collaboration on Slack: native mentions, the Comment / Reply / Request changes modals,
review buttons that re-check everything and update the DM clicked, invitations."""

import json
from pathlib import Path
from typing import Any

from tests.e2e.slack_harness import SlackBot, button, filled, rich_text, slack_bot

PEOPLE = {"U1": "alice", "U2": "bob", "U3": "ann", "U4": "dan", "U5": "eve"}


async def team(bot: SlackBot, *invited: tuple[str, str]) -> None:
    """U1 owns the workspace; each (user, role) is invited and accepts."""
    for user, name in PEOPLE.items():
        bot.slack.users[user] = {"display_name": name, "email": f"{name}@localhost"}
    await bot.command("accounts add sandbox brand")
    for user, role in invited:
        await bot.command(f"members invite <@{user}> {role}")
        await bot.command("members accept", user=user)
    await bot.app.notify()


async def response(bot: SlackBot, name: str) -> dict[str, Any]:
    """The last answer posted to a response_url; a modal's outcome arrives after its ack."""
    answers = await bot.wait_for(lambda: bot.slack.responses_to(name))
    assert answers, f"nothing answered {name}"
    return dict(answers[-1])


def texts(message: dict[str, Any]) -> str:
    return json.dumps(message.get("blocks", []), ensure_ascii=False)


def has_button(message: dict[str, Any], action: str) -> bool:
    return f'"trypost:{action}#' in texts(message)


async def clicked_modal(
    bot: SlackBot, message: dict[str, Any], action: str, user: str
) -> dict[str, Any]:
    opened = len(bot.slack.calls_to("views.open"))
    await bot.click_in(message, action, user=user, wait=False)
    return await bot.modal(opened)


async def test_a_comment_saying_channel_or_here_never_pings(tmp_path: Path) -> None:
    async with slack_bot(tmp_path) as bot:
        await team(bot, ("U3", "viewer"))
        await bot.command('draft "Idea"')
        # Slack sends a slash command's text with &, < and > escaped and mentions as ids.
        [said] = await bot.command('comment 1 "&lt;!channel&gt; <!here> <#C1> &amp; <@U3|ann>"')
        assert "Comment 1 on post 1" in said
        await bot.command("comments 1")
        shown = texts(await response(bot, f"cmd{bot.serial}"))
        assert "<!channel>" not in shown and "<!here>" not in shown and "<#C1>" not in shown
        assert "&lt;!channel&gt;" in shown and "&lt;!here&gt;" in shown and "&amp;" in shown
        assert "<@U3>" in shown, "the member mentioned is drawn by Slack, by id"
        assert "<@U1>" in shown, "and so is the comment's author"
        await bot.app.notify()
        [mentioned] = [dm for dm in bot.dms("U3") if "mentioned you" in dm["text"]]
        assert "<!" not in texts(mentioned), "the notice quotes names, never a broadcast"


async def test_the_comment_button_opens_a_rich_text_modal_with_native_mentions(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path) as bot:
        await team(bot, ("U3", "viewer"))
        await bot.command('draft "Idea"')
        await bot.command("comments 1")
        thread = await response(bot, f"cmd{bot.serial}")
        view = await clicked_modal(bot, thread, "comment", "U1")
        assert view["title"]["text"] == "Comment on post 1"
        [block] = view["blocks"]
        assert block["element"]["type"] == "rich_text_input"

        refused = await bot.submit(filled(view, "text", rich_text("  ")))
        assert refused["response_action"] == "errors", "errors show inline, in the modal"
        assert "needs some text" in refused["errors"]["text"]

        words = rich_text("Have a look ", "<@U3>", " & tell <!here>")
        assert await bot.submit(filled(view, "text", words)) == {}
        said = await response(bot, f"click{bot.serial}")
        assert "Comment 1 on post 1" in said["text"]
        assert said["replace_original"] is False, "said beside the thread, not over it"
        await bot.app.notify()
        [notice] = [dm for dm in bot.dms("U3") if "mentioned you" in dm["text"]]
        assert "@ann" in notice["text"], "a DM quotes the comment with names"
        assert button(notice, "comment")["value"] == "1 reply 1"

        reply_view = await clicked_modal(bot, notice, "comment", "U3")
        assert reply_view["title"]["text"] == "Reply to comment 1"
        assert await bot.submit(filled(reply_view, "text", rich_text("On it")), user="U3") == {}
        assert "Reply 2 on post 1" in (await response(bot, f"click{bot.serial}"))["text"]
        await bot.command("comments 1")
        shown = texts(await response(bot, f"cmd{bot.serial}"))
        assert "Have a look <@U3>" in shown and "&lt;!here&gt;" in shown and "On it" in shown


async def test_review_buttons_recheck_everything_and_update_the_dm_clicked(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path) as bot:
        await team(bot, ("U2", "editor"), ("U3", "approver"))
        await bot.command("settings approvals on")
        await bot.command('schedule "Launch" at in 3 hours', user="U2")
        await bot.app.notify()
        [asked] = [dm for dm in bot.dms("U3") if "asks you to review" in dm["text"]]
        assert has_button(asked, "approve") and has_button(asked, "changes")

        # Someone of another Slack team presses it: refused, and nothing changes here.
        [other] = await bot.click("trypost:approve#0", "1", user="U9", team="T222")
        assert "There is no post 1 here" in other
        [still] = await bot.command("show 1")
        assert "waiting for review" in still

        view = await clicked_modal(bot, asked, "changes", "U3")
        assert view["title"]["text"] == "Request changes"
        refused = await bot.submit(filled(view, "feedback", {"value": "  "}), user="U3")
        assert "Say what should change" in refused["errors"]["feedback"]
        feedback = filled(view, "feedback", {"value": "Add the link"})
        assert await bot.submit(feedback, user="U3") == {}
        decided = await response(bot, f"click{bot.serial}")
        assert decided["replace_original"] is True, "the DM clicked shows the outcome"
        assert "Asked for changes to post 1" in decided["text"]
        assert not has_button(decided, "approve") and not has_button(decided, "changes")

        await bot.command("submit 1", user="U2")
        await bot.app.notify()
        second = [dm for dm in bot.dms("U3") if "asks you to review" in dm["text"]][-1]
        [approved] = await bot.click_in(second, "approve", user="U3")
        assert "Approved post 1: it goes out" in approved
        replaced = await response(bot, f"click{bot.serial}")
        assert replaced["replace_original"] is True
        assert not has_button(replaced, "approve") and not has_button(replaced, "changes")

        [again] = await bot.click_in(second, "approve", user="U3")
        assert "already approved by you" in again
        assert (await response(bot, f"click{bot.serial}"))["replace_original"] is False

        owners = [dm for dm in bot.dms("U1") if "asks you to review" in dm["text"]][-1]
        [late] = await bot.click_in(owners, "approve", user="U1")
        assert "already approved by @ann at" in late
        beside = await response(bot, f"click{bot.serial}")
        assert beside["replace_original"] is False and beside["response_type"] == "ephemeral"
        late_view = await clicked_modal(bot, owners, "changes", "U1")
        refused = await bot.submit(filled(late_view, "feedback", {"value": "No"}))
        assert "already approved by @ann" in refused["errors"]["feedback"]
        [shown] = await bot.command("show 1")
        assert "scheduled" in shown and "approved by @ann" in shown


async def test_invitations_are_answered_from_the_dm_and_home_creates_nothing(
    tmp_path: Path,
) -> None:
    async with slack_bot(tmp_path) as bot:
        await team(bot)
        await bot.command("members invite <@U2> editor")
        await bot.app.notify()
        [invite] = bot.dms("U2")
        assert "invited to trypost as editor" in invite["text"]
        assert button(invite, "members")["value"] == "accept"

        await bot.event({"type": "app_home_opened", "user": "U2", "channel": "D2", "tab": "home"})
        [home] = await bot.wait_for(lambda: bot.slack.calls_to("views.publish"))
        assert home["user_id"] == "U2" and "`members accept` to join" in json.dumps(home["view"])
        assert '"trypost:members#0"' in json.dumps(home["view"])

        await bot.command("schedule", user="U2", expect_reply=False)
        [composer] = await bot.wait_for(lambda: bot.slack.calls_to("views.update"))
        assert "`members accept` to join" in json.dumps(composer["view"])
        [none] = await bot.command("list all")
        assert "No posts" in none, "an invited person creates nothing"

        [welcome] = await bot.click_in(invite, "members", user="U2")
        assert "Welcome! You are editor" in welcome
        assert (await response(bot, f"click{bot.serial}"))["replace_original"] is True
        [listed] = await bot.command("list", user="U2")
        assert "No posts" in listed

        await bot.command("members invite <@U4> viewer")
        await bot.app.notify()
        declined = bot.dms("U4")[-1]
        decline = next(
            e
            for b in declined["blocks"]
            if b["type"] == "actions"
            for e in b["elements"]
            if e.get("value") == "decline"
        )
        [said] = await bot.click(
            decline["action_id"], "decline", user="U4", channel=declined["channel"]
        )
        assert "Invitation declined" in said
        [gone] = await bot.command("list", user="U4")
        assert "not a member" in gone
        await bot.app.notify()
        assert any("declined your invitation" in dm["text"] for dm in bot.dms("U1"))

        # Accepting from the Home tab refreshes it into the member's own Home.
        await bot.command("members invite <@U5> viewer")
        published = len(bot.slack.calls_to("views.publish"))
        await bot.click("trypost:members#0", "accept", user="U5", container="view")
        [fresh] = await bot.wait_for(lambda: bot.slack.calls_to("views.publish")[published:])
        assert fresh["user_id"] == "U5" and "Upcoming" in json.dumps(fresh["view"])
