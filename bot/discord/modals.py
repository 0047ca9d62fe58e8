"""Discord modals: the composer of ``/trypost schedule``, and the words a button needs
(Request changes, Comment, Reply).

A modal's custom id says what its submission is (``trypost-modal:<kind>:<guild>:<target>``)
and its inputs carry the words, so a submission is read without any state kept in the
client: a modal opened before a restart still works after it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import discord

from bot.commands import requests as rq
from bot.discord.render import MODAL_PREFIX
from core.accounts import SocialAccount

COMPOSER = "schedule"
CHANGES = "changes"
COMMENT = "comment"
_TITLES = {COMPOSER: "New post", CHANGES: "Request changes", COMMENT: "Comment"}


@dataclass(frozen=True)
class ModalId:
    kind: str
    guild_id: str
    target: str = ""

    def __str__(self) -> str:
        return f"{MODAL_PREFIX}{self.kind}:{self.guild_id}:{self.target}"


def read_modal_id(custom_id: str) -> ModalId | None:
    if not custom_id.startswith(MODAL_PREFIX):
        return None
    kind, _, rest = custom_id[len(MODAL_PREFIX) :].partition(":")
    guild_id, _, target = rest.partition(":")
    if kind not in _TITLES or not digits(guild_id) or not _target_fits(kind, target):
        return None
    return ModalId(kind, guild_id, target)


def digits(text: str) -> bool:
    """ASCII digits only: ``"①".isdigit()`` holds, yet ``int("①")`` fails."""
    return text.isascii() and text.isdigit()


def _target_fits(kind: str, target: str) -> bool:
    """What :func:`submitted` reads: a post (changes), a post or ``<post> reply <comment>``
    (comment); the composer has none."""
    if kind == CHANGES:
        return digits(target)
    if kind == COMMENT:
        post, _, reply_to = target.partition(" reply ")
        return digits(post) and (not reply_to or digits(reply_to))
    return True


def composer(
    guild_id: str, accounts: Sequence[SocialAccount], zone: str, prefill: rq.Schedule
) -> discord.ui.Modal:
    """Text, accounts, when (read in the member's zone) and labels. An empty "when"
    keeps a draft; "now" publishes at once."""
    names = ", ".join(a.name for a in accounts) or "none yet: `accounts add sandbox <name>`"
    modal = _modal(ModalId(COMPOSER, guild_id))
    modal.add_item(
        discord.ui.TextInput(
            label="Text",
            custom_id="text",
            style=discord.TextStyle.paragraph,
            max_length=4000,
            default=prefill.text or None,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Accounts (empty: the defaults)",
            custom_id="accounts",
            required=False,
            placeholder=_clip(names, 100),
            default=", ".join(prefill.accounts) or None,
            max_length=400,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label=_clip(f"When, in {zone} (empty: draft)", 45),
            custom_id="when",
            required=False,
            placeholder="tomorrow 9am · friday 17:30 · in 2 hours · now",
            default=prefill.when or None,
            max_length=100,
        )
    )
    modal.add_item(
        discord.ui.TextInput(
            label="Labels",
            custom_id="labels",
            required=False,
            placeholder="launch, spring",
            default=", ".join(prefill.labels) or None,
            max_length=200,
        )
    )
    return modal


def words_for(kind: str, guild_id: str, target: str) -> discord.ui.Modal:
    """The one-box modal of Request changes, Comment or Reply."""
    modal = _modal(ModalId(kind, guild_id, target))
    label = "What should change?" if kind == CHANGES else "Your comment (@name to mention)"
    modal.add_item(
        discord.ui.TextInput(
            label=label,
            custom_id="text",
            style=discord.TextStyle.paragraph,
            max_length=2000 if kind == CHANGES else 4000,
        )
    )
    return modal


def submitted(values: dict[str, str], modal: ModalId) -> rq.Request:
    """The request a submission stands for; its fields are raw, the core checks them."""
    text = values.get("text", "").strip()
    if modal.kind == CHANGES:
        return rq.RequestChanges(int(modal.target), text)
    if modal.kind == COMMENT:
        post, _, reply_to = modal.target.partition(" reply ")
        return rq.Comment(int(post), text, int(reply_to) if reply_to else None)
    accounts, labels = split_words(values.get("accounts")), split_words(values.get("labels"))
    when = values.get("when", "").strip()
    if not when:
        return rq.Draft(text, accounts, labels)
    if when.lower() == "now":
        return rq.Now(text, accounts)
    return rq.Schedule(text, when, accounts, labels)


def split_words(value: str | None) -> tuple[str, ...]:
    """``"brand, news"`` or ``"#spring summer"`` → the names, as the grammar reads lists."""
    if not value:
        return ()
    words = value.replace(",", " ").split()
    return tuple(word.lstrip("#") for word in words if word.lstrip("#"))


def values_of(data: object) -> dict[str, str]:
    """A modal submission's inputs by custom id (Discord nests them in action rows, or
    in labels on newer clients)."""
    found: dict[str, str] = {}
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack += node
        elif isinstance(node, dict):
            if "custom_id" in node and isinstance(node.get("value"), str):
                found[str(node["custom_id"])] = node["value"]
            stack += [node.get("components"), node.get("component")]
    return found


def _modal(custom_id: ModalId) -> discord.ui.Modal:
    return discord.ui.Modal(title=_TITLES[custom_id.kind], custom_id=str(custom_id), timeout=None)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
