"""A webhook account from the console: signed JSON reaches the receiver, its answer's
URL becomes the live URL, and a retry is the same delivery (same webhook-id)."""

import base64
from pathlib import Path

from tests.e2e.console import run_console
from tests.webhook_receiver import Receiver

SECRET = "whsec_" + base64.b64encode(b"a secret of the receiver's").decode()
LOCAL = {"TRYPOST_ALLOW_PRIVATE_HOSTS": "127.0.0.1"}


def test_a_post_reaches_a_signed_webhook(tmp_path: Path) -> None:
    with Receiver(secret=SECRET, answers=[(503, {}), (200, {})]) as hook:
        script = (
            f"accounts add webhook zap {hook.url} secret {SECRET}\n"
            'schedule "Hello hooks" at 2026-11-25T11:00Z on zap label launch\n'
            ":advance 2h\n"
            "show 1\n"
        )
        run = run_console(tmp_path, script, env=LOCAL)
    assert run.returncode == 0, run.stderr
    assert "Added webhook account zap" in run.output and "signed" in run.output
    assert SECRET not in run.output + run.stderr, "a secret is never said back"
    assert "https://receiver.example/posts/2" in run.output
    first, second = hook.deliveries
    assert first.verified and second.verified
    assert first.headers["webhook-id"] == second.headers["webhook-id"], "a retry, not a new post"
    assert second.body == {
        "type": "post.published",
        "account": "zap",
        "post": 1,
        "text": "Hello hooks",
        "media": [],
        "labels": ["launch"],
    }


def test_a_plain_secret_signs_with_its_bytes_and_a_refusal_fails_the_entry(
    tmp_path: Path,
) -> None:
    with Receiver(secret=b"plain-secret", answers=[(422, {"error": "no"})]) as hook:
        script = f'accounts add webhook own {hook.url} secret plain-secret\nnow "Rejected" on own\n'
        run = run_console(tmp_path, script, env=LOCAL)
    assert run.returncode == 0, run.stderr
    assert hook.deliveries and hook.deliveries[0].verified
    assert "HTTP 422" in run.output


def test_a_webhook_url_inside_the_network_is_refused(tmp_path: Path) -> None:
    run = run_console(tmp_path, "accounts add webhook sneaky http://127.0.0.1:5432/x\n")
    assert run.returncode == 0, run.stderr
    assert "private or local address" in run.output
    bad = run_console(tmp_path, "accounts add webhook w https://example.org/x secret\n")
    assert "the secret after `secret`" in bad.output
