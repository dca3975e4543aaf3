"""Words for the world: post sentences with entities at exact offsets, and profile texts.

Generated post text is ASCII up to its entities, so code-point offsets are plain `len()` arithmetic; an optional
emoji comes last, after every entity, as real posts often end.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from roost.xsim.hashing import Draws
from roost.xsim.model import Entity

VOCAB: dict[str, tuple[str, ...]] = {
    "en": (
        "today", "great", "match", "new", "season", "thanks", "everyone", "look", "at", "this", "what", "a",
        "game", "the", "team", "is", "ready", "for", "tonight", "love", "city", "news", "just", "read", "about",
        "our", "next", "release", "coffee", "morning", "weekend", "plans", "big", "win", "tough", "loss", "proud",
        "of", "you", "all", "see", "soon", "thread", "on", "why", "it", "matters", "data", "shows", "more", "than",
        "ever", "join", "us", "live", "now", "open", "source", "project", "update", "fixed", "bug", "shipped",
        "feature", "music", "album", "tour", "dates", "science", "paper", "out", "travel", "photo", "sunset",
        "best", "day", "in", "years", "finally", "here", "can't", "wait", "honestly", "wow",
    ),
    "es": (
        "hoy", "gran", "partido", "nueva", "temporada", "gracias", "a", "todos", "mira", "esto", "que", "equipo",
        "listo", "para", "esta", "noche", "ciudad", "noticias", "victoria", "orgullosos", "de", "vosotros", "nos",
        "vemos", "pronto", "el", "la", "en", "directo", "ahora", "por", "fin", "aqui",
    ),
    "fr": (
        "aujourd'hui", "grand", "match", "nouvelle", "saison", "merci", "a", "tous", "regardez", "ceci", "equipe",
        "prete", "pour", "ce", "soir", "ville", "nouvelles", "victoire", "fiers", "de", "vous", "a", "bientot",
        "le", "la", "en", "direct", "enfin", "ici",
    ),
    "pt": (
        "hoje", "grande", "jogo", "nova", "temporada", "obrigado", "a", "todos", "olha", "isto", "equipa",
        "pronta", "para", "esta", "noite", "cidade", "noticias", "vitoria", "orgulho", "de", "voces", "ate",
        "breve", "o", "em", "direto", "agora", "finalmente", "aqui",
    ),
    "de": (
        "heute", "grosses", "spiel", "neue", "saison", "danke", "an", "alle", "schau", "dir", "das", "an", "team",
        "bereit", "fur", "heute", "abend", "stadt", "nachrichten", "sieg", "stolz", "auf", "euch", "bis", "bald",
        "der", "die", "live", "jetzt", "endlich", "hier",
    ),
}  # fmt: skip
HASHTAGS = (
    "matchday", "news", "OpenSource", "Python", "football", "music", "science", "travel", "TBT", "MondayMotivation",
    "AI", "climate", "photography", "LaLiga", "UCL", "NBA", "F1", "Tour2026", "tech", "startups", "gaming", "books",
)  # fmt: skip
CASHTAGS = ("AAPL", "TSLA", "BTC", "ETH", "GOOG", "MSFT", "AMZN", "NVDA", "META", "SPY")
DOMAINS = ("example.com", "news.example.org", "blog.example.net", "youtu.be", "github.com", "medium.com")
EMOJI = ("\U0001f389", "\U0001f525", "\u26bd", "\U0001f64c", "\u2764\ufe0f", "\U0001f440")
_NO_PUNCT = str.maketrans("-_", "38")
ANNOTATIONS: tuple[tuple[tuple[str, str, str], tuple[str, str]], ...] = (
    (("11", "Sport", "Types of sports, like soccer and basketball"), ("847900493514891265", "Football")),
    (("12", "Sports Team", "A sports team organization"), ("10000000000001", "Local Team")),
    (("46", "Business Taxonomy", "Categories within business"), ("1557696940178935808", "Technology")),
    (("54", "Musician", "A musician in the world"), ("10000000000002", "Musician")),
    (("65", "Interests and Hobbies Vertical", "Top level interests"), ("847544972781826048", "Photography")),
    (("66", "Interests and Hobbies Category", "A grouping of interests"), ("847868745150119936", "Travel")),
    (("131", "Unified Twitter Taxonomy", "A taxonomy view"), ("1220701888179359745", "Science")),
)  # fmt: skip

Mention = Callable[[Draws], tuple[str, int] | None]


def short_code(d: Draws, length: int = 10) -> str:
    """A t.co-style code of up to 10 characters from [A-Za-z0-9]: base64 of 64 bits, '-' and '_' mapped to digits."""
    raw = base64.urlsafe_b64encode(d.bits().to_bytes(8, "little"))
    return raw[:length].decode().translate(_NO_PUNCT)


def tco(d: Draws) -> str:
    return "https://t.co/" + short_code(d)


class Builder:
    """Joins tokens with single spaces while recording entities at their exact code-point offsets."""

    __slots__ = ("entities", "parts", "pos")

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.entities: list[Entity] = []

    def word(self, token: str) -> None:
        if self.parts:
            self.parts.append(" ")
            self.pos += 1
        self.parts.append(token)
        self.pos += len(token)

    def words(self, tokens: list[str]) -> None:
        """Several plain words at once (no entities among them)."""
        if tokens:
            self.word(" ".join(tokens))

    def glue(self, suffix: str) -> None:
        """Append without a space (punctuation)."""
        self.parts.append(suffix)
        self.pos += len(suffix)

    def entity(self, kind: str, token: str, value: str, **extra: object) -> None:
        self.word(token)
        start = self.pos - len(token)
        if kind == "hashtag":
            self.entities.append(Entity("hashtag", start, self.pos, value))
        elif kind == "cashtag":
            self.entities.append(Entity("cashtag", start, self.pos, value))
        elif kind == "mention":
            mention_id = extra.get("mention_id")
            assert isinstance(mention_id, int)
            self.entities.append(Entity("mention", start, self.pos, value, mention_id=mention_id))
        else:
            expanded, display = str(extra["expanded_url"]), str(extra["display_url"])
            self.entities.append(Entity("url", start, self.pos, value, expanded_url=expanded, display_url=display))

    def url(self, d: Draws, expanded: str) -> None:
        bare = expanded.split("://", 1)[-1]
        display = bare if len(bare) <= 26 else bare[:25] + "\u2026"
        link = tco(d)
        self.entity("url", link, link, expanded_url=expanded, display_url=display)

    def text(self) -> str:
        return "".join(self.parts)


def sentence(b: Builder, d: Draws, lang: str, mention: Mention, *, link: bool = True) -> None:
    """A post body: words with an inline hashtag/mention/cashtag sometimes, trailing tags and a link."""
    vocab = VOCAB.get(lang, VOCAB["en"])
    size = len(vocab)
    count = 4 + d.below(14)
    words: list[str] = []
    bits = 0
    for w in range(count):  # 10 bits a word, six words per 64-bit draw
        if w % 6 == 0:
            bits = d.bits()
        words.append(vocab[((bits & 0x3FF) * size) >> 10])
        bits >>= 10
    words[0] = words[0][:1].upper() + words[0][1:]
    if d.below(100) < 35:
        at = d.below(count)
        b.words(words[:at])
        kind = d.below(10)
        if kind < 5:
            tag = d.choice(HASHTAGS)
            b.entity("hashtag", "#" + tag, tag)
        elif kind < 8:
            target = mention(d)
            if target is not None:
                b.entity("mention", "@" + target[0], target[0], mention_id=target[1])
        else:
            cash = d.choice(CASHTAGS)
            b.entity("cashtag", "$" + cash, cash)
        b.words(words[at:])
    else:
        b.words(words)
    b.glue((".", "!", "?", "", "...")[d.below(5)])
    if d.below(100) < 25:
        for _ in range(1 + d.below(2)):
            tag = d.choice(HASHTAGS)
            b.entity("hashtag", "#" + tag, tag)
    if link and d.below(100) < 18:
        b.url(d, f"https://{d.choice(DOMAINS)}/{short_code(d, 8).lower()}")


def emoji(d: Draws) -> str:
    """A trailing emoji for some posts (after every entity, so offsets stay exact)."""
    return " " + EMOJI[d.below(len(EMOJI))] if d.below(100) < 12 else ""


def context_annotations(d: Draws) -> tuple[tuple[tuple[str, str, str], tuple[str, str]], ...]:
    n = (0, 0, 0, 1, 1, 2)[d.below(6)]
    if n == 0:
        return ()
    first = d.below(len(ANNOTATIONS))
    picks = [ANNOTATIONS[first]]
    if n == 2:
        picks.append(ANNOTATIONS[(first + 1 + d.below(len(ANNOTATIONS) - 1)) % len(ANNOTATIONS)])
    return tuple(picks)


# ---- profiles ------------------------------------------------------------------------------------------

FIRST = (
    "Ana", "Luis", "Marta", "Jon", "Elena", "Pablo", "Irene", "Sergio", "Nerea", "Diego", "Lucia", "Mikel", "Sam",
    "Alex", "Maria", "John", "Emma", "Noah", "Olivia", "Liam", "Chloe", "Lucas", "Amelie", "Jonas", "Sofia",
    "Tiago", "Ines", "Yuki", "Priya", "Omar", "Leila", "Kofi", "Mei", "Ivan", "Nina", "Hugo", "Zoe", "Ravi",
)  # fmt: skip
LAST = (
    "Garcia", "Lopez", "Etxeberria", "Moreno", "Santos", "Navarro", "Ruiz", "Vidal", "Smith", "Johnson", "Brown",
    "Martin", "Bernard", "Muller", "Schmidt", "Silva", "Costa", "Rossi", "Tanaka", "Kim", "Patel", "Nguyen",
    "Okafor", "Haddad", "Novak", "Larsen", "Dubois", "Fischer", "Romero", "Ortega",
)  # fmt: skip
ROLES = (
    "Engineer", "Journalist", "Coach", "Designer", "Student", "Photographer", "Researcher", "Writer", "Founder",
    "Teacher", "Musician", "Analyst", "Nurse", "Chef", "Developer", "Podcaster",
)  # fmt: skip
ORGS = ("a small startup", "the local paper", "a football club", "a university", "home", "an NGO", "a studio")
TOPICS = (
    "football", "music", "science", "design", "travel", "food", "cycling", "startups", "photography", "books",
    "climate", "open source", "history", "coffee", "films", "running", "chess", "space",
)  # fmt: skip
PLACES = (
    "Pamplona", "Bilbao", "Madrid", "Barcelona", "Lisbon", "Paris", "Berlin", "London", "New York", "Mexico City",
    "Buenos Aires", "Sao Paulo", "Tokyo", "Seoul", "Lagos", "Nairobi", "Mumbai", "Sydney", "Toronto", "Earth",
)  # fmt: skip


def display_name(d: Draws, name: str, catalogue_word: str | None) -> str:
    """A catalogue account gets "First Word" ("Ana Mora"); a typed name is title-cased ("elon_musk" -> "Elon Musk")."""
    if catalogue_word is not None:
        first = d.choice(FIRST)
        return f"{first} {catalogue_word.capitalize()}" if d.below(4) else f"{first} {d.choice(LAST)}"
    words = [w for w in name.split("_") if w]
    return " ".join(w[:1].upper() + w[1:] for w in words) or name


def description(d: Draws) -> str:
    style = d.below(5)
    if style == 0:
        return ""
    if style == 1:
        return f"{d.choice(ROLES)} at {d.choice(ORGS)}. Opinions are my own."
    if style == 2:
        return f"{d.choice(TOPICS).capitalize()}, {d.choice(TOPICS)} and {d.choice(TOPICS)}."
    if style == 3:
        return f"{d.choice(ROLES)}. Into {d.choice(TOPICS)} and {d.choice(TOPICS)}. #{d.choice(HASHTAGS)}"
    return f"Writing about {d.choice(TOPICS)} from {d.choice(PLACES)}."


def location(d: Draws) -> str:
    return "" if d.below(4) == 0 else d.choice(PLACES)
