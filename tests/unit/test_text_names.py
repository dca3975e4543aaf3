"""Names people tell apart by eye (core/text.py): invisible and bidi characters refused, NFC, no mixed look-alike
scripts, and skeletons that match for names that look the same."""

from __future__ import annotations

import pytest

from roost.core.text import skeleton, visible_name


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("clubs\u202e", "U+202E"),  # right-to-left override
        ("\u2067clubs", "U+2067"),  # right-to-left isolate
        ("clu\u200bbs", "U+200B"),  # zero-width space
        ("club\u200ds", "U+200D"),  # zero-width joiner
        ("\ufeffclubs", "U+FEFF"),  # byte order mark
        ("clubs\u00ad", "U+00AD"),  # soft hyphen
        ("clubs\u3164", "U+3164"),  # Hangul filler: a letter that draws nothing
        ("clubs\u00a0a", "U+00A0"),  # no-break space
        ("clu\tbs", "U+0009"),
        ("clubs\ue000", "U+E000"),  # private use
        ("\u0441lubs", "mixes Cyrillic and Latin"),  # Cyrillic es
        ("cl\u03c5bs", "mixes Greek and Latin"),  # Greek upsilon
    ],
)
def test_invisible_and_mixed_names_are_refused(name: str, why: str) -> None:
    _, problem = visible_name(name)
    assert problem is not None and why in problem


@pytest.mark.parametrize("name", ["clubs", "Clubs 2024", "Café", "Κλαμπ", "клубы", "東京 clubs", "F.C. Köln - fans"])
def test_ordinary_names_pass(name: str) -> None:
    assert visible_name(name) == (name, None)


def test_names_are_nfc_and_stripped() -> None:
    assert visible_name("  Cafe\u0301 ") == ("Café", None)


@pytest.mark.parametrize(
    "twin", ["Clubs", "CLUBS", "\uff43\uff4c\uff55\uff42\uff53", "c1ubs", "c\u2113ubs", "\u0441\u04cfub\u0455"]
)
def test_look_alikes_share_a_skeleton(twin: str) -> None:
    assert skeleton(twin) == skeleton("clubs")


def test_different_names_have_different_skeletons() -> None:
    assert len({skeleton(n) for n in ("clubs", "club", "cubs", "clubs 2", "clu bs", "Café", "Cafe")}) == 7
    assert skeleton("a  b\u2013c") == skeleton("a b-c")
