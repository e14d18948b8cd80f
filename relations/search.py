"""Full-text search over events (PostgreSQL, GIN-indexed ``Event.search_vector``).

The vector covers the title (weight A), the summary (B), and the statement's quote, the
allegation's claim and the sources' quotes (C). Texts come in English, Russian, Hebrew and
Arabic, so each is indexed twice: with the 'simple' configuration (exact words in any
script) and with 'russian', whose parser stems Cyrillic words with the Russian stemmer and
Latin ones with the English stemmer ("condemned" finds "condemns"). A query matches when
either reading of it does, which keeps the GIN index usable.

relations.signals refreshes an event's vector after each commit that changes it or its
sources; bulk loaders call ``refresh_search_vectors()`` once at the end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import QuerySet

MAX_QUERY_LENGTH = 200
# websearch_to_tsquery reads each hyphen of a run such as "---x" or "-!-(-x" as one more NOT on a
# parser stack of 32 entries, and fails past it ("tsquery stack too small"). A run is read as
# one NOT, as a person typing it means.
_STACKED_NOTS = re.compile(r"-[^\w-]*(?=-)")
# A letter or a digit: without one a query has no word to look for (only operators).
_WORD = re.compile(r"[^\W_]")
CONFIGS = ("simple", "russian")

_DOCUMENT = " || ".join(
    f"setweight(to_tsvector('{config}', {{text}}), '{{weight}}')" for config in CONFIGS
)

_UPDATE_VECTORS = f"""
UPDATE relations_event e
SET search_vector = {_DOCUMENT.format(text="coalesce(e.title, '')", weight="A")}
    || {_DOCUMENT.format(text="coalesce(e.summary, '')", weight="B")}
    || {_DOCUMENT.format(text="parts.body", weight="C")}
FROM (
    SELECT ev.id,
           concat_ws(' ', st.quote, al.claim,
                     (SELECT string_agg(s.quote, ' ' ORDER BY s.id)
                      FROM relations_source s WHERE s.event_id = ev.id)) AS body
    FROM relations_event ev
    LEFT JOIN relations_statement st ON st.event_ptr_id = ev.id
    LEFT JOIN relations_allegation al ON al.event_ptr_id = ev.id
    WHERE {{where}}
) parts
WHERE e.id = parts.id
"""


def refresh_search_vectors(event_ids: Iterable[int] | None = None) -> int:
    """Recompute the search vectors of these events (all events when None)."""
    with connection.cursor() as cursor:
        if event_ids is None:
            cursor.execute(_UPDATE_VECTORS.format(where="true"))
        else:
            ids = sorted(set(event_ids))
            if not ids:
                return 0
            cursor.execute(_UPDATE_VECTORS.format(where="ev.id = ANY(%s)"), [ids])
        return cursor.rowcount


def plain_websearch(text: str) -> str:
    """``text`` as websearch_to_tsquery can always read it: a run of hyphens becomes one."""
    return _STACKED_NOTS.sub("", text)


def has_words(text: str) -> bool:
    """Whether ``text`` holds something to search for besides operators and punctuation."""
    return bool(_WORD.search(text))


def websearch_query(text: str) -> SearchQuery:
    """A search-engine style query ("quoted phrase", or, -not) read in every configuration."""
    text = plain_websearch(text)
    query = SearchQuery(text, search_type="websearch", config=CONFIGS[0])
    for config in CONFIGS[1:]:
        query |= SearchQuery(text, search_type="websearch", config=config)
    return query


def search_events(queryset: QuerySet, text: str) -> QuerySet:
    """Events of ``queryset`` matching ``text``; a blank text filters nothing."""
    text = (text or "").strip()
    if not text:
        return queryset
    if len(text) > MAX_QUERY_LENGTH:
        raise ValueError(f"A search may be at most {MAX_QUERY_LENGTH} characters long.")
    return queryset.filter(search_vector=websearch_query(text))
