"""Which text Roost can store: PostgreSQL's text type cannot hold NUL, and UTF-8 (both databases, and every
driver) cannot encode a lone surrogate, which JSON's `\\ud800` escapes and undecodable command-line bytes make.
Every face refuses such input at its boundary, naming the field, instead of letting a driver fail."""

from __future__ import annotations

import re
import unicodedata

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable(text: str) -> str | None:
    """Why `text` cannot be stored, or None when it can."""
    found = _UNSTORABLE.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "contains a lone surrogate (not valid Unicode text)"


# --- names people tell apart by eye (tags) ---------------------------------------------------------------------
#
# A name is compared as people see it: six "clubs" tags that differ by a right-to-left override, a zero-width
# space or a Cyrillic "с" look the same in a list. So a name is NFC-normalised; format characters (Unicode
# category Cf: bidi controls such as U+202E, zero-width spaces and joiners, the BOM), other controls, private-use
# and unassigned code points, line separators and blank-looking letters are refused; so are names whose letters
# mix Latin, Greek and Cyrillic (the scripts with look-alike letters); and two names clash when their skeletons
# match: NFKC, casefolded, look-alike letters mapped to their Latin twins, runs of spaces collapsed (a small,
# hand-picked part of Unicode's confusables table, UTS #39, covering these three scripts and a few symbols).

_REFUSED_CATEGORIES = {"Cf": "an invisible formatting character", "Cc": "a control character"}
_REFUSED_CATEGORIES |= {"Co": "a private-use character", "Cn": "an unassigned code point"}
_REFUSED_CATEGORIES |= {"Cs": "a lone surrogate", "Zl": "a line separator", "Zp": "a paragraph separator"}
# letters and marks that draw nothing (Hangul fillers, the braille blank, Mongolian vowel separator, combining
# grapheme joiner) and spaces other than the plain one
_BLANK = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e\u034f\u17b4\u17b5") | frozenset(
    "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
)
_SCRIPTS = ("LATIN", "GREEK", "CYRILLIC")
_LOOKALIKES = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c", "т": "t",
        "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
        "ү": "y", "ɡ": "g",
        # Greek
        "α": "a", "β": "b", "ε": "e", "ζ": "z", "η": "n", "ι": "i", "κ": "k", "μ": "u", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ϲ": "c", "ϳ": "j",
        # digits and symbols that pass for letters, dashes and quotes that pass for each other
        "0": "o", "1": "l", "|": "l", "ı": "i",
        "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "―": "-", "−": "-", "﹘": "-",
        "‘": "'", "’": "'", "`": "'", "´": "'", "“": '"', "”": '"',
    }
)  # fmt: skip
_SPACES = re.compile(r"\s+")


def _script(ch: str) -> str | None:
    """LATIN, GREEK or CYRILLIC for a letter of those scripts, else None."""
    if not ch.isalpha():
        return None
    name = unicodedata.name(ch, "")
    return next((s for s in _SCRIPTS if name.startswith(s)), None)


def visible_name(text: str) -> tuple[str, str | None]:
    """`text` normalised to NFC and stripped, and why it cannot be a name people tell apart by eye, or None."""
    name = unicodedata.normalize("NFC", text).strip()
    for ch in name:
        category = unicodedata.category(ch)
        what = _REFUSED_CATEGORIES.get(category)
        if what is None and (ch in _BLANK or (category == "Zs" and ch != " ")):
            what = "an invisible or blank character"
        if what is not None:
            return name, f"contains {what} (U+{ord(ch):04X})"
    scripts = sorted({s for s in map(_script, name) if s is not None})
    if len(scripts) > 1:
        return name, f"mixes {' and '.join(s.title() for s in scripts)} letters that look alike"
    return name, None


def skeleton(text: str) -> str:
    """What a name looks like, for comparing names: two names with one skeleton are easy to mistake."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", folded.translate(_LOOKALIKES))).strip()
