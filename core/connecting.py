"""Connect links: one-time, short-lived states bound to a member and a workspace.

The member gets ``…/connect/<platform>/start?state=<token>``; only the token's SHA-256
is stored, so a database read does not hand out working links. A GET of the start page
(a link unfurler's too) does not spend it; the callback does, once.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

STATE_LIFETIME = timedelta(minutes=15)


def state_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class ConnectState:
    token_hash: str
    platform: str
    workspace_id: int
    member_id: int
    # The instance or PDS the member named (Mastodon, Bluesky); empty for the others.
    instance: str
    created_at: datetime
    expires_at: datetime
    # Set when the link reconnects a known account rather than adding one.
    account_id: int | None = None
    spent_at: datetime | None = None
    id: int = 0
    # What the flow keeps between its steps (a PKCE verifier, a grant awaiting the
    # member's choice of page); encrypted at rest.
    secret: str = field(default="", repr=False)

    def usable(self, now: datetime) -> bool:
        return self.spent_at is None and now < self.expires_at


@dataclass(frozen=True)
class OAuthApp:
    """Our app as registered on one server (Mastodon registers per instance)."""

    platform: str
    instance: str
    redirect_uri: str
    client_id: str
    client_secret: str
