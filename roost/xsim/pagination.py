"""Timeline pagination tokens: opaque to clients, absolute post indices inside.

A token packs (user id, selection bounds, cursor, direction, exclude bits) and a keyed checksum, then base32.
Absolute indices in the author's history mean a post that arrives between two pages shifts nothing, so paging
never skips or repeats; the checksum turns any edit into X's 400 for `pagination_token`.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from dataclasses import dataclass

_TOKEN = struct.Struct(">QIIIB")  # user id, lo, hi, cursor, flags
_CHECK = 4  # 21 + 4 bytes -> exactly 40 base32 characters, no padding


@dataclass(frozen=True, slots=True)
class PageToken:
    """A position in one author's history: absolute post indices, so new posts never shift a page.

    `lo`/`hi` bound the selection fixed by the first page (the 3200 window and the since/until/time filters);
    `cursor` is the exclusive edge of the page the token leads to: older pages take posts below it, newer
    pages (previous_token) posts above it.
    """

    user_id: int
    lo: int
    hi: int
    cursor: int
    newer: bool
    exclude: int


class TokenCodec:
    """Opaque tokens: base32 of the packed position plus a keyed checksum, so edits are detected."""

    def __init__(self, seed: int) -> None:
        self._key = hashlib.sha256(f"xsim-pagination-{seed}".encode()).digest()[:16]

    def _check(self, raw: bytes) -> bytes:
        return hashlib.blake2b(raw, digest_size=_CHECK, key=self._key).digest()

    def encode(self, token: PageToken) -> str:
        flags = (1 if token.newer else 0) | (token.exclude << 1)
        raw = _TOKEN.pack(token.user_id, token.lo, token.hi, token.cursor, flags)
        return base64.b32encode(raw + self._check(raw)).decode("ascii").lower()

    def decode(self, text: str) -> PageToken | None:
        if len(text) != 40:
            return None
        try:
            blob = base64.b32decode(text.upper())
        except ValueError:
            return None
        raw, check = blob[: _TOKEN.size], blob[_TOKEN.size :]
        if len(check) != _CHECK or self._check(raw) != check:
            return None
        user_id, lo, hi, cursor, flags = _TOKEN.unpack(raw)
        if not lo <= hi or not lo - 1 <= cursor <= hi or flags >> 3:
            return None
        return PageToken(user_id, lo, hi, cursor, bool(flags & 1), flags >> 1)
