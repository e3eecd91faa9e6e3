"""Bytes to text: charset detection that never crashes, and a cleanup that keeps the text exact.

Decoding order: a byte-order mark, then UTF-16 without a BOM (recognised by its NUL pattern), then a check that
refuses binary content, then the declared charset (HTTP header or ``<meta charset>``), then strict UTF-8, then
charset-normalizer (windows-1252 preferred when a Latin-script text fits several code pages), and last UTF-8
with replacement characters so that any byte string yields text.
"""

from __future__ import annotations

import codecs
import logging
import re

import charset_normalizer

from threatledger.errors import InputError

__all__ = ["clean_text", "declared_charset", "decode_bytes", "guess_language", "is_binary"]

log = logging.getLogger(__name__)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SAMPLE = 65536
# C0 controls other than tab, newline, vertical tab, form feed and carriage return: rare in any text encoding.
_CONTROL = bytes([*range(0, 9), *range(14, 32)])
_BINARY_RATIO = 0.05
# HTTP and HTML labels for Latin-1 mean windows-1252 in practice (WHATWG encoding standard).
_LATIN1_LABELS = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii", "iso_8859-1"}
_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:\-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)|<\?xml[^>]+encoding\s*=\s*["']([A-Za-z0-9._:\-]+)""",
    re.IGNORECASE,
)
_NEWLINES = re.compile(r"\r\n?")

# Ten frequent function words per language: enough to tell these languages apart on a paragraph of text.
_STOPWORDS: dict[str, frozenset[str]] = {
    "en": frozenset(
        ["the", "and", "of", "to", "in", "is", "that", "for", "with", "was", "on", "are", "by", "this"]
    ),
    "de": frozenset(
        ["der", "die", "und", "das", "ist", "nicht", "mit", "den", "von", "sich", "des", "auf", "ein", "eine"]
    ),
    "fr": frozenset(
        ["le", "la", "les", "et", "des", "est", "une", "dans", "pour", "que", "qui", "sur", "pas", "du"]
    ),
    "es": frozenset(
        ["el", "la", "los", "las", "y", "de", "que", "en", "un", "una", "por", "con", "para", "es"]
    ),
    "it": frozenset(
        ["il", "la", "che", "di", "e", "un", "una", "per", "non", "sono", "della", "con", "gli", "del"]
    ),
    "nl": frozenset(
        ["de", "het", "een", "en", "van", "is", "dat", "op", "te", "niet", "met", "voor", "zijn"]
    ),
    "pt": frozenset(
        ["o", "a", "os", "as", "e", "de", "que", "em", "um", "uma", "para", "com", "não", "do", "da"]
    ),
}
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def declared_charset(content_type: str | None = None, head: bytes | None = None) -> str | None:
    """The charset named by a Content-Type value, else by a ``<meta charset>``/XML declaration in ``head``."""
    if content_type:
        match = _CHARSET_PARAM.search(content_type)
        if match:
            return match.group(1)
    if head:
        found = _META_CHARSET.search(head[:4096])
        if found:
            value = found.group(1) or found.group(2)
            return value.decode("ascii", errors="replace")
    return None


def _utf16_without_bom(sample: bytes) -> str | None:
    """'utf-16-le'/'utf-16-be' when NULs sit at every other byte, as in UTF-16 text of Latin script."""
    if len(sample) < 16:  # too short for the pattern to mean anything
        return None
    even, odd = sample[0::2], sample[1::2]
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / max(len(odd), 1)
    if odd_nul > 0.3 and even_nul < 0.02:
        return "utf-16-le"
    if even_nul > 0.3 and odd_nul < 0.02:
        return "utf-16-be"
    return None


def is_binary(data: bytes) -> bool:
    """True when the first 64 KB hold many NULs or other control bytes (images, archives, executables)."""
    sample = data[:_SAMPLE]
    if not sample:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROL))
    # A stray NUL in a tiny file is debris to strip, not evidence of binary content.
    return controls >= 4 and controls / len(sample) > _BINARY_RATIO


def _strict(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_bytes(data: bytes, locator: str, declared_charset: str | None = None) -> str:
    """Text from bytes of unknown encoding. Raises InputError only for binary content."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    utf16 = _utf16_without_bom(data[:_SAMPLE])
    if utf16:
        text = _strict(data, utf16)
        if text is not None and _printable(text):
            return text
    if is_binary(data):
        raise InputError(
            "binary file: the content is not text, HTML or PDF (too many NUL/control bytes); "
            "remove it from the input or convert it to text first",
            locator=locator,
        )
    if declared_charset:
        label = declared_charset.strip().lower()
        candidates = ["cp1252", "latin-1"] if label in _LATIN1_LABELS else [label]
        for candidate in candidates:
            text = _strict(data, candidate)
            if text is not None:
                return text
        log.debug("%s: declared charset %r does not decode the content; detecting", locator, declared_charset)
    text = _strict(data, "utf-8")
    if text is not None:
        return text
    best = charset_normalizer.from_bytes(data).best()
    western = _strict(data, "cp1252")
    if best is not None:
        detected = str(best)
        # Short Latin-script texts fit several code pages equally well (cp1250, cp1257, hp_roman8...); the web's
        # most common one wins those ties. Cyrillic, Greek or CJK detections are kept.
        if western is not None and best.encoding != "cp1252" and _latin_only(detected):
            log.debug("%s: detected %s, read as windows-1252 (Latin-script tie)", locator, best.encoding)
            return western
        log.debug("%s: detected charset %s", locator, best.encoding)
        return detected
    if western is not None:
        return western
    log.warning("%s: charset not recognised; decoding as UTF-8 with replacement characters", locator)
    return data.decode("utf-8", errors="replace")


def _printable(text: str) -> bool:
    sample = text[:_SAMPLE]
    good = sum(1 for c in sample if c.isprintable() or c in "\n\r\t\f")
    return good >= 0.95 * len(sample)


def _latin_only(text: str) -> bool:
    """True when every character is Latin script, Latin punctuation or a currency sign."""
    return all(ord(c) < 0x0250 or 0x2000 <= ord(c) <= 0x20CF or c == "\u2122" for c in text[:_SAMPLE])


def clean_text(text: str) -> str:
    """Newlines to ``\\n``, NULs and a leading BOM removed; every other character kept as it was."""
    text = _NEWLINES.sub("\n", text).replace("\x00", "")
    return text.removeprefix("\ufeff")


def guess_language(text: str, minimum_hits: int = 5) -> str | None:
    """An ISO 639-1 code from function-word counts (en, de, fr, es, it, nl, pt), or None when unclear.

    A cheap heuristic on the first few thousand words, not a language model: it exists so that non-English
    documents can be told apart, and it answers None rather than guessing for scripts it does not know.
    """
    words = [w.casefold() for w in _WORD.findall(text[:20000])]
    if not words:
        return None
    scores = {lang: sum(1 for w in words if w in stop) for lang, stop in _STOPWORDS.items()}
    lang, best = max(scores.items(), key=lambda kv: kv[1])
    if best < minimum_hits or best < 0.05 * len(words):
        return None
    return lang
