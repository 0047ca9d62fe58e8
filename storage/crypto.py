"""Encryption of social-account credentials at rest.

The keys are derived from the operator's secret (``TRYPOST_SECRET_KEY``, read by the
composition root) with HKDF-SHA256, so any non-empty secret string works and the raw
secret never doubles as the Fernet key itself.

The secret may list several comma-separated secrets, newest first, to rotate keys
without downtime: the first encrypts, every one decrypts (``MultiFernet``), and
``storage.keys.rotate_credentials`` re-encrypts what is stored with the first, after
which the others can be dropped.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT = b"trypost-bot/credentials"
_INFO = b"fernet-key-v1"
# Names the variable without ever quoting any of its value.
_UNREADABLE = "stored credentials cannot be decrypted with any key in TRYPOST_SECRET_KEY"


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted: the secret key changed or the data is bad."""


def split_secrets(secret: str) -> list[str]:
    """The secrets listed in ``secret``, newest first: comma-separated, blanks dropped."""
    return [part.strip() for part in secret.split(",") if part.strip()]


def _fernet(secret: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(secret.encode())
    return Fernet(base64.urlsafe_b64encode(key))


class CredentialCipher:
    """Encrypts a credentials mapping to Fernet text and back."""

    def __init__(self, secret: str) -> None:
        secrets = split_secrets(secret)
        if not secrets:
            raise ValueError("the secret key for credentials must not be empty")
        fernets = [_fernet(s) for s in secrets]
        if secret not in secrets:
            # Before rotation, the whole value was one secret, commas and surrounding
            # blanks included; data sealed with it must stay readable after an upgrade,
            # so it is kept as a last, decrypt-only key (rotation moves such data on).
            fernets.append(_fernet(secret))
        self._fernet = MultiFernet(fernets)
        self.key_count = len(secrets)

    def __repr__(self) -> str:
        return "CredentialCipher(<secret>)"

    def encrypt(self, credentials: dict[str, str]) -> str:
        plain = json.dumps(credentials, sort_keys=True, separators=(",", ":"))
        return self._fernet.encrypt(plain.encode()).decode("ascii")

    def decrypt(self, token: str) -> dict[str, str]:
        try:
            plain = self._fernet.decrypt(token.encode("ascii"))
        except (InvalidToken, UnicodeEncodeError):
            # Say nothing of the token (it is a credential too) nor of the keys.
            raise CredentialsUnreadable(_UNREADABLE) from None
        data = json.loads(plain)
        if not isinstance(data, dict):
            raise CredentialsUnreadable("stored credentials are not a mapping")
        return {str(k): str(v) for k, v in data.items()}

    def rotate(self, token: str) -> str:
        """``token`` re-encrypted with the first key, whichever key sealed it."""
        try:
            return self._fernet.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise CredentialsUnreadable(_UNREADABLE) from None
