"""Notifications end to end on the console: DMs, .eml emails, the inbox, preferences."""

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from tests.e2e.console import run_console

SETUP = """accounts add sandbox brand
accounts add sandbox news
accounts mode news fail
:as bob
"""


def emails(workdir: Path) -> list[EmailMessage]:
    found = []
    for path in sorted((workdir / "outbox").glob("*.eml")):
        parsed = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        found.append(parsed)
    return found


def to(mail: EmailMessage) -> str:
    return str(mail["To"].addresses[0].addr_spec)


def about_failures(workdir: Path) -> list[str]:
    return sorted(to(m) for m in emails(workdir) if "partially" in str(m["Subject"]))


def test_a_failing_account_reaches_owner_and_author_by_dm_email_and_inbox(
    tmp_path: Path,
) -> None:
    script = (
        SETUP
        + """schedule "Launch" at in 10 minutes
:advance 15m
:as alice
inbox
read 3
"""
    )
    run = run_console(tmp_path, script)
    assert run.returncode == 0, run.stderr
    moved = run.after(":advance 15m")
    assert "DM → @alice: ! ⚠️ Post 1 partially published" in moved
    assert "DM → @bob: ! ⚠️ Post 1 partially published" in moved
    assert "[retry 1]" in moved
    assert "❌ news (sandbox): the sandbox was told to reject" in moved
    assert about_failures(tmp_path) == ["alice@localhost", "bob@localhost"]
    mail = next(m for m in emails(tmp_path) if "partially" in str(m["Subject"]))
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mail.get_body(("plain",)) is not None and mail.get_body(("html",)) is not None
    box = run.after("inbox")
    assert "#3 " in box and "Post 1 partially published" in box and "[read 3]" in box
    opened = run.after("read 3")
    assert "Post 1 partially published" in opened and "[retry 1]" in opened


def test_preferences_and_presence_change_what_is_sent(tmp_path: Path) -> None:
    script = (
        SETUP
        + """:as alice
settings notifications email off publishing
schedule "One" at in 10 minutes
:advance 15m
settings notifications email on publishing
settings notifications away-only on
:presence alice present
schedule "Two" at in 10 minutes
:advance 15m
:presence alice away
schedule "Three" at in 10 minutes
:advance 15m
settings notifications chat off publishing
schedule "Four" at in 10 minutes
:advance 15m
"""
    )
    run = run_console(tmp_path, script)
    assert run.returncode == 0, run.stderr
    subjects = [str(m["Subject"]) for m in emails(tmp_path) if to(m) == "alice@localhost"]
    failed = [s.split(" · ", 1)[0] for s in subjects if "partially" in s]
    # One: email off. Two: present with away-only. Three: away → email. Four: chat off only.
    assert failed == ["Post 3 partially published", "Post 4 partially published"]
    dms = run.output.count("DM → @alice: ! ⚠️")
    assert dms == 3, "chat was on for posts 1-3 and off for post 4"


def test_a_daily_digest_gathers_the_days_notices(tmp_path: Path) -> None:
    script = (
        SETUP
        + """:as alice
settings timezone Europe/Paris
settings notifications digest 9
schedule "One" at in 10 minutes
schedule "Two" at in 20 minutes
:advance 30m
:clock 2026-11-26 08:30
:clock 2026-11-26 09:05
"""
    )
    run = run_console(tmp_path, script, clock="2026-11-25T12:00:00Z")
    assert run.returncode == 0, run.stderr
    assert "digest" not in run.after(":clock 2026-11-26 08:30")
    assert "1 digest email(s) sent" in run.after(":clock 2026-11-26 09:05")
    alice = [m for m in emails(tmp_path) if to(m) == "alice@localhost"]
    # Bob joined before alice chose the digest; after that, only the digest.
    assert [str(m["Subject"]) for m in alice] == [
        "@bob joined as editor",
        "Your trypost digest: 2 notice(s)",
    ]
    body = alice[1].get_body(("plain",))
    assert body is not None and "Post 1" in body.get_content() and "Post 2" in body.get_content()
