"""Use cases for social accounts."""

import re
import secrets
from enum import StrEnum
from urllib.parse import urlsplit

from core.accounts import AccountStatus, SocialAccount
from core.errors import NotFound, ValidationFailed
from core.ports import UnitOfWork
from core.roles import Action
from core.usecases.context import Actor, Services, load_actor


class SandboxMode(StrEnum):
    """How a sandbox account behaves: lets demos and tests show every outcome."""

    OK = "ok"
    FAIL = "fail"
    AUTH_FAIL = "auth-fail"
    FLAKY = "flaky"
    SLOW = "slow"


async def list_accounts(svc: Services, actor: Actor) -> list[SocialAccount]:
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.READ)
        return await uow.accounts.list(actor.workspace_id)


_BASE64 = re.compile(r"[A-Za-z0-9+/]+={0,2}")


def usable_name(raw: str) -> str:
    name = raw.strip().lstrip("@")
    if not name or not name.replace("-", "").replace("_", "").isalnum() or len(name) > 40:
        raise ValidationFailed(
            f"“{name}” is not a usable account name: use letters, digits, '-' or '_'."
        )
    return name


async def add_sandbox_account(svc: Services, actor: Actor, name: str) -> SocialAccount:
    """A sandbox account publishes to a local folder: the way to try the bot."""
    name = usable_name(name)
    # A token like any platform's, so sandbox accounts exercise encryption too.
    credentials = {"token": secrets.token_urlsafe(24), "mode": SandboxMode.OK}
    return await _add(svc, actor, "sandbox", name, f"@{name}", credentials)


async def _add(
    svc: Services,
    actor: Actor,
    platform: str,
    name: str,
    handle: str,
    credentials: dict[str, str],
) -> SocialAccount:
    """An account added by name (owners and admins), names unique in the workspace."""
    async with svc.uow() as uow:
        _, member = await load_actor(uow, actor, Action.MANAGE_ACCOUNTS)
        if await uow.accounts.by_name(actor.workspace_id, name):
            raise ValidationFailed(f"There is already an account called “{name}”.")
        account = await uow.accounts.add(
            SocialAccount(
                workspace_id=actor.workspace_id,
                platform=platform,
                name=name,
                handle=handle,
                credentials=credentials,
                owner_member_id=member.id,
            )
        )
        await uow.commit()
    return account


async def set_sandbox_mode(svc: Services, actor: Actor, name: str, mode: str) -> SocialAccount:
    try:
        chosen = SandboxMode(mode)
    except ValueError:
        modes = ", ".join(m.value for m in SandboxMode)
        raise ValidationFailed(f"A sandbox account can be: {modes}.") from None
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.MANAGE_ACCOUNTS)
        account = await find_account(uow, actor.workspace_id, name)
        if account.platform != "sandbox":
            raise ValidationFailed(
                f"{account.name} is a {account.spec.label} account, not a sandbox."
            )
        account.credentials = {**account.credentials, "mode": chosen.value}
        if chosen is SandboxMode.OK:
            # What reconnecting is for a real platform: the account works again.
            account.status = AccountStatus.CONNECTED
        await uow.accounts.update(account)
        await uow.commit()
    return account


async def remove_account(svc: Services, actor: Actor, name: str) -> SocialAccount:
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.MANAGE_ACCOUNTS)
        account = await find_account(uow, actor.workspace_id, name)
        await uow.accounts.remove(account.id)
        workspace = await uow.workspaces.get(actor.workspace_id)
        if workspace and account.id in workspace.default_account_ids:
            workspace.default_account_ids.remove(account.id)
            await uow.workspaces.update(workspace)
        await uow.commit()
    return account


async def find_account(uow: UnitOfWork, workspace_id: int, name: str) -> SocialAccount:
    """By name as typed: ``@alice@host``, ``alice@host`` and ``brand`` all find theirs."""
    raw = name.strip()
    for candidate in dict.fromkeys((raw, raw.lstrip("@"), "@" + raw.lstrip("@"))):
        account = await uow.accounts.by_name(workspace_id, candidate)
        if account is not None:
            return account
    raise NotFound(f"There is no account called “{raw}”; `accounts` lists them.")


async def add_webhook_account(
    svc: Services, actor: Actor, name: str, url: str, secret: str | None
) -> SocialAccount:
    """A webhook account POSTs each post as signed JSON to ``url`` (Standard Webhooks).

    The secret is ``whsec_`` + base64 as the spec writes it, or any other text, used as
    its UTF-8 bytes; without one the posts go unsigned (a secret typed in chat is never
    said back, so none is made up here).
    """
    name = usable_name(name)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationFailed(f"“{url}” is not an http:// or https:// URL to post to.")
    if secret and secret.startswith("whsec_") and not _BASE64.fullmatch(secret[6:]):
        raise ValidationFailed("A `whsec_` secret must be base64 after the prefix.")
    credentials = {"url": url, "secret": secret or ""}
    return await _add(svc, actor, "webhook", name, parts.hostname, credentials)
