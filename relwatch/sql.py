"""A column of values for a bulk statement, sent to PostgreSQL as one array literal.

The bulk writes and probes (articles and mentions in ingest, suggestions and stories in
coding) pass a batch as one array per column, read by ``unnest(%s::bigint[], %s::text[], ...)``.
Given a Python list, psycopg2 writes ``ARRAY['a', 'b', ...]``: it adapts and quotes every value
on its own (about 2 µs a value), and the server then parses one expression per element; a
batch of suggestions spent more time so than in the insert itself. ``array(values)`` writes the
column as one string in PostgreSQL's array syntax (``{"a","b",NULL}``), which psycopg2 quotes
once and the statement's cast (``%s::text[]``) reads in C. The statement must cast: the
literal has no type of its own.

Every text element is double-quoted with its backslashes and double quotes escaped, so no
value can end its element or the array early (tested with hostile strings on a real server).
"""

from __future__ import annotations

import datetime as dt
import numbers
from collections.abc import Callable, Iterable


def array(values: Iterable) -> str:
    """``values`` as a PostgreSQL array literal, for a parameter cast to an array type.

    Elements: ``None`` (NULL), ``str``, ``int``, ``float``, ``bool``, dates and datetimes
    (ISO 8601, with the offset an aware datetime carries), and strings already holding an
    array literal (one row's array, for an ``unnest(%s::text[])`` cast to ``bigint[]``
    after)."""
    return "{" + ",".join([_element(value) for value in values]) + "}"


def columns(rows: Iterable[tuple], width: int) -> list[str]:
    """Rows of ``width`` values as one array literal per column (``width`` empty arrays for
    no rows)."""
    return [array(column) for column in zip(*rows, strict=True)] or ["{}"] * width


def _text(value: str) -> str:
    if '"' in value or "\\" in value:
        value = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + value + '"'


def _iso(value: dt.date) -> str:
    return '"' + value.isoformat() + '"'


_FORMATS: dict[type, Callable[[object], str]] = {
    str: _text,
    int: int.__repr__,
    float: float.__repr__,  # exact; "inf", "-inf" and "nan" read back as themselves
    bool: lambda value: "t" if value else "f",
    type(None): lambda _value: "NULL",
    dt.datetime: _iso,
    dt.date: _iso,
}


def _element(value: object) -> str:
    format_value = _FORMATS.get(type(value))
    if format_value is not None:
        return format_value(value)
    # Subclasses: a TextChoices member, a numpy integer, an aware datetime's subclass...
    if isinstance(value, str):
        return _text(str.__str__(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        return repr(float(value))
    if isinstance(value, dt.date):
        return _iso(value)
    raise TypeError(f"no array literal for a {type(value).__name__}: {value!r}")
