"""How the console (and email) writes a person: ``@name``, never inside a word or address."""

import pytest

from bot.commands.mentions import AT_NAME

ROWS = [
    ("@alice can you check?", ["@alice"]),
    ("thanks @bob.", ["@bob"]),
    ("(@ann) and @dana-2, @eve_x", ["@ann", "@dana-2", "@eve_x"]),
    ("mail bob@example.com", []),
    ("@@alice", []),
    ("<@U123> is Slack's", []),
    ("no one here", []),
    ("@", []),
]


@pytest.mark.parametrize(("text", "found"), ROWS)
def test_console_mentions_are_found_where_a_person_is_named(text: str, found: list[str]) -> None:
    assert [m.group(0) for m in AT_NAME.finditer(text)] == found
