"""``accounts``: list, add by name, connect, reconnect, remove, and sandbox modes."""

from bot.commands import requests as rq
from bot.commands import views
from bot.commands.connect import Connect
from bot.commands.dispatch import Context, handles
from core.accounts import PLATFORMS, SocialAccount
from core.messages import Button, Reply, Tone, error
from core.usecases import accounts, connect
from core.usecases.context import Actor, Services
from platforms.oauth2 import pkce_verifier

_BY_NAME = (
    "Only sandbox and webhook accounts can be added by name: `accounts add sandbox <name>`, "
    "`accounts add webhook <name> <URL> [secret <secret>]`; real platforms use "
    "`accounts connect <platform>`."
)


@handles(rq.Accounts)
async def _accounts(req: rq.Accounts, ctx: Context) -> Reply:
    svc, actor = ctx.services, ctx.actor
    if req.action == "add":
        return await _add(req, ctx)
    if req.action == "connect":
        return await _connect(req, ctx)
    if req.action == "reconnect" and req.name:
        return await _reconnect(req.name, ctx)
    if req.action == "remove" and req.name:
        account = await accounts.remove_account(svc, actor, req.name)
        return Reply(text=f"Removed account {account.name}.", tone=Tone.SUCCESS)
    if req.action == "mode" and req.name and req.mode:
        account = await accounts.set_sandbox_mode(svc, actor, req.name, req.mode)
        return Reply(text=f"Sandbox account {account.name} is now in mode {req.mode}.")
    return views.accounts_reply(await accounts.list_accounts(svc, actor))


async def _add(req: rq.Accounts, ctx: Context) -> Reply:
    svc, actor = ctx.services, ctx.actor
    if req.platform == "webhook" and req.name and req.url:
        # A URL typed in chat must not lead inside the operator's network.
        await ctx.media([req.url])
        account = await accounts.add_webhook_account(svc, actor, req.name, req.url, req.secret)
        signed = "signed with your secret" if req.secret else "unsigned (add `secret <secret>`)"
        return Reply(
            text=f"Added webhook account {account.name}: each post goes to {account.handle}, "
            f"{signed}.",
            tone=Tone.SUCCESS,
        )
    if req.platform != "sandbox" or not req.name:
        return error(_BY_NAME)
    account = await accounts.add_sandbox_account(svc, actor, req.name)
    return Reply(
        text=f"Added sandbox account {account.name}; its posts land in the sandbox folder.",
        tone=Tone.SUCCESS,
    )


async def _connect(req: rq.Accounts, ctx: Context) -> Reply:
    svc, actor, links = ctx.services, ctx.actor, ctx.connect
    if req.platform == "mastodon" and req.url:
        if req.secret:
            identity = await links.mastodon_identity(req.url, req.secret)
            return _connected(*await connect.save_connected(svc, actor, "mastodon", identity))
        instance = await links.instance(req.url)
        return await _link(svc, actor, links, "mastodon", instance)
    if req.platform == "bluesky":
        if req.name and req.secret:
            identity = await links.bluesky_identity(req.name, req.secret, req.url)
            return _connected(*await connect.save_connected(svc, actor, "bluesky", identity))
        pds = await links.instance(req.url) if req.url else ""
        return await _link(svc, actor, links, "bluesky", pds)
    if req.platform in ("linkedin", "x"):
        return await _oauth_link(svc, actor, links, req.platform)
    return error(
        f"Connecting {req.platform} is not available on this bot. Connect `mastodon` "
        "(`accounts connect mastodon <instance URL>`), `bluesky` (`accounts connect "
        "bluesky <handle> <app password>`), `linkedin` or `x`, or add a webhook."
    )


async def _oauth_link(
    svc: Services, actor: Actor, links: Connect, platform: str, account: SocialAccount | None = None
) -> Reply:
    refused = links.not_set_up(platform)
    if refused is not None:
        return error(refused)
    # X wants PKCE: the verifier waits, encrypted, with the link's state.
    verifier = pkce_verifier() if platform == "x" else ""
    return await _link(svc, actor, links, platform, "", account, verifier)


async def _reconnect(name: str, ctx: Context) -> Reply:
    svc, actor, links = ctx.services, ctx.actor, ctx.connect
    account = await connect.account_to_reconnect(svc, actor, name)
    if account.platform == "sandbox":
        await accounts.set_sandbox_mode(svc, actor, account.name, "ok")
        return Reply(text=f"Sandbox account {account.name} works again.", tone=Tone.SUCCESS)
    if account.platform == "webhook":
        await connect.mark_working(svc, actor, account.name)
        return Reply(
            text=f"Webhook account {account.name} is connected again; `retry` the posts "
            "that failed on it.",
            tone=Tone.SUCCESS,
        )
    if account.platform in ("linkedin", "x"):
        return await _oauth_link(svc, actor, links, account.platform, account)
    base = account.credentials.get("instance") or account.credentials.get("pds", "")
    return await _link(svc, actor, links, account.platform, base, account)


async def _link(
    svc: Services,
    actor: Actor,
    links: Connect,
    platform: str,
    instance: str,
    account: SocialAccount | None = None,
    secret: str = "",
) -> Reply:
    token = await connect.connect_link_state(
        svc, actor, platform, instance, account.id if account else None, secret
    )
    url = links.start_link(platform, token)
    label = PLATFORMS[platform].label
    article = "an" if label[0] in "AEIOUX" else "a"  # "an X account"
    what = f"reconnect {account.name}" if account else f"connect {article} {label} account"
    how = _HOW.get(platform, f"sign in to {label} and allow TryPost")
    return Reply(
        text=f"To {what}, open this link and {how}. It works once, for 15 minutes, and only "
        f"for you:\n{url}",
        buttons=(Button("Open sign-in", "", url=url),),
    )


_HOW = {
    "mastodon": "sign in on your instance and allow TryPost",
    "bluesky": "give the handle and an app password (Bluesky → Settings → App passwords)",
}


def _connected(account: SocialAccount, again: bool) -> Reply:
    done = "Reconnected" if again else "Connected"
    retry = " `retry` the posts that failed while it was disconnected." if again else ""
    return Reply(
        text=f"{done} {account.spec.label} account {account.name}; posts up to "
        f"{account.char_limit} characters.{retry}",
        tone=Tone.SUCCESS,
    )
