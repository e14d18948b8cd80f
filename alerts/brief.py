"""The monthly brief: one judgement per pair of actors for a month, in the manner of
CrisisWatch's "deteriorated / improved / unchanged", with the events behind each.

For a month it gives the core triangle first (every pair of ``is_core`` actors, quiet or
not), then the other pairs with enough events to judge, the pairs that moved most first.
Each pair has a verdict by ``VERDICT_RULE`` (below, and written on the page), a one-line
summary, its monthly net scores for a year (a sparkline), the events that contributed most
to the month's score, and the month's allegations between the two. The month's allegations
close the brief.

Scores are the dashboard's: a pair's net score is the sum of its interaction scores in both
directions, people and government bodies rolled up to the state or organisation they served
on the day (the overview's figures), from published events only. They are read from
pre-aggregated rows, kept current with the dashboard's ``DyadDay`` rows: each pair's months
from ``PairMonth`` (the roll-up rows summed by month), the events behind each pair from
``PairContribution`` (each event's contribution to each pair), a few index entries per pair,
never from the whole archive or the month's raw interactions, so the cost of a brief follows
the pairs it judges, not the size of the archive; the result is cached under the data
version (relwatch.caching) like the dashboard's charts.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from itertools import combinations

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from relations.models import EARLIEST_EVENT_DATE, Actor, Allegation, Event
from relwatch import caching

# --- the rule ---------------------------------------------------------------------------------

DETERIORATED = "deteriorated"
IMPROVED = "improved"
UNCHANGED = "unchanged"
TOO_FEW_EVENTS = "too_few_events"
VERDICT_LABELS = {
    DETERIORATED: "Deteriorated",
    IMPROVED: "Improved",
    UNCHANGED: "Unchanged",
    TOO_FEW_EVENTS: "Too few events",
}
# The order of the pairs after the triangle: moves first, then steady pairs.
VERDICT_ORDER = {DETERIORATED: 0, IMPROVED: 1, UNCHANGED: 2, TOO_FEW_EVENTS: 3}


@dataclass(frozen=True)
class VerdictRule:
    """How a pair's month is judged against its own recent past.

    The usual level is the mean of the pair's monthly net scores over the previous
    ``baseline_months`` months (a month without events counts as 0: nothing happened), and
    its spread their standard deviation. The month has moved when its net score lies further
    from the usual level than ``spread_factor`` spreads, and never by less than
    ``min_threshold`` points, so a pair that is usually quiet is not judged on one routine
    statement (one ACCUSE is −2.0, one CONSULT +2.1). Below ``min_events`` events in the month
    there is no verdict: a single event says too little about a relationship.
    """

    baseline_months: int = 6
    spread_factor: float = 1.5
    min_threshold: float = 3.0
    min_events: int = 3

    def judge(self, net: float, events: int, previous: Sequence[float]) -> dict:
        """The verdict on a month with ``net`` and ``events``, after months ``previous``
        (oldest first; only the last ``baseline_months`` count)."""
        history = list(previous)[-self.baseline_months :] or [0.0]
        # By hand: statistics.pstdev works in exact fractions, a millisecond per pair.
        baseline = sum(history) / len(history)
        spread = math.sqrt(sum((value - baseline) ** 2 for value in history) / len(history))
        threshold = max(self.spread_factor * spread, self.min_threshold)
        change = net - baseline
        if events < self.min_events:
            verdict = TOO_FEW_EVENTS
        elif change <= -threshold:
            verdict = DETERIORATED
        elif change >= threshold:
            verdict = IMPROVED
        else:
            verdict = UNCHANGED
        return {
            "verdict": verdict,
            "verdict_label": VERDICT_LABELS[verdict],
            "baseline": _round(baseline),
            "spread": _round(spread),
            "threshold": _round(threshold),
            "change": _round(change),
        }

    def describe(self) -> str:
        return (
            f"A pair's net score for the month is compared with the mean of its monthly net "
            f"scores over the previous {self.baseline_months} months (a month without events "
            f"counts as 0). It has deteriorated or improved when it lies below or above that "
            f"mean by more than {self.spread_factor:g} times their standard deviation, and by "
            f"at least {self.min_threshold:g} points; otherwise it is unchanged. A pair with "
            f"fewer than {self.min_events} events in the month gets no verdict."
        )


VERDICT_RULE = VerdictRule()
# Pairs beyond the triangle shown in full (the moves first); the others are counted and
# linked. Each costs a card and its events: a brief is read in minutes, not searched.
MAX_PAIRS = 12
# Events listed as driving a pair's month, and allegations listed per pair and for the month.
DRIVERS_PER_PAIR = 3
ALLEGATIONS_PER_PAIR = 5
ALLEGATIONS_LISTED = 30
DRAFTS_LISTED = 20
SPARKLINE_MONTHS = 12


# --- months -----------------------------------------------------------------------------------


class BadMonth(ValueError):
    """A month that the brief cannot be written for; the message says why."""


_MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")


def parse_month(value: str | dt.date, *, today: dt.date | None = None) -> dt.date:
    """The first day of the month ``value`` names ("2024-03", or any day of it), refusing
    malformed months, months before the first possible event and months still to come."""
    if isinstance(value, dt.date):
        first = value.replace(day=1)
    else:
        match = _MONTH_PATTERN.fullmatch(str(value).strip())
        if not match or not 1 <= int(match.group(2)) <= 12:
            raise BadMonth(f"“{value}” is not a month: give one as YYYY-MM, e.g. 2024-03.")
        first = dt.date(int(match.group(1)), int(match.group(2)), 1)
    if first < EARLIEST_EVENT_DATE:
        raise BadMonth(f"There is no brief before {EARLIEST_EVENT_DATE:%B %Y}.")
    today = today or timezone.localdate()
    if first > today:
        raise BadMonth(f"{first:%B %Y} has not begun: there is no brief for it yet.")
    return first


def add_months(first: dt.date, months: int) -> dt.date:
    index = first.year * 12 + first.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(first: dt.date) -> dt.date:
    return add_months(first, 1) - dt.timedelta(days=1)


def latest_complete_month(today: dt.date) -> dt.date:
    return add_months(today.replace(day=1), -1)


def is_complete(first: dt.date, today: dt.date) -> bool:
    return month_end(first) < today


# --- the brief --------------------------------------------------------------------------------


def monthly_brief(first: dt.date, today: dt.date, *, as_json: bool = False) -> dict | str:
    """The brief of the month starting on ``first``, as of ``today``, as plain data (what the
    API sends and the page and the mail show), cached until the next change to events.
    ``as_json``: its JSON text, for the API."""
    complete = is_complete(first, today)
    return caching.cached(
        "monthly-brief",
        (first.isoformat(), complete, asdict(VERDICT_RULE), MAX_PAIRS),
        lambda: {**_compute_brief(first), "complete": complete},
        newest_of=Event,
        as_json=as_json,
    )


def _compute_brief(first: dt.date) -> dict:
    last = month_end(first)
    core = list(Actor.objects.filter(is_core=True).order_by("name", "id").only("id"))
    core_pairs = [_pair_key(a.pk, b.pk) for a, b in combinations(core, 2)]
    months = [add_months(first, offset) for offset in range(1 - SPARKLINE_MONTHS, 1)]
    history, other_active, events_total = _monthly_nets(first, last, months[0], core_pairs)

    judged = {key: _judge(key, history.get(key, {}), months) for key in history}
    for key in core_pairs:
        judged.setdefault(key, _judge(key, {}, months))
    others = sorted(
        (judged[key] for key in judged if key not in core_pairs),
        key=lambda pair: (
            VERDICT_ORDER[pair["verdict"]],
            -abs(pair["change"]) / pair["threshold"],
            -pair["events"],
            pair["key"],
        ),
    )
    shown = [judged[key] for key in core_pairs] + others[:MAX_PAIRS]
    names = _actor_names({actor_id for pair in shown for actor_id in pair["key"]})
    _add_events(shown, first, last)
    labels = [f"{month:%Y-%m}" for month in months]
    for index, pair in enumerate(shown):
        low, high = pair.pop("key")
        series = pair.pop("series")
        a, b = names[low], names[high]
        shown[index] = pair = {
            "a": a,
            "b": b,
            "url": _pair_url(a["slug"], b["slug"], months[0], first, last),
            **pair,
            "sparkline": _sparkline(series, labels),
        }
        pair["summary"] = _summary(pair)
    allegations = _month_allegations(first, last)
    return {
        "month": f"{first:%Y-%m}",
        "since": first.isoformat(),
        "until": last.isoformat(),
        "rollup": True,
        "rule": {**asdict(VERDICT_RULE), "text": VERDICT_RULE.describe()},
        "events": events_total,
        "triangle": shown[: len(core_pairs)],
        "pairs": shown[len(core_pairs) :],
        "more_pairs": {
            "too_few_events": other_active,
            "beyond_limit": max(0, len(others) - MAX_PAIRS),
        },
        "allegations": allegations["listed"],
        "allegations_total": allegations["total"],
    }


def _pair_key(a: int, b: int) -> tuple[int, int]:
    return (min(a, b), max(a, b))


def _round(value: float | None) -> float:
    return round(float(value or 0.0), 2)


# The month's pairs and a year of monthly net scores for the pairs that may be judged (the
# core pairs and those with enough events), from the rolled-up PairMonth rows (the DyadDay
# roll-up rows summed by month): the month's pairs through the month index, then each
# candidate's year through the pair index, a probe per pair (the LIMIT keeps the probes:
# joined, PostgreSQL read the whole year of every pair instead).
_MONTHLY_NETS = """
WITH month_pairs AS (
    SELECT low_id, high_id, events FROM relations_pairmonth WHERE month = %(since)s
),
candidates AS (
    SELECT low_id, high_id FROM month_pairs WHERE events >= %(min_events)s
    UNION
    SELECT * FROM unnest(%(core_lows)s::bigint[], %(core_highs)s::bigint[])
)
SELECT c.low_id, c.high_id, p.month, p.net, p.interactions, p.events
FROM candidates c CROSS JOIN LATERAL (
    SELECT month, net, interactions, events FROM relations_pairmonth p
    WHERE p.low_id = c.low_id AND p.high_id = c.high_id
      AND p.month >= %(history_since)s AND p.month <= %(since)s
    LIMIT %(months)s
) p
UNION ALL
-- Active pairs too quiet to judge, counted only (low_id NULL marks the row).
SELECT NULL, NULL, NULL, NULL, count(*)::int, NULL
FROM month_pairs WHERE events < %(min_events)s
  AND (low_id, high_id) NOT IN (SELECT * FROM unnest(%(core_lows)s::bigint[],
                                                     %(core_highs)s::bigint[]))
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL,
       (SELECT count(*) FROM relations_event
        WHERE status = 'published' AND date >= %(since)s AND date <= %(until)s)::int
"""


def _monthly_nets(first, last, history_since, core_pairs):
    """{pair: {month: (net, interactions, events)}} for the pairs that may be judged, the
    number of other active pairs, and the month's published events."""
    params = {
        "since": first,
        "until": last,
        "history_since": history_since,
        "months": SPARKLINE_MONTHS,
        "min_events": VERDICT_RULE.min_events,
        "core_lows": [low for low, _ in core_pairs],
        "core_highs": [high for _, high in core_pairs],
    }
    history: dict[tuple[int, int], dict[dt.date, tuple[float, int, int]]] = {}
    other_active = events_total = 0
    with connection.cursor() as cursor:
        cursor.execute(_MONTHLY_NETS, params)
        for low, high, month, net, interactions, events in cursor.fetchall():
            if low is not None:
                history.setdefault((low, high), {})[month] = (net, interactions, events)
            elif interactions is not None:
                other_active = interactions
            else:
                events_total = events
    return history, other_active, events_total


def _judge(key, by_month, months) -> dict:
    """The pair's verdict on the last of ``months``; the series stays for the sparkline,
    which only the shown pairs need (``_sparkline``)."""
    series = [by_month.get(month, (0.0, 0, 0)) for month in months]
    net, interactions, events = series[-1]
    return {
        "key": key,
        "net": _round(net),
        "events": events,
        "interactions": interactions,
        **VERDICT_RULE.judge(net, events, [row[0] for row in series[:-1]]),
        "series": series,
    }


def _sparkline(series, labels: list[str]) -> list[dict]:
    return [
        {"month": label, "net": _round(net), "events": events}
        for label, (net, _, events) in zip(labels, series, strict=True)
    ]


def _actor_names(ids) -> dict[int, dict]:
    return {
        pk: {"slug": slug, "name": name}
        for pk, slug, name in Actor.objects.filter(pk__in=ids).values_list("id", "slug", "name")
    }


def _pair_url(a_slug: str, b_slug: str, since: dt.date, first: dt.date, last: dt.date) -> str:
    """The pair's page over the sparkline's year, listing the month's events."""
    url = reverse("dashboard:pair", args=[a_slug, b_slug])
    return f"{url}?bucket=month&rollup=1&since={since}&until={last}&period={first}#events"


# Each shown pair's events of the month, with what each contributed to the pair's net score
# (its rolled-up interactions between the two, both ways: relations.PairContribution), ranked
# twice: by how much it pushed the score the way the verdict went (the drivers), and among
# allegations by date. Each pair's few are read by index probes with a limit, whatever the
# month holds: the drivers from the (pair, month, contribution) index, from its top end for
# an improvement, its bottom end for a deterioration and both for an unchanged month (the
# largest contributions either way are among the few largest and the few smallest), the
# allegations from the (pair, date) index of allegations.
_PAIR_EVENTS = """
WITH pairs AS (
    SELECT * FROM unnest(%(lows)s::bigint[], %(highs)s::bigint[], %(directions)s::int[])
        AS p(low_id, high_id, direction)
),
candidates AS (
    SELECT p.low_id, p.high_id, p.direction, c.event_id, c.contribution, c.date
    FROM pairs p CROSS JOIN LATERAL (
        (SELECT event_id, contribution, date FROM relations_paircontribution c
         WHERE c.low_id = p.low_id AND c.high_id = p.high_id AND c.month = %(since)s
           AND p.direction >= 0
         ORDER BY contribution DESC, date DESC, event_id DESC LIMIT %(drivers)s)
        UNION
        (SELECT event_id, contribution, date FROM relations_paircontribution c
         WHERE c.low_id = p.low_id AND c.high_id = p.high_id AND c.month = %(since)s
           AND p.direction <= 0
         ORDER BY contribution, date DESC, event_id DESC LIMIT %(drivers)s)
    ) c
),
drivers AS (
    SELECT low_id, high_id, event_id, contribution,
           row_number() OVER (
               PARTITION BY low_id, high_id
               ORDER BY CASE WHEN direction = 0 THEN -abs(contribution)
                             ELSE -contribution * direction END, date DESC, event_id DESC
           ) AS rank
    FROM candidates
),
listed AS (
    SELECT low_id, high_id, event_id, contribution, true AS is_driver, rank
    FROM drivers WHERE rank <= %(drivers)s
    UNION ALL
    SELECT p.low_id, p.high_id, c.event_id, c.contribution, false,
           row_number() OVER (PARTITION BY p.low_id, p.high_id ORDER BY c.date, c.event_id)
    FROM pairs p CROSS JOIN LATERAL (
        SELECT event_id, contribution, date FROM relations_paircontribution c
        WHERE c.allegation AND c.low_id = p.low_id AND c.high_id = p.high_id
          AND c.date >= %(since)s AND c.date <= %(until)s
        ORDER BY date, event_id LIMIT %(allegations)s
    ) c
)
SELECT l.low_id, l.high_id, l.event_id, l.contribution, e.kind, e.title, e.date,
       e.date_precision, al.evidence_status, l.is_driver
FROM listed l
JOIN relations_event e ON e.id = l.event_id
LEFT JOIN relations_allegation al ON al.event_ptr_id = e.id
ORDER BY l.low_id, l.high_id, NOT l.is_driver, l.rank
"""
_DIRECTIONS = {DETERIORATED: -1, IMPROVED: 1}


def _event_url():
    """A function giving an event's page, as ``reverse("dashboard:event", args=[pk])`` does,
    for the cost of an f-string: a brief links a hundred events, and each reverse() cost
    about as much as the query that found them all."""
    sentinel = 918273645
    head, tail = reverse("dashboard:event", args=[sentinel]).split(str(sentinel))
    return lambda pk: f"{head}{pk}{tail}"


def _add_events(pairs: list[dict], first: dt.date, last: dt.date) -> None:
    """Give each pair its ``drivers`` and ``allegations`` of the month, in one query."""
    for pair in pairs:
        pair["drivers"], pair["allegations"] = [], []
    active = [pair for pair in pairs if pair["events"]]
    if not active:
        return
    by_key = {pair["key"]: pair for pair in active}
    params = {
        "since": first,
        "until": last,
        "lows": [key[0] for key in by_key],
        "highs": [key[1] for key in by_key],
        "directions": [_DIRECTIONS.get(pair["verdict"], 0) for pair in by_key.values()],
        "drivers": DRIVERS_PER_PAIR,
        "allegations": ALLEGATIONS_PER_PAIR,
    }
    statuses = dict(Allegation.EvidenceStatus.choices)
    event_url = _event_url()
    with connection.cursor() as cursor:
        cursor.execute(_PAIR_EVENTS, params)
        rows = cursor.fetchall()
    for row in rows:
        low, high, event_id, contribution, kind, title, day, precision, status = row[:9]
        item = {
            "id": event_id,
            "url": event_url(event_id),
            "title": title,
            "kind": kind,
            "date": day.isoformat(),
            "date_precision": precision,
            "contribution": _round(contribution),
            "evidence_status": status,
            "evidence_label": statuses.get(status) if status else None,
        }
        # Drivers come first, by rank; then allegations, by date.
        by_key[(low, high)]["drivers" if row[9] else "allegations"].append(item)


def _month_allegations(first: dt.date, last: dt.date) -> dict:
    """The month's published allegations (the first ALLEGATIONS_LISTED by date) and how many
    there are."""
    # Filtered by kind too, so both queries read the (kind, status, date) index; the count
    # reads no allegation row.
    window = {
        "kind": Event.Kind.ALLEGATION,
        "status": Event.Status.PUBLISHED,
        "date__gte": first,
        "date__lte": last,
    }
    rows = (
        Allegation.objects.filter(**window)
        .order_by("date", "id")
        .values_list(
            "id",
            "title",
            "date",
            "date_precision",
            "evidence_status",
            "claimant__name",
            "accused__name",
        )[:ALLEGATIONS_LISTED]
    )
    statuses = dict(Allegation.EvidenceStatus.choices)
    event_url = _event_url()
    listed = [
        {
            "id": pk,
            "url": event_url(pk),
            "title": title,
            "date": day.isoformat(),
            "date_precision": precision,
            "evidence_status": status,
            "evidence_label": statuses.get(status, status),
            "claimant": claimant,
            "accused": accused,
        }
        for pk, title, day, precision, status, claimant, accused in rows
    ]
    return {
        "listed": listed,
        "total": _total(listed, ALLEGATIONS_LISTED, Event.objects.filter(**window)),
    }


def month_drafts(first: dt.date) -> dict:
    """The month's drafts (the first DRAFTS_LISTED by date) and how many there are: for
    editors, what will change the verdicts once published. Never cached: only editors ask."""
    drafts = Event.objects.filter(
        status=Event.Status.DRAFT, date__gte=first, date__lte=month_end(first)
    )
    rows = drafts.order_by("date", "id").values_list(
        "id", "title", "kind", "date", "date_precision", "allegation__evidence_status"
    )[:DRAFTS_LISTED]
    statuses = dict(Allegation.EvidenceStatus.choices)
    listed = [
        {
            "id": pk,
            "url": reverse("dashboard:event", args=[pk]),
            "title": title,
            "kind": kind,
            "date": day.isoformat(),
            "date_precision": precision,
            "evidence_status": status,
            "evidence_label": statuses.get(status) if status else None,
        }
        for pk, title, kind, day, precision, status in rows
    ]
    return {"listed": listed, "total": _total(listed, DRAFTS_LISTED, drafts)}


def _total(listed: list, limit: int, queryset) -> int:
    """How many rows ``queryset`` has, counted only when the first ``limit`` did not hold
    them all."""
    return len(listed) if len(listed) < limit else queryset.count()


# --- words and pictures -----------------------------------------------------------------------


def signed(value: float) -> str:
    """'+2.1', '−4.0' (a real minus sign), '0.0'."""
    return "0.0" if abs(value) < 0.05 else f"{value:+.1f}".replace("-", "−")


def _summary(pair: dict) -> str:
    """One line: the verdict, the month's net score against the usual level, and the event
    that weighed most."""
    names = f"{pair['a']['name']}–{pair['b']['name']}"
    events = f"{pair['events']} event{'s' if pair['events'] != 1 else ''}"
    if not pair["events"]:
        return f"{names}: no events this month."
    if pair["verdict"] == TOO_FEW_EVENTS:
        return (
            f"{names}: net {signed(pair['net'])} from {events}, too few to judge "
            f"(a verdict needs {VERDICT_RULE.min_events})."
        )
    line = (
        f"{names} {pair['verdict']}: net {signed(pair['net'])} from {events} against a usual "
        f"{signed(pair['baseline'])} (bar ±{pair['threshold']:.1f})"
    )
    if pair["drivers"]:
        top = pair["drivers"][0]
        line += f"; weightiest: “{top['title']}” ({signed(top['contribution'])})"
    return line + "."


_SPARK_COLOURS = {"coop": "#2166ac", "conflict": "#b2182b", "none": "#bdbdbd"}


def sparkline_svg(points: Sequence[dict], *, width: int = 144, height: int = 32) -> str:
    """The monthly net scores as an inline SVG of bars about a zero line (blue above for
    cooperation, red below for conflict, a grey tick for a quiet month); the last month, the
    brief's, drawn solid and the others paler. Drawn on the server: it needs no script,
    prints, and costs nothing to send."""
    count = max(len(points), 1)
    limit = max([10.0, *(abs(point["net"]) for point in points)])
    slot = width / count
    middle = height / 2
    bars = []
    for index, point in enumerate(points):
        net = point["net"]
        size = max(abs(net) / limit * (middle - 1), 1.0)
        tone = "none" if not point["events"] else ("coop" if net >= 0 else "conflict")
        top = middle - size if net >= 0 else middle
        opacity = "1" if index == count - 1 else "0.55"
        bars.append(
            (
                f"{index * slot + slot * 0.15:.1f}",
                f"{top:.1f}",
                f"{slot * 0.7:.1f}",
                f"{size:.1f}",
                _SPARK_COLOURS[tone],
                opacity,
                f"{point['month']}: net {signed(net)}, {point['events']} events",
            )
        )
    label = ", ".join(f"{point['month']} {signed(point['net'])}" for point in points)
    body = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}" fill-opacity="{}">'
        "<title>{}</title></rect>",
        bars,
    )
    return format_html(
        '<svg class="sparkline" xmlns="http://www.w3.org/2000/svg" width="{}" height="{}" '
        'viewBox="0 0 {} {}" role="img" aria-label="Monthly net score: {}">'
        '<line x1="0" y1="{}" x2="{}" y2="{}" stroke="#9aa3af" stroke-width="0.75"/>{}</svg>',
        width,
        height,
        width,
        height,
        label,
        middle,
        width,
        middle,
        body,
    )


_TEXT_LEVELS = "▁▂▃▄▅▆▇█"


def sparkline_text(points: Sequence[dict]) -> str:
    """The sparkline in block characters, for mail (which shows no SVG): the middle height
    is 0, higher is more cooperative, lower more conflictual."""
    limit = max([10.0, *(abs(point["net"]) for point in points)])
    top = len(_TEXT_LEVELS) - 1
    return "".join(
        _TEXT_LEVELS[round((point["net"] / limit + 1) / 2 * top)] if point["events"] else "·"
        for point in points
    )


# --- the monthly mail -------------------------------------------------------------------------


def brief_email(month: str | dt.date, *, base_url: str | None = None) -> tuple[str, str, str]:
    """(subject, plain text, HTML) of the monthly mail for ``month`` ("YYYY-MM" or a day in
    it): the published brief, every link absolute under ``base_url`` (default
    ``settings.SITE_URL``). Raises BadMonth for a month that has no brief."""
    first = parse_month(month)
    today = timezone.localdate()
    brief = monthly_brief(first, today)
    base = (base_url or settings.SITE_URL).rstrip("/")
    for pair in brief["triangle"] + brief["pairs"]:
        pair["spark_text"] = sparkline_text(pair["sparkline"])
    context = {
        "brief": brief,
        "month_start": first,
        "base": base,
        "page_url": base + reverse("alerts:brief-month", args=[brief["month"]]),
        "rule": VERDICT_RULE,
    }
    moved = [pair for pair in brief["triangle"] + brief["pairs"] if pair["verdict"] in _DIRECTIONS]
    subject = f"Relwatch brief, {first:%B %Y}: " + (
        f"{len(moved)} pair{'s' if len(moved) != 1 else ''} moved"
        if brief["events"]
        else "no events"
    )
    text = render_to_string("alerts/brief_email.txt", context)
    html = render_to_string("alerts/brief_email.html", context)
    return subject, text, html
