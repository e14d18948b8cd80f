"""relwatch.sql.array: a column sent as one array literal reads back, on the real server, as
exactly the values psycopg2 would have sent one by one."""

from __future__ import annotations

import datetime as dt
import enum
import math

import numpy as np
import pytest
from django.db import connection

from relwatch.sql import array, columns

pytestmark = pytest.mark.django_db

HOSTILE = [
    "",
    " ",
    "  padded  ",
    "NULL",
    "null",
    '"',
    '""',
    "\\",
    "\\\\",
    '\\"',
    "a,b",
    "{a}",
    "}",
    "{",
    "'; DROP TABLE relations_actor; --",
    '"}, {"',
    "line\nbreak\ttab\rreturn",
    "Хамас заявил «нет»",
    'נתניהו אמר "לא"',
    "قال حماس",
    "emoji 🚀 and combining é",
]


def _read_back(values, kind: str, send=array) -> list:
    """The values as the server reads them back, sent as ``send`` makes them (``list``: as
    psycopg2 adapts a list of its own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value FROM unnest(%s::{kind}[]) WITH ORDINALITY AS a(value, n) ORDER BY n",
            [send(values)],
        )
        return [row[0] for row in cursor.fetchall()]


def test_text_reads_back_exactly_whatever_it_holds():
    values = [*HOSTILE, None]
    assert _read_back(values, "text") == values
    assert _read_back(values, "text") == _read_back(values, "text", send=list)


def test_numbers_read_back_exactly():
    integers = [0, -1, 1, 2**63 - 1, -(2**63), None]
    assert _read_back(integers, "bigint") == integers
    floats = [0.0, -0.0, 0.1, 1 / 3, 1e-300, 1.7976931348623157e308, -2.5, None]
    assert _read_back(floats, "double precision") == floats
    special = _read_back([math.inf, -math.inf, math.nan], "double precision")
    assert special[:2] == [math.inf, -math.inf] and math.isnan(special[2])


def test_dates_booleans_and_subclasses_read_back():
    aware = dt.datetime(2026, 10, 7, 6, 29, 59, 123456, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert _read_back([aware, None], "timestamptz") == [aware, None]
    assert _read_back([dt.date(2023, 10, 7)], "date") == [dt.date(2023, 10, 7)]
    assert _read_back([True, False, None], "boolean") == [True, False, None]

    class Status(enum.StrEnum):
        PENDING = "pending"

    assert _read_back([Status.PENDING, np.int64(7)], "text") == ["pending", "7"]
    assert _read_back([np.int64(-7), np.int32(3)], "bigint") == [-7, 3]


def test_a_row_of_arrays_travels_as_text_and_casts_back():
    rows = [array([1, -2, 3]), array([]), array(["a,b", '"q"'])]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT value::text[] FROM unnest(%s::text[]) WITH ORDINALITY AS a(value, n) "
            "ORDER BY n",
            [array(rows)],
        )
        assert [row[0] for row in cursor.fetchall()] == [["1", "-2", "3"], [], ["a,b", '"q"']]


def test_an_empty_column_is_an_empty_array():
    assert array([]) == "{}"
    assert _read_back([], "text") == []
    assert columns([], width=3) == ["{}", "{}", "{}"]
    assert columns([(1, "a"), (2, None)], width=2) == ["{1,2}", '{"a",NULL}']


def test_a_value_it_cannot_write_is_refused_by_name():
    with pytest.raises(TypeError, match="no array literal for a dict"):
        array([{"a": 1}])
