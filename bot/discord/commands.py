"""``/trypost`` as a Discord application command: the one grammar, as typed options.

Discord allows 25 subcommands and groups under one command. The everyday commands
stay direct (``/trypost schedule``, ``list``, ``approve``…); the rarer ones live in
groups (``/trypost accounts add``, ``members invite``…), see
:mod:`bot.discord.command_groups`. Each subcommand only turns its options into the
request the grammar would have read; the dispatcher does the rest, as everywhere.
Options with free text become request fields directly (a quote in a post must not be
read as the end of a quoted string); word-only ones go through :func:`parse`, so their
checks and messages are the grammar's own.
"""

from typing import Literal

import discord
from discord import app_commands

from bot.commands import requests as rq
from bot.discord import autocomplete as ac
from bot.discord.command_groups import add_groups
from bot.discord.interactions import DiscordListeners
from bot.discord.modals import split_words

Post = app_commands.Range[int, 1]
Status = Literal["drafts", "scheduled", "published", "failed", "all"]
CalendarView = Literal["day", "week", "month"]
NEEDS_WHEN = (
    "When should it go out? Fill in `when` (like tomorrow 9am), leave out `text` to open "
    "the composer, or keep it with `/trypost draft`."
)


def trypost_command(listeners: DiscordListeners) -> app_commands.Group:
    """The ``/trypost`` group, wired to ``listeners``; guild-only (a DM has no team)."""
    root = app_commands.Group(
        name="trypost", description="Schedule, review and publish social posts", guild_only=True
    )
    run = listeners.command
    posts = ac.Posts(listeners)
    accounts = ac.AccountNames(listeners)
    labels = ac.LabelNames(listeners)

    @root.command(name="help", description="What each command does, with examples")
    @app_commands.describe(command="A command to explain")
    @app_commands.autocomplete(command=ac.help_topics)
    async def help_(interaction: discord.Interaction, command: str | None = None) -> None:
        await run(interaction, rq.Help(command or None))

    @root.command(description="Schedule a post; with no text, open the composer")
    @app_commands.describe(
        text="What to post",
        when="When, in your time zone: tomorrow 9am, friday 17:30, in 2 hours",
        on="Accounts or platforms, comma-separated (default: the workspace's)",
        label="Labels, comma-separated",
        media="An image or video to attach",
        link="A link to media to attach",
    )
    @app_commands.autocomplete(on=accounts.suggest, label=labels.suggest)
    async def schedule(
        interaction: discord.Interaction,
        text: str | None = None,
        when: str | None = None,
        on: str | None = None,
        label: str | None = None,
        media: discord.Attachment | None = None,
        link: str | None = None,
    ) -> None:
        attached = tuple(m for m in (media.url if media else None, link) if m)
        if text is None:
            await run(interaction, rq.Schedule(None, when, split_words(on), split_words(label)))
            return
        if not when:
            await listeners.refuse(interaction, NEEDS_WHEN)
            return
        await run(
            interaction, rq.Schedule(text, when, split_words(on), split_words(label), attached)
        )

    @root.command(description="Publish a post at once")
    @app_commands.describe(text="What to post", on="Accounts or platforms, comma-separated")
    @app_commands.autocomplete(on=accounts.suggest)
    async def now(interaction: discord.Interaction, text: str, on: str | None = None) -> None:
        await run(interaction, rq.Now(text, split_words(on)))

    @root.command(description="Keep a post as a draft, without a time")
    @app_commands.describe(text="The post", on="Accounts, comma-separated", label="Labels")
    @app_commands.autocomplete(on=accounts.suggest, label=labels.suggest)
    async def draft(
        interaction: discord.Interaction,
        text: str,
        on: str | None = None,
        label: str | None = None,
    ) -> None:
        await run(interaction, rq.Draft(text, split_words(on), split_words(label)))

    @root.command(name="list", description="Your posts, filtered")
    @app_commands.describe(
        status="Which posts",
        label="Only with this label",
        start="From (a date or time)",
        end="To (a date or time)",
    )
    @app_commands.rename(start="from", end="to")
    @app_commands.autocomplete(label=labels.suggest)
    async def list_(
        interaction: discord.Interaction,
        status: Status = "all",
        label: str | None = None,
        start: str | None = None,
        end: str | None = None,
    ) -> None:
        await run(interaction, rq.ListPosts(status, label, start, end))

    @root.command(description="What goes out when: a day, week or month")
    @app_commands.describe(view="How much to show", date="Which day (default: today)")
    async def calendar(
        interaction: discord.Interaction, view: CalendarView = "week", date: str | None = None
    ) -> None:
        await run(interaction, rq.Calendar(view, date))

    @root.command(description="A post with its platforms, review and comments")
    @app_commands.autocomplete(post=posts.suggest)
    async def show(interaction: discord.Interaction, post: Post) -> None:
        await run(interaction, rq.Show(post))

    @root.command(description="Change a post's text")
    @app_commands.autocomplete(post=posts.suggest)
    async def edit(interaction: discord.Interaction, post: Post, text: str) -> None:
        await run(interaction, rq.Edit(post, text))

    @root.command(description="Move a scheduled post to another time")
    @app_commands.describe(when="When, in your time zone")
    @app_commands.autocomplete(post=posts.suggest)
    async def reschedule(interaction: discord.Interaction, post: Post, when: str) -> None:
        await run(interaction, rq.Reschedule(post, when))

    @root.command(description="Take a post back to drafts")
    @app_commands.autocomplete(post=posts.suggest)
    async def unschedule(interaction: discord.Interaction, post: Post) -> None:
        await run(interaction, rq.Unschedule(post))

    @root.command(description="Copy a post into a new draft")
    @app_commands.autocomplete(post=posts.suggest)
    async def duplicate(interaction: discord.Interaction, post: Post) -> None:
        await run(interaction, rq.Duplicate(post))

    @root.command(description="Delete a post (asks first unless confirmed)")
    @app_commands.describe(confirm="Delete without asking again")
    @app_commands.autocomplete(post=posts.suggest)
    async def delete(interaction: discord.Interaction, post: Post, confirm: bool = False) -> None:
        await run(interaction, rq.Delete(post, confirm))

    @root.command(description="Publish again what failed")
    @app_commands.autocomplete(post=posts.suggest)
    async def retry(interaction: discord.Interaction, post: Post) -> None:
        await run(interaction, rq.Retry(post))

    @root.command(description="Ask for a review of a post")
    @app_commands.autocomplete(post=posts.suggest)
    async def submit(interaction: discord.Interaction, post: Post) -> None:
        await run(interaction, rq.Submit(post))

    @root.command(description="Approve a post waiting for review")
    @app_commands.autocomplete(post=posts.suggest)
    async def approve(interaction: discord.Interaction, post: Post) -> None:
        await run(interaction, rq.Approve(post))

    @root.command(description="Ask for changes to a post under review")
    @app_commands.describe(feedback="What should change (empty: a box opens)")
    @app_commands.autocomplete(post=posts.suggest)
    async def changes(
        interaction: discord.Interaction, post: Post, feedback: str | None = None
    ) -> None:
        if feedback is None:
            await listeners.ask_words(interaction, "changes", str(post))
            return
        await run(interaction, rq.RequestChanges(post, feedback))

    @root.command(description="Add labels to a post")
    @app_commands.describe(labels="Labels, comma-separated")
    @app_commands.autocomplete(post=posts.suggest)
    @app_commands.autocomplete(labels=labels.suggest)
    async def label(interaction: discord.Interaction, post: Post, labels: str) -> None:
        await run(interaction, rq.LabelPost(post, split_words(labels)))

    @root.command(description="Take a label off a post")
    @app_commands.autocomplete(post=posts.suggest)
    @app_commands.autocomplete(label=labels.suggest)
    async def unlabel(interaction: discord.Interaction, post: Post, label: str) -> None:
        await run(interaction, rq.UnlabelPost(post, label.lstrip("#")))

    add_groups(root, listeners, posts, accounts, labels)
    return root
