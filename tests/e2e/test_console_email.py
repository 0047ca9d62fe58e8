"""`settings email` end to end on the console: the .eml link, the web page, then email
going to the confirmed address."""

import re
from datetime import datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from bot.app import build_app
from bot.settings import Settings
from core.clock import ManualClock
from tests.e2e.console import START, console_env, run_console
from tests.e2e.test_console_notifications import emails, to

NEW = "alice@new.example.org"


def _settings(workdir: Path) -> Settings:
    """The settings the console ran with (its working directory's defaults)."""
    return Settings(
        database_url=f"sqlite+aiosqlite:///{workdir / 'trypost.db'}",
        secret_key=console_env()["TRYPOST_SECRET_KEY"],
        sandbox_dir=workdir / "sandbox-posts",
        outbox_dir=workdir / "outbox",
    )


async def test_a_new_address_is_used_once_its_link_is_confirmed(tmp_path: Path) -> None:
    run = run_console(tmp_path, f"settings email {NEW}\nsettings\n")
    assert run.returncode == 0, run.stderr
    said = run.after(f"settings email {NEW}")
    assert f"I sent a confirmation link to {NEW};" in said
    assert "Until then email keeps going to alice@localhost" in said
    assert f"alice@localhost ({NEW} waits for its confirmation link" in run.after("settings")

    [mail] = [m for m in emails(tmp_path) if "Confirm your email" in str(m["Subject"])]
    assert to(mail) == NEW
    assert mail.get_body(("html",)) is not None
    text = mail.get_body(("plain",))
    assert text is not None
    found = re.search(r"http://localhost:8000(/email/confirm/\S+)", text.get_content())
    assert found is not None, text.get_content()
    path = found.group(1)

    start = datetime.fromisoformat(START.replace("Z", "+00:00"))
    app = await build_app(_settings(tmp_path), clock=ManualClock(start + timedelta(minutes=5)))
    try:
        async with TestClient(TestServer(app.web_app())) as http:
            page = await http.get(path)
            assert page.status == 200 and NEW in await page.text()
            done = await http.post(path)
            assert done.status == 200 and "Confirmed" in await done.text()
            assert (await http.post(path)).status == 409
    finally:
        await app.aclose()

    # Bob joins: the owner hears of it by email, now at the confirmed address.
    later = run_console(tmp_path, ":as bob\n:as alice\nsettings\n")
    assert later.returncode == 0, later.stderr
    assert "Email: alice@new.example.org" in later.output
    joined = [m for m in emails(tmp_path) if "joined" in str(m["Subject"])]
    assert [to(m) for m in joined] == [NEW]
