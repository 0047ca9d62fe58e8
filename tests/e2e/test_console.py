"""The console end to end: a real subprocess, real SQLite, the sandbox platform."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.console import run_console

README = Path(__file__).parents[2] / "README.md"


def readme_tour() -> tuple[str, str]:
    """The tour's clock and lines exactly as the README shows them, so it cannot drift."""
    text = README.read_text(encoding="utf-8")
    clock = re.search(r"trypost console --as alice --simulated-clock (\S+)", text)
    assert clock, "the README starts the tour with a simulated clock"
    block = text.split("<!-- tour:start -->", 1)[1].split("<!-- tour:end -->", 1)[0]
    body = block.split("```text\n", 1)[1].split("```", 1)[0]
    lines = [line.removeprefix("> ") for line in body.splitlines() if line.startswith("> ")]
    return clock[1], "\n".join(lines) + "\n"


def test_the_readme_tour_works_as_written(tmp_path: Path) -> None:
    clock, tour = readme_tour()
    run = run_console(tmp_path, tour, clock=clock)
    assert run.returncode == 0, run.stderr
    assert "went wrong" not in run.output
    assert "✖" not in run.output, run.output
    assert "Scheduled post 1" in run.output
    assert "#1 🕒 scheduled" in run.after("list")
    assert "#1" in run.after("calendar week")
    assert "1 post(s) published" in run.output
    published = [json.loads(p.read_text()) for p in (tmp_path / "sandbox-posts").rglob("*.json")]
    assert published, "the published post lands in sandbox-posts/"
    assert any(record["text"].startswith("Hello from trypost") for record in published)
    assert "partially published" in run.output
    retried = run.after("retry 2")
    assert "✅ brand" in retried and "✅ news" in retried


def test_every_post_command_from_a_script(tmp_path: Path) -> None:
    script = """
accounts add sandbox brand
accounts add sandbox news
accounts
draft "A draft" on brand label idea
schedule "Launch day" at 2026-11-26 09:00 on brand,news label launch
now "Breaking news" on news
show 2
edit 2 "Launch day!"
reschedule 2 2026-11-27 10:30
unschedule 2
reschedule 2 at 2026-11-27 11:00
duplicate 2
list drafts
list scheduled
list published
list all label launch
calendar day 2026-11-27
calendar week 2026-11-27
calendar month 2026-11-27
labels add q4
label 1 q4
unlabel 1 q4
labels
labels remove idea
delete 4
delete 4 confirm
settings timezone Europe/Paris
settings
accounts remove news
help schedule
:quit
show 1
"""
    run = run_console(tmp_path, script)
    assert run.returncode == 0, run.stderr
    assert "went wrong" not in run.output
    assert "Accounts: 2" in run.after("accounts")
    assert "Draft 1 saved" in run.after('draft "A draft" on brand label idea')
    assert "Scheduled post 2" in run.output
    assert "✅ news (sandbox): file://" in run.after('now "Breaking news" on news')
    assert "Launch day!" in run.after('edit 2 "Launch day!"')
    assert "2026-11-27 10:30 UTC" in run.after("reschedule 2 2026-11-27 10:30")
    assert "draft again" in run.after("unschedule 2")
    assert "copied to draft 4" in run.after("duplicate 2")
    assert re.search(r"#1 .*#4", run.after("list drafts"), re.S)
    assert "#2" in run.after("list scheduled")
    assert "#3" in run.after("list published")
    assert "#2" in run.after("list all label launch")
    assert "11:00" in run.after("calendar day 2026-11-27")
    assert "Fri 27 Nov" in run.after("calendar week 2026-11-27")
    assert "Mon" in run.after("calendar month 2026-11-27")
    assert "#q4" in run.after("label 1 q4")
    assert "#q4" not in run.after("unlabel 1 q4").split("Labels:")[-1]
    assert "Delete post 4?" in run.after("delete 4")
    assert "[delete 4 confirm]" in run.after("delete 4")
    assert "deleted" in run.after("delete 4 confirm")
    assert "Europe/Paris" in run.after("settings timezone Europe/Paris")
    assert "Time zone: Europe/Paris" in run.after("settings")
    assert "Removed account news" in run.after("accounts remove news")
    assert "at <when>" in run.after("help schedule")
    assert "› show 1" not in run.output, ":quit stops reading"


def test_schedule_with_nothing_prompts_for_each_field(tmp_path: Path) -> None:
    script = """accounts add sandbox brand
schedule
Prompted post
tomorrow 9am
brand
promo
list
"""
    run = run_console(tmp_path, script)
    assert "Text: Prompted post" in run.output
    assert "Scheduled post 1" in run.output
    assert "#promo" in run.after("list")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('schedule "Late" at yesterday 9am', "is in the past"),
        ('schedule "Soon" at whenever-ish', "could not read"),
        ('schedule "Where" at tomorrow 9am on nowhere', "No account or platform called “nowhere”"),
        ("show 99", "There is no post 99"),
        ('draft ""', "The text is empty"),
        ("shedule", "Did you mean `schedule`"),
        (f'schedule "{"x" * 5001}" at tomorrow 9am', "allows 5000"),
        ('edit 1 "Too late"', "published and can no longer be edited"),
        ("retry 1", "nothing to retry"),
        (":advance soon", "not a duration"),
    ],
)
def test_bad_input_gets_one_clear_sentence_and_changes_nothing(
    tmp_path: Path, line: str, message: str
) -> None:
    setup = 'accounts add sandbox brand\nnow "Already out"\n'
    run = run_console(tmp_path, f"{setup}{line}\nlist\n")
    answer = run.after(line)
    assert message in answer, answer
    assert answer.startswith("✖") and "Traceback" not in run.output + run.stderr
    assert "Posts (all): 1" in run.after("list"), "nothing was created or changed"


def test_roles_limit_what_a_member_may_do(tmp_path: Path) -> None:
    script = """accounts add sandbox brand
:as bob
:role bob viewer
:as alice
:role bob viewer
:as bob
draft "Not allowed"
list
"""
    run = run_console(tmp_path, script)
    assert "You are @bob (editor)" in run.after(":as bob")
    assert "cannot manage members" in run.after(":role bob viewer")
    assert "Your role (viewer) cannot write a post" in run.after('draft "Not allowed"')


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("TRYPOST_MISSED_GRACE", "soon", "bad setting TRYPOST_MISSED_GRACE"),
        ("TRYPOST_DATABASE_URL", "mysql://db/x", "bad setting TRYPOST_DATABASE_URL"),
        ("TRYPOST_SMTP_URL", "ftp://user:hunter2@mail", "TRYPOST_SMTP_URL must start with"),
        ("PORT", "eighty", "bad setting PORT"),
        (
            "TRYPOST_DATABASE_URL",
            "postgresql+asyncpg://postgres:hunter2@127.0.0.1:1/x",
            "cannot use the database postgresql+asyncpg://postgres:***@127.0.0.1:1/x",
        ),
    ],
)
def test_a_bad_setting_stops_with_one_line(
    tmp_path: Path, name: str, value: str, expected: str
) -> None:
    env = {**os.environ, "TRYPOST_SECRET_KEY": "k", name: value}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "console"],
        input="",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.startswith(f"trypost: {expected}"), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "hunter2" not in done.stderr


def test_trypost_run_starts_the_console_with_the_real_scheduler(tmp_path: Path) -> None:
    run = run_console(
        tmp_path, 'accounts add sandbox brand\nnow "Hello"\nlist\n', clock=None, command="run"
    )
    assert run.returncode == 0, run.stderr
    # The real scheduler may have claimed the entry first; the console then waits for it at
    # exit, so the post is out either way.
    assert "#1 ✅ published" in run.after("list") or "#1 ⏳ publishing" in run.after("list")
    [record] = (tmp_path / "sandbox-posts" / "brand").glob("*.json")
    assert json.loads(record.read_text())["text"] == "Hello"
    assert '"level": "error"' not in run.stderr and "Traceback" not in run.stderr, run.stderr
