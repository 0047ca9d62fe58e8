"""People on Slack: mentions kept by escaping, rich text read back, modal buttons."""

import pytest

from bot.slack.blocks import MAX_TEXT, escape, to_blocks
from bot.slack.mentions import SLACK_USER, rich_text_to_text, show_member
from bot.slack.modals import Asked, asks_for_text, modal_view, origin_of, read_submission
from core.messages import Reply
from core.roles import Role
from core.workspace import Member


def test_escape_keeps_user_mentions_and_nothing_else() -> None:
    said = "<@U123> & <!channel> <!here> <!subteam^S1> <#C1> <https://x.test|y> <@W9|bob>"
    assert escape(said) == (
        "<@U123> &amp; &lt;!channel&gt; &lt;!here&gt; &lt;!subteam^S1&gt; &lt;#C1&gt; "
        "&lt;https://x.test|y&gt; <@W9|bob>"
    )


@pytest.mark.parametrize(
    "almost", ["<@U123", "<@u123>", "<@U1 >", "<@U1|a<b>", "<@U1|&lt;>", "<@C123>", "<@>"]
)
def test_what_only_looks_like_a_mention_is_escaped(almost: str) -> None:
    assert "<" not in escape(almost)


def test_splitting_a_long_text_never_cuts_a_mention() -> None:
    text = "a" * (MAX_TEXT - 5) + "<@U12345678> and more"
    blocks = to_blocks(Reply(text=text))
    joined = [b["text"]["text"] for b in blocks]
    assert any("<@U12345678>" in chunk for chunk in joined)
    assert all(len(chunk) <= MAX_TEXT for chunk in joined)


def test_a_member_is_shown_by_slack_id_when_known() -> None:
    slack = Member(1, "ann", Role.EDITOR, slack_user_id="U3")
    console = Member(1, "bob", Role.EDITOR)
    assert show_member(slack) == "<@U3>" and show_member(console) == "@bob"
    assert SLACK_USER.fullmatch("<@U3>") and SLACK_USER.fullmatch("<@W3|ann>")
    assert not SLACK_USER.fullmatch("<!channel>")


def test_rich_text_reads_back_as_typed_with_users_as_mentions_and_no_broadcast() -> None:
    value = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "Hi "},
                    {"type": "user", "user_id": "U3"},
                    {"type": "text", "text": ", "},
                    {"type": "broadcast", "range": "here"},
                    {"type": "text", "text": " "},
                    {"type": "usergroup", "usergroup_id": "S1"},
                    {"type": "text", "text": " see "},
                    {"type": "link", "url": "https://x.test", "text": "this"},
                    {"type": "text", "text": " "},
                    {"type": "emoji", "name": "tada", "unicode": "1f389"},
                ],
            },
            {
                "type": "rich_text_list",
                "style": "bullet",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]},
                ],
            },
        ],
    }
    assert rich_text_to_text(value) == (
        "Hi <@U3>, @here @group see this (https://x.test) :tada:\n• one"
    )
    assert rich_text_to_text(None) == "" and rich_text_to_text({"elements": "x"}) == ""


@pytest.mark.parametrize(
    ("action", "target", "asked"),
    [
        ("comment", "4", Asked("comment", 4)),
        ("comment", "4 reply 7", Asked("comment", 4, 7)),
        ("changes", "4", Asked("changes", 4)),
        ("comment", '4 "text"', None),
        ("changes", '4 "why"', None),
        ("approve", "4", None),
    ],
)
def test_only_buttons_missing_their_words_open_a_modal(
    action: str, target: str, asked: Asked | None
) -> None:
    assert asks_for_text(action, target) == asked


def test_a_modal_carries_where_to_answer_and_reads_back() -> None:
    click = {
        "response_url": "https://hooks.slack.test/actions/1",
        "container": {"type": "message", "message_ts": "9.9", "channel_id": "D1"},
        "channel": {"id": "D1"},
    }
    view = modal_view(Asked("comment", 4, 7), origin_of(click))
    assert view["title"]["text"] == "Reply to comment 7"
    view["state"] = {
        "values": {
            "text": {
                "text": {
                    "type": "rich_text_input",
                    "rich_text_value": {
                        "type": "rich_text",
                        "elements": [
                            {
                                "type": "rich_text_section",
                                "elements": [{"type": "text", "text": " Done "}],
                            }
                        ],
                    },
                }
            }
        }
    }
    asked, origin, text = read_submission(view)
    assert asked == Asked("comment", 4, 7) and text == "Done"
    assert origin.response_url == "https://hooks.slack.test/actions/1"
    assert (origin.channel, origin.ts, origin.in_home) == ("D1", "9.9", False)
