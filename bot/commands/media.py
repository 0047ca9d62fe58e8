"""What a surface accepts after ``with``: files on the console, links everywhere, and
how their bytes reach the media store.

Chat surfaces never read the server's files: a path typed in Slack or Discord would
publish whatever the bot's machine holds there. Links are checked not to lead inside
the operator's network (``platforms.addresses``), at every redirect too.
"""

import asyncio
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import aiohttp

from core.errors import ValidationFailed
from platforms.addresses import is_web_url, refuse_inward_url

# Larger than any platform takes (Mastodon's video limit is 99 MB).
MAX_DOWNLOAD = 100_000_000
_TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=10)
_REDIRECTS = 3


class MediaIntake:
    """Checks what follows ``with`` and reads the bytes of what passed."""

    def __init__(
        self,
        allowed_hosts: Collection[str] = (),
        *,
        local_files: bool,
        bearer: Mapping[str, str] | None = None,
    ) -> None:
        self._allowed = tuple(allowed_hosts)
        self._local = local_files
        # Hosts whose files need the bot's token (Slack's url_private), and that token.
        self._bearer = dict(bearer or {})

    def with_bearer(self, hosts: Collection[str], token: str) -> "MediaIntake":
        """The same intake, sending ``token`` to ``hosts`` only (never to other sites a
        link or a redirect may lead to)."""
        return MediaIntake(
            self._allowed, local_files=self._local, bearer={h.lower(): token for h in hosts}
        )

    async def __call__(self, sources: Sequence[str]) -> tuple[str, ...]:
        kept: list[str] = []
        for source in sources:
            if is_web_url(source):
                await refuse_inward_url(source, self._allowed)
                kept.append(source)
            elif not self._local:
                raise ValidationFailed(
                    f"“{source}” is not a link. In chat, attach the file or give an "
                    "https:// link; files on the bot's machine are not read from here."
                )
            else:
                found = await asyncio.to_thread(_local_file, source)
                if found is None:
                    raise ValidationFailed(f"There is no file at {source}; give a file or a link.")
                kept.append(found)
        return tuple(kept)

    async def read(self, source: str) -> bytes:
        """The bytes behind a checked source."""
        if not is_web_url(source):
            return await asyncio.to_thread(_read_file, Path(source))
        return await self._download(source)

    async def _download(self, url: str) -> bytes:
        async with aiohttp.ClientSession(timeout=_TIMEOUT) as http:
            for _ in range(_REDIRECTS + 1):
                await refuse_inward_url(url, self._allowed)
                try:
                    headers = self._authorization(url)
                    async with http.get(url, allow_redirects=False, headers=headers) as answer:
                        if answer.status in (301, 302, 303, 307, 308):
                            url = urljoin(url, answer.headers.get("Location", ""))
                            continue
                        if answer.status != 200:
                            raise ValidationFailed(
                                f"I could not fetch {url}: it answered HTTP {answer.status}."
                            )
                        return await _bounded(answer)
                except (aiohttp.ClientError, TimeoutError):
                    raise ValidationFailed(f"I could not fetch {url}; check the link.") from None
        raise ValidationFailed(f"{url} redirects too often to follow.")

    def _authorization(self, url: str) -> dict[str, str]:
        token = self._bearer.get((urlsplit(url).hostname or "").lower())
        return {"Authorization": f"Bearer {token}"} if token else {}


async def _bounded(answer: aiohttp.ClientResponse) -> bytes:
    if (answer.content_length or 0) > MAX_DOWNLOAD:
        raise ValidationFailed("That file is larger than 100 MB, more than any platform takes.")
    data = bytearray()
    async for chunk in answer.content.iter_chunked(1 << 16):
        data += chunk
        if len(data) > MAX_DOWNLOAD:
            raise ValidationFailed("That file is larger than 100 MB, more than any platform takes.")
    return bytes(data)


def links_only(allowed_hosts: Collection[str] = ()) -> MediaIntake:
    """Slack and Discord: uploaded files arrive as links; nothing else is read."""
    return MediaIntake(allowed_hosts, local_files=False)


def files_or_links(allowed_hosts: Collection[str] = ()) -> MediaIntake:
    """The console runs on the operator's own machine: local files are theirs to use."""
    return MediaIntake(allowed_hosts, local_files=True)


def _local_file(source: str) -> str | None:
    path = Path(source).expanduser()
    return str(path.resolve()) if path.is_file() else None


def _read_file(path: Path) -> bytes:
    if path.stat().st_size > MAX_DOWNLOAD:
        raise ValidationFailed(f"{path.name} is larger than 100 MB, more than any platform takes.")
    return path.read_bytes()
