"""Files and folders as RawItems: walking order, hidden files, JSON/JSONL articles, size cap, bad input as values."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from threatledger.config import Settings
from threatledger.errors import InputError
from threatledger.model import RawItem
from threatledger.sources.files import iter_items, iter_paths, read_path

ARTICLE = {
    "title": "Agency breached",
    "url": "https://news.example/a",
    "published": "2024-03-05",
    "text": "The agency disclosed a breach.",
    "author": "J. Reporter",
    "publisher": "Example News",
}


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    root = tmp_path / "corpus"
    (root / "sub").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "b.txt").write_text("plain text")
    (root / "a.html").write_text("<html><body><p>page</p></body></html>")
    (root / "sub" / "c.md").write_text("# heading")
    (root / "sub" / "d.pdf").write_bytes(b"%PDF-1.4\n%%EOF\n")
    (root / ".hidden.txt").write_text("secret")
    (root / ".git" / "config.txt").write_text("not an article")
    (root / "e.htm").write_text("<p>x</p>")
    return root


def _settings(tmp_path: Path, **changes: object) -> Settings:
    return dataclasses.replace(Settings(db=str(tmp_path / "db"), cache_dir=tmp_path), **changes)  # type: ignore[arg-type]


def test_folders_are_walked_sorted_without_hidden_entries(corpus: Path) -> None:
    found = list(iter_paths([corpus]))
    assert found == [
        corpus / "a.html",
        corpus / "b.txt",
        corpus / "e.htm",
        corpus / "sub" / "c.md",
        corpus / "sub" / "d.pdf",
    ]


def test_items_carry_content_and_type(corpus: Path, tmp_path: Path) -> None:
    items = list(iter_items([corpus], _settings(tmp_path)))
    assert all(isinstance(i, RawItem) for i in items)
    by_name = {Path(i.locator).name: i for i in items if isinstance(i, RawItem)}
    assert by_name["b.txt"].content == b"plain text"
    assert by_name["b.txt"].content_type == "text/plain"
    assert by_name["a.html"].content_type == "text/html"
    assert by_name["e.htm"].content_type == "text/html"
    assert by_name["c.md"].content_type == "text/markdown"
    assert by_name["d.pdf"].content_type == "application/pdf"
    assert {i.source_kind for i in by_name.values()} == {"file"}


def test_an_explicitly_named_hidden_file_is_read(corpus: Path, tmp_path: Path) -> None:
    (item,) = iter_items([corpus / ".hidden.txt"], _settings(tmp_path))
    assert isinstance(item, RawItem)


def test_errors_are_values_and_the_batch_goes_on(tmp_path: Path) -> None:
    (tmp_path / "big.txt").write_bytes(b"x" * 200)
    (tmp_path / "ok.txt").write_text("fine")
    (tmp_path / "tool.exe").write_bytes(b"MZ")
    results = list(iter_items([tmp_path / "missing.txt", tmp_path], _settings(tmp_path, max_bytes=100)))
    missing, big, ok, exe = results
    assert (
        isinstance(missing, InputError) and "missing.txt" in str(missing) and "no such file" in str(missing)
    )
    assert isinstance(big, InputError)
    assert "big.txt" in str(big) and "200 bytes" in str(big) and "cap of 100 bytes" in str(big)
    assert isinstance(ok, RawItem) and ok.content == b"fine"
    assert isinstance(exe, InputError) and "'.exe'" in str(exe) and ".pdf" in str(exe)


def test_jsonl_one_item_per_line_with_line_locators(tmp_path: Path) -> None:
    path = tmp_path / "articles.jsonl"
    html_article = {"title": "H", "url": "https://news.example/h", "html": "<p>hi</p>"}
    lines = [json.dumps(ARTICLE), "{not json", "", json.dumps({"title": "no body"}), json.dumps(html_article)]
    path.write_text("\n".join(lines) + "\n")
    results = list(iter_items([path], _settings(tmp_path)))
    first, bad, nobody, html = results
    assert isinstance(first, RawItem)
    assert first.locator == f"{path}#1"
    assert first.content == b"The agency disclosed a breach."
    assert first.content_type == "text/plain; charset=utf-8"
    assert (first.title, first.url, first.published, first.author, first.publisher) == (
        "Agency breached",
        "https://news.example/a",
        "2024-03-05",
        "J. Reporter",
        "Example News",
    )
    assert first.source_kind == "json"
    assert isinstance(bad, InputError) and bad.locator == f"{path}#2"
    assert (
        isinstance(nobody, InputError) and nobody.locator == f"{path}#4" and '"text" or "html"' in str(nobody)
    )
    assert (
        isinstance(html, RawItem)
        and html.content_type == "text/html; charset=utf-8"
        and html.locator == f"{path}#5"
    )


@pytest.mark.parametrize(
    "document", [[ARTICLE, ARTICLE], {"articles": [ARTICLE, ARTICLE]}, {"items": [ARTICLE, ARTICLE]}]
)
def test_json_lists_and_wrappers(tmp_path: Path, document: object) -> None:
    path = tmp_path / "articles.json"
    path.write_text(json.dumps(document))
    items = list(read_path(path, _settings(tmp_path)))
    assert [i.locator for i in items if isinstance(i, RawItem)] == [f"{path}#1", f"{path}#2"]


def test_json_single_object_and_bad_json(tmp_path: Path) -> None:
    one, bad, wrong = tmp_path / "one.json", tmp_path / "bad.json", tmp_path / "wrong.json"
    one.write_text(json.dumps(ARTICLE))
    bad.write_text("{")
    wrong.write_text(json.dumps({"title": 3, "text": "body"}))
    (item,) = read_path(one, _settings(tmp_path))
    assert isinstance(item, RawItem) and item.locator == f"{one}#1"
    (error,) = read_path(bad, _settings(tmp_path))
    assert isinstance(error, InputError) and "not valid UTF-8 JSON" in str(error)
    (typed,) = read_path(wrong, _settings(tmp_path))
    assert isinstance(typed, InputError) and "'title' must be a string" in str(typed)
