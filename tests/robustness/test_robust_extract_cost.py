"""Extraction cost regressions that can be checked without a clock."""

from __future__ import annotations

from dataclasses import dataclass

from threatledger.extract import entities


@dataclass
class _Ent:
    label_: str
    start_char: int
    end_char: int


class _CountingDoc:
    """Stands in for a spaCy Doc whose ``text`` property re-joins every token on each access."""

    def __init__(self, text: str, ents: list[_Ent]) -> None:
        self._text = text
        self.ents = ents
        self.text_reads = 0

    @property
    def text(self) -> str:
        self.text_reads += 1
        return self._text


def test_spacy_entities_read_the_document_text_once() -> None:
    # Reading Doc.text per entity made entity extraction quadratic in document length (half the pipeline time
    # on news articles); it is read once per document.
    text = "Acme Widgets said Interpol and Europol worked with police in France and Germany. " * 50
    ents = []
    for offset in range(0, len(text), len(text) // 50):
        for word in ("Acme Widgets", "Interpol", "Europol", "France", "Germany"):
            at = text.index(word, offset)
            label = "GPE" if word in {"France", "Germany"} else "ORG"
            ents.append(_Ent(label, at, at + len(word)))
    doc = _CountingDoc(text, ents)
    found = entities._from_spacy(doc)  # type: ignore[arg-type]
    assert found, "the stand-in entities are found"
    assert doc.text_reads == 1
