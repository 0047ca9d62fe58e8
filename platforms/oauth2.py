"""What LinkedIn's and X's OAuth 2 flows share: PKCE, reading a token answer, and how
a granted token is kept in an account's (encrypted) credentials.

Credentials of an OAuth 2 account hold ``access_token``, ``refresh_token`` (empty when
the platform gave none) and ``scope``, beside what the platform client adds (the
author URN, the user id). How long they work is a :class:`TokenLife`, kept in plain
columns so the token job finds what expires without decrypting every account.
"""

import base64
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from core.accounts import SocialAccount, TokenLife
from core.ports import (
    AuthPlatformError,
    PermanentPlatformError,
    PlatformError,
    Renewal,
    TransientPlatformError,
)

# RFC 7636: 43 to 128 characters of [A-Za-z0-9-._~]; 64 random bytes make 86.
_VERIFIER_BYTES = 64


@dataclass(frozen=True)
class TokenGrant:
    """What a token endpoint granted (a code exchange or a refresh)."""

    access_token: str = field(repr=False)
    # None: no refresh token was given (the platform kept the old one, or gives none).
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None
    refresh_expires_at: datetime | None = None
    scope: str = ""


def pkce_verifier() -> str:
    return secrets.token_urlsafe(_VERIFIER_BYTES)


def pkce_challenge(verifier: str) -> str:
    """S256: base64url(SHA-256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def read_grant(body: Mapping[str, Any], now: datetime, who: str) -> TokenGrant:
    """A token endpoint's JSON answer (RFC 6749 §5.1), with LinkedIn's
    ``refresh_token_expires_in`` where given."""
    access = body.get("access_token")
    if not isinstance(access, str) or not access:
        raise PermanentPlatformError(f"{who} answered without an access token")
    refresh = body.get("refresh_token")
    return TokenGrant(
        access_token=access,
        refresh_token=refresh if isinstance(refresh, str) and refresh else None,
        expires_at=_after(now, body.get("expires_in")),
        refresh_expires_at=_after(now, body.get("refresh_token_expires_in")),
        scope=str(body.get("scope") or ""),
    )


def _after(now: datetime, seconds: object) -> datetime | None:
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return None
    return now + timedelta(seconds=seconds)


def token_refusal(status: int, body: Mapping[str, Any], who: str) -> PlatformError:
    """A token endpoint's error answer (RFC 6749 §5.2) as the error it means.

    ``invalid_grant`` (a refresh token revoked, expired or already used) is for good:
    the member must sign in again. A refused client is the operator's setting to fix.
    """
    error = str(body.get("error") or "")
    said = str(body.get("error_description") or error or f"HTTP {status}")[:300]
    if status == 429 or status >= 500:
        return TransientPlatformError(f"{who} could not renew the token now: {said}")
    # X says unauthorized_client for a wrong or missing client secret.
    if error in ("invalid_client", "unauthorized_client") or status == 401 and not error:
        return PermanentPlatformError(
            f"{who} refused our app's client id or secret ({said}); the operator should "
            "check the settings"
        )
    return AuthPlatformError(f"{who} refused the sign-in: {said}")


def grant_credentials(grant: TokenGrant, **extra: str) -> dict[str, str]:
    """What an account keeps of a grant, beside the platform's ``extra``."""
    return {
        **extra,
        "access_token": grant.access_token,
        "refresh_token": grant.refresh_token or "",
        "scope": grant.scope,
    }


def grant_life(grant: TokenGrant) -> TokenLife:
    return TokenLife(
        expires_at=grant.expires_at,
        renewable=grant.refresh_token is not None,
        renew_until=grant.refresh_expires_at,
    )


def renewal(account: SocialAccount, grant: TokenGrant) -> Renewal:
    """The account after a refresh. A platform that does not rotate its refresh token
    (LinkedIn keeps it, with its first expiry) answers without one or with the same:
    the one held, and its end, stay."""
    refresh = grant.refresh_token or account.credentials.get("refresh_token", "")
    credentials = {
        **account.credentials,
        "access_token": grant.access_token,
        "refresh_token": refresh,
        "scope": grant.scope or account.credentials.get("scope", ""),
    }
    life = TokenLife(
        expires_at=grant.expires_at,
        renewable=bool(refresh),
        renew_until=grant.refresh_expires_at or account.token_renew_until,
    )
    return Renewal(credentials, life)


def access_token(account: SocialAccount, who: str) -> str:
    token = account.credentials.get("access_token", "")
    if not token:
        raise AuthPlatformError(f"the account has no {who} token; connect it again")
    return token
