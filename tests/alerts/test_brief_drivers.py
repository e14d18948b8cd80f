"""The brief's drivers and per-pair allegations, read from relations.PairContribution, are
those a roll-up of the month's raw interactions gives (the way the brief computed them
before the table existed), in a month with ties, roll-ups by dated affiliations, drafts and
every verdict; and they stay so after edits, deletes, status changes, moves and affiliation
changes, each refreshed on commit as in production. Each pair's sparkline, read from
relations.PairMonth, is checked against the dashboard's series of the pair on the way."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection

from alerts import brief as briefs
from relations import analytics
from relations.models import Actor, Affiliation, Event, Interaction
from tests.factories import (
    ActorFactory,
    AffiliationFactory,
    AllegationFactory,
    InteractionFactory,
    MeetingFactory,
    StatementFactory,
)

MONTH = dt.date(2024, 3, 1)
PUBLISHED = Event.Status.PUBLISHED
DIRECTIONS = {briefs.DETERIORATED: -1, briefs.IMPROVED: 1}

# Every event's rolled-up contribution to every pair in the month, from raw interactions.
REFERENCE = (
    analytics.ROLLED_INTERACTIONS.format(where="e.date >= %(since)s AND e.date <= %(until)s")
    + """
SELECT i.event_id, LEAST(i.rolled_source_id, i.rolled_target_id),
       GREATEST(i.rolled_source_id, i.rolled_target_id), sum(i.score), e.date, e.kind
FROM interactions i JOIN relations_event e ON e.id = i.event_id
WHERE i.rolled_source_id <> i.rolled_target_id
GROUP BY 1, 2, 3, e.date, e.kind
"""
)


def reference(first: dt.date, direction_by_pair: dict) -> dict:
    """{pair: (drivers, allegations)} as (event id, rounded contribution) lists, ranked as
    the brief ranks them, from the month's raw interactions."""
    with connection.cursor() as cursor:
        cursor.execute(
            REFERENCE,
            {
                "since": first,
                "until": briefs.month_end(first),
                "rolling_kinds": analytics.rolling_kinds(),
            },
        )
        rows = cursor.fetchall()
    result = {}
    for key, direction in direction_by_pair.items():
        mine = [row for row in rows if (row[1], row[2]) == key]

        def weight(row, direction=direction):
            return -abs(row[3]) if direction == 0 else -row[3] * direction

        drivers = sorted(mine, key=lambda row: (weight(row), -row[4].toordinal(), -row[0]))
        allegations = sorted(
            (row for row in mine if row[5] == Event.Kind.ALLEGATION),
            key=lambda row: (row[4], row[0]),
        )
        result[key] = (
            [(row[0], briefs._round(row[3])) for row in drivers[: briefs.DRIVERS_PER_PAIR]],
            [(row[0], briefs._round(row[3])) for row in allegations[: briefs.ALLEGATIONS_PER_PAIR]],
        )
    return result


def sparkline(a: Actor, b: Actor, first: dt.date) -> list[tuple]:
    """The pair's year of monthly net scores and events as the dashboard's pair chart
    (relations.analytics.dyad_series, from the DyadDay rows) has them."""
    since = briefs.add_months(first, 1 - briefs.SPARKLINE_MONTHS)
    series = analytics.dyad_series(
        a, b, bucket="month", rollup=True, since=since, until=briefs.month_end(first)
    )
    points = {point["period"]: point for point in series["points"]}
    result = []
    for offset in range(briefs.SPARKLINE_MONTHS):
        month = briefs.add_months(since, offset)
        point = points.get(month.isoformat(), {"a_to_b": 0.0, "b_to_a": 0.0, "events": 0})
        result.append(
            (f"{month:%Y-%m}", briefs._round(point["a_to_b"] + point["b_to_a"]), point["events"])
        )
    return result


def shown(first: dt.date = MONTH) -> tuple[dict, dict]:
    """The computed brief's drivers and allegations by pair, and the reference's; each
    pair's sparkline checked against the dashboard's series on the way."""
    brief = briefs._compute_brief(first)
    ids = dict(Actor.objects.values_list("slug", "id"))
    got, directions = {}, {}
    for pair in brief["triangle"] + brief["pairs"]:
        a, b = ids[pair["a"]["slug"]], ids[pair["b"]["slug"]]
        key = (min(a, b), max(a, b))
        assert [
            (point["month"], point["net"], point["events"]) for point in pair["sparkline"]
        ] == sparkline(Actor.objects.get(pk=a), Actor.objects.get(pk=b), first)
        if not pair["events"]:
            assert pair["drivers"] == pair["allegations"] == []
            continue
        directions[key] = DIRECTIONS.get(pair["verdict"], 0)
        got[key] = (
            [(item["id"], item["contribution"]) for item in pair["drivers"]],
            [(item["id"], item["contribution"]) for item in pair["allegations"]],
        )
    return got, reference(first, directions), brief


@pytest.fixture
def month(db, committed):
    """Three core states and four others; a minister who takes office mid-month, a body
    within a ministry within a state; six months of history that make one pair fall out,
    one warm up and one stay as it was; then a month of events with scores drawn from a few
    values, so that contributions tie."""
    rng = random.Random(20240301)
    states = [ActorFactory(slug=f"state-{n}", name=f"State {n}", is_core=n < 3) for n in range(7)]
    minister = ActorFactory(slug="minister", name="Minister", kind=Actor.Kind.PERSON)
    ministry = ActorFactory(slug="ministry", name="Ministry", kind=Actor.Kind.GOVERNMENT_BODY)
    office = ActorFactory(slug="office", name="Office", kind=Actor.Kind.GOVERNMENT_BODY)
    everyone = [*states, minister, ministry, office]
    events = []

    def event(day, pairs, *, allegation=False, status=PUBLISHED):
        if allegation:
            made = AllegationFactory(
                date=day, status=status, claimant=pairs[0][0], accused=pairs[0][1]
            )
        else:
            made = (StatementFactory if rng.random() < 0.3 else MeetingFactory)(
                date=day, status=status
            )
        for source, target, score in pairs:
            InteractionFactory(event=made, source=source, target=target, score=score)
        events.append(made)
        return made

    with committed():
        AffiliationFactory(actor=minister, parent=states[0], start_date=MONTH.replace(day=15))
        AffiliationFactory(actor=ministry, parent=states[1])
        AffiliationFactory(actor=office, parent=ministry)
        for back in range(1, 7):
            day = briefs.add_months(MONTH, -back).replace(day=10)
            event(day, [(states[0], states[1], 3.0)])
            event(day, [(states[1], states[2], 1.0)])
            event(day, [(states[3], states[4], 2.0)])
        for _ in range(90):
            day = MONTH.replace(day=rng.randint(1, 31))
            source, target = rng.sample(everyone, 2)
            pairs = [(source, target, rng.choice([-3.0, -2.0, -1.0, 1.0, 2.0, 3.0]))]
            if rng.random() < 0.4:
                pairs.append((target, source, rng.choice([-2.0, 1.0, 2.0])))
            event(
                day,
                pairs,
                allegation=rng.random() < 0.25,
                status=PUBLISHED if rng.random() < 0.9 else Event.Status.DRAFT,
            )
        for day in (2, 3, 4, 5):
            event(MONTH.replace(day=day), [(states[0], states[1], -4.0)])
            event(MONTH.replace(day=day), [(states[2], states[1], 4.0)])
            event(MONTH.replace(day=day), [(ministry, states[2], 4.0)])
    return {"states": states, "minister": minister, "ministry": ministry, "events": events}


def test_the_drivers_are_those_the_months_raw_interactions_give(month):
    got, expected, brief = shown()

    assert got == expected
    verdicts = {pair["verdict"] for pair in brief["triangle"] + brief["pairs"]}
    assert {briefs.DETERIORATED, briefs.IMPROVED, briefs.UNCHANGED} <= verdicts
    assert any(allegations for _, allegations in got.values())
    # Ties: some pair has two drivers with the same contribution.
    assert any(len({c for _, c in drivers}) < len(drivers) for drivers, _ in got.values())


def test_the_drivers_stay_right_after_every_kind_of_change(month, committed):
    states = month["states"]

    def driver(top, index=0):
        """The first driver of the index-th pair that has drivers: a change to it shows."""
        listed = [drivers for drivers, _ in top.values() if drivers]
        return Event.objects.get(pk=listed[index % len(listed)][0][0])

    def allegation(top):
        return Event.objects.get(pk=next(items for _, items in top.values() if items)[-1][0])

    def flip(top):
        for interaction in Interaction.objects.filter(event=driver(top, 1)):
            interaction.score = -interaction.score
            interaction.save()

    def draft_and_publish(top):
        event = driver(top, 2)
        event.status = Event.Status.DRAFT
        event.save()
        # Published in bulk, then refreshed as the importer does.
        drafts = Event.objects.filter(status=Event.Status.DRAFT).exclude(pk=event.pk)
        days = list(drafts.values_list("date", flat=True))
        drafts.update(status=PUBLISHED)
        analytics.refresh_dyad_days(days)

    def move(top):
        event = allegation(top)
        event.date = briefs.add_months(MONTH, 1)
        event.save()

    def reaffiliate(top):
        Affiliation.objects.filter(actor=month["minister"]).update(parent=states[5])
        Affiliation.objects.get(actor=month["minister"]).save()
        Affiliation.objects.filter(actor=month["ministry"]).delete()

    def outweigh(top):
        InteractionFactory(
            event=MeetingFactory(date=MONTH.replace(day=30), status=PUBLISHED),
            source=states[0],
            target=states[1],
            score=-10.0,
        )

    top = shown()[0]
    changes = {
        "a driver deleted": lambda top: driver(top).delete(),
        "a driver's scores turned round": flip,
        "a driver back to draft, the drafts published": draft_and_publish,
        "an allegation moved out of the month": move,
        "affiliations changed": reaffiliate,
        "an event that outweighs the rest": outweigh,
    }
    for name, change in changes.items():
        with committed():
            change(top)
        got, expected, _ = shown()
        assert got == expected, name
        assert got != top, f"{name}: the brief did not change"
        top = got
