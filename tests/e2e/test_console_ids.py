"""Publish a typo, delete it, publish the fix: the fix is published (issue 14).

Entry ids once made the idempotency key, and SQLite handed a deleted entry's id to the
next one, so the platform took the fix for a repeat of the typo and kept the typo.
"""

import json
from pathlib import Path

from tests.e2e.console import run_console


def test_a_post_after_a_deleted_one_is_published_with_its_own_text(tmp_path: Path) -> None:
    run = run_console(
        tmp_path,
        "accounts add sandbox brand\n"
        'now "FIRST post text"\n'
        "delete 1 confirm\n"
        'now "SECOND post, different text"\n',
    )
    assert run.returncode == 0, run.stderr
    assert "published" in run.after('now "SECOND post, different text"')
    texts = sorted(
        json.loads(path.read_text(encoding="utf-8"))["text"]
        for path in (tmp_path / "sandbox-posts" / "brand").glob("*.json")
    )
    assert texts == ["FIRST post text", "SECOND post, different text"]
