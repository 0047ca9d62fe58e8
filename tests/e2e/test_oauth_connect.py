"""Issue 12: the OAuth dance driven over HTTP against our web app — a connect link from
the console, our start page, the platform's (fake) consent, our callback, the stored and
encrypted token — for X (PKCE) and LinkedIn (with a choice of company page); and the
states that must not work: forged, replayed, expired, declined; and a platform whose
app the operator has not set up."""

import re
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy import select

from core.accounts import SocialAccount
from storage.tables import ConnectStateRow, SocialAccountRow
from tests.e2e.platform_console import Console, console, free_port
from tests.fake_linkedin import CLIENT_ID as LINKEDIN_ID
from tests.fake_linkedin import CLIENT_SECRET as LINKEDIN_SECRET
from tests.fake_linkedin import FakeLinkedIn
from tests.fake_x import CLIENT_ID as X_ID
from tests.fake_x import FakeX


def x_settings(fake: FakeX) -> dict[str, Any]:
    return {
        "x_client_id": X_ID,
        "x_api_url": fake.url,
        "x_auth_url": fake.url,
        "x_upload_url": fake.upload_url,
    }


def linkedin_settings(fake: FakeLinkedIn, pages: bool = False) -> dict[str, Any]:
    return {
        "linkedin_client_id": LINKEDIN_ID,
        "linkedin_client_secret": LINKEDIN_SECRET,
        "linkedin_api_url": fake.url,
        "linkedin_auth_url": fake.url,
        "linkedin_company_pages": pages,
    }


async def stored(bot: Console, name: str) -> SocialAccount:
    async with bot.app.uow() as uow:
        account = await uow.accounts.by_name(bot.session.actor.workspace_id, name)  # type: ignore[union-attr]
    assert account is not None
    return account


async def raw_rows(bot: Console) -> str:
    async with bot.app.engine.connect() as connection:
        accounts = (await connection.execute(select(SocialAccountRow.credentials_encrypted))).all()
        states = (await connection.execute(select(ConnectStateRow.secret_encrypted))).all()
    return "\n".join(str(row[0]) for row in [*accounts, *states])


async def test_x_connects_with_pkce_and_the_link_works_once_for_15_minutes(
    tmp_path: Path,
) -> None:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/connect/x/callback"
    with FakeX(redirect_uris=(callback,)) as x:
        x.consenting_user = "acme"
        async with console(tmp_path, port, **x_settings(x)) as bot:
            linked = await bot.line("accounts connect x")
            assert "To connect an X account, open this link" in linked, linked
            page = await bot.follow(linked)
            assert "@acme is connected" in page, page
            [exchange] = [c for c in x.token_calls if c.grant_type == "authorization_code"]
            assert exchange.client_auth == "body", "a public client: PKCE alone"

            account = await stored(bot, "@acme")
            token = account.credentials["access_token"]
            assert token and account.token_renewable and account.token_expires_at
            rows = await raw_rows(bot)
            assert token not in rows and account.credentials["refresh_token"] not in rows
            assert "@acme" in await bot.line("accounts")

            assert "used already" in await bot.follow(linked), "replayed"
            async with (
                aiohttp.ClientSession() as browser,
                browser.get(f"http://127.0.0.1:{port}/connect/x/start?state=forged") as forged,
            ):
                assert forged.status == 400
                assert "not one of ours" in await forged.text()
            async with (
                aiohttp.ClientSession() as browser,
                browser.get(f"{callback}?state=forged&code=abc") as forged_back,
            ):
                assert forged_back.status == 400, "a callback nobody started"

            late = await bot.line("accounts connect x")
            await bot.line(":advance 16m")
            assert "older than 15 minutes" in await bot.follow(late), "expired"

            x.deny_next()
            declined = await bot.follow(await bot.line("accounts connect x"))
            assert "X said no" in declined
            assert x.exchanges == 1, "no code was traded for a refused or dead link"


async def test_linkedin_asks_a_page_admin_where_to_post_and_the_choice_works_once(
    tmp_path: Path,
) -> None:
    port = free_port()
    callback = f"http://127.0.0.1:{port}/connect/linkedin/callback"
    with FakeLinkedIn(redirect_uris=(callback,)) as linkedin:
        linkedin.add_member("Jane Doe", pages={"5515715": "Acme Corp"})
        async with console(tmp_path, port, **linkedin_settings(linkedin, pages=True)) as bot:
            choice = await bot.follow(await bot.line("accounts connect linkedin"))
            assert "Post as whom?" in choice and "Acme Corp" in choice and "Jane Doe" in choice
            state = re.search(r'name="state" value="([^"]+)"', choice)
            assert state, choice
            form = {"state": state[1], "author": "urn:li:organization:5515715"}
            choose = f"http://127.0.0.1:{port}/connect/linkedin/choose"
            async with aiohttp.ClientSession() as browser:
                async with browser.post(choose, data=form) as done:
                    assert "acme-corp@linkedin is connected" in await done.text()
                async with browser.post(choose, data=form) as again:
                    assert again.status == 400, "the choice works once"
            account = await stored(bot, "acme-corp@linkedin")
            assert account.credentials["author"] == "urn:li:organization:5515715"
            assert account.handle == "Acme Corp" and account.char_limit == 3000
            assert account.credentials["access_token"] not in await raw_rows(bot)


async def test_a_platform_without_its_app_says_which_settings_are_missing(
    tmp_path: Path,
) -> None:
    async with console(tmp_path) as bot:
        linkedin = await bot.line("accounts connect linkedin")
        assert "LINKEDIN_CLIENT_ID and LINKEDIN_CLIENT_SECRET" in linkedin, linkedin
        assert "X_CLIENT_ID" in await bot.line("accounts connect x")
