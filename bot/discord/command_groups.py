"""The rarer commands of ``/trypost``, grouped to stay within Discord's 25 subcommands:
``comment``, ``accounts``, ``labels``, ``inbox``, ``settings`` and ``members``."""

from typing import Literal

import discord
from discord import app_commands

from bot.commands import requests as rq
from bot.commands.grammar import parse
from bot.discord import autocomplete as ac
from bot.discord.interactions import DiscordListeners

Post = app_commands.Range[int, 1]
CommentId = app_commands.Range[int, 1]
RoleName = Literal["owner", "admin", "editor", "approver", "viewer"]
InboxStatus = Literal["unread", "read", "archived"]
Category = Literal["publishing", "approval", "comments", "team", "system", "ai"]
OnOff = Literal["on", "off"]


def line(*words: str | None) -> str:
    """Words as the grammar reads them; one with spaces is quoted."""
    return " ".join(f'"{w}"' if any(c.isspace() for c in w) else w for w in words if w)


def add_groups(
    root: app_commands.Group,
    listeners: DiscordListeners,
    posts: ac.Posts,
    accounts: ac.AccountNames,
    labels: ac.LabelNames,
) -> None:
    _comments(root, listeners, posts)
    _accounts(root, listeners, accounts)
    _labels(root, listeners, labels)
    _inbox(root, listeners)
    _settings(root, listeners)
    _members(root, listeners)


def _comments(root: app_commands.Group, listeners: DiscordListeners, posts: ac.Posts) -> None:
    group = app_commands.Group(name="comment", description="Comments on posts", parent=root)
    run = listeners.command

    @group.command(name="add", description="Comment on a post (empty: a box opens)")
    @app_commands.describe(text="Your comment; mention people with @")
    @app_commands.autocomplete(post=posts.suggest)
    async def add(interaction: discord.Interaction, post: Post, text: str | None = None) -> None:
        if text is None:
            await listeners.ask_words(interaction, "comment", str(post))
            return
        await run(interaction, rq.Comment(post, text))

    @group.command(description="Reply to a comment")
    @app_commands.autocomplete(post=posts.suggest)
    async def reply(
        interaction: discord.Interaction, post: Post, comment: CommentId, text: str
    ) -> None:
        await run(interaction, rq.Comment(post, text, comment))

    @group.command(name="edit", description="Change your comment")
    async def edit(interaction: discord.Interaction, comment: CommentId, text: str) -> None:
        await run(interaction, rq.CommentEdit(comment, text))

    @group.command(name="delete", description="Delete your comment")
    async def delete(interaction: discord.Interaction, comment: CommentId) -> None:
        await run(interaction, rq.CommentDelete(comment))

    @group.command(name="list", description="A post's comments, threaded")
    @app_commands.autocomplete(post=posts.suggest)
    async def list_(interaction: discord.Interaction, post: Post) -> None:
        await run(interaction, rq.Comments(post))

    @group.command(description="React to a comment with an emoji")
    async def react(interaction: discord.Interaction, comment: CommentId, emoji: str) -> None:
        await run(interaction, rq.React(comment, emoji))


def _accounts(
    root: app_commands.Group, listeners: DiscordListeners, names: ac.AccountNames
) -> None:
    group = app_commands.Group(name="accounts", description="Social accounts", parent=root)
    run = listeners.command

    @group.command(name="list", description="The connected accounts")
    async def list_(interaction: discord.Interaction) -> None:
        await run(interaction, parse("accounts list"))

    @group.command(description="Add a sandbox or webhook account by name")
    @app_commands.describe(
        platform="The platform",
        name="A name for it",
        url="webhook: the URL each post is sent to",
        secret="webhook: the signing secret (whsec_… or any text)",
    )
    async def add(
        interaction: discord.Interaction,
        platform: Literal["sandbox", "webhook"],
        name: str,
        url: str | None = None,
        secret: str | None = None,
    ) -> None:
        if platform == "webhook":
            if not url:
                await listeners.refuse(interaction, "A webhook account needs its `url`.")
                return
            await run(interaction, rq.Accounts("add", "webhook", name, url=url, secret=secret))
            return
        await run(interaction, parse(line("accounts", "add", platform, name)))

    @group.command(description="Connect a Mastodon, Bluesky, LinkedIn or X account")
    @app_commands.describe(
        platform="The platform",
        instance="Mastodon: the instance's address; Bluesky: a PDS other than bsky.social",
        token="Mastodon: a token from the instance's Development settings (else a link)",
    )
    async def connect(
        interaction: discord.Interaction,
        platform: Literal["mastodon", "bluesky", "linkedin", "x"],
        instance: str | None = None,
        token: str | None = None,
    ) -> None:
        if platform == "mastodon" and not instance:
            await listeners.refuse(interaction, "Mastodon needs its `instance` address.")
            return
        # A Bluesky app password goes in the web form the link opens, never through chat.
        secret = token if platform == "mastodon" else None
        await run(interaction, rq.Accounts("connect", platform, url=instance, secret=secret))

    @group.command(description="A fresh sign-in for a disconnected account")
    @app_commands.autocomplete(name=names.one)
    async def reconnect(interaction: discord.Interaction, name: str) -> None:
        await run(interaction, rq.Accounts("reconnect", name=name))

    @group.command(description="Make a sandbox account succeed or fail on purpose")
    @app_commands.autocomplete(name=names.one)
    async def mode(
        interaction: discord.Interaction,
        name: str,
        mode: Literal["ok", "fail", "auth-fail", "flaky", "slow"],
    ) -> None:
        await run(interaction, parse(line("accounts", "mode", name, mode)))

    @group.command(description="Remove an account")
    @app_commands.autocomplete(name=names.one)
    async def remove(interaction: discord.Interaction, name: str) -> None:
        await run(interaction, parse(line("accounts", "remove", name)))


def _labels(root: app_commands.Group, listeners: DiscordListeners, names: ac.LabelNames) -> None:
    group = app_commands.Group(name="labels", description="The workspace's labels", parent=root)
    run = listeners.command

    @group.command(name="list", description="Every label")
    async def list_(interaction: discord.Interaction) -> None:
        await run(interaction, rq.Labels("list"))

    @group.command(description="Add a label")
    async def add(interaction: discord.Interaction, name: str) -> None:
        await run(interaction, parse(line("labels", "add", name)))

    @group.command(description="Remove a label")
    @app_commands.autocomplete(name=names.suggest)
    async def remove(interaction: discord.Interaction, name: str) -> None:
        await run(interaction, parse(line("labels", "remove", name)))


def _inbox(root: app_commands.Group, listeners: DiscordListeners) -> None:
    group = app_commands.Group(name="inbox", description="Your notifications", parent=root)
    run = listeners.command

    @group.command(name="show", description="Your notifications, newest first")
    @app_commands.describe(since="Only since (a date or time)")
    async def show(
        interaction: discord.Interaction,
        status: InboxStatus | None = None,
        category: Category | None = None,
        since: str | None = None,
    ) -> None:
        await run(interaction, rq.Inbox(status, category, since))

    @group.command(description="Mark a notification, or all, read")
    @app_commands.describe(which="A notification's number, or all")
    async def read(interaction: discord.Interaction, which: str = "all") -> None:
        await run(interaction, parse(line("read", which)))

    @group.command(description="Archive a notification, or all")
    @app_commands.describe(which="A notification's number, or all")
    async def archive(interaction: discord.Interaction, which: str = "all") -> None:
        await run(interaction, parse(line("archive", which)))


def _settings(root: app_commands.Group, listeners: DiscordListeners) -> None:
    group = app_commands.Group(
        name="settings", description="Your and the workspace's settings", parent=root
    )
    run = listeners.command

    @group.command(name="show", description="Every setting")
    async def show(interaction: discord.Interaction) -> None:
        await run(interaction, rq.Settings())

    @group.command(description="Your time zone")
    @app_commands.describe(zone="An IANA zone: Europe/Paris, America/New_York, UTC")
    @app_commands.autocomplete(zone=ac.time_zones)
    async def timezone(interaction: discord.Interaction, zone: str) -> None:
        await run(interaction, parse(line("settings", "timezone", zone)))

    @group.command(description="Where emails reach you (confirmed by a link)")
    @app_commands.describe(address="Your address, or off")
    async def email(interaction: discord.Interaction, address: str) -> None:
        await run(interaction, parse(line("settings", "email", address)))

    @group.command(description="Whether posts need an approval")
    async def approvals(interaction: discord.Interaction, state: OnOff) -> None:
        await run(interaction, parse(line("settings", "approvals", state)))

    @group.command(description="Your notifications: chat, email, digest")
    @app_commands.describe(change="e.g. email off comments · digest daily · email away")
    async def notifications(interaction: discord.Interaction, change: str | None = None) -> None:
        await run(interaction, parse(f"settings notifications {change or ''}"))

    @group.command(description="The plan's monthly post cap")
    @app_commands.describe(posts="A number, or off")
    async def limit(interaction: discord.Interaction, posts: str) -> None:
        await run(interaction, parse(line("settings", "limit", posts)))


def _members(root: app_commands.Group, listeners: DiscordListeners) -> None:
    group = app_commands.Group(name="members", description="Who is in the workspace", parent=root)
    run = listeners.command

    @group.command(name="list", description="Members, their roles and role grants")
    async def list_(interaction: discord.Interaction) -> None:
        await run(interaction, rq.Members("list"))

    @group.command(description="Invite someone with a role")
    async def invite(interaction: discord.Interaction, user: discord.User, role: RoleName) -> None:
        await run(interaction, rq.Members("invite", user.mention, role))

    @group.command(description="Change a member's role, or grant one to a Discord role")
    @app_commands.describe(who="A member, or a Discord role whose holders get the role")
    async def role(
        interaction: discord.Interaction, who: discord.User | discord.Role, role: RoleName
    ) -> None:
        await run(interaction, rq.Members("role", who.mention, role))

    @group.command(description="Remove a member, or a Discord role's grant")
    async def remove(interaction: discord.Interaction, who: discord.User | discord.Role) -> None:
        await run(interaction, rq.Members("remove", who.mention))

    @group.command(description="Accept your invitation")
    async def accept(interaction: discord.Interaction) -> None:
        await run(interaction, rq.Members("accept"))

    @group.command(description="Decline your invitation")
    async def decline(interaction: discord.Interaction) -> None:
        await run(interaction, rq.Members("decline"))
