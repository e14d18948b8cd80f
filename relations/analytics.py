"""Relationship analytics: dyad series, the relations graph, the heatmap, net scores.

Every chart reads the pre-aggregated ``DyadDay`` table (one row per directed pair, day and
roll-up flag, over published events only), never raw interactions, so its cost follows the
window asked for, not the size of the archive. ``refresh_dyad_days`` recomputes whole days
from the source tables, with each of their events' rolled-up contribution to each pair
(``PairContribution``, which the monthly brief ranks events by) and their months' rolled-up
pair totals (``PairMonth``, which it judges pairs by); relations.signals calls it
after each commit that changes an event, an interaction or an affiliation. Bulk loaders that
bypass signals (COPY, bulk_create) call ``rebuild_dyad_days()`` once at the end.

In tests, the refresh runs on commit: wrap writes in
``django_capture_on_commit_callbacks(execute=True)`` or call ``rebuild_dyad_days()``.

Roll-up: a person or a government body counts as its parent by the affiliation valid on the
event's date (the latest-starting one if several hold), followed upwards through further
persons and government bodies, so Lavrov → Russian Foreign Ministry → Russia, and
Netanyahu's events of 2021–2022, when he held no office, stay his own. States,
organisations, armed groups and international bodies never roll up. A pair that rolls up
into one actor (a minister and their ministry) is dropped from roll-up rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from relations.models import Actor, Event

BUCKETS = ("week", "month")
# How far the net score of the last N days must move from the N days before to be a trend,
# in score points (one CONSULT is +2.1, one ACCUSE −2.0).
TREND_THRESHOLD = 1.0
ROLLING_KINDS = (Actor.Kind.PERSON, Actor.Kind.GOVERNMENT_BODY)
HEATMAP_DEFAULT_SIZE = 12


# ---------------------------------------------------------------------------------------
# Keeping DyadDay current
# ---------------------------------------------------------------------------------------

# The published interactions of the selected days, each endpoint with its rolled-up actor.
# {where} selects events (on "e"); parameters follow the caller's order. Public: the alerts'
# matching and the monthly brief read interactions the way the dyad days are built.
ROLLED_INTERACTIONS = """
WITH RECURSIVE raw AS (
    SELECT e.id AS event_id, e.date AS day, i.source_id, i.target_id, i.score
    FROM relations_interaction i
    JOIN relations_event e ON e.id = i.event_id
    WHERE e.status = 'published' AND {where}
),
endpoints AS (
    SELECT day, source_id AS actor_id FROM raw
    UNION
    SELECT day, target_id FROM raw
),
chain(day, origin_id, actor_id, depth) AS (
    SELECT day, actor_id, actor_id, 0 FROM endpoints
    UNION ALL
    SELECT c.day, c.origin_id, up.parent_id, c.depth + 1
    FROM chain c
    CROSS JOIN LATERAL (
        SELECT a.parent_id
        FROM relations_affiliation a
        JOIN relations_actor child ON child.id = a.actor_id
        WHERE a.actor_id = c.actor_id
          AND child.kind IN %(rolling_kinds)s
          AND (a.start_date IS NULL OR a.start_date <= c.day)
          AND (a.end_date IS NULL OR a.end_date >= c.day)
        ORDER BY a.start_date DESC NULLS LAST, a.id
        LIMIT 1
    ) up
) CYCLE actor_id SET is_cycle USING path,
rolled AS (
    SELECT DISTINCT ON (day, origin_id) day, origin_id, actor_id
    FROM chain
    WHERE NOT is_cycle
    ORDER BY day, origin_id, depth DESC
),
interactions AS (
    SELECT raw.event_id, raw.day, raw.source_id, raw.target_id, raw.score,
           rs.actor_id AS rolled_source_id, rt.actor_id AS rolled_target_id
    FROM raw
    JOIN rolled rs ON rs.day = raw.day AND rs.origin_id = raw.source_id
    JOIN rolled rt ON rt.day = raw.day AND rt.origin_id = raw.target_id
)
"""

# Aggregates "interactions" into DyadDay rows, raw and rolled up.
_INSERT_DYAD_DAYS = """
, flat AS (
    SELECT event_id, day, source_id, target_id, score, false AS rollup FROM interactions
    UNION ALL
    SELECT event_id, day, rolled_source_id, rolled_target_id, score, true FROM interactions
    WHERE rolled_source_id <> rolled_target_id AND {rollup_wanted}
),
directed AS (
    SELECT day, source_id, target_id, rollup, sum(score) AS score_sum,
           count(*) AS interaction_count, count(DISTINCT event_id) AS event_count
    FROM flat WHERE {flat_wanted}
    GROUP BY day, source_id, target_id, rollup
),
pairs AS (
    SELECT day, LEAST(source_id, target_id) AS low_id, GREATEST(source_id, target_id) AS high_id,
           rollup, count(DISTINCT event_id) AS pair_event_count
    FROM flat WHERE {flat_wanted}
    GROUP BY 1, 2, 3, 4
)
INSERT INTO relations_dyadday
    (day, source_id, target_id, rollup, score_sum, interaction_count, event_count,
     pair_event_count)
SELECT d.day, d.source_id, d.target_id, d.rollup, d.score_sum, d.interaction_count,
       d.event_count,
       -- The pair's events sit on one of its two rows only, so sums count each event once.
       CASE WHEN d.source_id < d.target_id OR r.source_id IS NULL
            THEN p.pair_event_count ELSE 0 END
FROM directed d
JOIN pairs p ON p.day = d.day AND p.rollup = d.rollup
    AND p.low_id = LEAST(d.source_id, d.target_id)
    AND p.high_id = GREATEST(d.source_id, d.target_id)
LEFT JOIN directed r ON r.day = d.day AND r.rollup = d.rollup
    AND r.source_id = d.target_id AND r.target_id = d.source_id
"""


# Each event's contribution to each rolled-up pair (PairContribution), from "interactions":
# a data-modifying CTE, so the days' roll-up is computed once for both tables.
_INSERT_PAIR_CONTRIBUTIONS = """
, pair_contributions AS (
    INSERT INTO relations_paircontribution
        (event_id, low_id, high_id, date, month, contribution, allegation)
    SELECT i.event_id, LEAST(i.rolled_source_id, i.rolled_target_id),
           GREATEST(i.rolled_source_id, i.rolled_target_id), i.day,
           date_trunc('month', i.day::timestamp)::date, sum(i.score), e.kind = 'allegation'
    FROM interactions i
    JOIN relations_event e ON e.id = i.event_id
    WHERE i.rolled_source_id <> i.rolled_target_id
    GROUP BY 1, 2, 3, 4, e.kind
)
"""


# The PairMonth rows of the months that hold any of %(days)s, from their DyadDay roll-up
# rows (read through the (rollup, day) covering index, a month at a time).
_REFRESH_PAIR_MONTHS = """
WITH months AS (
    SELECT DISTINCT date_trunc('month', day::timestamp)::date AS month
    FROM unnest(%(days)s::date[]) AS d(day)
)
INSERT INTO relations_pairmonth (low_id, high_id, month, net, interactions, events)
SELECT LEAST(d.source_id, d.target_id), GREATEST(d.source_id, d.target_id), m.month,
       sum(d.score_sum), sum(d.interaction_count), sum(d.pair_event_count)
FROM months m
JOIN relations_dyadday d ON d.rollup AND d.day >= m.month
    AND d.day < (m.month + interval '1 month')::date
GROUP BY 1, 2, 3
"""

_REBUILD_PAIR_MONTHS = """
INSERT INTO relations_pairmonth (low_id, high_id, month, net, interactions, events)
SELECT LEAST(source_id, target_id), GREATEST(source_id, target_id),
       date_trunc('month', day::timestamp)::date, sum(score_sum), sum(interaction_count),
       sum(pair_event_count)
FROM relations_dyadday
WHERE rollup
GROUP BY 1, 2, 3
"""


def rolling_kinds() -> tuple[str, ...]:
    """The actor kinds rolled up to their parent (the ``rolling_kinds`` parameter of
    ROLLED_INTERACTIONS)."""
    return tuple(str(kind) for kind in ROLLING_KINDS)


# The advisory lock refresh_dyad_days and rebuild_dyad_days hold (two keys, "RW" and 1: apart
# from the one-key locks the coding stage takes per pair).
REFRESH_LOCK = (0x5257, 1)


def refresh_dyad_days(days: Iterable[dt.date], *, rollup_only: bool = False) -> None:
    """Recompute the DyadDay rows of these days, their events' PairContribution rows and
    their months' PairMonth rows, from events, interactions and affiliations."""
    days = sorted(set(days))
    if not days:
        return
    rollup_filter = "rollup" if rollup_only else "true"
    with transaction.atomic(), connection.cursor() as cursor:
        # One refresh at a time, to the end of the transaction: two refreshing days of one
        # month would each delete the month's PairMonth rows and insert them again, and the
        # second, not seeing the first's rows, would break the unique key (or, on days of
        # their own, sum a month from DyadDay rows the other has not yet committed).
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", REFRESH_LOCK)
        cursor.execute(
            "DELETE FROM relations_dyadday WHERE day = ANY(%(days)s)"
            + (" AND rollup" if rollup_only else ""),
            {"days": days},
        )
        # Contributions are rolled up: recomputed whatever ``rollup_only`` says. Also by
        # event, in case an event moved here from a day that is not refreshed.
        cursor.execute(
            "DELETE FROM relations_paircontribution WHERE date = ANY(%(days)s) "
            "OR event_id IN (SELECT id FROM relations_event WHERE date = ANY(%(days)s))",
            {"days": days},
        )
        cursor.execute(
            ROLLED_INTERACTIONS.format(where="e.date = ANY(%(days)s)")
            + _INSERT_PAIR_CONTRIBUTIONS
            + _INSERT_DYAD_DAYS.format(rollup_wanted="true", flat_wanted=rollup_filter),
            {"days": days, "rolling_kinds": rolling_kinds()},
        )
        cursor.execute(
            "DELETE FROM relations_pairmonth WHERE month IN "
            "(SELECT DISTINCT date_trunc('month', day::timestamp)::date "
            "FROM unnest(%(days)s::date[]) AS d(day))",
            {"days": days},
        )
        cursor.execute(_REFRESH_PAIR_MONTHS, {"days": days})


def rebuild_dyad_days() -> None:
    """Recompute the whole table, and PairContribution's and PairMonth's (after a bulk load
    that sent no signals)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", REFRESH_LOCK)
        cursor.execute("DELETE FROM relations_dyadday")
        cursor.execute("DELETE FROM relations_paircontribution")
        cursor.execute(
            ROLLED_INTERACTIONS.format(where="true")
            + _INSERT_PAIR_CONTRIBUTIONS
            + _INSERT_DYAD_DAYS.format(rollup_wanted="true", flat_wanted="true"),
            {"rolling_kinds": rolling_kinds()},
        )
        cursor.execute("DELETE FROM relations_pairmonth")
        cursor.execute(_REBUILD_PAIR_MONTHS)


def rebuild_pair_months() -> None:
    """Recompute the PairMonth table alone, from the DyadDay rows (the migration that made
    it fills it)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM relations_pairmonth")
        cursor.execute(_REBUILD_PAIR_MONTHS)


def rebuild_pair_contributions() -> None:
    """Recompute the PairContribution table alone (the migration that made it fills it)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM relations_paircontribution")
        cursor.execute(
            ROLLED_INTERACTIONS.format(where="true") + _INSERT_PAIR_CONTRIBUTIONS + "SELECT 1",
            {"rolling_kinds": rolling_kinds()},
        )


def days_affected_by_affiliations(actor_ids: Iterable[int]) -> list[dt.date]:
    """Days whose roll-up may change when these actors' affiliations change.

    That is every day with a published interaction of the actor or of anyone who rolls up
    through it (its members, at any date: a superset is cheap and safe).
    """
    actor_ids = sorted(set(actor_ids))
    if not actor_ids:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH RECURSIVE below(actor_id) AS (
                SELECT unnest(%(actors)s::bigint[])
                UNION
                SELECT a.actor_id FROM relations_affiliation a JOIN below b
                    ON a.parent_id = b.actor_id
            )
            SELECT DISTINCT e.date
            FROM relations_interaction i
            JOIN relations_event e ON e.id = i.event_id
            WHERE e.status = 'published'
              AND (i.source_id IN (SELECT actor_id FROM below)
                   OR i.target_id IN (SELECT actor_id FROM below))
            """,
            {"actors": actor_ids},
        )
        return [row[0] for row in cursor.fetchall()]


def event_days(event_ids: Iterable[int]) -> list[dt.date]:
    event_ids = sorted(set(event_ids))
    if not event_ids:
        return []
    return list(Event.objects.filter(pk__in=event_ids).values_list("date", flat=True).distinct())


# ---------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------


def _window_sql(since: dt.date | None, until: dt.date | None, params: dict) -> str:
    clauses = []
    if since is not None:
        clauses.append("day >= %(since)s")
        params["since"] = since
    if until is not None:
        clauses.append("day <= %(until)s")
        params["until"] = until
    return "".join(f" AND {clause}" for clause in clauses)


def _pair_rows(window: str) -> str:
    """The DyadDay rows of the pair (a, b) both ways, as two index-only scans of the pair
    index (an OR of the two directions would read the table's scattered rows instead)."""
    columns = "day, source_id, score_sum, interaction_count, pair_event_count"
    return " UNION ALL ".join(
        f"SELECT {columns} FROM relations_dyadday WHERE rollup = %(rollup)s "
        f"AND source_id = %({source})s AND target_id = %({target})s{window}"
        for source, target in (("a", "b"), ("b", "a"))
    )


# 23 years of weeks, a century of months. One event dated decades ahead once filled a
# weekly series with every empty week up to it: 165 MB for one pair page.
MAX_SERIES_PERIODS = 1200


def _round(value: float | None) -> float:
    return round(value or 0.0, 3)


def dyad_series(
    a: Actor,
    b: Actor,
    *,
    bucket: str = "week",
    since: dt.date | None = None,
    until: dt.date | None = None,
    rollup: bool = False,
) -> dict:
    """Scores from a to b and from b to a, and the count of events, per week or month.

    Periods between the first and last one with data are present with zeros, so a line
    does not bridge a quiet stretch. A period is named by its first day (Monday for weeks).
    At most the latest MAX_SERIES_PERIODS periods are returned, whatever the data spans: a
    window (since, until) reaches earlier ones.
    """
    if bucket not in BUCKETS:
        raise ValueError(f"bucket must be one of {', '.join(BUCKETS)}")
    params = {
        "a": a.pk,
        "b": b.pk,
        "rollup": rollup,
        "bucket": bucket,
        "step": f"1 {bucket}",
        "max_periods": MAX_SERIES_PERIODS,
    }
    window = _window_sql(since, until, params)
    # The database fills the quiet periods between the first and the last one with data:
    # a five-year weekly series has 260 points, and building them in Python cost more than
    # reading the rows.
    sql = f"""
        WITH per_period AS (
            SELECT date_trunc(%(bucket)s, day)::date AS period,
                   sum(score_sum) FILTER (WHERE source_id = %(a)s) AS a_to_b,
                   sum(score_sum) FILTER (WHERE source_id = %(b)s) AS b_to_a,
                   sum(interaction_count) FILTER (WHERE source_id = %(a)s) AS a_count,
                   sum(interaction_count) FILTER (WHERE source_id = %(b)s) AS b_count,
                   sum(pair_event_count) AS events
            FROM ({_pair_rows(window)}) pair_rows
            GROUP BY period
        ),
        periods AS (
            SELECT generate_series(
                       greatest(min(period),
                                max(period) - %(step)s::interval * (%(max_periods)s - 1)),
                       max(period), %(step)s::interval)::date AS period
            FROM per_period
        )
        SELECT to_char(p.period, 'YYYY-MM-DD'),
               to_char(p.period + %(step)s::interval - interval '1 day', 'YYYY-MM-DD'),
               round(coalesce(d.a_to_b, 0)::numeric, 3)::float8,
               round(coalesce(d.b_to_a, 0)::numeric, 3)::float8,
               coalesce(d.a_count, 0)::int, coalesce(d.b_count, 0)::int,
               coalesce(d.events, 0)::int
        FROM periods p LEFT JOIN per_period d ON d.period = p.period
        ORDER BY p.period
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()

    keys = ("period", "period_end", "a_to_b", "b_to_a", "a_to_b_count", "b_to_a_count", "events")
    points = [dict(zip(keys, row, strict=True)) for row in rows]
    totals = {
        "a_to_b": sum(row[2] for row in rows),
        "b_to_a": sum(row[3] for row in rows),
        "a_to_b_count": sum(row[4] for row in rows),
        "b_to_a_count": sum(row[5] for row in rows),
        "events": sum(row[6] for row in rows),
    }
    totals["a_to_b"] = _round(totals["a_to_b"])
    totals["b_to_a"] = _round(totals["b_to_a"])
    return {
        "a": a.slug,
        "b": b.slug,
        "bucket": bucket,
        "rollup": rollup,
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "points": points,
        "totals": totals,
    }


_GRAPH = """
WITH pairs AS (
    SELECT LEAST(source_id, target_id) AS low_id, GREATEST(source_id, target_id) AS high_id,
           sum(score_sum) AS score, sum(interaction_count) AS interactions,
           sum(pair_event_count) AS events
    FROM relations_dyadday
    WHERE rollup = %(rollup)s{window}
    GROUP BY 1, 2
),
activity AS (
    SELECT ends.actor_id, sum(pairs.interactions) AS activity
    FROM pairs CROSS JOIN LATERAL (VALUES (low_id), (high_id)) AS ends(actor_id)
    GROUP BY ends.actor_id
),
chosen AS (
    SELECT actor_id FROM activity ORDER BY activity DESC, actor_id LIMIT %(max_nodes)s
),
kept AS (
    SELECT low_id, high_id, score, interactions, events FROM pairs
    WHERE low_id IN (SELECT actor_id FROM chosen) AND high_id IN (SELECT actor_id FROM chosen)
    ORDER BY interactions DESC, low_id, high_id
    LIMIT %(max_edges)s
),
ends AS (
    SELECT low_id AS actor_id FROM kept UNION SELECT high_id FROM kept
)
SELECT
    (SELECT count(*) FROM pairs),
    (SELECT coalesce(json_agg(json_build_array(lo.slug, hi.slug, k.score, k.interactions,
                                               k.events)
                              ORDER BY k.interactions DESC, k.low_id, k.high_id), '[]')
     FROM kept k
     JOIN relations_actor lo ON lo.id = k.low_id
     JOIN relations_actor hi ON hi.id = k.high_id),
    (SELECT coalesce(json_agg(json_build_array(a.slug, a.name, a.kind, a.colour, a.is_core,
                                               act.activity)
                              ORDER BY act.activity DESC, a.name), '[]')
     FROM ends
     JOIN activity act ON act.actor_id = ends.actor_id
     JOIN relations_actor a ON a.id = ends.actor_id)
"""


def relations_graph(
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    rollup: bool = False,
    max_edges: int | None = None,
    max_nodes: int | None = None,
) -> dict:
    """Actors as nodes and pairs as edges, aggregated in the database in one statement.

    A node's ``activity`` is the number of interactions it takes part in over the window.
    Edges are undirected: ``net_score`` sums both directions' scores, ``count`` is the
    number of interactions and ``events`` the number of events between the two; busiest
    first. ``max_nodes`` keeps the edges between the most active actors only, and
    ``max_edges`` the busiest of those (a drawing of thousands of edges says nothing); the
    nodes are the actors the kept edges join, and ``edges_total`` tells how many edges the
    window had before any limit.
    """
    params: dict = {"rollup": rollup, "max_edges": max_edges, "max_nodes": max_nodes}
    window = _window_sql(since, until, params)
    with connection.cursor() as cursor:
        cursor.execute(_GRAPH.format(window=window), params)
        edges_total, edges, nodes = cursor.fetchone()
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "rollup": rollup,
        "nodes": [
            {
                "slug": slug,
                "name": name,
                "kind": kind,
                "colour": colour,
                "is_core": is_core,
                "activity": int(activity),
            }
            for slug, name, kind, colour, is_core, activity in nodes
        ],
        "edges": [
            {
                "source": source,
                "target": target,
                "net_score": _round(score),
                "count": int(interactions),
                "events": int(events),
            }
            for source, target, score, interactions, events in edges
        ],
        "edges_total": edges_total,
    }


def _trend(net: float, previous: float) -> str:
    if net - previous > TREND_THRESHOLD:
        return "warming"
    if previous - net > TREND_THRESHOLD:
        return "cooling"
    return "steady"


def net_score(
    a: Actor, b: Actor, *, days: int, today: dt.date | None = None, rollup: bool = False
) -> dict:
    """Net score between a and b (both directions) over the last ``days`` days, ending today,
    against the ``days`` days before, and whether the relation is warming or cooling."""
    if days < 1:
        raise ValueError("days must be at least 1")
    today = today or timezone.localdate()
    start = today - dt.timedelta(days=days - 1)
    previous_start = start - dt.timedelta(days=days)
    sql = f"""
        SELECT coalesce(sum(score_sum) FILTER (WHERE day >= %(start)s), 0),
               coalesce(sum(interaction_count) FILTER (WHERE day >= %(start)s), 0),
               coalesce(sum(score_sum) FILTER (WHERE day < %(start)s), 0),
               coalesce(sum(interaction_count) FILTER (WHERE day < %(start)s), 0)
        FROM ({_pair_rows(" AND day >= %(previous_start)s AND day <= %(today)s")}) pair_rows
    """
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            {
                "a": a.pk,
                "b": b.pk,
                "rollup": rollup,
                "start": start,
                "previous_start": previous_start,
                "today": today,
            },
        )
        net, count, previous, previous_count = cursor.fetchone()
    return {
        "days": days,
        "since": start.isoformat(),
        "until": today.isoformat(),
        "net": _round(net),
        "count": int(count),
        "previous_net": _round(previous),
        "previous_count": int(previous_count),
        "trend": _trend(float(net), float(previous)),
    }


def heatmap(
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
    rollup: bool = False,
    actors: Iterable[Actor] | None = None,
) -> dict:
    """Directed net score matrix: ``scores[i][j]`` sums what actors[i] did to actors[j]
    (None where they did nothing). Without ``actors``, the most active ones in the window."""
    params: dict = {"rollup": rollup}
    window = _window_sql(since, until, params)
    if actors is not None:
        chosen = list(actors)
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT actor_id FROM (
                    SELECT source_id AS actor_id, interaction_count FROM relations_dyadday
                    WHERE rollup = %(rollup)s{window}
                    UNION ALL
                    SELECT target_id, interaction_count FROM relations_dyadday
                    WHERE rollup = %(rollup)s{window}
                ) ends
                GROUP BY actor_id ORDER BY sum(interaction_count) DESC, actor_id
                LIMIT {HEATMAP_DEFAULT_SIZE}
                """,
                params,
            )
            top = [row[0] for row in cursor.fetchall()]
        by_id = Actor.objects.in_bulk(top)
        chosen = [by_id[pk] for pk in top if pk in by_id]
    ids = [actor.pk for actor in chosen]
    cells: dict[tuple[int, int], tuple[float, int]] = {}
    if ids:
        params["ids"] = ids
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                SELECT source_id, target_id, sum(score_sum), sum(interaction_count)
                FROM relations_dyadday
                WHERE rollup = %(rollup)s AND source_id = ANY(%(ids)s)
                  AND target_id = ANY(%(ids)s){window}
                GROUP BY source_id, target_id
                """,
                params,
            )
            cells = {(row[0], row[1]): (row[2], row[3]) for row in cursor.fetchall()}
    scores = [
        [_round(cells[(row, col)][0]) if (row, col) in cells else None for col in ids]
        for row in ids
    ]
    counts = [[int(cells.get((row, col), (0, 0))[1]) for col in ids] for row in ids]
    return {
        "since": since.isoformat() if since else None,
        "until": until.isoformat() if until else None,
        "rollup": rollup,
        "actors": [actor.slug for actor in chosen],
        "names": [actor.name for actor in chosen],
        "scores": scores,
        "counts": counts,
    }


def events_between(
    a: Actor,
    b: Actor,
    *,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    rollup: bool = False,
) -> QuerySet[Event]:
    """The published events behind a chart point: an interaction between a and b (either
    way, after roll-up if asked) dated within the period. Newest first."""
    params: dict = {"a": a.pk, "b": b.pk, "rolling_kinds": rolling_kinds()}
    where = ["true"]
    if period_start is not None:
        where.append("e.date >= %(since)s")
        params["since"] = period_start
    if period_end is not None:
        where.append("e.date <= %(until)s")
        params["until"] = period_end
    if rollup:
        # Only interactions whose endpoints are a, b or actors that may roll up into them.
        where.append(
            "i.source_id IN (SELECT actor_id FROM below) "
            "AND i.target_id IN (SELECT actor_id FROM below)"
        )
        source, target = "rolled_source_id", "rolled_target_id"
    else:
        where.append("i.source_id IN (%(a)s, %(b)s) AND i.target_id IN (%(a)s, %(b)s)")
        source, target = "source_id", "target_id"
    sql = ROLLED_INTERACTIONS.format(where=" AND ".join(where)) + (
        f"SELECT DISTINCT event_id FROM interactions "
        f"WHERE ({source} = %(a)s AND {target} = %(b)s) "
        f"OR ({source} = %(b)s AND {target} = %(a)s)"
    )
    if rollup:
        sql = sql.replace(
            "WITH RECURSIVE raw AS (",
            """WITH RECURSIVE below(actor_id) AS (
                SELECT unnest(ARRAY[%(a)s, %(b)s]::bigint[])
                UNION
                SELECT f.actor_id FROM relations_affiliation f JOIN below w
                    ON f.parent_id = w.actor_id
            ),
            raw AS (""",
            1,
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        event_ids = [row[0] for row in cursor.fetchall()]
    return Event.objects.filter(pk__in=event_ids, status=Event.Status.PUBLISHED).order_by(
        "-date", "-id"
    )
