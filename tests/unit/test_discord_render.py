"""Replies drawn the Discord way stay within Discord's limits, and buttons round-trip."""

from hypothesis import given
from hypothesis import strategies as st

from bot.discord.render import (
    MAX_EMBED,
    button_id,
    embed_of,
    read_button_id,
    view_of,
)
from core.messages import Button, Field, Reply, Tone

texts = st.text(min_size=0, max_size=3000)
long = st.text(min_size=2000, max_size=5000)


@given(
    title=texts,
    text=st.one_of(texts, long),
    items=st.lists(texts, max_size=5),
    fields=st.lists(st.tuples(texts, texts), max_size=30),
    footer=st.one_of(texts, long),
)
def test_any_reply_fits_one_embed(
    title: str, text: str, items: list[str], fields: list[tuple[str, str]], footer: str
) -> None:
    reply = Reply(
        title=title or None,
        text=text or None,
        items=tuple(items),
        fields=tuple(Field(n or "x", v) for n, v in fields),
        footer=footer or None,
        tone=Tone.WARNING,
    )
    embed = embed_of(reply)
    assert len(embed) <= MAX_EMBED
    assert len(embed.fields) <= 25
    assert len(embed.description or "") <= 4096


def test_buttons_are_rows_of_five_and_too_long_ids_are_left_out() -> None:
    buttons = tuple(Button(f"B{i}", "show", str(i)) for i in range(30))
    view = view_of(Reply(buttons=(*buttons, Button("long", "accounts", "mode " + "x" * 99))), "1")
    assert view is not None
    items = view.children
    assert len(items) == 25
    assert max(item.row or 0 for item in items) == 4
    assert view_of(Reply(text="no buttons"), "1") is None


def test_a_button_id_reads_back_as_its_command() -> None:
    pressed = read_button_id(button_id("comment", "42", "3 reply 7"))
    assert pressed is not None
    assert (pressed.guild_id, pressed.command) == ("42", "comment 3 reply 7")
    assert read_button_id("trypost:Show:1:2") is None
    assert read_button_id("other:show:1:2") is None
