"""Screen names <-> user ids, the catalogue of generated accounts, and the registry of touched accounts.

- Names are case-insensitive over 37 symbols `[a-z0-9_]`. Names of 1..12 characters map to ids by bijective
  base-37 numbering ("a" = 1, "b" = 2, ..., "__" = 37 + 37 * 37 ...), so an id leads back to its name with no
  stored state, across restarts. The largest such id, `SHORT_MAX` (about 6.77e18), is below 2**63.
- Names of 13-15 characters cannot fit 63 bits that way: they hash (seed-independently) into the disjoint range
  `SHORT_MAX < id < 2**63` and are remembered in a bounded `Registry` once looked up by name, so `user(id)`
  works for them afterwards in the same process. After a restart such an id is unknown until its name is
  looked up again (documented limitation).
- The catalogue: `CATALOGUE_SIZE` generated names `<3-5 letter word><index>` (at most 12 characters), so
  `catalogue_id(i)` is O(1) and a catalogue name parses back to its index.
- Display case: the world never keeps the case a caller typed. It picks one per account from the account's
  hash: 70 % lowercase, 25 % capitalised words ("Osasuna", "Elon_Musk"), 5 % upper case for names of at
  most 6 characters ("NASA"); otherwise lowercase.
"""

from __future__ import annotations

import re
from collections import OrderedDict

from roost.xsim.hashing import fold, mix, sm

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789_"
BASE = len(ALPHABET)  # 37
_DIGIT = {ch: i + 1 for i, ch in enumerate(ALPHABET)}
NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
SHORT_LEN = 12
SHORT_MAX: int = sum(BASE**k for k in range(1, SHORT_LEN + 1))  # ids 1..SHORT_MAX are names of <= 12 chars
ID_MAX = (1 << 63) - 1
_LONG_SPAN = ID_MAX - SHORT_MAX

CATALOGUE_SIZE = 1 << 20
_CONSONANTS = "bcdfghjklmnprstvz"
_VOWELS = "aeiou"
_SALT_CATALOGUE = 0xCA7A
_SALT_CASE = 0xCA5E
_SALT_RENAME = 0x4E4A
_SALT_LONG = 0x10E6
_SALT_LOW = 0x21B1
_RENAME_CHARS = "abcdefghijkmnpqrstuvwxyz23456789"


def valid(name: str) -> bool:
    return NAME_RE.fullmatch(name) is not None


def encode(name: str) -> int:
    """The id of a name of 1..12 characters (case-insensitive). Raises KeyError on characters outside [A-Za-z0-9_]."""
    value = 0
    for ch in name.lower():
        value = value * BASE + _DIGIT[ch]
    return value


def decode(user_id: int) -> str | None:
    """The lowercase name of an id in 1..SHORT_MAX, else None."""
    if not 0 < user_id <= SHORT_MAX:
        return None
    chars: list[str] = []
    value = user_id
    while value:
        value, rem = divmod(value - 1, BASE)
        chars.append(ALPHABET[rem])
    return "".join(reversed(chars))


def long_id(name: str) -> int:
    """The hashed id of a 13-15 character name (lowercased); the same in every process and for every seed."""
    return SHORT_MAX + 1 + mix(_SALT_LONG, fold(name.lower())) % _LONG_SPAN


def name_id(name: str) -> int:
    """The id a (valid) name maps to, before renames are considered."""
    return encode(name) if len(name) <= SHORT_LEN else long_id(name)


def is_short_id(user_id: int) -> bool:
    return 0 < user_id <= SHORT_MAX


def low21(seed: int, user_id: int) -> int:
    """The 21-bit hash a non-catalogue author carries in its post ids."""
    return mix(seed, _SALT_LOW, user_id) & 0x1FFFFF


# ---- catalogue ---------------------------------------------------------------------------------------


def catalogue_word(seed: int, index: int) -> str:
    """The 3-5 letter pronounceable word of catalogue entry `index` (consonant-vowel alternation)."""
    h = mix(seed, _SALT_CATALOGUE, index)
    length = 3 + h % 3
    h >>= 2
    chars: list[str] = []
    for i in range(length):
        if i % 2 == 0:
            chars.append(_CONSONANTS[h % 17])
            h //= 17
        else:
            chars.append(_VOWELS[h % 5])
            h //= 5
    return "".join(chars)


def catalogue_name(seed: int, index: int) -> str:
    return f"{catalogue_word(seed, index)}{index}"


def catalogue_index(seed: int, name: str) -> int | None:
    """The catalogue index a lowercase name stands for, or None: strip the digits, regenerate, compare."""
    stem = name.rstrip("0123456789")
    digits = name[len(stem) :]
    if not digits or not stem or (digits[0] == "0" and len(digits) > 1) or len(digits) > 7:
        return None
    index = int(digits)
    if index >= CATALOGUE_SIZE or catalogue_word(seed, index) != stem:
        return None
    return index


# ---- display case and renames ------------------------------------------------------------------------


def case_style(seed: int, user_id: int) -> int:
    """An account's capitalisation style, 0..99 (see `apply_case`)."""
    return mix(seed, _SALT_CASE, user_id) % 100


def apply_case(style: int, name: str) -> str:
    """Capitalise a lowercase name: styles 0-69 lowercase, 70-94 capitalised words, 95-99 upper (short names)."""
    if style < 70:
        return name
    if style < 95:
        return "_".join(part[:1].upper() + part[1:] for part in name.split("_"))
    return name.upper() if len(name) <= 6 else name


def display_case(seed: int, user_id: int, name: str) -> str:
    """The capitalisation the world shows for a lowercase name (see the module docstring for the shares)."""
    return apply_case(case_style(seed, user_id), name)


def rename_target(seed: int, user_id: int, name: str) -> str:
    """The new lowercase name of a renaming account: `<old name>_<2 chars>` (old names are <= 12 chars)."""
    h = sm(mix(seed, _SALT_RENAME, user_id))
    return f"{name}_{_RENAME_CHARS[h % 32]}{_RENAME_CHARS[(h >> 5) % 32]}"


def rename_source(name: str) -> str | None:
    """The old name a name would be the rename target of (`xyz_ab` -> `xyz`), or None if it cannot be one."""
    if len(name) < 4 or name[-3] != "_":
        return None
    if name[-2] not in _RENAME_CHARS or name[-1] not in _RENAME_CHARS:
        return None
    old = name[:-3]
    return old if len(old) <= SHORT_LEN else None


# ---- registry ----------------------------------------------------------------------------------------


class Registry:
    """Bounded LRU memory of touched non-catalogue accounts: id -> lowercase name, and low21 -> ids.

    Long (13-15 character) names need it to turn an id back into a name; post_by_id needs it to turn the
    21-bit author hash of a post id back into candidate authors. Memory is bounded by `capacity` entries.
    """

    def __init__(self, capacity: int = 1 << 18) -> None:
        self.capacity = capacity
        self._names: OrderedDict[int, str] = OrderedDict()
        self._buckets: dict[int, list[int]] = {}
        self._low: dict[int, int] = {}

    def remember(self, user_id: int, name: str, low: int) -> None:
        names = self._names
        if user_id in names:
            names.move_to_end(user_id)
            return
        names[user_id] = name
        self._low[user_id] = low
        self._buckets.setdefault(low, []).append(user_id)
        if len(names) > self.capacity:
            old, _ = names.popitem(last=False)
            old_low = self._low.pop(old)
            bucket = self._buckets[old_low]
            bucket.remove(old)
            if not bucket:
                del self._buckets[old_low]

    def refresh(self, user_id: int) -> bool:
        """Mark a remembered account as recently used; False if it is not remembered."""
        if user_id in self._names:
            self._names.move_to_end(user_id)
            return True
        return False

    def name(self, user_id: int) -> str | None:
        return self._names.get(user_id)

    def candidates(self, low: int) -> tuple[int, ...]:
        return tuple(self._buckets.get(low, ()))

    def __len__(self) -> int:
        return len(self._names)
