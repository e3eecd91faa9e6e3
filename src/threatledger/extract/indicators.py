"""Indicators of compromise: addresses, host names, URLs, e-mail addresses, hashes, CVE ids, bitcoin addresses
and file names, found by a few anchored regex passes over refanged text.

Contract::

    extract_indicators(text, benign=None) -> tuple[Indicator, ...]      NAME "indicators", VERSION "1"

Each ``Indicator`` carries ``text[start:end]`` exactly as written (possibly defanged) and a ``value`` that is
refanged and normalised:

    ipv4 ipv6   canonical form (``ipaddress``)             md5 sha1 sha256   lowercase hex
    domain      lowercase, no trailing dot                 cve               ``CVE-YYYY-NNNN``
    url         scheme and host lowercase, rest as written btc               base58 as written, bech32 lowercase
    email       lowercase                                  filename          as written

Rules worth knowing (the tests pin each of them):

* One indicator per stretch of text, the outermost wins: a URL is reported and the host and CVE id inside it are
  not; an e-mail address is reported and its domain is not. A host followed by a path (``evil[.]com/gate.php``)
  is a URL without scheme; ``1.2.3.4/24`` is the address. A port after a bare host is not part of the span.
* Domains must end in a real top-level domain (``threatledger/data/tlds.txt``) written in lowercase, unless the
  name was defanged: ``ASP.NET`` and ``attack.The`` are prose, ``Evil.com`` is a domain.
* Names whose last label is both a TLD and a common file extension (``invoice.zip``, ``update.sh``,
  ``lure.mov``, ``notes.one``) are file names unless defanged, inside a URL or e-mail address, or ``www.``-led.
  ``README.md`` and ``libc.so`` are neither.
* File names are reported only for executable, script, macro-document, lure-document and archive extensions
  (:data:`FILE_EXTENSIONS`), without spaces; ``Node.js``-style framework names are not files.
* Four dotted numbers preceded by a version cue (``version``, ``build``, ``v``...) or followed by ``and later``
  are versions, not addresses; leading zeros (``010.1.1.1``) are not addresses either.
* Hashes need a digit and a letter; bitcoin addresses must pass their base58 or bech32 checksum.

Benign values are flagged, never dropped. Built-in reasons: ``documentation-range`` (RFC 5737, RFC 3849),
``private-address`` (private, loopback, link-local), ``reserved-address`` (unspecified, multicast, reserved),
``example-domain`` (example.com/.net/.org, also as URL host or e-mail domain). Otherwise the optional
:class:`BenignLookup` is asked with the value and type and its answer (a list name) becomes ``benign_reason``.
"""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
from collections.abc import Iterator
from importlib import resources
from typing import Protocol

from threatledger.extract.refang import Refanged, refang
from threatledger.model import Indicator

__all__ = [
    "FILE_EXTENSIONS",
    "NAME",
    "VERSION",
    "BenignLookup",
    "extract_indicators",
    "is_cve_id",
    "top_level_domains",
]

NAME = "indicators"
VERSION = "1"

FILE_EXTENSIONS = frozenset(
    {
        # executables and installers
        "exe", "dll", "sys", "scr", "cpl", "ocx", "msi", "msp", "msc", "pif", "jar", "apk", "dmg", "elf",
        # scripts and shortcuts
        "ps1", "psm1", "psd1", "vbs", "vbe", "js", "jse", "wsf", "wsh", "hta", "bat", "cmd", "sh", "py",
        "php", "asp", "aspx", "ashx", "jsp", "lnk", "sct", "chm", "reg",
        # documents used as lures
        "doc", "docx", "docm", "dotm", "xls", "xlsx", "xlsm", "xlsb", "xlam", "xll", "ppt", "pptx", "pptm",
        "rtf", "pdf", "one",
        # archives, disk images and containers
        "zip", "rar", "7z", "iso", "img", "vhd", "vhdx", "cab", "gz", "tgz", "mov",
    }
)  # fmt: skip
# Extensions that are also TLDs but never name an indicator file: such a name is neither domain nor file.
_FILE_ONLY_TLDS = frozenset({"md", "so", "rs", "ps", "mk"})
# "Node.js" and friends are frameworks, not files.
_JS_FRAMEWORKS = frozenset(
    {"node", "react", "vue", "next", "nuxt", "express", "angular", "ember", "backbone", "three", "d3",
     "chart", "moment", "socket", "p5", "deno", "nest", "svelte", "alpine", "knockout", "meteor", "jquery"}
)  # fmt: skip
_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")
_DOCUMENTATION_NETS = tuple(
    ipaddress.ip_network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)

# Every pass starts at a character that is rare in prose ("://", a dot or "@" inside a word, a digit followed by
# eleven letters or digits, a colon between hex digits, "CVE"), so plain text is skipped at C speed and only the
# few candidates reach Python.
_URL_CHARS = r"[!#$%&()*+,\-./0-9:;=?@A-Z\[\]_a-z~]"
_URL_BODY = re.compile(rf"{_URL_CHARS}+")
_SCHEME_BEFORE = re.compile(r"(?<![A-Za-z0-9])(?:https?|ftps?|sftp|wss?)\Z", re.IGNORECASE)
# One pattern per spelling: a literal prefix lets the regex engine jump between occurrences.
_CVES = tuple(
    (prefix, re.compile(prefix + r"[-‐‑–—_ ]?(?:19|20)[0-9]{2}[-‐‑–—_][0-9]{4,7}(?![\w-])"))
    for prefix in ("CVE", "cve", "Cve")
)
_DOT_ANCHOR = re.compile(r"[.@](?<=[\w-][.@])(?=[\w-])", re.ASCII)
_TOKEN = re.compile(
    rf"""(?:(?P<local>[\w.%+'-]*[\w%+-])@)?(?P<host>[\w-]+(?:\.[\w-]+)+)
         (?P<port>:\d{{1,5}}(?!\d))?(?P<path>/{_URL_CHARS}*)?""",
    re.VERBOSE | re.ASCII,
)
_TOKEN_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.%+'-")
_RUN_ANCHOR = re.compile(r"[0-9](?=[0-9A-Za-z]{11})")
_RUN = re.compile(r"[0-9A-Za-z]*")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_HEX_RUN = re.compile(r"[0-9A-Fa-f]+\Z")
_BASE58 = re.compile(r"[13][1-9A-HJ-NP-Za-km-z]{25,34}\Z")
_BECH32_ADDRESS = re.compile(r"(?:bc1[02-9ac-hj-np-z]{11,71}|BC1[02-9AC-HJ-NP-Z]{11,71})\Z")
_COLON_ANCHOR = re.compile(r":(?<=[0-9A-Fa-f:]:)(?=[0-9A-Fa-f:])")
_IPV6 = re.compile(
    r"(?:[0-9A-Fa-f]{1,4}:|:)(?:[0-9A-Fa-f]{0,4}:){1,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?![\w:])",
    re.ASCII,
)
_HEX_COLON = frozenset("0123456789abcdefABCDEF:")
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z", re.ASCII)
_LOCAL = re.compile(r"[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*\Z", re.ASCII | re.I)
_VERSION_BEFORE = re.compile(
    r"""(?:\b(?:v|ver|version|versions|build|builds|release|releases|firmware|fw|rev|revision|patch|update|
             section|figure|fig|table|chapter|appendix|step|rule|sid|prior\ to|earlier\ than|older\ than|
             newer\ than|later\ than|up\ to|before)\.?:?\s*
        |\bversions?\s+(?:[\d.x]+(?:\s*,\s*|\s+(?:and|or|to|through|thru|-)\s+))+)\Z""",
    re.VERBOSE | re.IGNORECASE,
)
_VERSION_AFTER = re.compile(
    r"\s*,?\s*(?:and|or)\s+(?:later|earlier|newer|older|above|below|prior|before|higher|lower)\b", re.I
)
_CIDR = re.compile(r"/\d{1,2}\Z")
_TRAILING = ".,;:!?'\"*"
_CLOSERS = {")": "(", "]": "[", "}": "{", ">": "<"}
_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_HEX_TYPES = {32: "md5", 40: "sha1", 64: "sha256"}


class BenignLookup(Protocol):
    """Answers whether a value is on a list of known-benign values, with the list's name."""

    def check(self, value: str, type: str) -> str | None: ...


@functools.cache
def top_level_domains() -> frozenset[str]:
    """The bundled TLD list (read once, on first use)."""
    data = resources.files("threatledger").joinpath("data/tlds.txt").read_text(encoding="utf-8")
    return frozenset(line for line in data.splitlines() if line and not line.startswith("#"))


def extract_indicators(text: str, benign: BenignLookup | None = None) -> tuple[Indicator, ...]:
    """Every indicator in ``text``, in text order, each with its span as written."""
    tlds = top_level_domains()
    doc = refang(text, tlds.__contains__)
    clean = doc.clean
    hits = [*_urls(clean, tlds), *_cves(clean), *_runs(clean), *_ipv6s(clean), *_tokens(doc, tlds)]
    hits.sort(key=lambda hit: (hit[2], -hit[3]))
    found: list[Indicator] = []
    covered = 0
    for itype, value, cstart, cend in hits:
        if cstart < covered:  # inside (or across) an indicator already taken: the outermost wins
            continue
        covered = cend
        start, end = doc.to_original(cstart, cend)
        reason = _builtin_reason(itype, value)
        if reason is None and benign is not None:
            reason = benign.check(value, itype)
        found.append(Indicator(itype, value, start, end, text[start:end], reason is not None, reason))
    return tuple(found)


_Hit = tuple[str, str, int, int]


def _urls(clean: str, tlds: frozenset[str]) -> Iterator[_Hit]:
    slashes = clean.find("://")
    while slashes >= 0:
        scheme = _SCHEME_BEFORE.search(clean, max(0, slashes - 6), slashes)
        body = _URL_BODY.match(clean, slashes + 3)
        if scheme is not None and body is not None:
            hit = _url(clean, scheme.start(), body.end(), tlds)
            if hit is not None:
                yield hit
        slashes = clean.find("://", slashes + 3)


def is_cve_id(text: str) -> bool:
    """Whether ``text`` is one CVE id as this extractor finds them ("CVE-2022-40684", "CVE 2021-44228")."""
    return any(pattern.fullmatch(text.strip()) for _, pattern in _CVES)


def _cves(clean: str) -> Iterator[_Hit]:
    for prefix, pattern in _CVES:
        if prefix not in clean:
            continue
        for match in pattern.finditer(clean):
            if match.start() == 0 or clean[match.start() - 1] not in _WORD:
                yield _cve(match)


def _runs(clean: str) -> Iterator[_Hit]:
    """Hashes and bitcoin addresses: long letter-and-digit runs with a digit early on."""
    anchor = _RUN_ANCHOR.search(clean)
    while anchor is not None:
        start = anchor.start()
        while start > 0 and clean[start - 1] in _ALNUM:
            start -= 1
        run = _RUN.match(clean, anchor.start())
        end = run.end() if run else anchor.end()
        anchor = _RUN_ANCHOR.search(clean, end)
        if (start > 0 and clean[start - 1] in _WORD) or (end < len(clean) and clean[end] in _WORD):
            continue
        hit = _hex(clean[start:end], start, end) or _btc(clean[start:end], start, end)
        if hit is not None:
            yield hit


def _ipv6s(clean: str) -> Iterator[_Hit]:
    done = 0
    for anchor in _COLON_ANCHOR.finditer(clean):
        if anchor.start() < done:
            continue
        start = anchor.start()
        while start > 0 and clean[start - 1] in _HEX_COLON:
            start -= 1
        if start > 0 and (clean[start - 1] in _WORD or clean[start - 1] == "."):
            done = anchor.end()
            continue
        match = _IPV6.match(clean, start)
        if match is None:
            done = anchor.end()
            continue
        done = match.end()
        hit = _ipv6(match.group(), start, match.end())
        if hit is not None:
            yield hit


def _tokens(doc: Refanged, tlds: frozenset[str]) -> Iterator[_Hit]:
    """Host names, addresses, e-mail addresses, URLs without scheme and file names: words around a dot or "@"."""
    clean = doc.clean
    anchor = _DOT_ANCHOR.search(clean)
    while anchor is not None:
        start = anchor.start()
        while start > 0 and clean[start - 1] in _TOKEN_CHARS:
            start -= 1
        while clean[start] in ".'":
            start += 1
        match = _TOKEN.match(clean, start)
        anchor = _DOT_ANCHOR.search(clean, max(match.end(), anchor.end()) if match else anchor.end())
        if match is None:
            continue
        hit = _token(doc, match, tlds)
        if hit is not None:
            yield hit


def _cve(match: re.Match[str]) -> _Hit:
    digits = re.split(r"[-‐‑–—_ ]", match.group()[3:].lstrip("-‐‑–—_ "))
    return "cve", f"CVE-{digits[0]}-{digits[1]}", match.start(), match.end()


def _hex(token: str, start: int, end: int) -> _Hit | None:
    itype = _HEX_TYPES.get(len(token))
    if itype is None or not _HEX_RUN.match(token) or token.isdigit():
        return None
    if not any(c.isdigit() for c in token):
        return None
    return itype, token.lower(), start, end


def _btc(token: str, start: int, end: int) -> _Hit | None:
    if _BECH32_ADDRESS.match(token):
        return ("btc", token.lower(), start, end) if _bech32_ok(token.lower()) else None
    if _BASE58.match(token):
        return ("btc", token, start, end) if _base58_ok(token) else None
    return None


def _base58_ok(address: str) -> bool:
    number = 0
    for char in address:
        number = number * 58 + _B58.index(char)
    raw = number.to_bytes(25, "big") if number < 1 << 200 else b""
    if len(raw) != 25 or raw[0] not in (0, 5):
        return False
    checksum = hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4]
    return raw[21:] == checksum


def _bech32_ok(address: str) -> bool:
    data = [_BECH32.index(c) for c in address[3:]]
    if len(data) < 7:
        return False
    values = [3, 3, 0, 2, 3, *data]  # hrp "bc" expanded
    check = 1
    for value in values:
        top = check >> 25
        check = (check & 0x1FFFFFF) << 5 ^ value
        for i, gen in enumerate((0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)):
            if (top >> i) & 1:
                check ^= gen
    witness_version = data[0]
    program_bits = (len(data) - 7) * 5
    if witness_version == 0:
        return check == 1 and program_bits // 8 in (20, 32)
    return check == 0x2BC830A3 and witness_version <= 16 and 2 <= program_bits // 8 <= 40


def _ipv6(token: str, start: int, end: int) -> _Hit | None:
    if not any(c in "0123456789abcdefABCDEF" for c in token):
        return None
    try:
        address = ipaddress.IPv6Address(token)
    except ValueError:
        return None
    return "ipv6", str(address), start, end


def _ipv4(host: str) -> str | None:
    parts = host.split(".")
    if len(parts) != 4 or not all(p.isdigit() and len(p) <= 3 for p in parts):
        return None
    if any(int(p) > 255 or (len(p) > 1 and p[0] == "0") for p in parts):
        return None
    return ".".join(str(int(p)) for p in parts)


def _domain(host: str, tlds: frozenset[str]) -> str | None:
    name = host.lower().rstrip(".")
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or labels[-1] not in tlds:
        return None
    if not all(_LABEL.match(label) for label in labels):
        return None
    return name


def _is_version(clean: str, start: int, end: int) -> bool:
    before = clean[max(0, start - 40) : start]
    return bool(_VERSION_BEFORE.search(before) or _VERSION_AFTER.match(clean, end))


def _token(doc: Refanged, match: re.Match[str], tlds: frozenset[str]) -> _Hit | None:
    clean = doc.clean
    local = match.group("local")
    host = match.group("host")
    host_start, host_end = match.span("host")
    if local is not None:
        return _email(local.lstrip(".'"), host, match.start("local"), host_end, tlds)
    path = match.group("path")
    if path is not None:
        port = match.group("port") or ""
        trimmed = _trim(path)
        if _CIDR.match(trimmed) and not port and _ipv4(host):
            path = None
        elif len(trimmed) > 1:
            address = _ipv4(host)
            domain = _domain(host, tlds)
            if address is not None or domain is not None:
                value = f"{address or domain}{port}{trimmed}"
                return "url", value, host_start, match.end("path") - (len(path) - len(trimmed))
    rewritten = doc.is_rewritten(host_start, host_end)
    address = _ipv4(host)
    if address is not None:
        if not rewritten and _is_version(clean, host_start, host_end):
            return None
        return "ipv4", address, host_start, host_end
    last = host.rsplit(".", 1)[1]
    ext = last.lower()
    domain = _domain(host, tlds)
    if domain is not None and not rewritten:
        prose = not last.islower()  # "ASP.NET", "attack.The"
        looks_like_file = ext in _FILE_ONLY_TLDS or (ext in FILE_EXTENSIONS and not domain.startswith("www."))
        if prose or looks_like_file:
            domain = None
    if domain is not None:
        return "domain", domain, host_start, host_end
    if ext in FILE_EXTENSIONS and not rewritten:
        stem = host[: -len(last) - 1]
        if ext == "js" and stem.lower() in _JS_FRAMEWORKS:
            return None
        return "filename", host, host_start, host_end
    return None


def _email(local: str, host: str, start: int, end: int, tlds: frozenset[str]) -> _Hit | None:
    domain = _domain(host, tlds)
    if domain is None or not local or len(local) > 64 or not _LOCAL.match(local):
        return None
    return "email", f"{local.lower()}@{domain}", end - len(host) - 1 - len(local), end


def _trim(url: str) -> str:
    """Drop punctuation that ends the sentence rather than the URL; keep balanced closing brackets."""
    while url:
        last = url[-1]
        unbalanced = last in _CLOSERS and url.count(_CLOSERS[last]) < url.count(last)
        if last not in _TRAILING and not unbalanced:
            break
        url = url[:-1]
    return url


def _url(clean: str, start: int, end: int, tlds: frozenset[str]) -> _Hit | None:
    url = _trim(clean[start:end])
    scheme, _, rest = url.partition("://")
    authority_end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    authority, tail = rest[:authority_end], rest[authority_end:]
    userinfo, _, hostport = authority.rpartition("@")
    if hostport.startswith("["):
        host, _, port = hostport[1:].partition("]")
        try:
            normal = f"[{ipaddress.IPv6Address(host)}]"
        except ValueError:
            return None
    else:
        host, sep, digits = hostport.partition(":")
        port = sep + digits
        normal = _ipv4(host) or _domain(host, tlds) or ("localhost" if host.lower() == "localhost" else "")
        if not normal:
            return None
    if port and not (port.startswith(":") and port[1:].isdigit()):
        return None
    userinfo = f"{userinfo}@" if userinfo else ""
    value = f"{scheme.lower()}://{userinfo}{normal}{port}{tail}"
    return "url", value, start, start + len(url)


def _host_of(value: str, itype: str) -> str:
    if itype == "email":
        return value.rpartition("@")[2]
    if itype == "url":
        rest = value.split("://", 1)[-1]
        host = re.split(r"[/?#]", rest, maxsplit=1)[0].rpartition("@")[2]
        return host[1 : host.find("]")] if host.startswith("[") else host.split(":")[0]
    return value


def _address_reason(value: str) -> str | None:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if any(address in net for net in _DOCUMENTATION_NETS):
        return "documentation-range"
    if address.is_loopback or address.is_link_local or address.is_private:
        return "private-address"
    if address.is_unspecified or address.is_multicast or address.is_reserved:
        return "reserved-address"
    return None


def _builtin_reason(itype: str, value: str) -> str | None:
    if itype in ("ipv4", "ipv6"):
        return _address_reason(value)
    if itype not in ("domain", "url", "email"):
        return None
    host = _host_of(value, itype)
    if host == "localhost":
        return "private-address"
    if any(host == d or host.endswith("." + d) for d in _EXAMPLE_DOMAINS):
        return "example-domain"
    return _address_reason(host) if itype == "url" else None
