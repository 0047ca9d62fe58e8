"""Connecting real accounts: one-time connect links, and saving what a platform proved.

The platform calls themselves (OAuth code exchange, a Bluesky login) happen in the
adapters; the core decides who may connect, keeps the link states, and adds the account
or, when it is already here, reconnects it in place so its posts and defaults stay.
"""

import secrets
from collections.abc import Awaitable, Callable

from core.accounts import PLATFORMS, AccountStatus, SocialAccount
from core.connecting import STATE_LIFETIME, ConnectState, OAuthApp, state_hash
from core.errors import NotFound, ValidationFailed
from core.ports import ConnectedIdentity, Duplicate, UnitOfWork
from core.roles import Action
from core.usecases.accounts import find_account
from core.usecases.context import Actor, Services, load_actor

Register = Callable[[], Awaitable[tuple[str, str]]]


async def connect_link_state(
    svc: Services,
    actor: Actor,
    platform: str,
    instance: str = "",
    account_id: int | None = None,
    secret: str = "",
) -> str:
    """A new one-time state for ``/connect/<platform>/start``; returns the token.
    ``secret`` is what the flow keeps for its callback (X's PKCE verifier)."""
    async with svc.uow() as uow:
        _, member = await load_actor(uow, actor, Action.MANAGE_ACCOUNTS)
        token = await _add_state(uow, svc, platform, actor.workspace_id, member.id, instance,
                                 account_id, secret)  # fmt: skip
        await uow.commit()
    return token


async def next_step_state(svc: Services, state: ConnectState, step: str, secret: str) -> str:
    """A one-time state for the next page of a spent state's flow (LinkedIn's choice of
    page), for the same member, holding what that page needs; returns its token."""
    async with svc.uow() as uow:
        token = await _add_state(uow, svc, step, state.workspace_id, state.member_id,
                                 state.instance, state.account_id, secret)  # fmt: skip
        await uow.commit()
    return token


async def _add_state(
    uow: UnitOfWork,
    svc: Services,
    platform: str,
    workspace_id: int,
    member_id: int,
    instance: str,
    account_id: int | None,
    secret: str,
) -> str:
    token = secrets.token_urlsafe(32)
    now = svc.clock.now()
    await uow.connects.add_state(
        ConnectState(
            token_hash=state_hash(token),
            platform=platform,
            workspace_id=workspace_id,
            member_id=member_id,
            instance=instance,
            created_at=now,
            expires_at=now + STATE_LIFETIME,
            account_id=account_id,
            secret=secret,
        )
    )
    return token


async def open_state(svc: Services, token: str, platform: str) -> ConnectState:
    """The state behind a link, still usable; reading it does not spend it."""
    async with svc.uow() as uow:
        state = await uow.connects.state(state_hash(token))
    if state is None or state.platform != platform:
        raise NotFound("This connect link is not one of ours; ask the bot for a new one.")
    if not state.usable(svc.clock.now()):
        raise ValidationFailed(
            "This connect link was used already or is older than 15 minutes; run "
            "`accounts connect` again for a new one."
        )
    return state


async def spend_state(svc: Services, token: str, platform: str) -> ConnectState:
    """Spend the link's state for its callback: a second callback with it is refused."""
    state = await open_state(svc, token, platform)
    async with svc.uow() as uow:
        if not await uow.connects.spend(state.id, svc.clock.now()):
            raise ValidationFailed("This connect link was used already; ask for a new one.")
        await uow.commit()
    return state


async def oauth_app(
    svc: Services, platform: str, instance: str, redirect_uri: str, register: Register
) -> OAuthApp:
    """Our app on this server, registered once and kept (Mastodon: per instance)."""
    async with svc.uow() as uow:
        found = await uow.connects.app(platform, instance, redirect_uri)
    if found is not None:
        return found
    client_id, client_secret = await register()
    app = OAuthApp(platform, instance, redirect_uri, client_id, client_secret)
    async with svc.uow() as uow:
        try:
            await uow.connects.add_app(app)
            await uow.commit()
        except Duplicate:
            # Another process registered it meanwhile: theirs is the one kept.
            kept = await uow.connects.app(platform, instance, redirect_uri)
            return kept or app
    return app


async def save_connected(
    svc: Services,
    actor: Actor,
    platform: str,
    identity: ConnectedIdentity,
    account_id: int | None = None,
) -> tuple[SocialAccount, bool]:
    """Add the proven account, or reconnect in place the one a reconnect link was for
    (``account_id``: its name stays, though the platform renamed it) or the one of the
    same name.

    Returns the account and whether it was already here.
    """
    if platform not in PLATFORMS:
        raise ValidationFailed(f"{platform} is not a platform this bot publishes to.")
    async with svc.uow() as uow:
        _, member = await load_actor(uow, actor, Action.MANAGE_ACCOUNTS)
        existing = await _reconnecting(uow, actor, platform, identity, account_id)
        existing = existing or await uow.accounts.by_name(actor.workspace_id, identity.name)
        if existing is not None and existing.platform != platform:
            raise ValidationFailed(
                f"There is already a {existing.spec.label} account called “{identity.name}”."
            )
        if existing is not None and not _same_subject(existing, identity):
            raise ValidationFailed(
                f"There is already a {existing.spec.label} account called “{identity.name}”"
                " for someone else; remove it first if it is no longer used."
            )
        if existing is not None:
            existing.credentials = dict(identity.credentials)
            existing.status = AccountStatus.CONNECTED
            existing.handle = identity.handle
            existing.max_chars = identity.max_chars
            existing.take_token(identity.token)
            await uow.accounts.update(existing)
            await uow.commit()
            return existing, True
        account = SocialAccount(
            workspace_id=actor.workspace_id,
            platform=platform,
            name=identity.name,
            handle=identity.handle,
            credentials=dict(identity.credentials),
            owner_member_id=member.id,
            max_chars=identity.max_chars,
        )
        account.take_token(identity.token)
        await uow.accounts.add(account)
        await uow.commit()
    return account, False


async def _reconnecting(
    uow: UnitOfWork,
    actor: Actor,
    platform: str,
    identity: ConnectedIdentity,
    account_id: int | None,
) -> SocialAccount | None:
    account = await uow.accounts.get(account_id) if account_id else None
    if account is None or account.workspace_id != actor.workspace_id:
        return None
    if account.platform != platform or not _same_subject(account, identity):
        return None
    return account


def _same_subject(existing: SocialAccount, identity: ConnectedIdentity) -> bool:
    """A reconnect is for the same platform account: two LinkedIn members may share a
    name, and one must never take over the other's account by reconnecting it."""
    held, given = existing.credentials.get("subject"), identity.credentials.get("subject")
    return held is None or given is None or held == given


async def account_handle(svc: Services, state: ConnectState) -> str:
    """The handle of the account a reconnect link is for (to fill the form in)."""
    async with svc.uow() as uow:
        account = await uow.accounts.get(state.account_id) if state.account_id else None
    return account.handle if account and account.workspace_id == state.workspace_id else ""


async def account_to_reconnect(svc: Services, actor: Actor, name: str) -> SocialAccount:
    """The account named, for a member who may reconnect it."""
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.MANAGE_ACCOUNTS)
        return await find_account(uow, actor.workspace_id, name)


async def mark_working(svc: Services, actor: Actor, name: str) -> SocialAccount:
    """A webhook has no sign-in: once its receiver is mended, it is simply connected."""
    async with svc.uow() as uow:
        await load_actor(uow, actor, Action.MANAGE_ACCOUNTS)
        account = await find_account(uow, actor.workspace_id, name)
        account.status = AccountStatus.CONNECTED
        await uow.accounts.update(account)
        await uow.commit()
    return account


async def save_credentials(svc: Services, account_id: int, credentials: dict[str, str]) -> None:
    """Renewed credentials (a refreshed session), written before they are used."""
    async with svc.uow() as uow:
        await uow.accounts.set_credentials(account_id, credentials)
        await uow.commit()
