"""Password and terminal-secret hashes in line files: salted PBKDF2-SHA256, compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

_HASH_SCHEME = "pbkdf2_sha256"


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = 200_000) -> str:
    """A salted PBKDF2-SHA256 hash string, ``pbkdf2_sha256$ITERATIONS$SALT$HASH`` (base64)."""
    if iterations < 1:
        raise ValueError("iterations must be positive")
    salt = os.urandom(16) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return "$".join((_HASH_SCHEME, str(iterations), _b64(salt), _b64(digest)))


def verify_password(password: str, stored: str) -> bool:
    """True when ``password`` matches a `hash_password` string; False also for a malformed one."""
    parsed = _parse_hash(stored)
    if parsed is None:
        return False
    iterations, salt, digest = parsed
    candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return hmac.compare_digest(candidate, digest)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _parse_hash(stored: str) -> tuple[int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 4 or parts[0] != _HASH_SCHEME or not parts[1].isdigit():
        return None
    try:
        salt, digest = base64.b64decode(parts[2], validate=True), base64.b64decode(parts[3], validate=True)
    except (binascii.Error, ValueError):
        return None
    iterations = int(parts[1])
    if not 1 <= iterations <= 10_000_000 or not salt or not digest:
        return None
    return iterations, salt, digest


