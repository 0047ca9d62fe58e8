"""@mentions as each surface writes them, turned into the core's neutral markers.

A surface says how a person is written in its text (``@alice`` on the console,
``<@U123>`` in Slack, ``<@123>`` in Discord) and how to show a member back; the
resolution itself goes through the surface's ``person`` lookup and the core, so a
mention names a member of this workspace or nobody.
"""

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.comments import marker
from core.usecases import members
from core.usecases.context import Actor, Services
from core.usecases.identities import ChatProfile
from core.workspace import Member

# The console's (and email's) way: @name, not inside a word or an address.
AT_NAME = re.compile(r"(?<![\w@<.])@[A-Za-z0-9][\w.-]*(?<![.-])")

Person = Callable[[str], Awaitable[ChatProfile | None]]


@dataclass(frozen=True)
class Mentions:
    """The text with markers for members, and what was typed for anyone else."""

    text: str
    unknown: tuple[str, ...]


async def resolve(
    text: str, pattern: re.Pattern[str], person: Person, services: Services, actor: Actor
) -> Mentions:
    resolved: dict[str, str] = {}
    unknown: list[str] = []
    for token in dict.fromkeys(match.group(0) for match in pattern.finditer(text)):
        profile = await person(token)
        member = await members.find_member(services, actor, profile) if profile else None
        if member is None:
            unknown.append(token)
        else:
            resolved[token] = marker(member.id)
    marked = pattern.sub(lambda m: resolved.get(m.group(0), m.group(0)), text)
    return Mentions(marked, tuple(unknown))


def at_name(member: Member) -> str:
    return f"@{member.name}"
