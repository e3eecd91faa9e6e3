"""The dialect bridge: run the SQLite store's portable SQL on a psycopg 3 connection.

The SQLite backend is the reference. Its statements are written for SQLite; most are also PostgreSQL, and the rest
differ in a handful of mechanical ways, each rewritten here in one visible rule (:func:`to_postgres`):

1. placeholders: ``?`` becomes ``%s`` (and a literal ``%`` becomes ``%%``);
2. ``INSERT OR IGNORE`` becomes ``INSERT ... ON CONFLICT DO NOTHING``;
3. ``INSERT OR REPLACE`` becomes ``INSERT ... ON CONFLICT (key) DO UPDATE SET`` every other column (the key of
   each table is listed in ``REPLACE_KEYS``; an unlisted table is an error, not a guess);
4. in an upsert's ``SET``, the two-argument scalar ``min(a, b)`` / ``max(a, b)`` become ``LEAST`` / ``GREATEST``,
   and a bare column name (the existing row) is qualified with the table name, as PostgreSQL requires;
5. ``ORDER BY`` terms get ``NULLS FIRST`` (ascending) or ``NULLS LAST`` (descending), because SQLite sorts NULL
   as the smallest value and PostgreSQL as the largest; with this, both backends list rows in the same order.

Statements whose meaning differs (full-text search, the duplicate check of ``save_document``, migrations) are not
translated: the PostgreSQL store overrides those methods with its own SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from threatledger.errors import StoreError

if TYPE_CHECKING:
    import psycopg

__all__ = ["REPLACE_KEYS", "PgConnection", "Row", "to_postgres"]

# conflict key of each table written with INSERT OR REPLACE by the shared SQL
REPLACE_KEYS: dict[str, tuple[str, ...]] = {
    "extractions": ("doc_id",),
    "incident_reports": ("report_id",),
    "claims": ("id",),
    "doc_signatures": ("doc_id",),
}

_TOKEN = re.compile(r"'(?:[^']|'')*'|\"[^\"]*\"|\?|%|\w+|\s+|.", re.DOTALL)
_REPLACE = re.compile(r"INSERT\s+OR\s+REPLACE\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_IGNORE = re.compile(r"INSERT\s+OR\s+IGNORE\s+INTO", re.IGNORECASE)
_UPSERT_SET = re.compile(r"\bDO\s+UPDATE\s+SET\b", re.IGNORECASE)
_INSERT_INTO = re.compile(r"INSERT\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)
_ORDER_END = {"LIMIT", "OFFSET", "FOR", "UNION", "EXCEPT", "INTERSECT"}


class Row(dict[str, Any]):
    """A result row readable by column name and by position, like ``sqlite3.Row``; ``dict(row)`` works."""

    __slots__ = ("_values",)

    def __init__(self, names: Sequence[str], values: Sequence[Any]) -> None:
        super().__init__(zip(names, values, strict=True))
        self._values = tuple(values)

    def __getitem__(self, key: str | int) -> Any:  # type: ignore[override]
        if isinstance(key, int):
            return self._values[key]
        return super().__getitem__(key)


def _row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    names = [c.name for c in cursor.description or ()]

    def make(values: Sequence[Any]) -> Row:
        return Row(names, values)

    return make


def to_postgres(sql: str) -> str:
    """An SQLite statement (``?`` placeholders) as PostgreSQL (``%s`` placeholders); see the module rules."""
    conflict = ""
    replace = _REPLACE.search(sql)
    if replace:
        table, columns = replace.group(1), [c.strip() for c in replace.group(2).split(",")]
        key = REPLACE_KEYS.get(table)
        if key is None:
            raise StoreError(
                f"no conflict key known for INSERT OR REPLACE INTO {table}; add it to REPLACE_KEYS"
            )
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in key)
        sql = sql[: replace.start()] + f"INSERT INTO {table}({replace.group(2)})" + sql[replace.end() :]
        conflict = f" ON CONFLICT ({', '.join(key)}) DO " + (
            f"UPDATE SET {updates}" if updates else "NOTHING"
        )
    elif _IGNORE.search(sql):
        sql = _IGNORE.sub("INSERT INTO", sql, count=1)
        conflict = " ON CONFLICT DO NOTHING"
    sql = _upsert_set(sql)
    tokens = _TOKEN.findall(sql)
    out: list[str] = []
    for token in tokens:
        if token == "?":
            out.append("%s")
        elif token == "%" or token.startswith("'"):
            out.append(token.replace("%", "%%"))
        else:
            out.append(token)
    return _nulls_like_sqlite(out) + conflict


def _upsert_set(sql: str) -> str:
    match = _UPSERT_SET.search(sql)
    target = _INSERT_INTO.search(sql)
    if not match or not target:
        return sql
    head, tail = sql[: match.end()], sql[match.end() :]
    tail = re.sub(r"\bmin\(", "LEAST(", tail, flags=re.IGNORECASE)
    tail = re.sub(r"\bmax\(", "GREATEST(", tail, flags=re.IGNORECASE)
    table, columns = target.group(1), {c.strip().strip('"') for c in target.group(2).split(",")}

    def qualify(word: re.Match[str]) -> str:
        return f"{table}.{word.group(1)}" if word.group(1) in columns else word.group(0)

    # a bare column read on the right of `=` is the existing row: PostgreSQL wants it qualified
    tail = re.sub(r"(?<![.\w])(\w+)\b(?!\s*(?:=|\())", qualify, tail)
    return head + tail


def _nulls_like_sqlite(tokens: list[str]) -> str:
    """Append NULLS FIRST/LAST to every ORDER BY term (rule 5)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        out.append(token)
        if token.upper() == "ORDER" and _next_word(tokens, i + 1).upper() == "BY":
            # copy up to and including BY
            i += 1
            while tokens[i].upper() != "BY":
                out.append(tokens[i])
                i += 1
            out.append(tokens[i])
            i = _order_terms(tokens, i + 1, out)
            continue
        i += 1
    return "".join(out)


def _next_word(tokens: list[str], i: int) -> str:
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    return tokens[i] if i < len(tokens) else ""


def _order_terms(tokens: list[str], i: int, out: list[str]) -> int:
    depth = 0
    term: list[str] = []

    def flush() -> None:
        words = [t.upper() for t in term if not t.isspace()]
        text = "".join(term).rstrip()
        trailing = "".join(term)[len(text) :]
        if words and "NULLS" not in words:
            text += " NULLS LAST" if words[-1] == "DESC" else " NULLS FIRST"
        out.append(text + trailing)
        term.clear()

    while i < len(tokens):
        token = tokens[i]
        if token == "(":
            depth += 1
        elif token == ")":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and (token == "," or token.upper() in _ORDER_END or token == ";"):
            flush()
            if token != ",":
                return i
            out.append(token)
            i += 1
            continue
        term.append(token)
        i += 1
    flush()
    return i


class PgConnection:
    """The part of the ``sqlite3.Connection`` API the shared store SQL uses, over a psycopg connection."""

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self._translated: dict[str, str] = {}

    def _sql(self, sql: str) -> str:
        translated = self._translated.get(sql)
        if translated is None:
            translated = self._translated[sql] = to_postgres(sql)
        return translated

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor(row_factory=_row_factory)
        cursor.execute(self._sql(sql), tuple(params))
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor(row_factory=_row_factory)
        rows = list(rows)
        if rows:
            cursor.executemany(self._sql(sql), rows)
        return cursor

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        with self.raw.transaction():
            yield self

    def close(self) -> None:
        self.raw.close()
