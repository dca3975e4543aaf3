"""Password hashing and bearer tokens."""

from __future__ import annotations

import hashlib

import pytest

from roost.core import auth

pytestmark = pytest.mark.real_password_cost  # the production hasher itself


def test_passwords_hash_with_argon2id_and_verify() -> None:
    hashed = auth.hash_password("correct horse")
    assert hashed.startswith("$argon2id$v=19$m=65536,t=3,p=4$")  # RFC 9106's second recommended option
    assert hashed != auth.hash_password("correct horse")  # salted
    assert auth.verify_password(hashed, "correct horse")
    assert not auth.verify_password(hashed, "correct horsE")
    assert not auth.verify_password(hashed, "")
    assert not auth.needs_rehash(hashed)


def test_unknown_accounts_and_broken_hashes_never_verify() -> None:
    assert not auth.verify_password(None, "roost-no-such-account")  # not even the dummy's own password
    assert not auth.verify_password(None, "anything")
    assert not auth.verify_password("not a hash", "anything")


def test_tokens_are_random_prefixed_and_stored_as_sha256() -> None:
    tokens = {auth.new_token() for _ in range(100)}
    assert len(tokens) == 100
    for token in tokens:
        assert token.startswith("rst_")
        assert len(token) - len("rst_") >= 43  # 32 bytes of URL-safe base64
        assert auth.token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
    assert auth.LOGIN_TTL == 30 * 86400


def test_generated_passwords_are_long_and_distinct() -> None:
    passwords = {auth.new_password() for _ in range(50)}
    assert len(passwords) == 50 and all(len(p) >= 16 for p in passwords)
