"""The machine-coded layer: pending (unreviewed) stories, as the analysts' pages draw them
beside the curated events, never inside their numbers.

A pending story is one machine-coded interaction however many articles report it (counting
each article would count the same raid a hundred times). It is dated by the UTC day it was
first seen, scored by its category's default intensity (``relations.categories``: the score
its suggestions carry), and paired as stories pair their actors, rolled up to states and
organisations, whatever the page's roll-up. Accepted stories are curated events already,
and rejected or merged ones are not news: only pending ones make the layer.

Each function reads partial indexes of pending stories (migration 0002_layer_indexes), so its
cost follows the window or pair asked for, not the size of the archive.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from coding.models import ReviewStatus, Story, Suggestion
from ingest.models import Article
from relations.categories import DEFAULT_INTENSITY
from relations.search import websearch_query

PENDING = ReviewStatus.PENDING

# A story's score in SQL: its category's default intensity, from the one table in code.
_SCORE = (
    "CASE s.category "
    + " ".join(f"WHEN '{category}' THEN {score}" for category, score in DEFAULT_INTENSITY.items())
    + " END"
)
# The UTC day a story was first seen: what a chart's date axis and a window compare.
_DAY = "(s.first_seen AT TIME ZONE 'UTC')::date"


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=dt.UTC)


def _window(since: dt.date | None, until: dt.date | None, params: dict) -> str:
    """SQL bounds on first_seen for a window of whole UTC days (the index's column, not an
    expression of it)."""
    clauses = []
    if since is not None:
        clauses.append("s.first_seen >= %(since)s")
        params["since"] = _start_of(since)
    if until is not None:
        clauses.append("s.first_seen < %(until)s")
        params["until"] = _start_of(until + dt.timedelta(days=1))
    return "".join(f" AND {clause}" for clause in clauses)


def pending_stories() -> QuerySet[Story]:
    return Story.objects.filter(status=PENDING)


def stories_in_window(
    stories: QuerySet[Story], since: dt.date | None, until: dt.date | None
) -> QuerySet[Story]:
    if since is not None:
        stories = stories.filter(first_seen__gte=_start_of(since))
    if until is not None:
        stories = stories.filter(first_seen__lt=_start_of(until + dt.timedelta(days=1)))
    return stories


def _pair_rows(window: str) -> str:
    """The pending stories of the pair (a, b) both ways, as two scans of the pair index."""
    columns = f"{_DAY} AS day, s.source_id, {_SCORE} AS score"
    return " UNION ALL ".join(
        f"SELECT {columns} FROM coding_story s WHERE s.status = %(pending)s "
        f"AND s.source_id = %({source})s AND s.target_id = %({target})s{window}"
        for source, target in (("a", "b"), ("b", "a"))
    )


def dyad_series(
    a_id: int,
    b_id: int,
    *,
    bucket: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> dict:
    """The pending stories between a and b per week or month, as
    ``relations.analytics.dyad_series`` shapes its points (periods with stories only: the
    layer is drawn as markers, without lines to bridge quiet periods), and their totals."""
    params: dict = {"a": a_id, "b": b_id, "pending": PENDING, "bucket": bucket}
    sql = f"""
        SELECT to_char(date_trunc(%(bucket)s, day)::date, 'YYYY-MM-DD') AS period,
               round(coalesce(sum(score) FILTER (WHERE source_id = %(a)s), 0)::numeric, 3)::float8,
               round(coalesce(sum(score) FILTER (WHERE source_id = %(b)s), 0)::numeric, 3)::float8,
               count(*) FILTER (WHERE source_id = %(a)s),
               count(*) FILTER (WHERE source_id = %(b)s)
        FROM ({_pair_rows(_window(since, until, params))}) pair_rows
        GROUP BY period ORDER BY period
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    keys = ("period", "a_to_b", "b_to_a", "a_to_b_count", "b_to_a_count")
    points = [dict(zip(keys, row, strict=True)) for row in rows]
    totals = {
        "a_to_b": round(sum(row[1] for row in rows), 3),
        "b_to_a": round(sum(row[2] for row in rows), 3),
        "a_to_b_count": sum(row[3] for row in rows),
        "b_to_a_count": sum(row[4] for row in rows),
    }
    totals["stories"] = totals["a_to_b_count"] + totals["b_to_a_count"]
    return {"points": points, "totals": totals}


def net_score(a_id: int, b_id: int, *, days: int, today: dt.date) -> dict:
    """The net score and count of the pending stories between a and b (both ways) over the
    last ``days`` days up to ``today``, as the overview's curated figures are windowed."""
    params: dict = {"a": a_id, "b": b_id, "pending": PENDING}
    window = _window(today - dt.timedelta(days=days - 1), today, params)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce(sum(score), 0), count(*) FROM ({_pair_rows(window)}) pair_rows",
            params,
        )
        net, count = cursor.fetchone()
    return {"days": days, "net": round(float(net), 3), "count": int(count)}


_GRAPH = """
WITH pairs AS (
    SELECT LEAST(s.source_id, s.target_id) AS low_id,
           GREATEST(s.source_id, s.target_id) AS high_id,
           sum({score}) AS score, count(*) AS stories
    FROM coding_story s
    WHERE s.status = %(pending)s{window}
    GROUP BY 1, 2
),
kept AS (
    SELECT * FROM pairs ORDER BY stories DESC, low_id, high_id LIMIT %(limit)s
)
SELECT (SELECT count(*) FROM pairs),
       (SELECT coalesce(json_agg(json_build_array(lo.slug, hi.slug, lo.name, hi.name,
                                                  round(k.score::numeric, 3), k.stories)
                                 ORDER BY k.stories DESC, k.low_id, k.high_id), '[]')
        FROM kept k
        JOIN relations_actor lo ON lo.id = k.low_id
        JOIN relations_actor hi ON hi.id = k.high_id)
"""


def graph_edges(*, since: dt.date | None, until: dt.date | None, limit: int) -> dict:
    """The pairs of pending stories in a window, busiest first (at most ``limit``), each
    with its net score (both ways) and number of stories; ``edges_total`` before the limit."""
    params: dict = {"pending": PENDING, "limit": limit}
    sql = _GRAPH.format(score=_SCORE, window=_window(since, until, params))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        total, edges = cursor.fetchone()
    return {
        "edges": [
            {
                "source": source,
                "target": target,
                "source_name": source_name,
                "target_name": target_name,
                "net_score": float(score),
                "count": int(stories),
            }
            for source, target, source_name, target_name, score, stories in edges
        ],
        "edges_total": int(total),
    }


def matching_stories(
    *,
    actor_ids: Iterable[int] = (),
    match_all: bool = False,
    kinds: Iterable[str] = (),
    categories: Iterable[str] = (),
    since: dt.date | None = None,
    until: dt.date | None = None,
    search: str = "",
) -> QuerySet[Story]:
    """Pending stories as the timeline's filters select events: an actor is the story's
    source or target; a search looks in the titles and summaries of its articles (the
    articles' own full-text index)."""
    stories = stories_in_window(pending_stories(), since, until)
    actor_ids = list(actor_ids)
    if actor_ids and match_all:
        for actor_id in actor_ids:
            stories = stories.filter(Q(source_id=actor_id) | Q(target_id=actor_id))
    elif actor_ids:
        stories = stories.filter(Q(source_id__in=actor_ids) | Q(target_id__in=actor_ids))
    if kinds := list(kinds):
        stories = stories.filter(kind__in=kinds)
    if categories := list(categories):
        stories = stories.filter(category__in=categories)
    if search.strip():
        # The same expression as ingest's GIN index "article_search", which serves it.
        found = Article.objects.annotate(
            search=SearchVector("title", "summary", config="simple")
        ).filter(search=websearch_query(search.strip()))
        stories = stories.filter(
            Exists(Suggestion.objects.filter(story=OuterRef("pk"), article__in=found))
        )
    return stories.order_by("-first_seen", "-id")


def story_score(category: str) -> float:
    """A story's score, as the layer's SQL reads it."""
    return DEFAULT_INTENSITY.get(category, 0.0)


def best_evidence(story_ids: Iterable[int]) -> dict[int, Suggestion]:
    """Each story's most confident suggestion (its best evidence sentence) with its article
    and feed, in one query."""
    story_ids = list(story_ids)
    if not story_ids:
        return {}
    suggestions = (
        Suggestion.objects.filter(story_id__in=story_ids)
        .select_related("article__feed")
        .only(
            "id",
            "story_id",
            "quote",
            "cue",
            "confidence",
            "article__id",
            "article__url",
            "article__title",
            "article__language",
            "article__feed__id",
            "article__feed__title",
            "article__feed__url",
        )
        .order_by("story_id", "-confidence", "id")
        .distinct("story_id")
    )
    return {suggestion.story_id: suggestion for suggestion in suggestions}
