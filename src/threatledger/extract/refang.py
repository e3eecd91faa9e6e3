"""Undo the "defanging" threat reports apply to indicators, keeping a map back to the original offsets.

Reports write ``hxxps://evil[.]com``, ``1.2.3[.]4`` or ``user[at]evil(dot)com`` so that nobody clicks them.
:func:`refang` rewrites those forms in one regex pass and returns a :class:`Refanged` text plus the list of
rewrites, so a match found in the clean text maps back to the exact characters as written.

Rewritten forms (case-insensitive):

    hxxp hXXp h**p hxtp fxp            -> http / ftp   (only when followed by ``s``, ``:`` or ``[``)
    [.] (.) {.} [dot] (dot) {dot}      -> .            (square-bracket forms may carry spaces: ``evil [.] com``)
    \\.  (escaped dot between letters)  -> .
    [@] (@) [at] (at) {at}             -> @
    [:] [://] [/]                      -> : :// /
    a dot b dot com                    -> a.b.com      (plain " dot " only inside a clear host name, see below)

A plain ``" dot "`` is rewritten only when the chain ends in a real top-level domain and either has two or more
separators (``mail dot evil dot com``) or a label with a digit or hyphen (``evil-cdn dot net``): "the dot com
bubble" stays prose.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Refanged", "refang"]

# Every bracketed form starts with a bracket or backslash, so the scan skips prose at C speed.
_BRACKETED = re.compile(
    r"\[[ ]?(?:\.|dot|@|at)[ ]?\]|\[(?::|://|:/|/)\]|\((?:\.|dot|@|at)\)|\{(?:\.|dot|@|at)\}|\\\.",
    re.IGNORECASE,
)
# A defanged scheme is looked for only just before a "//".
_SCHEME = re.compile(r"(?<![A-Za-z0-9])(?:h[x*]{2}p|hxtp|fxp)(?=s?(?::|\[))", re.IGNORECASE)
_DOT_CHAIN = re.compile(
    r"(?<![\w.-])[A-Za-z0-9][A-Za-z0-9-]*(?:[ ](?:dot|DOT)[ ][A-Za-z0-9][A-Za-z0-9-]*)+(?![\w-])"
)
_DOT_SEP = re.compile(r" (?:dot|DOT) ")
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


@dataclass(frozen=True, slots=True)
class Refanged:
    """A refanged text and the rewrites that produced it.

    ``edits`` holds ``(clean_start, clean_end, orig_start, orig_end)`` for every rewrite, in text order.
    """

    original: str
    clean: str
    edits: tuple[tuple[int, int, int, int], ...] = ()
    _starts: tuple[int, ...] = field(init=False, repr=False, compare=False)
    _ends: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_starts", tuple(e[0] for e in self.edits))
        object.__setattr__(self, "_ends", tuple(e[1] for e in self.edits))

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a clean-text span to the original text; a span touching a rewrite covers all of it."""
        if not self.edits:
            return start, end
        return self._map_start(start), self._map_end(end)

    def is_rewritten(self, start: int, end: int) -> bool:
        """Whether a clean-text span contains or touches a rewrite (the indicator was written defanged)."""
        if not self.edits:
            return False
        i = bisect.bisect_left(self._ends, start + 1)
        return i < len(self.edits) and self.edits[i][0] < end

    def _map_start(self, pos: int) -> int:
        i = bisect.bisect_right(self._starts, pos) - 1
        if i < 0:
            return pos
        _, ce, os_, oe = self.edits[i]
        if pos < ce:
            return os_
        return oe + (pos - ce)

    def _map_end(self, pos: int) -> int:
        i = bisect.bisect_left(self._starts, pos) - 1
        if i < 0:
            return pos
        _, ce, _, oe = self.edits[i]
        if pos <= ce:
            return oe
        return oe + (pos - ce)


def _bracketed(text: str, match: re.Match[str]) -> tuple[int, int, str] | None:
    token = match.group()
    start, end = match.span()
    if token == "\\.":  # an escaped dot counts only between letters or digits: "evil\.com"
        if start == 0 or end >= len(text) or not (text[start - 1].isalnum() and text[end].isalnum()):
            return None
        return start, end, "."
    inner = token.strip("[](){} ").lower()
    if inner in (".", "dot", "@", "at"):
        if token[0] == "[":  # "evil [.] com": the spaces around belong to the defanging
            if start >= 2 and text[start - 1] == " " and text[start - 2].isalnum():
                start -= 1
            if end + 1 < len(text) and text[end] == " " and text[end + 1].isalnum():
                end += 1
        return start, end, "." if inner in (".", "dot") else "@"
    return start, end, inner


def _dot_chain_replacement(is_tld: Callable[[str], bool]) -> Callable[[re.Match[str]], str]:
    def replace(match: re.Match[str]) -> str:
        token = match.group()
        labels = _DOT_SEP.split(token)
        clear = len(labels) > 2 or any(any(c.isdigit() or c == "-" for c in label) for label in labels)
        if clear and labels[-1].isalpha() and is_tld(labels[-1].lower()):
            return ".".join(labels)
        return token

    return replace


def refang(text: str, is_tld: Callable[[str], bool] | None = None) -> Refanged:
    """Rewrite defanged forms to plain ones, recording every rewrite.

    ``is_tld`` enables the plain ``" dot "`` form; without it that form is left alone.
    """
    edits: list[tuple[int, int, int, int]] = []
    shift = 0
    pieces: list[str] = []
    last = 0

    events: list[tuple[int, int, str]] = []
    for match in _BRACKETED.finditer(text):
        event = _bracketed(text, match)
        if event is not None:
            events.append(event)
    slashes = text.find("//")
    while slashes >= 0:
        scheme = _SCHEME.search(text, max(0, slashes - 12), slashes)
        if scheme is not None:
            new = "ftp" if scheme.group()[0] in "fF" else "http"
            events.append((scheme.start(), scheme.end(), new))
        slashes = text.find("//", slashes + 2)
    if is_tld is not None and (" dot " in text or " DOT " in text):
        chain = _dot_chain_replacement(is_tld)
        done = 0
        for separator in _DOT_SEP.finditer(text):
            start = separator.start()
            if start < done:
                continue
            while start > 0 and text[start - 1] in _LABEL_CHARS:
                start -= 1
            chained = _DOT_CHAIN.match(text, start)
            done = chained.end() if chained else separator.end()
            if chained is not None:
                events.append((chained.start(), chained.end(), chain(chained)))
    if not events:
        return Refanged(text, text)
    events.sort()
    for start, end, new in events:
        if start < last or text[start:end] == new:  # overlapping forms: the first one wins
            continue
        pieces.append(text[last:start])
        pieces.append(new)
        edits.append((start + shift, start + shift + len(new), start, end))
        shift += len(new) - (end - start)
        last = end
    if not edits:
        return Refanged(text, text)
    pieces.append(text[last:])
    return Refanged(text, "".join(pieces), tuple(edits))
