"""Signed links in emails: one-click unsubscribe, "open the post", confirm an address.

The signature is the reader's authority (no login on the web side), so the tokens are
signed with the secret key, each kind with its own salt: a post token can never pass
as an unsubscribe token. They carry ids only, never anything secret. Post and
unsubscribe links expire, counted on the bot's clock: a post link after 30 days (a
forwarded email should not show a post for ever), an unsubscribe link after 180 — far
past the 30 days the CAN-SPAM Act asks an opt-out to keep working, and the page of an
expired one says how to turn email off from chat.

An address confirmation link names the request (its inbox notice), the member, the
workspace and the new address; it lasts 24 hours and works once, which the core checks
against the request itself (by the bot's clock), so the token needs no time of its own.
"""

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from itsdangerous import (
    BadData,
    SignatureExpired,
    TimestampSigner,
    URLSafeSerializer,
    URLSafeTimedSerializer,
)

from core.notifications.types import Category

_UNSUBSCRIBE_SALT = "trypost.email.unsubscribe"
_POST_SALT = "trypost.email.post"
_CONFIRM_SALT = "trypost.email.confirm"
# How long a post link in an email keeps opening the post page.
POST_LINK_DAYS = 30
# How long an unsubscribe link keeps working.
UNSUBSCRIBE_LINK_DAYS = 180
_UNSUBSCRIBE_EXPIRED = (
    "This unsubscribe link has expired. To stop email, type "
    "`/trypost settings notifications email off` in chat."
)
_POST_EXPIRED = "This link has expired; open the post from chat instead."


class BadLink(Exception):
    """A token that is forged, damaged or of the wrong kind."""


class ExpiredLink(BadLink):
    """A genuine token past its lifetime; its message says what to do instead."""


@dataclass(frozen=True)
class UnsubscribeRequest:
    member_id: int
    # None: every kind of email.
    categories: tuple[Category, ...] | None


@dataclass(frozen=True)
class AddressRef:
    """What an address confirmation link names."""

    request_id: int
    member_id: int
    workspace_id: int
    address: str


@dataclass(frozen=True)
class PostRef:
    workspace_id: int
    number: int


class LinkSigner:
    """Signs and reads the tokens, and builds the full URLs under ``public_url``."""

    def __init__(
        self,
        secret: str | Sequence[str],
        public_url: str,
        *,
        now: Callable[[], float] | None = None,
    ) -> None:
        """``secret`` may list several keys, oldest first (itsdangerous' order): links
        are signed with the last and read with any, so rotating the key keeps every
        link already sent working. ``now`` (epoch seconds) is the bot's clock: a post
        link's age is counted on it, like every other lifetime."""
        keys = [secret] if isinstance(secret, str) else list(secret)
        if not keys or not all(keys):
            raise ValueError("a secret key is required to sign links")
        secret = keys
        signer = _clocked(now or _wall_clock)
        self._unsubscribe = URLSafeTimedSerializer(secret, salt=_UNSUBSCRIBE_SALT, signer=signer)
        self._post = URLSafeTimedSerializer(secret, salt=_POST_SALT, signer=signer)
        self._confirm = URLSafeSerializer(secret, salt=_CONFIRM_SALT)
        self.public_url = public_url.rstrip("/")

    # --- unsubscribe -----------------------------------------------------------------

    def unsubscribe_token(self, member_id: int, categories: Sequence[Category] | None) -> str:
        chosen = sorted({c.value for c in categories}) if categories is not None else None
        return str(self._unsubscribe.dumps({"m": member_id, "c": chosen}))

    def read_unsubscribe_token(self, token: str) -> UnsubscribeRequest:
        data = _load(
            self._unsubscribe,
            token,
            max_age=UNSUBSCRIBE_LINK_DAYS * 86400,
            expired=_UNSUBSCRIBE_EXPIRED,
        )
        member_id, chosen = data.get("m"), data.get("c")
        if not isinstance(member_id, int) or not (chosen is None or isinstance(chosen, list)):
            raise BadLink("This unsubscribe link is not one of ours.")
        try:
            categories = None if chosen is None else tuple(Category(c) for c in chosen)
        except ValueError:
            raise BadLink("This unsubscribe link names an unknown kind of email.") from None
        return UnsubscribeRequest(member_id, categories)

    def unsubscribe_url(self, member_id: int, categories: Sequence[Category] | None) -> str:
        return f"{self.public_url}/unsubscribe/{self.unsubscribe_token(member_id, categories)}"

    # --- posts -----------------------------------------------------------------------

    def post_token(self, workspace_id: int, number: int) -> str:
        return str(self._post.dumps({"w": workspace_id, "n": number}))

    def read_post_token(self, token: str) -> PostRef:
        data = _load(self._post, token, max_age=POST_LINK_DAYS * 86400, expired=_POST_EXPIRED)
        workspace_id, number = data.get("w"), data.get("n")
        if not isinstance(workspace_id, int) or not isinstance(number, int):
            raise BadLink("This post link is not one of ours.")
        return PostRef(workspace_id, number)

    def post_url(self, workspace_id: int, number: int) -> str:
        return f"{self.public_url}/posts/{self.post_token(workspace_id, number)}"

    # --- address confirmation -------------------------------------------------------

    def confirm_token(
        self, request_id: int, member_id: int, workspace_id: int, address: str
    ) -> str:
        """The same token for the same request: a retried email carries the same link."""
        payload = {"r": request_id, "m": member_id, "w": workspace_id, "a": address}
        return str(self._confirm.dumps(payload))

    def read_confirm_token(self, token: str) -> AddressRef:
        data = _load(self._confirm, token)
        ids = [data.get(k) for k in ("r", "m", "w")]
        address = data.get("a")
        if not all(isinstance(i, int) for i in ids) or not isinstance(address, str):
            raise BadLink("This confirmation link is not one of ours.")
        request_id, member_id, workspace_id = (int(i) for i in ids if isinstance(i, int))
        return AddressRef(request_id, member_id, workspace_id, address)

    def confirm_url(self, request_id: int, member_id: int, workspace_id: int, address: str) -> str:
        token = self.confirm_token(request_id, member_id, workspace_id, address)
        return f"{self.public_url}/email/confirm/{token}"


def _wall_clock() -> float:
    return time.time()


def _clocked(now: Callable[[], float]) -> type[TimestampSigner]:
    """itsdangerous' timestamp signer, telling the time by ``now``."""

    class Clocked(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(now())

    return Clocked


def _load(
    serializer: URLSafeSerializer | URLSafeTimedSerializer,
    token: str,
    *,
    max_age: int | None = None,
    expired: str = _POST_EXPIRED,
) -> dict[str, Any]:
    try:
        if isinstance(serializer, URLSafeTimedSerializer):
            data = serializer.loads(token, max_age=max_age)
        else:
            data = serializer.loads(token)
    except SignatureExpired:
        raise ExpiredLink(expired) from None
    except BadData:
        raise BadLink("This link is damaged or was not made by this trypost.") from None
    if not isinstance(data, dict):
        raise BadLink("This link is not one of ours.")
    return data
