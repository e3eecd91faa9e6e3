"""decode_bytes and clean_text on real encodings, binary junk and arbitrary bytes."""

from __future__ import annotations

import codecs
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threatledger.errors import InputError
from threatledger.normalise.text import clean_text, declared_charset, decode_bytes, guess_language, is_binary

SAMPLE = "Le pare-feu a été contourné : « l’attaque » a coûté 5 000 € — selon l’ANSSI.\nDeuxième ligne."


@pytest.mark.parametrize(
    ("data", "charset"),
    [
        (SAMPLE.encode("utf-8"), None),
        (codecs.BOM_UTF8 + SAMPLE.encode("utf-8"), None),
        (SAMPLE.encode("utf-16"), None),  # with BOM
        (SAMPLE.encode("utf-16-le"), None),  # no BOM
        (SAMPLE.encode("utf-16-be"), None),  # no BOM
        (SAMPLE.encode("utf-32"), None),
        (SAMPLE.encode("cp1252"), "windows-1252"),
        (SAMPLE.encode("cp1252"), "ISO-8859-1"),  # Latin-1 labels mean windows-1252 on the web
        (SAMPLE.encode("cp1252"), None),
    ],
)
def test_round_trips(data: bytes, charset: str | None) -> None:
    assert decode_bytes(data, "sample", charset) == SAMPLE


def test_latin1_without_declaration() -> None:
    text = "Der Angriff auf die Behörde wurde im März entdeckt; die Täter sind unbekannt. Größere Schäden blieben aus."
    assert decode_bytes(text.encode("latin-1"), "de.txt") == text


def test_cyrillic_detection_is_kept() -> None:
    text = "Атака на агентство была обнаружена в марте, злоумышленники пока неизвестны."
    assert decode_bytes(text.encode("cp1251"), "ru.txt") == text


def test_wrong_declaration_falls_back_to_detection() -> None:
    assert (
        decode_bytes("naïve café".encode(), "x", "us-ascii") == "naÃ¯ve cafÃ©"
    )  # declared wins when it decodes
    assert decode_bytes("naïve café".encode(), "x", "no-such-charset") == "naïve café"


def test_binary_junk_is_refused() -> None:
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(4096))
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(512)
    for data in (junk, png, b"\x7fELF\x02\x01\x01" + bytes(200)):
        with pytest.raises(InputError, match="binary file") as caught:
            decode_bytes(data, "junk.bin")
        assert "junk.bin" in str(caught.value)
    assert is_binary(png)
    assert not is_binary(SAMPLE.encode("utf-8"))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=512), st.sampled_from([None, "utf-8", "cp1252", "shift_jis", "bogus"]))
def test_never_crashes_on_bytes(data: bytes, charset: str | None) -> None:
    try:
        assert isinstance(decode_bytes(data, "fuzz", charset), str)
    except InputError as exc:
        assert "binary file" in str(exc)


def test_clean_text_only_touches_newlines_nul_and_bom() -> None:
    assert clean_text("\ufeffa\r\nb\rc\n\x00d\t e  ") == "a\nb\nc\nd\t e  "


def test_declared_charset() -> None:
    assert declared_charset("text/html; charset=ISO-8859-1") == "ISO-8859-1"
    assert declared_charset("text/html", b'<html><head><meta charset="shift_jis">') == "shift_jis"
    assert (
        declared_charset(None, b'<meta http-equiv="Content-Type" content="text/html; charset=koi8-r">')
        == "koi8-r"
    )
    assert declared_charset(None, b'<?xml version="1.0" encoding="windows-1251"?>') == "windows-1251"
    assert declared_charset("text/plain") is None


@pytest.mark.parametrize(
    ("text", "language"),
    [
        (
            "The attackers used a flaw in the software that was patched in March and the agency is still investigating.",
            "en",
        ),
        (
            "Die Angreifer nutzten eine Lücke in der Software, die im März geschlossen wurde, und das Amt ist nicht sicher.",
            "de",
        ),
        (
            "Les attaquants ont utilisé une faille dans le logiciel qui a été corrigée en mars et une enquête est en cours pour les identifier.",
            "fr",
        ),
        ("攻撃者は三月に修正されたソフトウェアの脆弱性を悪用した。", None),
        ("", None),
    ],
)
def test_guess_language(text: str, language: str | None) -> None:
    assert guess_language(text) == language
