"""The command grammar (DESIGN §4): every line people type becomes one typed request,
or a ParseError whose sentence tells them what to type instead."""

from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.commands.grammar import VERBS, ParseError, parse
from bot.commands.help import CONSOLE_ONLY, HELP, help_text
from bot.commands.requests import (
    Accounts,
    Approve,
    Archive,
    Calendar,
    Comment,
    CommentDelete,
    CommentEdit,
    Comments,
    Delete,
    Draft,
    Duplicate,
    Edit,
    Help,
    Inbox,
    LabelPost,
    Labels,
    ListPosts,
    Members,
    Now,
    React,
    Read,
    Request,
    RequestChanges,
    Reschedule,
    Retry,
    Schedule,
    Settings,
    Show,
    Submit,
    UnlabelPost,
    Unschedule,
)

VALID: list[tuple[str, Request]] = [
    # help, and what a bare /trypost means
    ("help", Help()),
    ("help schedule", Help("schedule")),
    ("HELP Schedule", Help("schedule")),
    ("help /trypost list", Help("list")),
    ("", Help()),
    ("   ", Help()),
    ("/trypost", Help()),
    ("/TryPost help now", Help("now")),
    # schedule
    ("schedule", Schedule()),
    ('schedule "Hello" at tomorrow 9am', Schedule("Hello", "tomorrow 9am")),
    ('/trypost schedule "Hello" at tomorrow 9am', Schedule("Hello", "tomorrow 9am")),
    ('  schedule "Hello" at 9am  ', Schedule("Hello", "9am")),
    ('Schedule "Hello" AT 9am ON mastodon', Schedule("Hello", "9am", ("mastodon",))),
    (
        'schedule "Launch!" at friday 17:30 on mastodon, bluesky label launch,spring '
        "with ./a.jpg, https://example.com/b.png",
        Schedule(
            "Launch!",
            "friday 17:30",
            ("mastodon", "bluesky"),
            ("launch", "spring"),
            ("./a.jpg", "https://example.com/b.png"),
        ),
    ),
    (
        'schedule "x" with "my photo.jpg" label a on m at 2026-12-01 14:30',
        Schedule("x", "2026-12-01 14:30", ("m",), ("a",), ("my photo.jpg",)),
    ),
    ('schedule "x" at 9am on m1 m2,m3 , m4', Schedule("x", "9am", ("m1", "m2", "m3", "m4"))),
    ('schedule "x" at 9am on m label a label b', Schedule("x", "9am", ("m",), ("a", "b"))),
    ('schedule "x" at 9am on m on m, n', Schedule("x", "9am", ("m", "n"))),
    ('schedule "x" at noon at the latest', Schedule("x", "noon at the latest")),
    ('schedule "x" at "in 2 hours"', Schedule("x", "in 2 hours")),
    (
        'schedule "Meet us at the pier on friday, label with care" at 9am',
        Schedule("Meet us at the pier on friday, label with care", "9am"),
    ),
    ("schedule Hello world at 9am on mastodon", Schedule("Hello world", "9am", ("mastodon",))),
    ("schedule Hello,   world! at 9am", Schedule("Hello,   world!", "9am")),
    ('schedule Say "hi" at 9am', Schedule('Say "hi"', "9am")),
    ("schedule “Curly quotes” at 9am", Schedule("Curly quotes", "9am")),
    ("schedule ‘Single curly’ at 9am", Schedule("Single curly", "9am")),
    ("schedule “Don’t stop” at 9am", Schedule("Don’t stop", "9am")),
    ("schedule 'Don't stop' at 9am", Schedule("Don't stop", "9am")),
    ('schedule "Mixed quotes” at 9am', Schedule("Mixed quotes", "9am")),
    ("schedule Don't stop at 9am", Schedule("Don't stop", "9am")),
    ('schedule "Line one\nline two" at 9am', Schedule("Line one\nline two", "9am")),
    ("schedule \"It's 5 o'clock\" at 5pm", Schedule("It's 5 o'clock", "5pm")),
    ("schedule at 9am on mastodon", Schedule(None, "9am", ("mastodon",))),
    # now, draft
    ('now "We are live!"', Now("We are live!")),
    ('now "We are live!" on mastodon, bluesky', Now("We are live!", ("mastodon", "bluesky"))),
    ("now Going live at 9 on mastodon", Now("Going live at 9", ("mastodon",))),
    ('draft "Idea"', Draft("Idea")),
    ('draft "Idea" on m label a, b', Draft("Idea", ("m",), ("a", "b"))),
    ("draft Idea for later label sale", Draft("Idea for later", (), ("sale",))),
    # list
    ("list", ListPosts()),
    ("list all", ListPosts("all")),
    ("list drafts", ListPosts("drafts")),
    ("list draft", ListPosts("drafts")),
    ("list Scheduled", ListPosts("scheduled")),
    ("list published", ListPosts("published")),
    ("list failed label launch", ListPosts("failed", "launch")),
    ("list label launch", ListPosts("all", "launch")),
    (
        "list scheduled from monday 9am to next friday",
        ListPosts("scheduled", None, "monday 9am", "next friday"),
    ),
    ("list to 2026-12-31 from 2026-12-01", ListPosts("all", None, "2026-12-01", "2026-12-31")),
    # calendar
    ("calendar", Calendar()),
    ("calendar day", Calendar("day")),
    ("calendar Month 2026-12-01", Calendar("month", "2026-12-01")),
    ("calendar week next monday", Calendar("week", "next monday")),
    ("calendar tomorrow", Calendar("week", "tomorrow")),
    # one post
    ("show 42", Show(42)),
    ("show #42", Show(42)),
    ("/trypost show #7", Show(7)),
    ("unschedule 4", Unschedule(4)),
    ("duplicate 4", Duplicate(4)),
    ("retry 4", Retry(4)),
    ("submit 4", Submit(4)),
    ("approve #4", Approve(4)),
    ("comments 4", Comments(4)),
    ("delete 4", Delete(4)),
    ("delete 4 confirm", Delete(4, confirmed=True)),
    ("delete #4 yes", Delete(4, confirmed=True)),
    ("delete 4 CONFIRM", Delete(4, confirmed=True)),
    # post and text
    ('edit 4 "New text"', Edit(4, "New text")),
    ("edit 4 New text, unquoted", Edit(4, "New text, unquoted")),
    ('edit 4 "at on label with"', Edit(4, "at on label with")),
    ("reschedule 4 tomorrow 9am", Reschedule(4, "tomorrow 9am")),
    ("reschedule #4 at friday 17:30", Reschedule(4, "friday 17:30")),
    ("reschedule 4 to in 2 hours", Reschedule(4, "in 2 hours")),
    ('changes 4 "Shorter, please"', RequestChanges(4, "Shorter, please")),
    ("changes 4 Shorter please", RequestChanges(4, "Shorter please")),
    ('comment 4 "@alice can you check?"', Comment(4, "@alice can you check?")),
    ("comment 4 looks good @bob", Comment(4, "looks good @bob")),
    ('comment 4 reply 7 "Fixed"', Comment(4, "Fixed", reply_to=7)),
    ('comment #4 reply #7 "Fixed"', Comment(4, "Fixed", reply_to=7)),
    ('comment 4 "reply 7"', Comment(4, "reply 7")),
    ('comment edit 7 "Fixed, thanks"', CommentEdit(7, "Fixed, thanks")),
    ("comment delete #7", CommentDelete(7)),
    ('comment 4 "edit"', Comment(4, "edit")),
    ("members accept", Members("accept")),
    ("members decline", Members("decline")),
    ("react 7 :tada:", React(7, ":tada:")),
    ("react #7 👍", React(7, "👍")),
    # accounts
    ("accounts", Accounts()),
    ("accounts list", Accounts()),
    ("accounts add sandbox brand", Accounts("add", "sandbox", "brand")),
    (
        "accounts add webhook zap https://h.example/x secret whsec_abc=",
        Accounts("add", "webhook", "zap", url="https://h.example/x", secret="whsec_abc="),
    ),
    (
        "accounts add webhook zap https://h.example/x",
        Accounts("add", "webhook", "zap", url="https://h.example/x"),
    ),
    ('accounts add Sandbox "Brand Two"', Accounts("add", "sandbox", "Brand Two")),
    (
        "accounts connect mastodon https://mastodon.social",
        Accounts("connect", "mastodon", url="https://mastodon.social"),
    ),
    (
        "accounts connect mastodon https://m.example token abc123",
        Accounts("connect", "mastodon", url="https://m.example", secret="abc123"),
    ),
    ("accounts connect bluesky", Accounts("connect", "bluesky")),
    (
        "accounts connect bluesky @alice.bsky.social pass-word",
        Accounts("connect", "bluesky", "alice.bsky.social", secret="pass-word"),
    ),
    (
        "accounts connect bluesky alice.test pw at https://pds.example",
        Accounts("connect", "bluesky", "alice.test", url="https://pds.example", secret="pw"),
    ),
    ("accounts connect linkedin", Accounts("connect", "linkedin")),
    (
        'schedule "Hi" at tomorrow 9am with a.png b.png alt "A cat" "Two dogs"',
        Schedule("Hi", "tomorrow 9am", media=("a.png", "b.png"), alts=("A cat", "Two dogs")),
    ),
    (
        'schedule "Hi" at tomorrow 9am with a.png alt a small cat',
        Schedule("Hi", "tomorrow 9am", media=("a.png",), alts=("a small cat",)),
    ),
    ("accounts reconnect @alice@m.example", Accounts("reconnect", name="@alice@m.example")),
    ("accounts remove brand", Accounts("remove", None, "brand")),
    # labels
    ("labels", Labels()),
    ("labels list", Labels()),
    ("labels add launch", Labels("add", "launch")),
    ("labels remove old-campaign", Labels("remove", "old-campaign")),
    ("label 4 launch", LabelPost(4, ("launch",))),
    ("label #4 launch, spring sale", LabelPost(4, ("launch", "spring", "sale"))),
    ("unlabel 4 spring", UnlabelPost(4, "spring")),
    # inbox
    ("inbox", Inbox()),
    ("inbox unread", Inbox("unread")),
    ("inbox archived comments", Inbox("archived", "comments")),
    ("inbox approval read", Inbox("read", "approval")),
    ("inbox approvals", Inbox(None, "approval")),
    ("inbox since yesterday 9am", Inbox(None, None, "yesterday 9am")),
    ("inbox unread team since monday", Inbox("unread", "team", "monday")),
    ("read 3", Read(3)),
    ("read #3", Read(3)),
    ("read all", Read("all")),
    ("archive 3", Archive(3)),
    ("archive ALL", Archive("all")),
    # settings
    ("settings", Settings()),
    ("settings show", Settings()),
    ("settings timezone Europe/Paris", Settings(timezone="Europe/Paris")),
    ("settings timezone america/new_york", Settings(timezone="America/New_York")),
    ("settings timezone utc", Settings(timezone="UTC")),
    ("settings approvals on", Settings(approvals=True)),
    ("settings approvals OFF", Settings(approvals=False)),
    ("settings notifications", Settings(notifications=())),
    (
        "settings notifications email off comments",
        Settings(notifications=("email", "off", "comments")),
    ),
    (
        "settings timezone Asia/Tokyo approvals off notifications digest 8am",
        Settings("Asia/Tokyo", False, ("digest", "8am")),
    ),
    # members
    ("members", Members()),
    ("members list", Members()),
    ("members invite @dana editor", Members("invite", "@dana", "editor")),
    ("members invite dana@example.com Viewer", Members("invite", "dana@example.com", "viewer")),
    ("members role <@U123> approver", Members("role", "<@U123>", "approver")),
    ("members remove @dana", Members("remove", "@dana")),
]


@pytest.mark.parametrize(("line", "expected"), VALID, ids=[line or "<blank>" for line, _ in VALID])
def test_valid_line_becomes_its_typed_request(line: str, expected: Request) -> None:
    assert parse(line) == expected


INVALID: list[tuple[str, str]] = [
    # unknown verbs get the closest command
    ('shedule "x" at 9am', "I don't know “shedule”. Did you mean `schedule`? Try `help`."),
    ("lst", "Did you mean `list`?"),
    ("xyzzy", "I don't know “xyzzy”. Try `help`."),
    (":tick", "works only in the console"),
    (":frobnicate", "not a console line"),
    # quotes
    ('schedule "never closed at 9am', "never closed"),
    ("schedule “never closed at 9am", "never closed"),
    ("schedule 'never closed at 9am", "never closed"),
    ('schedule "" at 9am', "The text is empty"),
    ('schedule "   " at 9am', "The text is empty"),
    # post numbers
    ("show abc", "“abc” is not a post number; post numbers look like 42 (see `list`)."),
    ("show 0", "“0” is not a post number"),
    ("show -3", "“-3” is not a post number"),
    ("show 4.5", "“4.5” is not a post number"),
    ("show ##4", "“##4” is not a post number"),
    ("show ٤٢", "is not a post number"),
    ("show 12345678901234567890", "is not a post number"),
    ("show", "`show` needs a post number, like `show 42`."),
    ("retry", "`retry` needs a post number"),
    ("show 42 43", "`show` takes only a post number"),
    ("approve 42 looks good", "`approve` takes only a post number"),
    # schedule and its options
    ('schedule "x"', "Add `at <when>`"),
    ('schedule "x" on mastodon', "Add `at <when>`"),
    ('schedule "x" at', "`at` needs a time"),
    ('schedule "x" at 9am on', "`on` needs at least one account"),
    ('schedule "x" at 9am on ,', "`on` needs at least one account"),
    ('schedule "x" at 9am label', "`label` needs a label"),
    ('schedule "x" at 9am with', "`with` needs a file path or URL"),
    ('schedule "x" at 9am with ,', "`with` needs a file path or URL"),
    ('schedule "x" at ""', "`at` needs a time"),
    ('schedule "x" at 9am on m at 10am', "You gave `at` twice"),
    ('schedule "x" extra words at 9am', "I did not expect “extra” there"),
    ('schedule "x" at 9am on friday', "looks like a day, but `on` names accounts"),
    ('now "x" at 9am', "`now` has no `at` option"),
    ('now "x" label a', "`now` has no `label` option"),
    ('draft "x" at 9am', "`draft` has no `at` option"),
    ('draft "x" with a.png', "`draft` has no `with` option"),
    ("now", "`now` needs the text of the post"),
    ("now on mastodon", "`now` needs the text of the post"),
    ("draft label a", "`draft` needs the text of the post"),
    # list and calendar
    ("list drafs", "Did you mean `drafts`?"),
    ("list lable x", "Did you mean `label`?"),
    ("list label a b", "one label at a time"),
    ("list drafts extra", "`list` takes only the options `label`, `from`, `to` here"),
    ("list label a label b", "You gave `label` twice"),
    ("list from", "`from` needs a time"),
    ("list to", "`to` needs a time"),
    # post and text
    ("edit 4", "`edit` needs the new text"),
    ('edit 4 "New" text', "I did not expect “text” there"),
    ("edit x new text", "“x” is not a post number"),
    ("reschedule 4", "`reschedule` needs the new time"),
    ("reschedule 4 at", "`reschedule` needs the new time"),
    ("delete 4 maybe", "`delete 42 confirm`"),
    ("changes 4", "`changes` needs your feedback"),
    ("comment 4", "`comment` needs the text of the comment"),
    ("comment 4 reply", "needs the comment to reply to"),
    ('comment 4 reply x "hi"', "“x” is not a comment number; comment numbers look like 7"),
    ("comment 4 reply 7", "`comment` needs the text of the comment"),
    ("react 7", "`react` needs an emoji"),
    ("react 7 :a: :b:", "one emoji"),
    ("react x :tada:", "“x” is not a comment number"),
    # accounts, labels
    ("accounts ad sandbox x", "Did you mean `add`?"),
    ("accounts add sandbox", "`accounts add` needs a name for the account"),
    ("accounts add webhook zap", "needs the URL to post to"),
    ("accounts add webhook zap https://h.example/x token t", "only `secret <secret>`"),
    ("accounts add", "`accounts add` needs a platform and a name"),
    ("accounts add sandbox two words", "quote a name with spaces"),
    ("accounts connect", "`accounts connect` needs a platform"),
    ("accounts connect mastodon", "needs the instance's address"),
    ('schedule "Hi" at tomorrow 9am alt "A cat"', "1 `alt` description(s) but 0 file(s)"),
    ('draft "Hi" alt "A cat"', "`draft` has no `alt` option"),
    ("accounts connect mastodon https://m.example secret x", "Only `token <…>` may follow"),
    ("accounts connect bluesky alice.test", "needs the app password after the handle"),
    ("accounts remove", "`accounts remove` needs the account to remove"),
    ("accounts list extra", "`accounts list` takes nothing more"),
    ("labels add", "`labels add` needs a label"),
    ("labels add a b", "one label at a time"),
    ("labels rename a", "Did you mean"),
    ("label 4", "`label` needs at least one label"),
    ("label 4 ,", "`label` needs at least one label"),
    ("unlabel 4", "`unlabel` needs the label to take off"),
    ("unlabel 4 a,b", "one label at a time"),
    ("unlabel 4 a b", "I did not expect “b” there"),
    # inbox
    ("inbox unred", "Did you mean `unread`?"),
    ("inbox read unread", "at most one status and one category"),
    ("inbox team system", "at most one status and one category"),
    ("inbox since", "`since` needs a time"),
    ("read", "`read` needs a notification number or `all`"),
    ("read x", "“x” is not a notification number; notification numbers look like 3"),
    ("archive 3 4", "I did not expect “4” there"),
    # settings
    ("settings timezone", "`settings` needs a time zone"),
    ("settings timezone Europe/Pari", "Did you mean `Europe/Paris`?"),
    ("settings timezone Mars/Olympus", "is not a time zone I know"),
    ("settings approvals", "`settings` needs `on` or `off`"),
    ("settings approvals maybe", "Approvals are on or off, not “maybe”"),
    ("settings timzone UTC", "Did you mean `timezone`?"),
    ("settings approvals on approvals off", "You gave `approvals` twice"),
    # members
    ("members invite", "`members invite` needs a member"),
    ("members invite @dana", "`members invite` needs a role"),
    ("members role @dana boss", "“boss” is not a role; try `owner`, `admin`"),
    ("members role @dana editr", "Did you mean `editor`?"),
    ("members remove", "`members remove` needs a member"),
    ("members remove @dana now", "I did not expect “now” there"),
    ("members kick @dana", "is not something I do with members"),
]


@pytest.mark.parametrize(("line", "message"), INVALID, ids=[line for line, _ in INVALID])
def test_invalid_line_is_refused_with_a_helpful_sentence(line: str, message: str) -> None:
    with pytest.raises(ParseError) as refused:
        parse(line)
    assert message in refused.value.message
    assert "\n" not in refused.value.message


def test_error_quotes_long_input_shortened_on_one_line() -> None:
    with pytest.raises(ParseError) as refused:
        parse("frobnicate" * 20 + "\nsecond line")
    assert "…" in refused.value.message
    assert len(refused.value.message) < 120


def test_every_command_has_help_and_every_help_entry_is_a_command() -> None:
    assert set(HELP) == set(VERBS)


@pytest.mark.parametrize(
    "example",
    [example for entry in HELP.values() for example in entry.examples],
)
def test_every_help_example_parses(example: str) -> None:
    parse(example)


def test_help_overview_lists_every_command_grouped_and_the_console_lines() -> None:
    overview = help_text(None)
    for entry in HELP.values():
        assert entry.usage in overview
        assert f"{entry.group}:" in overview
    assert "Console only:" in overview
    for line in CONSOLE_ONLY:
        assert line in overview
    assert overview.index("Console only:") > overview.index(HELP["members"].usage)


def test_help_on_one_command_gives_usage_purpose_and_examples() -> None:
    detail = help_text("Schedule")
    entry = HELP["schedule"]
    assert detail.startswith(entry.usage)
    assert entry.purpose in detail
    assert all(example in detail for example in entry.examples)


def test_help_on_a_console_line_says_it_is_console_only() -> None:
    assert "console only" in help_text(":tick")


def test_help_on_an_unknown_topic_suggests_the_closest_command() -> None:
    assert "Did you mean `help schedule`?" in help_text("shedule")
    assert "Try `help`" in help_text("nothing-like-it")


# Lines built from the grammar's own words, so the fuzzing reaches deep into each
# command instead of stopping at "unknown verb".
WORDS = [
    *VERBS,
    "/trypost",
    *("at", "on", "label", "with", "from", "to", "since", "reply", "all", "confirm"),
    *("list", "add", "connect", "remove", "invite", "role", "show", "timezone"),
    *("approvals", "notifications", "unread", "drafts", "week", "editor", "sandbox"),
    *("42", "#42", "#", "0", "-1", "Europe/Paris", ",", ":tick", "friday", "9am"),
    *('"', "'", "“", "”", "‘", "’", '""', "“x”", "Don't", "'a b'", '"at on"'),
]
PIECES = st.one_of(st.sampled_from(WORDS), st.text(max_size=6))
LINES = st.lists(PIECES, max_size=12).flatmap(
    lambda parts: st.sampled_from([" ", "", "  ", ", "]).map(lambda sep: sep.join(parts))
)


def _parses_or_refuses_politely(line: str) -> None:
    try:
        request = parse(line)
    except ParseError as refused:
        assert refused.message
        assert "\n" not in refused.message
    else:
        assert isinstance(request, get_args(Request))


@settings(max_examples=500)
@given(st.text())
def test_any_text_parses_or_raises_only_parse_error(line: str) -> None:
    _parses_or_refuses_politely(line)


@settings(max_examples=1500)
@given(LINES)
def test_command_like_lines_parse_or_raise_only_parse_error(line: str) -> None:
    _parses_or_refuses_politely(line)


# "①", "²" and "٣" pass str.isdigit() (and "٣" even int()): every number in a command is
# written with 0-9 and anything else is a ParseError, never a ValueError (issue 14).
@pytest.mark.parametrize(
    "line",
    [
        "settings limit ²",
        "settings limit ①",
        "settings limit ١٠٠",
        "settings limit １００",
        "show ①",
        "show #²",
        "retry ٣",
        "read ²",
        "archive ①",
        'comment 1 reply ² "thanks"',
        "react ① 👍",
        "reschedule ① tomorrow 9am",
    ],
)
def test_numbers_are_written_with_ascii_digits(line: str) -> None:
    with pytest.raises(ParseError, match=r"number|limit"):
        parse(line)


@pytest.mark.parametrize("hour", ["²", "①", "٣", "１", "999"])
def test_the_digest_hour_is_written_with_ascii_digits(hour: str) -> None:
    from bot.commands.notify_settings import read_change

    with pytest.raises(ParseError, match="number from 0 to 23"):
        read_change(["digest", hour])
