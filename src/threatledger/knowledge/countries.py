"""Country names, common forms and demonyms -> ISO 3166 alpha-2.

pycountry supplies the official and common names; an explicit table adds what news text actually writes
("U.S.", "the United States", "America", "UK", "Britain") and the demonyms ("Chinese", "North Korean"), because
pycountry's fuzzy search maps "U.S." and several demonyms to the wrong country.
"""

from __future__ import annotations

import functools
import re

__all__ = ["DEMONYMS", "country_aliases", "country_code", "country_name", "is_demonym", "place_country"]

# Forms pycountry lacks or gets wrong. Keys are case-folded, without a leading "the".
_COMMON: dict[str, str] = {
    "u.s.": "US",
    "u.s": "US",
    "us": "US",
    "usa": "US",
    "u.s.a.": "US",
    "u.s.a": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "the states": "US",
    "uk": "GB",
    "u.k.": "GB",
    "u.k": "GB",
    "britain": "GB",
    "great britain": "GB",
    "united kingdom": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "russia": "RU",
    "russian federation": "RU",
    "iran": "IR",
    "south korea": "KR",
    "republic of korea": "KR",
    "korea": "KR",
    "north korea": "KP",
    "dprk": "KP",
    "democratic people's republic of korea": "KP",
    "china": "CN",
    "prc": "CN",
    "people's republic of china": "CN",
    "mainland china": "CN",
    "taiwan": "TW",
    "vietnam": "VN",
    "viet nam": "VN",
    "syria": "SY",
    "laos": "LA",
    "moldova": "MD",
    "bolivia": "BO",
    "venezuela": "VE",
    "tanzania": "TZ",
    "czech republic": "CZ",
    "czechia": "CZ",
    "uae": "AE",
    "u.a.e.": "AE",
    "emirates": "AE",
    "turkey": "TR",
    "türkiye": "TR",
    "holland": "NL",
    "the netherlands": "NL",
    "ivory coast": "CI",
    "macedonia": "MK",
    "palestine": "PS",
    "vatican": "VA",
    "brunei": "BN",
    "cape verde": "CV",
    "micronesia": "FM",
    "east timor": "TL",
    "swaziland": "SZ",
    "burma": "MM",
    "kosovo": "XK",
    "hong kong": "HK",
    "macau": "MO",
    "macao": "MO",
}

# Demonyms and adjectives (singular; plurals in "s" are accepted too).
DEMONYMS: dict[str, str] = {
    "american": "US",
    "u.s.-based": "US",
    "british": "GB",
    "english": "GB",
    "scottish": "GB",
    "welsh": "GB",
    "chinese": "CN",
    "russian": "RU",
    "iranian": "IR",
    "persian": "IR",
    "north korean": "KP",
    "south korean": "KR",
    "korean": "KR",
    "japanese": "JP",
    "german": "DE",
    "french": "FR",
    "italian": "IT",
    "spanish": "ES",
    "portuguese": "PT",
    "dutch": "NL",
    "belgian": "BE",
    "swiss": "CH",
    "austrian": "AT",
    "swedish": "SE",
    "norwegian": "NO",
    "danish": "DK",
    "finnish": "FI",
    "icelandic": "IS",
    "irish": "IE",
    "polish": "PL",
    "czech": "CZ",
    "slovak": "SK",
    "hungarian": "HU",
    "romanian": "RO",
    "bulgarian": "BG",
    "greek": "GR",
    "turkish": "TR",
    "ukrainian": "UA",
    "belarusian": "BY",
    "georgian": "GE",
    "armenian": "AM",
    "azerbaijani": "AZ",
    "azeri": "AZ",
    "kazakh": "KZ",
    "kazakhstani": "KZ",
    "uzbek": "UZ",
    "estonian": "EE",
    "latvian": "LV",
    "lithuanian": "LT",
    "serbian": "RS",
    "croatian": "HR",
    "slovenian": "SI",
    "bosnian": "BA",
    "albanian": "AL",
    "moldovan": "MD",
    "israeli": "IL",
    "palestinian": "PS",
    "lebanese": "LB",
    "syrian": "SY",
    "iraqi": "IQ",
    "jordanian": "JO",
    "saudi": "SA",
    "saudi arabian": "SA",
    "emirati": "AE",
    "qatari": "QA",
    "kuwaiti": "KW",
    "bahraini": "BH",
    "omani": "OM",
    "yemeni": "YE",
    "egyptian": "EG",
    "libyan": "LY",
    "tunisian": "TN",
    "algerian": "DZ",
    "moroccan": "MA",
    "nigerian": "NG",
    "kenyan": "KE",
    "ethiopian": "ET",
    "south african": "ZA",
    "ghanaian": "GH",
    "indian": "IN",
    "pakistani": "PK",
    "afghan": "AF",
    "bangladeshi": "BD",
    "sri lankan": "LK",
    "nepalese": "NP",
    "vietnamese": "VN",
    "thai": "TH",
    "malaysian": "MY",
    "indonesian": "ID",
    "filipino": "PH",
    "philippine": "PH",
    "singaporean": "SG",
    "taiwanese": "TW",
    "cambodian": "KH",
    "burmese": "MM",
    "myanmar": "MM",
    "mongolian": "MN",
    "australian": "AU",
    "new zealander": "NZ",
    "canadian": "CA",
    "mexican": "MX",
    "brazilian": "BR",
    "argentine": "AR",
    "argentinian": "AR",
    "chilean": "CL",
    "colombian": "CO",
    "peruvian": "PE",
    "venezuelan": "VE",
    "cuban": "CU",
    "ecuadorian": "EC",
    "bolivian": "BO",
    "uruguayan": "UY",
    "paraguayan": "PY",
    "hong konger": "HK",
    "hongkonger": "HK",
    "kyrgyz": "KG",
    "tajik": "TJ",
    "turkmen": "TM",
    "sudanese": "SD",
    "somali": "SO",
    "ugandan": "UG",
    "zimbabwean": "ZW",
    "macedonian": "MK",
    "montenegrin": "ME",
    "cypriot": "CY",
    "maltese": "MT",
    "luxembourgish": "LU",
}

# Capitalised surface forms to match in running text (the extractor matches these case-sensitively).
_SURFACE_FORMS: tuple[str, ...] = (
    "U.S.",
    "U.S",
    "US",
    "USA",
    "U.S.A.",
    "UK",
    "U.K.",
    "UAE",
    "DPRK",
    "PRC",
    "America",
    "Britain",
    "Great Britain",
    "United States",
    "United Kingdom",
)
_THE = re.compile(r"^the\s+", re.IGNORECASE)
_POSSESSIVE = re.compile(r"[’']s?$")


def _clean(text: str) -> str:
    text = _POSSESSIVE.sub("", " ".join(text.split()))
    return _THE.sub("", text).casefold().strip()


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    import pycountry

    table: dict[str, str] = {}
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                table.setdefault(_clean(value), country.alpha_2)
                # "Korea, Republic of" and "Iran, Islamic Republic of": the part before the comma is no name
    for key in [k for k in table if "," in k]:
        del table[key]
    table.update(_COMMON)
    return table


def country_code(text: str) -> str | None:
    """ISO alpha-2 of a country name, common form or demonym ("U.S.", "Chinese", "North Korean"), else None."""
    key = _clean(text)
    if not key:
        return None
    names = _names()
    if key in names:
        return names[key]
    if key in DEMONYMS:
        return DEMONYMS[key]
    if key.endswith("s") and key[:-1] in DEMONYMS:  # "Iranians", "Russians"
        return DEMONYMS[key[:-1]]
    return None


# federal countries whose states or provinces news names without the country ("an Oregon utility")
_FEDERAL = {"US": {"State", "District"}, "CA": {"Province", "Territory"}, "AU": {"State", "Territory"}}


@functools.lru_cache(maxsize=1)
def _regions() -> dict[str, str]:
    """State and province names of federal countries -> the country; names that are also a country's are left out
    ("Georgia" stays the country)."""
    import pycountry

    countries = _names()
    table: dict[str, str] = {}
    for code, kinds in _FEDERAL.items():
        for region in pycountry.subdivisions.get(country_code=code) or ():  # type: ignore[no-untyped-call]
            key = _clean(region.name)
            if region.type in kinds and key not in countries:
                table[key] = code
    return table


def place_country(text: str) -> str | None:
    """The country of a place: a country (as :func:`country_code`) or a US state, Canadian province or Australian
    state ("Oregon" -> "US", "Ontario" -> "CA"). For where a victim is, not for who a state actor is."""
    return country_code(text) or _regions().get(_clean(text))


def is_demonym(text: str) -> bool:
    """Whether the text is an adjective or people form ("Chinese", "Russians") rather than the country's name."""
    key = _clean(text)
    return key in DEMONYMS or (key.endswith("s") and key[:-1] in DEMONYMS and key not in _names())


@functools.lru_cache(maxsize=512)
def country_name(code: str) -> str:
    """The short English name of an ISO alpha-2 code ("US" -> "United States"); the code when unknown."""
    import pycountry

    if code == "XK":
        return "Kosovo"
    country = pycountry.countries.get(alpha_2=code.upper())
    if country is None:
        return code
    return str(getattr(country, "common_name", None) or country.name)


def country_aliases() -> dict[str, str]:
    """Surface forms to look for in text -> alpha-2: capitalised names, common forms and demonyms."""
    forms: dict[str, str] = {}
    for key, code in _names().items():
        if key.isascii() and "(" not in key:
            forms[_title(key)] = code
    for key, code in DEMONYMS.items():
        forms[_title(key)] = code
    for form in _SURFACE_FORMS:
        found = country_code(form)
        if found:
            forms[form] = found
    return forms


def _title(key: str) -> str:
    small = {"of", "and", "the"}
    return " ".join(w if w in small else w[:1].upper() + w[1:] for w in key.split())
