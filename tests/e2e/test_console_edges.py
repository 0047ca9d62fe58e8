"""The console process itself: no line of issue 14's fuzz stops it or prints a traceback."""

from pathlib import Path

from tests.e2e.console import run_console

LINES = [
    'schedule "x" at in 999999999 weeks',
    ":advance 1000000000 days",
    "calendar week in 1000000000 days",
    'schedule "x" at 9999-12-31T23:59Z',
    "list from 0001-01-01",
    "settings limit ²",
    "settings notifications digest ①",
    ":clock ①",
    'schedule "x" at ② hours',
]


def test_issue_14_lines_are_refused_and_the_console_carries_on(tmp_path: Path) -> None:
    setup = "accounts add sandbox brand\nsettings timezone Asia/Tokyo\n"
    run = run_console(tmp_path, setup + "\n".join(LINES) + "\nlist\ncalendar\nshow 1\n")
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.output + run.stderr
    assert "went wrong" not in run.output
    for line in LINES:
        assert run.after(line).startswith("✖"), run.after(line)
    assert "No posts (all)" in run.after("list"), "the console read every line to the end"
    assert "There is no post 1" in run.after("show 1")
