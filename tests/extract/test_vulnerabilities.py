from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from threatledger.config import Settings
from threatledger.extract.entities import extract_entities
from threatledger.extract.indicators import extract_indicators
from threatledger.extract.vulnerabilities import extract_vulnerabilities
from threatledger.knowledge import KnowledgeBase, load_kb
from threatledger.model import Argument, Event, Mention, Vulnerability

if TYPE_CHECKING:
    from spacy.language import Language


@pytest.fixture(scope="module")
def nlp() -> Language:
    from threatledger.nlp import load_english

    return load_english()


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("kb")
    return load_kb(Settings(db=":memory:", cache_dir=root / "cache", kb_dir=root / "none"))


def _run(
    nlp: Language, kb: KnowledgeBase, text: str, events: tuple[Event, ...] = ()
) -> dict[str, Vulnerability]:
    sdoc = nlp(text)
    found = extract_vulnerabilities(sdoc, extract_indicators(text), extract_entities(sdoc, kb), events)
    for v in found:
        for m in (*v.mentions, v.product, v.vendor):
            if m is not None:
                assert text[m.start : m.end] == m.text  # every span indexes the text
    return {v.id: v for v in found}


def test_product_after_the_id_and_the_vendor_that_fixed_it(nlp: Language, kb: KnowledgeBase) -> None:
    text = (
        "Microsoft patched CVE-2023-23397, a critical elevation of privilege flaw in Outlook for Windows, on "
        "Tuesday. Fortinet also fixed CVE-2022-40684 in FortiOS."
    )
    found = _run(nlp, kb, text)
    outlook = found["CVE-2023-23397"]
    assert outlook.product is not None and outlook.product.text == "Outlook for Windows"
    assert outlook.vendor is not None and outlook.vendor.text == "Microsoft"
    assert outlook.vendor_entity is not None and outlook.vendor_entity.startswith("entity--")
    fortios = found["CVE-2022-40684"]
    assert fortios.product is not None and fortios.product.text == "FortiOS"
    assert fortios.vendor is not None and fortios.vendor.text == "Fortinet"


def test_product_named_before_the_vulnerability_noun(nlp: Language, kb: KnowledgeBase) -> None:
    text = "Attackers are exploiting the Apache Struts remote code execution vulnerability (CVE-2017-5638) again."
    found = _run(nlp, kb, text)
    struts = found["CVE-2017-5638"]
    assert struts.product is not None and struts.product.text == "Apache Struts"


def test_no_product_or_vendor_where_the_sentence_names_none(nlp: Language, kb: KnowledgeBase) -> None:
    text = (
        "The Log4Shell bug, CVE-2021-44228, was exploited within hours. In May the researchers said "
        "CVE-2021-44228 was still used by many groups, and CVE-2021-45046 too."
    )
    found = _run(nlp, kb, text)
    assert set(found) == {"CVE-2021-44228", "CVE-2021-45046"}
    log4shell = found["CVE-2021-44228"]
    assert len(log4shell.mentions) == 2  # one record per id, every mention kept
    assert found["CVE-2021-45046"].product is None and found["CVE-2021-45046"].vendor is None
    assert log4shell.vendor is None


def test_the_event_models_system_is_used_only_when_it_holds_a_name(nlp: Language, kb: KnowledgeBase) -> None:
    text = "The update closes CVE-2018-11235 for Git users and CVE-2018-11233 in the software."
    git = text.index("Git")
    soft = text.index("the software")

    def event(cve: str, start: int, end: int) -> Event:
        at = text.index(cve)
        args = (
            Argument("cve", at, at + len(cve), cve),
            Argument("vulnerable_system", start, end, text[start:end]),
        )
        return Event("vulnerability-patch", "actual", Mention(4, 10, "update"), args)

    events = (event("CVE-2018-11235", git, git + 3), event("CVE-2018-11233", soft, soft + 12))
    found = _run(nlp, kb, text, events)
    assert found["CVE-2018-11235"].product == Mention(git, git + 3, "Git")
    assert found["CVE-2018-11233"].product is None  # "the software" names no product


def test_a_document_without_cve_ids_has_no_vulnerabilities(nlp: Language, kb: KnowledgeBase) -> None:
    assert _run(nlp, kb, "Version 1.2.3.4 of the product fixed a bug in FortiOS.") == {}
