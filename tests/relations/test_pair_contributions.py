"""PairContribution, each published event's rolled-up contribution to each pair's net score
(what the monthly brief ranks a pair's events by), and PairMonth, each rolled-up pair's
monthly totals (what it judges pairs by), stay current through the same refresh as the
DyadDay rows: after edits, deletes, status changes, moves between days and months,
affiliation changes and changes of an actor's kind, and after writes that bypass signals."""

from __future__ import annotations

import datetime as dt

import pytest

from relations import analytics, signals
from relations.models import Actor, Event, Interaction, PairContribution, PairMonth
from tests.factories import (
    ActorFactory,
    AffiliationFactory,
    AllegationFactory,
    InteractionFactory,
    MeetingFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

DAY = dt.date(2024, 3, 12)
PUBLISHED = Event.Status.PUBLISHED


@pytest.fixture
def actors():
    return {
        "russia": ActorFactory(slug="russia", name="Russia"),
        "hamas": ActorFactory(slug="hamas", name="Hamas", kind=Actor.Kind.ARMED_GROUP),
        "iran": ActorFactory(slug="iran", name="Iran"),
        "lavrov": ActorFactory(slug="sergei-lavrov", name="Sergei Lavrov", kind="person"),
    }


def rows() -> set[tuple]:
    """The table as (event, low, high, date, month, contribution, allegation)."""
    return set(
        PairContribution.objects.values_list(
            "event_id", "low_id", "high_id", "date", "month", "contribution", "allegation"
        )
    )


def months() -> set[tuple]:
    """PairMonth as (low, high, month, net, interactions, events)."""
    return set(
        PairMonth.objects.values_list("low_id", "high_id", "month", "net", "interactions", "events")
    )


def rebuilt() -> set[tuple]:
    """The table as a rebuild from scratch makes it (the state the refresh must keep), once
    PairMonth is found as the rebuild makes it too."""
    kept = months()
    analytics.rebuild_dyad_days()
    assert kept == months()
    return rows()


def pair(a: Actor, b: Actor) -> tuple[int, int]:
    return (min(a.pk, b.pk), max(a.pk, b.pk))


def row(event: Event, a: Actor, b: Actor, contribution: float, *, allegation=False) -> tuple:
    return (
        event.pk,
        *pair(a, b),
        event.date,
        event.date.replace(day=1),
        contribution,
        allegation,
    )


def test_an_events_interactions_between_two_are_summed_both_ways_once_rolled_up(actors, committed):
    russia, hamas, lavrov = actors["russia"], actors["hamas"], actors["lavrov"]
    with committed():
        AffiliationFactory(actor=lavrov, parent=russia, role="Foreign Minister")
        talks = MeetingFactory(status=PUBLISHED, date=DAY, title="Talks")
        InteractionFactory(event=talks, source=russia, target=hamas, score=2.0)
        InteractionFactory(event=talks, source=hamas, target=russia, score=1.5)
        # Lavrov speaks for Russia: his part is Russia's once rolled up.
        InteractionFactory(event=talks, source=lavrov, target=hamas, score=-0.5)
        # Within Russia after roll-up: no pair.
        InteractionFactory(event=talks, source=lavrov, target=russia, score=3.0)
        claim = AllegationFactory(
            status=PUBLISHED, date=DAY, claimant=hamas, accused=actors["iran"]
        )
        InteractionFactory(event=claim, source=hamas, target=actors["iran"], score=-2.0)

    assert rows() == {
        row(talks, russia, hamas, 3.0),
        row(claim, hamas, actors["iran"], -2.0, allegation=True),
    }
    assert rows() == rebuilt()


def test_an_edited_score_a_new_and_a_deleted_interaction_are_counted(actors, committed):
    russia, hamas, iran = actors["russia"], actors["hamas"], actors["iran"]
    with committed():
        talks = MeetingFactory(status=PUBLISHED, date=DAY)
        first = InteractionFactory(event=talks, source=russia, target=hamas, score=2.0)
    with committed():
        first.score = -4.0
        first.save()
        InteractionFactory(event=talks, source=russia, target=iran, score=1.0)
    assert rows() == {row(talks, russia, hamas, -4.0), row(talks, russia, iran, 1.0)}

    with committed():
        Interaction.objects.get(pk=first.pk).delete()
    assert rows() == {row(talks, russia, iran, 1.0)}
    assert rows() == rebuilt()


def test_a_deleted_event_and_a_draft_leave_and_a_republished_event_returns(actors, committed):
    russia, hamas = actors["russia"], actors["hamas"]
    with committed():
        kept = MeetingFactory(status=PUBLISHED, date=DAY)
        InteractionFactory(event=kept, source=russia, target=hamas, score=2.0)
        gone = MeetingFactory(status=PUBLISHED, date=DAY)
        InteractionFactory(event=gone, source=hamas, target=russia, score=-3.0)
    assert {r[0] for r in rows()} == {kept.pk, gone.pk}

    with committed():
        gone.delete()
        kept.status = Event.Status.DRAFT
        kept.save()
    assert rows() == set() == rebuilt()

    with committed():
        kept.status = PUBLISHED
        kept.save()
    assert rows() == {row(kept, russia, hamas, 2.0)} == rebuilt()


def test_an_event_moved_to_another_month_moves_with_its_month(actors, committed):
    russia, hamas = actors["russia"], actors["hamas"]
    with committed():
        talks = MeetingFactory(status=PUBLISHED, date=DAY)
        InteractionFactory(event=talks, source=russia, target=hamas, score=2.0)
    with committed():
        talks.date = dt.date(2024, 5, 2)
        talks.save()

    assert rows() == {row(talks, russia, hamas, 2.0)}
    assert {r[4] for r in rows()} == {dt.date(2024, 5, 1)}
    assert rows() == rebuilt()


def test_a_move_that_bypassed_signals_does_not_leave_the_old_row_behind(actors, committed):
    russia, hamas = actors["russia"], actors["hamas"]
    with committed():
        talks = MeetingFactory(status=PUBLISHED, date=DAY)
        InteractionFactory(event=talks, source=russia, target=hamas, score=2.0)
    moved = dt.date(2024, 6, 9)
    # As a bulk import does: an UPDATE, then a refresh of the events (their new day only).
    with committed():
        Event.objects.filter(pk=talks.pk).update(date=moved)
        signals.refresh_after_commit(event_ids=[talks.pk])

    talks.refresh_from_db()
    assert rows() == {row(talks, russia, hamas, 2.0)}
    assert {r[3] for r in rows()} == {moved}


def test_an_affiliation_added_ended_and_deleted_re_rolls_the_events(actors, committed):
    russia, hamas, iran, lavrov = (actors[k] for k in ("russia", "hamas", "iran", "lavrov"))
    with committed():
        scolding = StatementFactory(status=PUBLISHED, date=DAY, speaker=lavrov)
        InteractionFactory(event=scolding, source=lavrov, target=hamas, score=-1.0)
    # No office yet: his statement is his own.
    assert rows() == {row(scolding, lavrov, hamas, -1.0)}

    with committed():
        post = AffiliationFactory(actor=lavrov, parent=russia, start_date=dt.date(2024, 1, 1))
    assert rows() == {row(scolding, russia, hamas, -1.0)} == rebuilt()

    # The post moves to Iran's government (an edit of the affiliation).
    with committed():
        post.parent = iran
        post.save()
    assert rows() == {row(scolding, iran, hamas, -1.0)} == rebuilt()

    # Ended before the statement: his own again.
    with committed():
        post.end_date = dt.date(2024, 2, 1)
        post.save()
    assert rows() == {row(scolding, lavrov, hamas, -1.0)} == rebuilt()

    with committed():
        post.end_date = None
        post.save()
    with committed():
        post.delete()
    assert rows() == {row(scolding, lavrov, hamas, -1.0)} == rebuilt()


def test_an_actor_that_stops_rolling_up_keeps_its_events(actors, committed):
    russia, hamas = actors["russia"], actors["hamas"]
    ministry = ActorFactory(slug="mfa", name="Ministry", kind=Actor.Kind.GOVERNMENT_BODY)
    with committed():
        AffiliationFactory(actor=ministry, parent=russia)
        note = StatementFactory(status=PUBLISHED, date=DAY, speaker=ministry)
        InteractionFactory(event=note, source=ministry, target=hamas, score=-2.5)
    assert rows() == {row(note, russia, hamas, -2.5)}

    # An organisation never rolls up.
    with committed():
        ministry.kind = Actor.Kind.ORGANISATION
        ministry.save()
    assert rows() == {row(note, ministry, hamas, -2.5)} == rebuilt()


def test_the_refresh_of_some_days_leaves_the_others_alone(actors, committed):
    russia, hamas = actors["russia"], actors["hamas"]
    with committed():
        events = []
        for day in (1, 2, 3):
            event = MeetingFactory(status=PUBLISHED, date=DAY.replace(day=day))
            InteractionFactory(event=event, source=russia, target=hamas, score=float(day))
            events.append(event)
    before = rows()

    analytics.refresh_dyad_days([DAY.replace(day=2)])
    assert rows() == before
    analytics.refresh_dyad_days([DAY.replace(day=2)], rollup_only=True)
    assert rows() == before


def test_a_pairs_months_sum_its_days_both_ways_and_follow_moves(actors, committed):
    russia, hamas, lavrov = actors["russia"], actors["hamas"], actors["lavrov"]
    low, high = pair(russia, hamas)
    march, may = DAY.replace(day=1), dt.date(2024, 5, 1)
    with committed():
        AffiliationFactory(actor=lavrov, parent=russia)
        talks = MeetingFactory(status=PUBLISHED, date=DAY)
        InteractionFactory(event=talks, source=russia, target=hamas, score=2.0)
        InteractionFactory(event=talks, source=hamas, target=russia, score=1.5)
        scolding = StatementFactory(status=PUBLISHED, date=DAY.replace(day=20), speaker=lavrov)
        InteractionFactory(event=scolding, source=lavrov, target=hamas, score=-1.0)
    assert months() == {(low, high, march, 2.5, 3, 2)}

    with committed():
        scolding.date = dt.date(2024, 5, 3)
        scolding.save()
    assert months() == {(low, high, march, 3.5, 2, 1), (low, high, may, -1.0, 1, 1)}
    assert rows() == rebuilt()

    with committed():
        talks.delete()
    assert months() == {(low, high, may, -1.0, 1, 1)}
    assert rows() == rebuilt()
