"""Charts served from the cache: computed once per data version, never stale after a change,
and never shared between readers who may see different events (drafts are for editors)."""

import json
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relations.models import Interaction
from tests.dashboard.world import build_world
from tests.factories import InteractionFactory, MeetingFactory, ParticipantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def chart(response, figure_id: str) -> dict:
    body = response.content.decode()
    match = re.search(rf'<script id="{figure_id}" type="application/json">(.*?)</script>', body)
    assert match, f"no {figure_id} on the page"
    return json.loads(match.group(1))


def charted_text(response, figure_id: str) -> str:
    return json.dumps(chart(response, figure_id))


def queries(client, url: str):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return response, len(captured.captured_queries)


def test_the_timeline_chart_is_drawn_once_until_events_change(
    client, world, django_capture_on_commit_callbacks
):
    url = "/timeline/?actor=russia"
    first, first_count = queries(client, url)
    again, again_count = queries(client, url)
    assert again_count < first_count, "the second view drew the chart again"
    assert chart(again, "timeline-figure") == chart(first, "timeline-figure")
    assert "Moscow" in charted_text(first, "timeline-figure") or world.meeting.title in (
        charted_text(first, "timeline-figure")
    )

    with django_capture_on_commit_callbacks(execute=True):
        world.meeting.title = "Renamed meeting in Moscow"
        world.meeting.save()
    renamed = client.get(url)
    assert "Renamed meeting in Moscow" in charted_text(renamed, "timeline-figure")


def test_the_list_below_the_chart_pages_while_the_chart_stays(client, world):
    first = client.get("/timeline/?actor=russia")
    paged = client.get("/timeline/?actor=russia&page=1")
    assert chart(paged, "timeline-figure") == chart(first, "timeline-figure")


def test_an_editor_s_chart_with_drafts_is_never_served_to_a_reader(client, world, editor):
    client.force_login(editor)
    assert world.draft.title in charted_text(client.get("/timeline/"), "timeline-figure")
    client.logout()
    assert world.draft.title not in charted_text(client.get("/timeline/"), "timeline-figure")


def test_a_new_event_reaches_the_cached_chart(client, world):
    """Rows added without a commit (or by a bulk load) change the newest id, part of the key."""
    client.get("/timeline/?actor=russia")
    added = MeetingFactory(title="A brand-new published meeting", status="published")
    ParticipantFactory(event=added, actor=world.russia)
    assert added.title in charted_text(client.get("/timeline/?actor=russia"), "timeline-figure")


def test_the_pair_series_follows_a_changed_score(client, world, django_capture_on_commit_callbacks):
    url = "/api/dyads/?a=russia&b=hamas&bucket=month"
    before = client.get(url).json()
    _, cached_count = queries(client, url)
    _, first_count = queries(client, "/api/dyads/?a=russia&b=hamas&bucket=week")
    assert cached_count < first_count, "the repeated series was computed again"

    interaction = Interaction.objects.get(
        event=world.meeting, source=world.russia, target=world.hamas
    )
    with django_capture_on_commit_callbacks(execute=True):
        interaction.score = interaction.score + 3
        interaction.save()
    after = client.get(url).json()
    assert after["totals"]["a_to_b"] == pytest.approx(before["totals"]["a_to_b"] + 3)


def test_the_overview_card_and_the_pair_page_follow_a_new_interaction(
    client, world, django_capture_on_commit_callbacks
):
    overview_before = chart(client.get("/"), "dyad-russia-hamas")
    page_before = chart(client.get("/relations/russia/hamas/?bucket=month"), "pair-figure")
    with django_capture_on_commit_callbacks(execute=True):
        InteractionFactory(event=world.praise, source=world.russia, target=world.hamas, score=5)
    assert chart(client.get("/"), "dyad-russia-hamas") != overview_before
    page_after = chart(client.get("/relations/russia/hamas/?bucket=month"), "pair-figure")
    assert page_after != page_before


def test_the_api_sends_a_cached_series_and_graph_as_computed(client, world):
    """The cached JSON text is sent as it is: the same answer as a fresh computation, in the
    API's content type, names outside ASCII intact."""
    from relations import analytics

    world.hamas.name = "Хамас"
    world.hamas.save()
    dyads = "/api/dyads/?a=russia&b=hamas&bucket=month"
    first, again = client.get(dyads), client.get(dyads)
    assert first["Content-Type"] == again["Content-Type"] == "application/json"
    assert first.content == again.content
    assert first.json() == json.loads(
        json.dumps(analytics.dyad_series(world.russia, world.hamas, bucket="month"))
    )
    graph = client.get("/api/graph/").json()
    assert "Хамас" in {node["name"] for node in graph["nodes"]}
    assert client.get("/api/graph/").json() == graph


def test_made_up_parameters_and_their_order_do_not_draw_the_chart_again(client, world):
    """The chart is keyed by the filters as read: unknown parameters cannot fill the cache."""
    _, first = queries(client, "/timeline/?actor=russia&kind=meeting&junk=1")
    _, junk = queries(client, "/timeline/?junk=2&kind=meeting&actor=russia")
    _, other = queries(client, "/timeline/?actor=hamas&kind=meeting")
    assert junk < first, "an unknown parameter drew the chart again"
    assert other > junk, "a different filter must draw its own chart"
