"""Which text Roost can store: PostgreSQL's text type cannot hold NUL, and UTF-8 (both databases, and every
driver) cannot encode a lone surrogate, which JSON's `\\ud800` escapes and undecodable command-line bytes make.
Every face refuses such input at its boundary, naming the field, instead of letting a driver fail."""

from __future__ import annotations

import re

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "contains a lone surrogate (not valid Unicode text)"
