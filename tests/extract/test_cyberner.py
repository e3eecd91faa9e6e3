from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from threatledger.extract.cyberner import TYPES, CyberNER, main, merge, to_record


def test_absent_model_is_none(tmp_path: Path) -> None:
    assert CyberNER.load(tmp_path) is None
    assert CyberNER.load(tmp_path / "missing") is None


def test_merge_keeps_priority_and_drops_overlaps() -> None:
    heads = {
        "ner_ce": [(0, 6, "MALWARE")],
        "ner_cy": [(0, 6, "MALWARE"), (10, 17, "SYSTEM"), (20, 24, "ORG")],
        "ner_ne": [(10, 15, "ORG"), (30, 35, "LOC")],
    }
    # the general head's organisation wins over the CyNER head's overlapping system; CyNER's ORG is never kept
    assert merge(heads) == [(0, 6, "MALWARE"), (10, 15, "ORG"), (30, 35, "LOC")]
    heads["ner_ne"] = [(30, 35, "LOC")]
    assert merge(heads) == [(0, 6, "MALWARE"), (10, 17, "SYSTEM"), (30, 35, "LOC")]


def test_record_groups_mentions_by_type_and_form() -> None:
    text = "Emotet and Emotet in Italy"
    rec = to_record("d", text, [(0, 6, "MALWARE"), (11, 17, "MALWARE"), (21, 26, "LOC")])
    assert rec["doc_id"] == "d"
    assert [(e["type"], e["name"], len(e["mentions"])) for e in rec["entities"]] == [
        ("malware", "Emotet", 2),
        ("location", "Italy", 1),
    ]


@pytest.fixture(scope="module")
def model() -> CyberNER:
    loaded = CyberNER.load()
    if loaded is None:
        pytest.skip("packaged model files are absent")
    return loaded


def test_spans_index_text(model: CyberNER) -> None:
    text = (
        "TA505 sent emails that delivered the Dridex banking trojan to banks in Germany.\n"
        "The Lazarus Group used Cobalt Strike and Mimikatz against Microsoft Exchange servers."
    )
    spans = model.predict(text)
    assert spans, "the model found nothing in an obvious text"
    for start, end, label in spans:
        assert 0 <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        assert label in TYPES
    assert spans == sorted(spans)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
    assert model.predict("") == []


def test_module_entry_prints_one_record_per_file(
    model: CyberNER, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.txt").write_text("Emotet was spread by TA542 in Italy.", encoding="utf-8")
    (tmp_path / "b.txt").write_text("Nothing here.", encoding="utf-8")
    assert main([str(tmp_path)]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["doc_id"] for r in records] == ["a", "b"]
    for rec in records:
        text = (tmp_path / f"{rec['doc_id']}.txt").read_text(encoding="utf-8")
        for ent in rec["entities"]:
            assert ent["type"] in TYPES.values()
            for m in ent["mentions"]:
                assert text[m["start"] : m["end"]] == m["text"]
