"""Encryption of social-account credentials at rest.

The key is derived from the operator's secret (``TRYPOST_SECRET_KEY``, read by the
composition root) with HKDF-SHA256, so any non-empty secret string works and the raw
secret never doubles as the Fernet key itself.
"""

import base64
import json

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_SALT = b"trypost-bot/credentials"
_INFO = b"fernet-key-v1"


class CredentialsUnreadable(Exception):
    """Stored credentials cannot be decrypted: the secret key changed or the data is bad."""


class CredentialCipher:
    """Encrypts a credentials mapping to Fernet text and back."""

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("the secret key for credentials must not be empty")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
            secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def __repr__(self) -> str:
        return "CredentialCipher(<secret>)"

    def encrypt(self, credentials: dict[str, str]) -> str:
        plain = json.dumps(credentials, sort_keys=True, separators=(",", ":"))
        return self._fernet.encrypt(plain.encode()).decode("ascii")

    def decrypt(self, token: str) -> dict[str, str]:
        try:
            plain = self._fernet.decrypt(token.encode("ascii"))
        except InvalidToken:
            # Say nothing of the token: it is a credential too.
            raise CredentialsUnreadable(
                "stored credentials cannot be decrypted; was TRYPOST_SECRET_KEY changed?"
            ) from None
        data = json.loads(plain)
        if not isinstance(data, dict):
            raise CredentialsUnreadable("stored credentials are not a mapping")
        return {str(k): str(v) for k, v in data.items()}
