"""What a surface accepts after ``with``: files on the console, links everywhere.

Chat surfaces never read the server's files: a path typed in Slack or Discord would
publish whatever the bot's machine holds there. Links are checked not to lead inside
the operator's network (``platforms.addresses``).
"""

import asyncio
from collections.abc import Awaitable, Callable, Collection, Sequence
from pathlib import Path

from core.errors import ValidationFailed
from platforms.addresses import is_web_url, refuse_inward_url

MediaCheck = Callable[[Sequence[str]], Awaitable[tuple[str, ...]]]


def links_only(allowed_hosts: Collection[str] = ()) -> MediaCheck:
    """Slack and Discord: uploaded files arrive as links; nothing else is read."""

    async def check(sources: Sequence[str]) -> tuple[str, ...]:
        for source in sources:
            if not is_web_url(source):
                raise ValidationFailed(
                    f"“{source}” is not a link. In chat, attach the file or give an "
                    "https:// link; files on the bot's machine are not read from here."
                )
            await refuse_inward_url(source, allowed_hosts)
        return tuple(sources)

    return check


def files_or_links(allowed_hosts: Collection[str] = ()) -> MediaCheck:
    """The console runs on the operator's own machine: local files are theirs to use."""
    links = links_only(allowed_hosts)

    async def check(sources: Sequence[str]) -> tuple[str, ...]:
        kept: list[str] = []
        for source in sources:
            if is_web_url(source):
                kept += await links([source])
                continue
            found = await asyncio.to_thread(_local_file, source)
            if found is None:
                raise ValidationFailed(f"There is no file at {source}; give a file or a link.")
            kept.append(found)
        return tuple(kept)

    return check


def _local_file(source: str) -> str | None:
    path = Path(source).expanduser()
    return str(path.resolve()) if path.is_file() else None
