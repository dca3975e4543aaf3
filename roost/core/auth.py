"""Passwords (argon2id) and bearer tokens (random, stored only as a SHA-256 hash).

Tokens carry 256 bits of randomness, so a fast hash is enough to store them and lets a request find its token by
an indexed equality lookup; passwords are guessable, so they get a slow, memory-hard KDF.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

TOKEN_PREFIX = "rst_"  # makes a leaked Roost token recognisable to secret scanners and to people
TOKEN_BYTES = 32
LOGIN_TTL = 30 * 86400  # seconds a login token lives

_hasher = PasswordHasher()  # argon2id with the library's RFC 9106 defaults
# Password checks to run at once: argon2 with p=4 lanes keeps several cores busy already, so more at a time only
# queue for the CPU and add 64 MiB each.
KDF_THREADS = max(1, min(4, (os.cpu_count() or 2) // 2))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash with the hasher's own parameters, so checking it costs what checking a real one costs."""
    return hasher.hash("roost-no-such-account")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Check a password. With no hash (an unknown email) spend the same time and say no, so the answer's timing
    does not reveal which emails have accounts."""
    try:
        matched = _hasher.verify(password_hash or _dummy_hash(_hasher), password)
    except (VerificationError, InvalidHashError):
        return False
    return matched and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's (rehash it after a successful login)."""
    return _hasher.check_needs_rehash(password_hash)


def new_token() -> str:
    """A fresh bearer token: the prefix and 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """What the database keeps of a token (hex SHA-256); the plaintext is shown once and never stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_password() -> str:
    """A generated password for `roost accounts create` without --password (about 96 bits)."""
    return secrets.token_urlsafe(12)
