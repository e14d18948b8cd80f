"""Which watchlists a new thing matches, and the notification rows it makes, in one statement.

A watchlist's filters are columns (alerts.models.Watchlist), so a new event is matched by
SQL: the candidates come from three indexes (watchlists naming one of the event's actors, the
GIN index on ``actor_ids``; those naming no actor, a partial index; pair watchlists, by the
event's pairs), the rest of the filters are checked on those rows only, and the notifications
are inserted in the same statement with ``ON CONFLICT DO NOTHING``: a thing found twice (two
workers, a retry, the beat's sweep) is notified once. The cost follows the number of matching
watchlists, not the number of watchlists (bench/alerts.py: ``alert_match_scaling``).

The rules are the timeline's (dashboard.filters.EventFilter) written for one event; the tests
hold the two equal on the same events and filters.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable

from django.db import connection

from relations import analytics
from relations.search import CONFIGS

# The event's pairs, as the pair page finds its events (analytics.events_between): each
# interaction's two actors, and (for rolled-up watchlists) the actors they roll up into.
_EVENT_PAIRS = """
, event_pairs AS (
    SELECT LEAST(source_id, target_id) AS low, GREATEST(source_id, target_id) AS high,
           false AS rollup
    FROM interactions
    UNION
    SELECT LEAST(rolled_source_id, rolled_target_id), GREATEST(rolled_source_id, rolled_target_id),
           true
    FROM interactions WHERE rolled_source_id <> rolled_target_id
)
"""

_SEARCH = " || ".join(f"websearch_to_tsquery('{config}', w.search)" for config in CONFIGS)

# {facts}: one row "ev" with id, kind, category, date, search_vector; "parts": the actors'
# ids; "event_pairs": (low, high, rollup). The watchlist's filters, as EventFilter reads them.
_MATCH = """
-- Three disjoint sets, each read through its index, whole rows (a join back to the table by
-- id would be planned as a scan of all of it).
, w AS (
    SELECT w.* FROM alerts_watchlist w
    WHERE w.actor_ids && (SELECT ids FROM parts) AND w.scope <> 'pair'
    UNION ALL
    SELECT w.* FROM alerts_watchlist w WHERE w.actor_ids = '{{}}' AND w.scope <> 'pair'
    UNION ALL
    SELECT w.* FROM alerts_watchlist w
    JOIN event_pairs p ON w.pair_low_id = p.low AND w.pair_high_id = p.high
        AND w.rollup = p.rollup
    WHERE w.scope = 'pair'
)
INSERT INTO alerts_notification
    (watchlist_id, trigger, key, event_id, story_id, title, body, data, created_at)
SELECT w.id, %(trigger)s, %(key)s, ev.id, %(story)s, %(title)s, %(body)s, %(data)s::jsonb, now()
FROM w CROSS JOIN ev CROSS JOIN parts
WHERE NOT w.paused AND w.{flag} AND w.created_at <= %(happened_at)s
  AND (w.kinds = '{{}}' OR ev.kind = ANY(w.kinds))
  AND (w.categories = '{{}}' OR ev.category = ANY(w.categories))
  AND (w.evidence_statuses = '{{}}' OR w.evidence_statuses && %(statuses)s::varchar[])
  AND (w.since IS NULL OR ev.date >= w.since)
  AND (w.until IS NULL OR ev.date <= w.until)
  AND (w.search = '' OR ev.search_vector @@ ({search}))
  AND (w.scope = 'pair' OR w.actor_ids = '{{}}'
       OR (w.match_all AND w.actor_ids <@ parts.ids)
       OR (NOT w.match_all AND w.actor_ids && parts.ids))
  {extra}
ON CONFLICT ON CONSTRAINT notification_once DO NOTHING
RETURNING watchlist_id
"""

_EVENT_FACTS = """
, ev AS (
    SELECT e.id, e.kind, e.category, e.date, e.search_vector
    FROM relations_event e WHERE e.id = %(event)s AND e.status = 'published'
),
parts AS (
    SELECT coalesce(array_agg(DISTINCT actor_id), '{}') AS ids
    FROM relations_participant WHERE event_id = %(event)s
)
"""


def _execute(sql: str, params: dict) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted({row[0] for row in cursor.fetchall()})


def notify_event_matches(
    event_id: int,
    *,
    trigger: str,
    key: str,
    title: str,
    body: str,
    data: dict,
    happened_at: dt.datetime,
    statuses: Iterable[str] = (),
    flag: str = "on_new_event",
) -> list[int]:
    """Insert one notification ``key`` for each watchlist the published event matches (made
    before ``happened_at``, its ``flag`` trigger on, not paused); the watchlists newly told.

    ``statuses``: the allegation's evidence statuses to test a watchlist's evidence filter
    against (an evidence change passes both the old and the new one)."""
    sql = (
        analytics.ROLLED_INTERACTIONS.format(where="e.id = %(event)s")
        + _EVENT_PAIRS
        + _EVENT_FACTS
        + _MATCH.format(flag=flag, search=_SEARCH, extra="")
    )
    return _execute(
        sql,
        {
            "event": event_id,
            "rolling_kinds": analytics.rolling_kinds(),
            "trigger": trigger,
            "key": key,
            "title": title,
            "body": body,
            "data": json.dumps(data),
            "happened_at": happened_at,
            "statuses": list(statuses),
            "story": None,
        },
    )


_STORY_FACTS = """
WITH ev AS (
    SELECT NULL::bigint AS id, s.kind, s.category, s.first_seen::date AS date,
           NULL::tsvector AS search_vector, s.outlet_count
    FROM coding_story s WHERE s.id = %(story)s
),
parts AS (
    SELECT ARRAY[s.source_id, s.target_id]::bigint[] AS ids FROM coding_story s
    WHERE s.id = %(story)s
),
event_pairs AS (
    SELECT LEAST(s.source_id, s.target_id) AS low, GREATEST(s.source_id, s.target_id) AS high,
           r.rollup
    FROM coding_story s CROSS JOIN (VALUES (true), (false)) r(rollup)
    WHERE s.id = %(story)s AND s.source_id <> s.target_id
)
"""


def notify_story_matches(
    story_id: int,
    *,
    key: str,
    title: str,
    body: str,
    data: dict,
    happened_at: dt.datetime,
    owner_ids: list[int],
) -> list[int]:
    """As ``notify_event_matches`` for a machine-coded story: stories carry no evidence status
    nor text to search, so watchlists that filter on those never match one; ``owner_ids``
    are the owners allowed to see stories."""
    extra = (
        "AND ev.outlet_count >= w.story_min_outlets AND w.evidence_statuses = '{}' "
        "AND w.search = '' AND w.owner_id = ANY(%(owners)s)"
    )
    sql = _STORY_FACTS + _MATCH.format(flag="on_story", search="NULL", extra=extra)
    return _execute(
        sql,
        {
            "story": story_id,
            "trigger": "story",
            "key": key,
            "title": title,
            "body": body,
            "data": json.dumps(data),
            "happened_at": happened_at,
            "statuses": [],
            "owners": owner_ids,
        },
    )


# Each watched pair's net score (both ways) over the last 7 days against the mean week of the
# 4 weeks before and of the 52 weeks before, and whether its series reaches a year back.
_PAIR_SHIFTS = """
WITH pairs AS (
    SELECT DISTINCT pair_low_id AS low, pair_high_id AS high, rollup,
           min(shift_threshold) OVER (PARTITION BY pair_low_id, pair_high_id, rollup) AS smallest
    FROM alerts_watchlist
    WHERE scope = 'pair' AND on_shift AND NOT paused
      AND pair_low_id IS NOT NULL AND pair_high_id IS NOT NULL {only}
),
sums AS (
    SELECT p.low, p.high, p.rollup, p.smallest,
           coalesce(sum(d.score_sum) FILTER (WHERE d.day >= %(week_start)s), 0) AS week,
           coalesce(sum(d.score_sum) FILTER (
               WHERE d.day >= %(month_start)s AND d.day < %(week_start)s), 0) / 4.0 AS month_mean,
           coalesce(sum(d.score_sum) FILTER (WHERE d.day < %(week_start)s), 0) / 52.0 AS year_mean,
           (SELECT min(x.day) FROM relations_dyadday x
            WHERE x.rollup = p.rollup AND ((x.source_id = p.low AND x.target_id = p.high)
                                           OR (x.source_id = p.high AND x.target_id = p.low))
           ) AS first_day
    FROM pairs p
    LEFT JOIN LATERAL (
        SELECT day, score_sum FROM relations_dyadday
        WHERE rollup = p.rollup AND source_id = p.low AND target_id = p.high
          AND day >= %(year_start)s AND day <= %(today)s
        UNION ALL
        SELECT day, score_sum FROM relations_dyadday
        WHERE rollup = p.rollup AND source_id = p.high AND target_id = p.low
          AND day >= %(year_start)s AND day <= %(today)s
    ) d ON true
    GROUP BY p.low, p.high, p.rollup, p.smallest
)
SELECT low, high, rollup, week, month_mean,
       CASE WHEN first_day <= %(year_start)s THEN year_mean END
FROM sums
WHERE abs(week - month_mean) > smallest
"""


def pair_shifts(
    today: dt.date, pairs: Iterable[tuple[int, int]] | None = None
) -> list[tuple[int, int, bool, float, float, float | None]]:
    """The watched pairs whose last 7 days depart from their previous 4 weeks by more than
    the smallest threshold any of their watchlists sets: (low, high, rollup, week net, mean
    of the 4 weeks, mean week of the year before or None when the series is younger)."""
    week_start = today - dt.timedelta(days=6)
    params: dict = {
        "today": today,
        "week_start": week_start,
        "month_start": week_start - dt.timedelta(days=28),
        "year_start": week_start - dt.timedelta(days=364),
    }
    only = ""
    if pairs is not None:
        pairs = sorted(set(pairs))
        if not pairs:
            return []
        params["lows"] = [low for low, _ in pairs]
        params["highs"] = [high for _, high in pairs]
        only = (
            "AND (pair_low_id, pair_high_id) IN "
            "(SELECT * FROM unnest(%(lows)s::bigint[], %(highs)s::bigint[]))"
        )
    with connection.cursor() as cursor:
        cursor.execute(_PAIR_SHIFTS.format(only=only), params)
        return [
            (low, high, rollup, float(week), float(month), None if year is None else float(year))
            for low, high, rollup, week, month, year in cursor.fetchall()
        ]


def notify_shift(
    low: int,
    high: int,
    rollup: bool,
    *,
    week: float,
    month_mean: float,
    year_mean: float | None,
    key: str,
    title: str,
    body: str,
    data: dict,
    event_id: int | None = None,
) -> list[int]:
    """A shift notification for each of the pair's watchlists whose threshold it passes: away
    from the 4 weeks' mean, and from the year's mean the same way where there is one."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO alerts_notification
                (watchlist_id, trigger, key, event_id, title, body, data, created_at)
            SELECT w.id, 'shift', %(key)s, %(event)s, %(title)s, %(body)s, %(data)s::jsonb, now()
            FROM alerts_watchlist w
            WHERE w.scope = 'pair' AND w.on_shift AND NOT w.paused
              AND w.pair_low_id = %(low)s AND w.pair_high_id = %(high)s AND w.rollup = %(rollup)s
              AND abs(%(week)s - %(month)s) > w.shift_threshold
              AND (%(year)s::float8 IS NULL
                   OR (sign(%(week)s - %(year)s::float8) = sign(%(week)s - %(month)s)
                       AND abs(%(week)s - %(year)s::float8) > w.shift_threshold))
            ON CONFLICT ON CONSTRAINT notification_once DO NOTHING
            RETURNING watchlist_id
            """,
            {
                "key": key,
                "event": event_id,
                "title": title,
                "body": body,
                "data": json.dumps(data),
                "low": low,
                "high": high,
                "rollup": rollup,
                "week": week,
                "month": month_mean,
                "year": year_mean,
            },
        )
        return sorted({row[0] for row in cursor.fetchall()})
