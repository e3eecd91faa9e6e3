"""A compiled alias matcher: every usable name of the knowledge base, found in text at word boundaries.

Names are split into word tokens (``\\w+`` or one punctuation mark) and stored in a dict keyed by the first
token, so matching costs one dict probe per text token. Each alias carries a *policy*, derived from data rather
than from a hand list, so that names which are also English words do not fire on ordinary prose:

    fold    case-insensitive ("emotet", "Emotet", "EMOTET")            rare words (wordfreq Zipf < 2.5)
    exact   the case written in the knowledge base ("Equation", "Lazarus")  Zipf 2.5 to 4.5, or 3 characters,
            and not next to another capitalised word ("Microsoft Defender" is no "Defender")
    cued    exact case and a cue word right after ("Play ransomware")    Zipf >= 4.5 ("Play", "Royal", "Will"),
            or a lower-case name that is a word ("mimic ransomware")

A capitalised name that is also a word at all (Zipf >= 1) does not match in lower case ("mimic").
Aliases of two characters or less, bare numbers, generic malware words and country names are not matched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["CUE_WORDS", "GENERIC_TERMS", "AliasMatch", "AliasMatcher", "Pattern", "alias_policy", "tokens"]

TOKEN = re.compile(r"\w+|[^\w\s]")
CUE_WORDS = frozenset(
    [
        "ransomware",
        "malware",
        "trojan",
        "backdoor",
        "loader",
        "botnet",
        "rat",
        "stealer",
        "infostealer",
        "group",
        "gang",
        "apt",
        "actor",
        "actors",
        "team",
        "operators",
        "operator",
        "family",
        "variant",
        "variants",
        "worm",
        "wiper",
        "spyware",
        "implant",
        "tool",
        "toolkit",
        "framework",
        "dropper",
        "downloader",
        "keylogger",
        "rootkit",
        "miner",
        "banker",
        "crew",
    ]
)
# Category words that several galaxies list as names of their own; they name a kind of thing, not one thing.
GENERIC_TERMS = frozenset(
    [
        "ransomware",
        "malware",
        "trojan",
        "backdoor",
        "loader",
        "botnet",
        "rat",
        "stealer",
        "infostealer",
        "worm",
        "wiper",
        "spyware",
        "implant",
        "dropper",
        "downloader",
        "keylogger",
        "rootkit",
        "miner",
        "banker",
        "exploit",
        "payload",
        "webshell",
        "web",
        "shell",
        "apt",
        "hacker",
        "hackers",
        "agent",
        "bot",
        "virus",
        "adware",
        "scareware",
        "locker",
        "crypter",
        "packer",
        "shell",
        "beacon",
        "server",
        "client",
        "admin",
        "update",
        "installer",
        "injector",
        "sniffer",
        "scanner",
        "proxy",
        "tunnel",
        "unknown",
        "other",
        "none",
    ]
) | {"web shell", "remote access trojan", "remote access tool", "command and control", "info stealer"}
_CUED_ZIPF = 4.5
_EXACT_ZIPF = 2.5


@dataclass(frozen=True, slots=True)
class Pattern:
    tokens: tuple[str, ...]  # case-folded tokens
    surface: tuple[str, ...]  # tokens as the knowledge base writes them (for exact and cued policies)
    policy: str  # fold | exact | cued
    target: str  # key into AliasMatcher.targets
    lower_ok: bool = True  # may an all-lowercase surface match? (not when the name is capitalised and a word)


@dataclass(frozen=True, slots=True)
class AliasMatch:
    start: int
    end: int
    text: str
    target: str
    policy: str


def tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def alias_policy(alias: str, zipf: float) -> str | None:
    """How an alias may match, or None when it must not be matched at all."""
    stripped = alias.strip()
    core = re.sub(r"[\W_]", "", stripped)
    if len(core) <= 2 or core.isdigit() or stripped.casefold() in GENERIC_TERMS:
        return None
    if zipf >= _CUED_ZIPF or (zipf >= _EXACT_ZIPF and stripped.islower()):
        return "cued"  # "Play", or a name the sources write as the plain lower-case word ("mimic")
    if zipf >= _EXACT_ZIPF or len(core) == 3:
        return "exact"
    return "fold"


class AliasMatcher:
    """Finds the longest alias at each position; left-to-right, non-overlapping."""

    __slots__ = ("_first", "targets")

    def __init__(self, patterns: Iterable[Pattern], targets: dict[str, tuple[str, ...]]) -> None:
        self._first: dict[str, list[Pattern]] = {}
        for pattern in patterns:
            self._first.setdefault(pattern.tokens[0], []).append(pattern)
        for bucket in self._first.values():
            bucket.sort(key=lambda p: -len(p.tokens))
        self.targets = targets  # target key -> opaque payload the knowledge base interprets

    def __len__(self) -> int:
        return sum(len(b) for b in self._first.values())

    def find(self, text: str) -> list[AliasMatch]:
        toks = tokens(text)
        folded = [t[0].casefold() for t in toks]
        out: list[AliasMatch] = []
        i = 0
        while i < len(toks):
            found = self._longest(toks, folded, i)
            if found is None:
                i += 1
                continue
            pattern, n = found
            start, end = toks[i][1], toks[i + n - 1][2]
            out.append(AliasMatch(start, end, text[start:end], pattern.target, pattern.policy))
            i += n
        return out

    def _longest(
        self, toks: list[tuple[str, int, int]], folded: list[str], i: int
    ) -> tuple[Pattern, int] | None:
        bucket = self._first.get(folded[i])
        if not bucket:
            return None
        if i > 0 and _glued(toks, i - 1, i) and toks[i - 1][0] in "-_./\\@":
            return None  # part of a longer identifier (file-name.exe, a/b, x@y)
        for pattern in bucket:
            n = len(pattern.tokens)
            if folded[i : i + n] != list(pattern.tokens):
                continue
            after = i + n
            if after < len(toks) and _glued(toks, after - 1, after) and toks[after][0] in "-_@/\\":
                continue  # "Ryuk-like", "name@domain": the alias is only part of a token
            if (
                after < len(toks)
                and toks[after][0] == "."
                and after + 1 < len(toks)
                and _glued(toks, after, after + 1)
            ):
                continue  # "conti.exe", "lockbit.com"
            if pattern.policy == "fold" and not pattern.lower_ok and toks[i][0].islower():
                continue  # "mimic", "radar": a capitalised name written in lower case is the English word
            if pattern.policy != "fold":
                if tuple(t[0] for t in toks[i:after]) != pattern.surface:
                    continue
                if _inside_name(toks, i, after):
                    continue  # "Microsoft Defender", "Internet Explorer": a word of a longer name
            if pattern.policy == "cued" and not (after < len(toks) and folded[after] in CUE_WORDS):
                continue
            return pattern, n
        return None


def _inside_name(toks: list[tuple[str, int, int]], i: int, after: int) -> bool:
    """Whether a capitalised word touches the match on the same line, outside a sentence start."""

    def capital(k: int) -> bool:
        word = toks[k][0]
        return word[:1].isupper() and word.isalpha()

    if after < len(toks) and capital(after) and toks[after][1] - toks[after - 1][2] == 1:
        return True
    if i > 0 and capital(i - 1) and toks[i][1] - toks[i - 1][2] == 1:
        return i - 1 > 0 and toks[i - 2][0] not in ".!?:;\"“”'" and not toks[i - 2][0].isspace()
    return False


def _glued(toks: list[tuple[str, int, int]], a: int, b: int) -> bool:
    return toks[a][2] == toks[b][1]
