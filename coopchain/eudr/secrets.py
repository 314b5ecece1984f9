"""The EU credentials' encryption: Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from
the app's SECRET_KEY by HKDF-SHA256, so the database alone does not reveal the key, and the
SECRET_KEY itself never travels into services (Settings carries only the derived key).

Changing SECRET_KEY makes stored keys unreadable: an admin enters the key again.
"""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

#: Fixed salt and purpose: the derived key serves this one use.
_SALT = b"coopchain.eudr.credentials"
_INFO = b"EU Information System authentication key v1"


def derive_key(secret_key: str) -> bytes:
    """The Fernet key (urlsafe base64 of 32 bytes) for `secret_key`."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=_INFO).derive(
        secret_key.encode("utf-8")
    )
    return base64.urlsafe_b64encode(raw)


def encrypt(fernet_key: bytes, plaintext: str) -> str:
    return Fernet(fernet_key).encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(fernet_key: bytes, token: str) -> str | None:
    """The plaintext, or None when it was encrypted under another SECRET_KEY."""
    try:
        return Fernet(fernet_key).decrypt(token.encode("ascii")).decode("utf-8")
    except (InvalidToken, ValueError):
        return None
