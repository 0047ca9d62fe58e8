"""The neutral reply drawn as Block Kit: every part, escaping, Slack's limits, buttons."""

import html
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.slack.blocks import (
    ACTION_ID_PATTERN,
    action_id,
    fallback_text,
    home_view,
    parse_action_id,
    to_blocks,
)
from core.messages import Button, Field, Reply, Tone

Block = dict[str, Any]
ENTITY_CUT = re.compile(r"&(a|am|amp|l|lt|g|gt)?$")


def texts(block: Block) -> list[str]:
    """Every text object's text in a block."""
    found = [block["text"]["text"]] if "text" in block else []
    found += [field["text"] for field in block.get("fields", [])]
    found += [element["text"] for element in block.get("elements", []) if "text" in element]
    return [t if isinstance(t, str) else t["text"] for t in found]


def assert_within_slack_limits(blocks: list[Block], most: int = 50) -> None:
    assert len(blocks) <= most
    json.dumps(blocks)  # plain JSON, nothing else
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            assert len(block.get("fields", [])) <= 10
            assert all(len(f["text"]) <= 2000 for f in block.get("fields", []))
        if block["type"] == "actions":
            assert 1 <= len(block["elements"]) <= 25
            ids = [element["action_id"] for element in block["elements"]]
            assert len(ids) == len(set(ids))
            assert all(len(e["text"]["text"]) <= 75 for e in block["elements"])
        for text in texts(block):
            assert 0 < len(text) <= 3000
            assert not ENTITY_CUT.search(text)


def of_type(blocks: list[Block], kind: str) -> list[Block]:
    return [block for block in blocks if block["type"] == kind]


@pytest.mark.parametrize(
    ("tone", "title"),
    [
        (Tone.INFO, "Post #4"),
        (Tone.SUCCESS, ":white_check_mark: Post #4"),
        (Tone.WARNING, ":warning: Post #4"),
        (Tone.ERROR, ":x: Post #4"),
    ],
)
def test_title_is_a_header_with_the_emoji_of_its_tone(tone: Tone, title: str) -> None:
    blocks = to_blocks(Reply(title="Post #4", tone=tone))

    assert blocks == [
        {"type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}
    ]


def test_title_too_long_for_a_header_becomes_a_bold_section() -> None:
    title = "A & B " * 40

    (block,) = to_blocks(Reply(title=title, tone=Tone.ERROR))

    assert block["type"] == "section"
    assert block["text"]["text"] == f":x: *{title.replace('&', '&amp;')}*"


def test_text_is_an_escaped_mrkdwn_section() -> None:
    # A user mention stays (Slack draws the person); a broadcast is only words.
    reply = Reply(title="Hi", text="Ask <@U1>, not <!channel> & `list` > 2")

    assert to_blocks(reply)[1] == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "Ask <@U1>, not &lt;!channel&gt; &amp; `list` &gt; 2"},
    }


def test_without_a_title_the_text_carries_the_tone() -> None:
    (block,) = to_blocks(Reply(text="No such post.", tone=Tone.ERROR))

    assert block["text"]["text"] == ":x: No such post."


def test_long_text_is_split_at_line_breaks_over_sections() -> None:
    lines = [f"line {n} " + "x" * 90 for n in range(100)]

    blocks = to_blocks(Reply(text="\n".join(lines)))

    assert len(blocks) == 4
    assert_within_slack_limits(blocks)
    assert "\n".join(b["text"]["text"] for b in blocks).split("\n") == lines


def test_splitting_never_cuts_an_entity_in_two() -> None:
    text = "<&>" * 2500

    blocks = to_blocks(Reply(text=text))

    assert_within_slack_limits(blocks)
    assert html.unescape("".join(b["text"]["text"] for b in blocks)) == text


def test_fields_are_sections_of_at_most_ten() -> None:
    fields = tuple(Field(f"name {n}", f"value <{n}>") for n in range(12))

    blocks = to_blocks(Reply(fields=fields))

    assert [len(b["fields"]) for b in blocks] == [10, 2]
    assert blocks[0]["fields"][0] == {"type": "mrkdwn", "text": "*name 0*\nvalue &lt;0&gt;"}


def test_a_long_field_value_is_cut_with_an_ellipsis() -> None:
    (block,) = to_blocks(Reply(fields=(Field("Text", "&" * 3000),)))

    (field,) = block["fields"]
    assert len(field["text"]) <= 2000
    assert field["text"].endswith("&amp;…")


def test_items_are_a_bullet_list_split_over_sections() -> None:
    items = tuple(f"#{n} scheduled <draft> {'y' * 40}" for n in range(200))

    blocks = to_blocks(Reply(items=items))

    assert len(blocks) > 1
    assert_within_slack_limits(blocks)
    lines = "\n".join(b["text"]["text"] for b in blocks).split("\n")
    assert lines == [f"• {html.escape(item, quote=False)}" for item in items]


def test_one_huge_item_is_split_too() -> None:
    blocks = to_blocks(Reply(items=("z" * 7000,)))

    assert_within_slack_limits(blocks)
    assert blocks[0]["text"]["text"].startswith("• zzz")


def test_block_is_a_code_section() -> None:
    grid = "Mon  Tue\n 9:00 <#4>"

    (block,) = to_blocks(Reply(block=grid))

    assert block["text"] == {"type": "mrkdwn", "text": "```\nMon  Tue\n 9:00 &lt;#4&gt;\n```"}


def test_a_long_block_is_several_code_sections() -> None:
    grid = "\n".join("|" + " " * 60 + "|" for _ in range(150))

    blocks = to_blocks(Reply(block=grid))

    assert len(blocks) > 1
    assert_within_slack_limits(blocks)
    assert all(b["text"]["text"].startswith("```\n") for b in blocks)
    assert all(b["text"]["text"].endswith("\n```") for b in blocks)


def test_footer_and_timezone_note_are_a_context_block() -> None:
    blocks = to_blocks(
        Reply(text="x", footer="📬 2 unread — `inbox`"), timezone_note="Times in <CET>"
    )

    assert blocks[-1] == {
        "type": "context",
        "elements": [
            {"type": "mrkdwn", "text": "📬 2 unread — `inbox`"},
            {"type": "mrkdwn", "text": "Times in &lt;CET&gt;"},
        ],
    }


def test_buttons_are_an_actions_block() -> None:
    reply = Reply(
        text="Post #7 failed.",
        buttons=(
            Button("Retry", "retry", "7"),
            Button("Delete", "delete", "7 confirm", danger=True),
            Button("Open", "show", url="https://trypost.example.com/posts/7"),
        ),
    )

    actions = to_blocks(reply)[-1]

    assert actions == {
        "type": "actions",
        "elements": [
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Retry", "emoji": True},
                "action_id": "trypost:retry#0",
                "value": "7",
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Delete", "emoji": True},
                "action_id": "trypost:delete#1",
                "value": "7 confirm",
                "style": "danger",
            },
            {
                "type": "button",
                "text": {"type": "plain_text", "text": "Open", "emoji": True},
                "action_id": "trypost:show#2",
                "url": "https://trypost.example.com/posts/7",
            },
        ],
    }


def test_many_buttons_are_split_over_actions_blocks_with_unique_ids() -> None:
    buttons = tuple(Button(f"Open #{n}", "read", str(n)) for n in range(30))

    blocks = to_blocks(Reply(buttons=buttons))

    assert [len(b["elements"]) for b in of_type(blocks, "actions")] == [25, 5]
    assert_within_slack_limits(blocks)
    ids = [e["action_id"] for b in blocks for e in b["elements"]]
    assert len(set(ids)) == 30
    assert all(ACTION_ID_PATTERN.match(i) for i in ids)


def test_a_long_label_is_cut() -> None:
    (actions,) = to_blocks(Reply(buttons=(Button("L" * 100, "show", "1"),)))

    assert len(actions["elements"][0]["text"]["text"]) == 75


@given(st.text(min_size=1), st.integers(min_value=0, max_value=1000))
def test_parse_action_id_gives_back_the_action(action: str, index: int) -> None:
    assert parse_action_id(action_id(action, index)) == action


@pytest.mark.parametrize("foreign", ["a", "retry#0", "trypost:", "trypost:#0", "trypost:retry#x"])
def test_parse_action_id_refuses_ids_we_did_not_make(foreign: str) -> None:
    with pytest.raises(ValueError, match="not a trypost action id"):
        parse_action_id(foreign)


def test_a_reply_over_fifty_blocks_keeps_its_footer_and_buttons_and_says_it_was_cut() -> None:
    reply = Reply(
        title="Everything",
        fields=tuple(Field(str(n), "v") for n in range(700)),
        footer="70 posts",
        buttons=(Button("Retry", "retry", "1"),),
    )

    blocks = to_blocks(reply)

    assert len(blocks) == 50
    assert_within_slack_limits(blocks)
    assert blocks[0]["type"] == "header"
    assert blocks[-2]["elements"][0]["text"] == "70 posts"
    assert blocks[-1]["type"] == "actions"
    assert blocks[-3]["elements"][0]["text"] == "_24 more block(s) not shown_"


def test_an_empty_reply_has_no_blocks() -> None:
    assert to_blocks(Reply()) == []


def test_every_part_together_stays_in_order() -> None:
    reply = Reply(
        title="Post #4",
        text="Scheduled.",
        tone=Tone.SUCCESS,
        fields=(Field("When", "tomorrow"),),
        items=("mastodon",),
        block="grid",
        footer="foot",
        buttons=(Button("Unschedule", "unschedule", "4"),),
    )

    kinds = [b["type"] for b in to_blocks(reply)]

    assert kinds == ["header", "section", "section", "section", "section", "context", "actions"]


def test_fallback_text_summarises_with_a_glyph_and_escapes() -> None:
    reply = Reply(
        title="Post #4 failed",
        text="Mastodon said <500> & gave up.",
        tone=Tone.ERROR,
        fields=(Field("Platform", "mastodon"),),
        items=("retry later",),
        buttons=(Button("Retry", "retry", "4"),),
    )

    assert fallback_text(reply) == (
        "❌ Post #4 failed\nMastodon said &lt;500&gt; &amp; gave up.\n"
        "Platform: mastodon\n• retry later"
    )


def test_fallback_text_is_never_empty_and_never_too_long() -> None:
    assert fallback_text(Reply()) == "trypost"
    assert fallback_text(Reply(block="grid")) == "grid"
    assert fallback_text(Reply(text="&" * 5000)).endswith("&amp;…")
    assert len(fallback_text(Reply(text="&" * 5000))) <= 3000
    assert fallback_text(Reply(fields=(Field("a", "b"),), tone=Tone.WARNING)) == "⚠️ a: b"


def test_home_view_has_a_header_per_section_and_dividers_between() -> None:
    view = home_view(
        [
            ("Inbox", Reply(title="2 unread", items=("a", "b"))),
            ("Scheduled", Reply(text="Nothing scheduled.")),
            ("Failed", Reply(text="None.", buttons=(Button("Retry", "retry", "3"),))),
        ]
    )

    assert view["type"] == "home"
    kinds = [b["type"] for b in view["blocks"]]
    assert kinds == [
        "header",
        "section",  # the reply's own title, bold
        "section",
        "divider",
        "header",
        "section",
        "divider",
        "header",
        "section",
        "actions",
    ]
    assert [b["text"]["text"] for b in of_type(view["blocks"], "header")] == [
        "Inbox",
        "Scheduled",
        "Failed",
    ]
    assert view["blocks"][1]["text"]["text"] == "*2 unread*"


def test_home_view_stays_within_a_hundred_blocks() -> None:
    sections = [(f"Day {n}", Reply(items=("x",), footer="f")) for n in range(60)]

    view = home_view(sections)

    assert len(view["blocks"]) == 100
    assert_within_slack_limits(view["blocks"], most=100)
    assert view["blocks"][-1]["type"] == "context"
