import datetime as dt

import pytest

from relations import analytics
from relations.models import Actor, DyadDay, Event
from tests.factories import (
    ActorFactory,
    AffiliationFactory,
    InteractionFactory,
    MeetingFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db

OCT_26 = dt.date(2023, 10, 26)  # a Thursday; its week starts on Monday 23 October


@pytest.fixture
def core():
    return {
        "russia": ActorFactory(slug="russia", name="Russia", colour="#d62728", is_core=True),
        "hamas": ActorFactory(
            slug="hamas", name="Hamas", kind=Actor.Kind.ORGANISATION, is_core=True
        ),
        "israel": ActorFactory(slug="israel", name="Israel", is_core=True),
    }


def meeting(a, b, *, day=OCT_26, score=None, status=Event.Status.PUBLISHED, both_ways=True):
    event = MeetingFactory(date=day, status=status)
    InteractionFactory(event=event, source=a, target=b, score=score)
    if both_ways:
        InteractionFactory(event=event, source=b, target=a, score=score)
    return event


def statement(a, b, *, day=OCT_26, score=-2.0, status=Event.Status.PUBLISHED):
    event = StatementFactory(date=day, status=status, speaker=a, category="ACCUSE")
    InteractionFactory(event=event, source=a, target=b, score=score)
    return event


def test_dyad_series_sums_each_direction_per_week(core, committed):
    russia, hamas = core["russia"], core["hamas"]
    with committed():
        meeting(russia, hamas, day=OCT_26)
        statement(hamas, russia, day=OCT_26 + dt.timedelta(days=1), score=3.4)
        statement(russia, hamas, day=OCT_26 + dt.timedelta(days=14), score=-2.0)

    series = analytics.dyad_series(russia, hamas, bucket="week")

    assert series["a"] == "russia" and series["b"] == "hamas"
    assert [point["period"] for point in series["points"]] == [
        "2023-10-23",
        "2023-10-30",
        "2023-11-06",
    ]
    first, quiet, last = series["points"]
    assert first["a_to_b"] == 2.1 and first["b_to_a"] == pytest.approx(2.1 + 3.4)
    assert first["a_to_b_count"] == 1 and first["b_to_a_count"] == 2
    # The meeting has interactions both ways but is one event.
    assert first["events"] == 2
    assert quiet == {
        "period": "2023-10-30",
        "period_end": "2023-11-05",
        "a_to_b": 0.0,
        "b_to_a": 0.0,
        "a_to_b_count": 0,
        "b_to_a_count": 0,
        "events": 0,
    }
    assert last["a_to_b"] == -2.0 and last["events"] == 1
    assert series["totals"]["events"] == 3


def test_dyad_series_by_month_honours_the_window(core, committed):
    russia, israel = core["russia"], core["israel"]
    with committed():
        statement(russia, israel, day=dt.date(2023, 10, 5))
        statement(russia, israel, day=dt.date(2023, 11, 20))
        statement(russia, israel, day=dt.date(2024, 1, 3))

    series = analytics.dyad_series(
        russia, israel, bucket="month", since=dt.date(2023, 10, 1), until=dt.date(2023, 12, 31)
    )

    assert [(p["period"], p["a_to_b"]) for p in series["points"]] == [
        ("2023-10-01", -2.0),
        ("2023-11-01", -2.0),
    ]


def test_drafts_count_only_once_published_and_stop_when_unpublished(core, committed):
    russia, hamas = core["russia"], core["hamas"]
    with committed():
        event = meeting(russia, hamas, status=Event.Status.DRAFT)
    assert analytics.dyad_series(russia, hamas)["points"] == []

    with committed():
        event.status = Event.Status.PUBLISHED
        event.save()
    assert analytics.dyad_series(russia, hamas)["totals"]["events"] == 1

    with committed():
        event.status = Event.Status.DRAFT
        event.save()
    assert analytics.dyad_series(russia, hamas)["points"] == []
    assert not DyadDay.objects.exists()


def test_a_score_change_reaches_the_series(core, committed):
    russia, hamas = core["russia"], core["hamas"]
    with committed():
        event = statement(russia, hamas, score=-2.0)
    interaction = event.interactions.get()

    with committed():
        interaction.score = -8.0
        interaction.save()

    assert analytics.dyad_series(russia, hamas)["totals"]["a_to_b"] == -8.0


def test_deleting_an_interaction_or_an_event_removes_its_scores(core, committed):
    russia, hamas = core["russia"], core["hamas"]
    with committed():
        kept = statement(russia, hamas, score=-2.0)
        removed = statement(russia, hamas, score=-6.0)
        meeting_event = meeting(russia, hamas)

    with committed():
        removed.delete()
        meeting_event.interactions.filter(source=hamas).delete()

    totals = analytics.dyad_series(russia, hamas)["totals"]
    assert totals["a_to_b"] == pytest.approx(-2.0 + 2.1)
    assert totals["b_to_a"] == 0.0
    assert totals["events"] == 2
    assert kept.pk


def test_moving_an_event_to_another_date_moves_its_score(core, committed):
    russia, hamas = core["russia"], core["hamas"]
    with committed():
        event = statement(russia, hamas)

    with committed():
        event.date = dt.date(2024, 3, 1)
        event.save()

    assert list(DyadDay.objects.values_list("day", flat=True).distinct()) == [dt.date(2024, 3, 1)]


def test_rollup_counts_a_person_as_the_state_of_the_events_date(core, committed):
    israel, hamas = core["israel"], core["hamas"]
    netanyahu = ActorFactory(slug="benjamin-netanyahu", kind=Actor.Kind.PERSON)
    with committed():
        AffiliationFactory(
            actor=netanyahu,
            parent=israel,
            role="Prime Minister",
            start_date=dt.date(2009, 3, 31),
            end_date=dt.date(2021, 6, 13),
        )
        AffiliationFactory(
            actor=netanyahu, parent=israel, role="Prime Minister", start_date=dt.date(2022, 12, 29)
        )
        statement(netanyahu, hamas, day=dt.date(2021, 9, 1), score=-4.0)  # out of office
        statement(netanyahu, hamas, day=dt.date(2023, 10, 7), score=-6.0)

    rolled = analytics.dyad_series(israel, hamas, bucket="month", rollup=True)
    assert [(p["period"], p["a_to_b"]) for p in rolled["points"] if p["a_to_b_count"]] == [
        ("2023-10-01", -6.0)
    ]
    as_person = analytics.dyad_series(netanyahu, hamas, bucket="month", rollup=True)
    assert as_person["totals"]["a_to_b"] == -4.0
    # Without roll-up nothing moves.
    assert analytics.dyad_series(netanyahu, hamas, rollup=False)["totals"]["a_to_b"] == -10.0
    assert analytics.dyad_series(israel, hamas, rollup=False)["points"] == []


def test_rollup_climbs_through_a_ministry_and_drops_pairs_inside_one_state(core, committed):
    russia, hamas = core["russia"], core["hamas"]
    ministry = ActorFactory(slug="russian-foreign-ministry", kind=Actor.Kind.GOVERNMENT_BODY)
    lavrov = ActorFactory(slug="sergei-lavrov", kind=Actor.Kind.PERSON)
    with committed():
        AffiliationFactory(actor=lavrov, parent=ministry, role="Foreign Minister")
        AffiliationFactory(actor=ministry, parent=russia, role="Ministry")
        meeting(lavrov, hamas, score=2.1)
        statement(lavrov, ministry, score=1.0)

    graph = analytics.relations_graph(rollup=True)

    assert graph["edges"] == [
        {"source": "russia", "target": "hamas", "net_score": 4.2, "count": 2, "events": 1}
    ]
    assert {node["slug"] for node in graph["nodes"]} == {"russia", "hamas"}


def test_changing_an_affiliation_refreshes_the_rollup(core, committed):
    russia, israel, hamas = core["russia"], core["israel"], core["hamas"]
    envoy = ActorFactory(slug="envoy", kind=Actor.Kind.PERSON)
    with committed():
        affiliation = AffiliationFactory(actor=envoy, parent=russia)
        statement(envoy, hamas, score=-3.0)
    assert analytics.dyad_series(russia, hamas, rollup=True)["totals"]["a_to_b"] == -3.0

    with committed():
        affiliation.parent = israel
        affiliation.save()
    assert analytics.dyad_series(russia, hamas, rollup=True)["points"] == []
    assert analytics.dyad_series(israel, hamas, rollup=True)["totals"]["a_to_b"] == -3.0

    with committed():
        affiliation.delete()
    assert analytics.dyad_series(envoy, hamas, rollup=True)["totals"]["a_to_b"] == -3.0


def test_changing_an_actors_kind_refreshes_the_rollup(core, committed):
    russia, hamas = core["russia"], core["hamas"]
    envoy = ActorFactory(slug="envoy", kind=Actor.Kind.ORGANISATION)
    with committed():
        AffiliationFactory(actor=envoy, parent=russia)
        statement(envoy, hamas, score=-3.0)
    assert analytics.dyad_series(russia, hamas, rollup=True)["points"] == []

    with committed():
        envoy.kind = Actor.Kind.PERSON
        envoy.save()

    assert analytics.dyad_series(russia, hamas, rollup=True)["totals"]["a_to_b"] == -3.0


def test_rebuild_gives_the_same_rows_as_the_incremental_refresh(core, committed):
    russia, hamas, israel = core["russia"], core["hamas"], core["israel"]
    putin = ActorFactory(slug="vladimir-putin", kind=Actor.Kind.PERSON)
    with committed():
        AffiliationFactory(actor=putin, parent=russia, role="President")
        meeting(russia, hamas)
        statement(putin, israel, day=dt.date(2023, 10, 13), score=-4.5)
        statement(israel, hamas, day=dt.date(2023, 10, 7), score=-9.3)

    def rows():
        return sorted(
            DyadDay.objects.values_list(
                "day", "source_id", "target_id", "rollup", "score_sum", "interaction_count"
            )
        )

    incremental = rows()
    analytics.rebuild_dyad_days()
    assert rows() == incremental
    assert len(incremental) == 8  # four raw, four rolled up
    assert (dt.date(2023, 10, 13), russia.pk, israel.pk, True, -4.5, 1) in incremental


def test_graph_nodes_and_edges_cover_the_window(core, committed):
    russia, hamas, israel = core["russia"], core["hamas"], core["israel"]
    with committed():
        meeting(russia, hamas, day=dt.date(2023, 10, 26))
        statement(israel, hamas, day=dt.date(2023, 10, 7), score=-9.3)
        statement(russia, israel, day=dt.date(2022, 1, 1), score=-1.0)

    graph = analytics.relations_graph(since=dt.date(2023, 1, 1), until=dt.date(2023, 12, 31))

    nodes = {node["slug"]: node for node in graph["nodes"]}
    assert set(nodes) == {"russia", "hamas", "israel"}
    assert nodes["hamas"]["activity"] == 3 and nodes["russia"]["colour"] == "#d62728"
    edges = {(edge["source"], edge["target"]): edge for edge in graph["edges"]}
    pair = tuple(sorted([russia, hamas], key=lambda actor: actor.pk))
    assert edges[(pair[0].slug, pair[1].slug)]["net_score"] == 4.2
    assert len(edges) == 2 and graph["edges_total"] == 2
    busiest = analytics.relations_graph(since=dt.date(2023, 1, 1), max_edges=1)
    assert [(e["count"], e["net_score"]) for e in busiest["edges"]] == [(2, 4.2)]
    assert {node["slug"] for node in busiest["nodes"]} == {"russia", "hamas"}
    assert busiest["edges_total"] == 2


def test_net_score_compares_the_last_days_with_the_days_before(core, committed):
    russia, israel = core["russia"], core["israel"]
    today = dt.date(2023, 12, 31)
    with committed():
        meeting(russia, israel, day=today - dt.timedelta(days=40))
        statement(israel, russia, day=today - dt.timedelta(days=5), score=-4.0)
        statement(russia, israel, day=today - dt.timedelta(days=29), score=-3.0)
        statement(russia, israel, day=today + dt.timedelta(days=1), score=-9.0)  # not yet

    score = analytics.net_score(russia, israel, days=30, today=today)

    assert score["net"] == -7.0 and score["count"] == 2
    assert score["previous_net"] == 4.2
    assert score["trend"] == "cooling"
    steady = analytics.net_score(russia, israel, days=30, today=dt.date(2020, 1, 1))
    assert steady["trend"] == "steady" and steady["count"] == 0


def test_heatmap_is_directed(core, committed):
    russia, hamas, israel = core["russia"], core["hamas"], core["israel"]
    with committed():
        statement(russia, israel, score=-4.5)
        statement(hamas, russia, score=3.4)

    heat = analytics.heatmap(actors=[russia, hamas, israel])

    assert heat["actors"] == ["russia", "hamas", "israel"]
    assert heat["scores"] == [[None, None, -4.5], [3.4, None, None], [None, None, None]]
    assert heat["counts"][0][2] == 1
    assert set(analytics.heatmap()["actors"]) == {"russia", "hamas", "israel"}


def test_events_between_lists_the_events_behind_a_point(core, committed):
    russia, hamas, israel = core["russia"], core["hamas"], core["israel"]
    putin = ActorFactory(slug="vladimir-putin", kind=Actor.Kind.PERSON)
    with committed():
        AffiliationFactory(actor=putin, parent=russia, role="President")
        direct = meeting(russia, hamas, day=dt.date(2023, 10, 26))
        by_putin = statement(putin, hamas, day=dt.date(2023, 10, 24))
        statement(russia, israel, day=dt.date(2023, 10, 25))
        meeting(russia, hamas, day=dt.date(2023, 11, 10))
        meeting(russia, hamas, day=dt.date(2023, 10, 25), status=Event.Status.DRAFT)

    week = {"period_start": dt.date(2023, 10, 23), "period_end": dt.date(2023, 10, 29)}
    behind = analytics.events_between(russia, hamas, **week)
    assert [event.pk for event in behind] == [direct.pk]
    rolled = analytics.events_between(hamas, russia, rollup=True, **week)
    assert [event.pk for event in rolled] == [direct.pk, by_putin.pk]


# --- Far-future dates (issue 10, point 12) -----------------------------------------------------


def test_a_series_holds_at_most_the_latest_periods_whatever_the_data_spans(core, committed):
    russia, hamas = core["russia"], core["hamas"]
    with committed():
        meeting(russia, hamas, day=OCT_26)
        far = meeting(russia, hamas, day=OCT_26)
    # Written around the model's validation, as a bulk load or a SQL fix could.
    Event.objects.filter(pk=far.pk).update(date=dt.date(2199, 12, 31))
    analytics.rebuild_dyad_days()

    for bucket in ("week", "month"):
        points = analytics.dyad_series(russia, hamas, bucket=bucket)["points"]
        assert len(points) == analytics.MAX_SERIES_PERIODS, bucket
        assert points[-1]["events"] == 1
        assert points[-1]["period"].startswith("2199-12")
    # A window reaches the earlier periods.
    windowed = analytics.dyad_series(russia, hamas, bucket="week", until=dt.date(2024, 1, 1))
    assert [point["events"] for point in windowed["points"]] == [1]


def test_a_series_within_the_bound_keeps_every_quiet_period(core, committed):
    russia, hamas = core["russia"], core["hamas"]
    with committed():
        meeting(russia, hamas, day=dt.date(2000, 1, 3))
        meeting(russia, hamas, day=OCT_26)
    points = analytics.dyad_series(russia, hamas, bucket="month")["points"]
    assert len(points) == (2023 - 2000) * 12 + 10
    assert points[0]["period"] == "2000-01-01"
