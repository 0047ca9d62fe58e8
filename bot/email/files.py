"""The Mailer port as a folder of ``.eml`` files: the default when no SMTP server is
set, so trying the bot needs no mail account (open the files in any mail client)."""

import asyncio
import logging
import os
import re
import tempfile
from email.message import EmailMessage
from pathlib import Path

from bot.email.compose import (
    compose_confirmation_for_sending,
    compose_for_sending,
    sender_address,
)
from bot.email.links import LinkSigner
from core.notifications.ports import AddressConfirmation, DeliveryFailed, EmailNotice

log = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class FileMailer:
    """Writes ``<folder>/<notice.key>.eml``: a retried send replaces the same file, so
    one notice never becomes two emails. Writes are atomic (temporary file, then
    rename): a reader never sees half an email."""

    def __init__(self, folder: Path, sender: str, links: LinkSigner) -> None:
        sender_address(sender)
        self.folder = folder
        self._sender = sender
        self._links = links

    def path_for(self, key: str) -> Path:
        # Keys are ours ("trypost-delivery-7"); still, never let one leave the folder.
        return self.folder / f"{_UNSAFE.sub('_', key).lstrip('.') or 'email'}.eml"

    async def send(self, email: EmailNotice) -> None:
        await self._write(email.key, compose_for_sending(email, self._sender, self._links))

    async def send_confirmation(self, email: AddressConfirmation) -> None:
        message = compose_confirmation_for_sending(email, self._sender, self._links)
        await self._write(email.key, message)

    async def _write(self, key: str, message: EmailMessage) -> None:
        path = self.path_for(key)
        try:
            await asyncio.to_thread(_write_atomically, path, message.as_bytes())
        except OSError as error:
            raise DeliveryFailed(f"cannot write {path}: {error.strerror or error}") from None
        log.info("email written", extra={"key": key, "path": str(path)})


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
