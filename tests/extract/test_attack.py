from __future__ import annotations

from pathlib import Path

import pytest

from threatledger.config import Settings
from threatledger.extract.attack import extract_techniques
from threatledger.knowledge import KnowledgeBase, load_kb


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("kb")
    return load_kb(Settings(db=":memory:", cache_dir=root / "cache", kb_dir=root / "none"))


def test_ids_resolved_to_current(kb: KnowledgeBase) -> None:
    text = "The actor used T1566.001 and T1086; also see T1574.002 and the bogus T9999."
    techs = extract_techniques(text, kb)
    assert [(t.id, t.text) for t in techs] == [
        ("T1566.001", "T1566.001"),
        ("T1059.001", "T1086"),
        ("T1574.001", "T1574.002"),
    ]
    for t in techs:
        assert text[t.start : t.end] == t.text


def test_names(kb: KnowledgeBase) -> None:
    text = "They relied on process hollowing and Spearphishing Attachment, then ran PowerShell scripts."
    ids = {t.id for t in extract_techniques(text, kb)}
    assert {"T1055.012", "T1566.001", "T1059.001"} <= ids


def test_generic_words_are_not_techniques(kb: KnowledgeBase) -> None:
    text = "The report lists IP addresses and domains. The DLL was signed and the screen went dark."
    assert extract_techniques(text, kb) == ()


def test_tram_dev_smoke(shared_data: Path, kb: KnowledgeBase) -> None:
    import json

    files = sorted((shared_data / "tram" / "mjson" / "dev").glob("*.mjson"))[:3]
    if not files:
        pytest.skip("TRAM dev absent")
    for path in files:
        text = json.loads(path.read_text(encoding="utf-8"))["signal"]
        for t in extract_techniques(text, kb):
            assert text[t.start : t.end] == t.text and t.id.startswith("T")
