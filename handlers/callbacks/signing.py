"""The secrets callbacks are signed with: made here, shown once, kept encrypted.

A receiver checks a message with the secret (HMAC-SHA256, see `notifications.gateways.sign`), so
the sender must have the secret itself, not a hash of it: it is stored encrypted (Fernet: AES-128-CBC
and an HMAC-SHA256 tag) under a key derived from the app's SECRET_KEY (HKDF-SHA256), so a database
dump alone gives no usable secret. The price: after SECRET_KEY changes, the stored secrets can no
longer be read — the sends fail with that reason until each client's callback is set again."""
import base64
import hashlib
import secrets

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

PREFIX = "cgcb_"
INFO = b"citygrid client callback secrets"


class Unreadable(Exception):
    """A stored secret that this app's key cannot decrypt (SECRET_KEY changed since it was set)."""


def new_secret() -> str:
    """A fresh signing secret: `cgcb_` + 43 characters."""
    return PREFIX + secrets.token_urlsafe(32)


def fingerprint(secret: str) -> str:
    """A short digest that tells two secrets apart (shown to admins; reveals nothing usable)."""
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


class Cipher:
    """Encrypts and decrypts the stored secrets with a key derived from the app's SECRET_KEY."""

    def __init__(self, secret_key: str):
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret_key.encode())
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode()).decode()
        except InvalidToken:
            raise Unreadable("the callback secret cannot be decrypted (SECRET_KEY changed?): set the callback "
                             "again") from None
