"""The analysts' pages: what each shows, its filters, drafts for editors only, 404s and 400s
(never a 500), markup shown as text, no inline script, and query counts that do not grow
with the number of rows."""

import json
import re
from html import unescape

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from relations.models import Actor, Event
from tests.dashboard.world import build_world, grow
from tests.factories import MeetingFactory, SourceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def html(response) -> str:
    return response.content.decode()


def figure(response, figure_id: str) -> dict:
    """The figure a page embedded with json_script under ``figure_id``."""
    match = re.search(
        rf'<script id="{re.escape(figure_id)}" type="application/json">(.*?)</script>',
        html(response),
        re.S,
    )
    assert match, f"no figure {figure_id} on the page"
    return json.loads(match.group(1))


def event_ids(response, list_id: str) -> list[int]:
    """The ids of the events listed in the element with ``list_id``, in order."""
    body = html(response)
    start = body.find(f'id="{list_id}"')
    if start < 0:
        return []
    end = body.find("</ul>", start)
    return [int(pk) for pk in re.findall(r'data-event-id="(\d+)"', body[start:end])]


def customdata_urls(trace: dict) -> list[str]:
    return [row[0] if isinstance(row, list) else row for row in trace.get("customdata", [])]


# --- Overview ---------------------------------------------------------------------------------


def test_the_overview_shows_the_core_triangle_with_scores_and_charts(client, world):
    response = client.get("/")
    assert response.status_code == 200
    body = html(response)
    for a, b in (("russia", "hamas"), ("russia", "israel"), ("israel", "hamas")):
        assert f'href="/relations/{a}/{b}/"' in body
        assert figure(response, f"dyad-{a}-{b}")["data"], f"the {a}–{b} card has no chart"
    russia_hamas = figure(response, "dyad-russia-hamas")
    bars = russia_hamas["data"][0]
    assert bars["x"] == ["2023-10-01", "2023-11-01"]
    assert all(url.startswith("/relations/russia/hamas/?") for url in customdata_urls(bars))
    assert "last 30 days" in body and "last 90 days" in body


def test_the_overview_lists_latest_published_events_and_never_a_draft(client, world):
    response = client.get("/")
    body = html(response)
    assert world.denial.title in body
    assert world.draft.title not in body


def test_the_overview_counts_allegations_by_evidence_status_and_ingestion_health(client, world):
    body = html(client.get("/"))
    disputed = re.search(r"evidence_status=disputed\">(\d+)</a>", body)
    assert disputed and disputed.group(1) == "1"
    assert re.search(r"evidence_status=confirmed\">0</a>", body)
    assert re.search(r"<dt>Feeds OK</dt><dd>1</dd>", body)
    assert "badge-failing" in body


def test_a_quiet_pair_gets_a_sentence_not_an_empty_chart(client, db):
    for slug in ("russia", "hamas", "israel"):
        Actor.objects.create(name=slug.title(), slug=slug, kind="state")
    body = html(client.get("/"))
    assert 'data-figure="dyad-israel-hamas"' not in body
    assert body.count("No scored interactions between them yet.") == 3


def test_the_overview_says_so_when_a_core_actor_is_missing(client, db):
    Actor.objects.create(name="Russia", slug="russia", kind="state")
    response = client.get("/")
    assert response.status_code == 200
    assert "not in the database yet" in html(response)


# --- Timeline ---------------------------------------------------------------------------------


def test_the_timeline_lists_published_events_newest_first_with_a_chart(client, world):
    response = client.get("/timeline/")
    assert response.status_code == 200
    listed = event_ids(response, "event-list")
    assert listed == [
        world.denial.pk,
        world.allegation.pk,
        world.condemnation.pk,
        world.praise.pk,
        world.meeting.pk,
    ]
    data = figure(response, "timeline-figure")
    urls = {url for trace in data["data"] for url in customdata_urls(trace)}
    assert f"/events/{world.meeting.pk}/" in urls
    assert f"/events/{world.draft.pk}/" not in urls


def test_the_timeline_shows_month_precision_honestly(client, world):
    body = html(client.get("/timeline/"))
    assert "November 2023" in body
    assert "1 November 2023" not in body


def test_the_timeline_filters_by_actors_any_or_all(client, world):
    any_of = client.get("/timeline/?actor=israel&actor=ukraine")
    assert set(event_ids(any_of, "event-list")) == {
        world.condemnation.pk,
        world.allegation.pk,
        world.denial.pk,
    }
    all_of = client.get("/timeline/?actor=ukraine&actor=russia&match=all")
    assert event_ids(all_of, "event-list") == [world.allegation.pk]


def test_the_timeline_filters_by_kind_date_and_evidence_status(client, world):
    kinds = client.get("/timeline/?kind=meeting")
    assert event_ids(kinds, "event-list") == [world.meeting.pk]
    window = client.get("/timeline/?since=2023-11-01&until=2023-11-30")
    assert event_ids(window, "event-list") == [world.denial.pk, world.allegation.pk]
    disputed = client.get("/timeline/?evidence_status=disputed")
    assert event_ids(disputed, "event-list") == [world.allegation.pk]


def test_the_timeline_searches_titles_summaries_and_quotes(client, world):
    response = client.get("/timeline/?q=crimes")
    assert event_ids(response, "event-list") == [world.praise.pk]


def test_the_timeline_chart_can_have_a_lane_per_actor(client, world):
    data = figure(client.get("/timeline/?lanes=actor"), "timeline-figure")
    # Lanes are numbered rows of the y axis (events of a busy day fan out across theirs).
    lanes = set(data["layout"]["yaxis"]["ticktext"])
    assert {"Russia", "Hamas", "Israel", "Ukraine", "Sergei Lavrov"} <= lanes


def test_the_timeline_keeps_the_filters_in_its_page_links(client, world):
    grow(world, 12)
    body = html(client.get("/timeline/?actor=russia&kind=meeting&kind=statement"))
    assert "?actor=russia&amp;kind=meeting&amp;kind=statement&amp;page=2" in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("since=26-10-2023", "Enter a valid date"),
        ("until=2023-02-30", "Enter a valid date"),
        ("kind=battle", "Select a valid choice"),
        ("since=2023-12-01&until=2023-01-01", "must not be before"),
        ("page=99", "There is no page 99"),
        ("page=0", "greater than or equal to 1"),
        ("page=abc", "Enter a whole number"),
        ("actor=atlantis", "Select a valid choice"),
        ("evidence_status=maybe", "Select a valid choice"),
        ("lanes=diagonal", "Select a valid choice"),
        ("q=" + "x" * 5000, "at most 200 characters"),
    ],
)
def test_bad_timeline_filters_show_the_form_error_with_400(client, world, query, message):
    response = client.get(f"/timeline/?{query}")
    assert response.status_code == 400
    body = html(response)
    assert message in body
    assert 'id="timeline-filters"' in body


# --- Drafts and access ------------------------------------------------------------------------


def test_drafts_are_hidden_from_analysts_and_anonymous_readers(analyst_client, world):
    for reader in (Client(), analyst_client):
        assert reader.get(f"/events/{world.draft.pk}/").status_code == 404
        assert world.draft.pk not in event_ids(reader.get("/timeline/"), "event-list")
        assert world.draft.pk not in event_ids(reader.get("/timeline/?status=draft"), "event-list")


def test_editors_see_drafts_marked_as_such(editor_client, world):
    response = editor_client.get(f"/events/{world.draft.pk}/")
    assert response.status_code == 200
    assert "Draft: editors only" in html(response)
    timeline = editor_client.get("/timeline/")
    assert world.draft.pk in event_ids(timeline, "event-list")


def test_pages_need_a_login_when_the_dashboard_requires_one(analyst_client, world, settings):
    settings.DASHBOARD_LOGIN_REQUIRED = True
    anonymous = Client()
    for url in ("/", "/timeline/", "/relations/", "/actors/russia/", "/feeds/"):
        response = anonymous.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/?next=")
    assert analyst_client.get("/timeline/").status_code == 200


def test_pages_are_public_by_default(client, world):
    for url in ("/", "/timeline/", "/relations/", "/actors/", "/articles/", "/feeds/"):
        assert client.get(url).status_code == 200, url


# --- Unknown things ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/actors/atlantis/",
        "/events/999999/",
        "/relations/russia/atlantis/",
        "/relations/atlantis/russia/",
        "/relations/russia/russia/",
    ],
)
def test_unknown_slugs_and_ids_get_the_404_page(client, world, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "Not found" in html(response)


# --- Relations --------------------------------------------------------------------------------


def test_the_relations_page_draws_the_network_and_the_heatmap(client, world):
    response = client.get("/relations/")
    assert response.status_code == 200
    network = figure(response, "network-figure")
    actors = next(trace for trace in network["data"] if trace.get("name") == "actors")
    assert "/actors/russia/" in customdata_urls(actors)
    pairs = next(trace for trace in network["data"] if trace.get("name") == "pairs")
    assert {
        "/relations/hamas/russia/?rollup=1",
        "/relations/russia/hamas/?rollup=1",
    } & set(customdata_urls(pairs))
    heat = figure(response, "heatmap-figure")["data"][0]
    assert heat["type"] == "heatmap"
    assert "Russia" in heat["x"]


def test_rolling_up_counts_a_minister_as_his_state(client, world):
    rolled = figure(client.get("/relations/?rollup=1"), "network-figure")
    as_is = figure(client.get("/relations/?rollup=0"), "network-figure")

    def node_names(data):
        actors = next(trace for trace in data["data"] if trace.get("name") == "actors")
        return set(actors["text"])

    assert "Sergei Lavrov" not in node_names(rolled)
    assert "Sergei Lavrov" in node_names(as_is)


def test_the_relations_window_narrows_the_graph(client, world):
    data = figure(
        client.get("/relations/?since=2023-11-15&until=2023-11-30&rollup=0"), "network-figure"
    )
    actors = next(trace for trace in data["data"] if trace.get("name") == "actors")
    assert set(actors["text"]) == {"Sergei Lavrov", "Ukraine"}


@pytest.mark.parametrize(
    "query",
    ["since=yesterday", "since=2024-01-01&until=2023-01-01", "rollup=maybe"],
)
def test_a_bad_relations_window_is_a_400_with_the_error(client, world, query):
    response = client.get(f"/relations/?{query}")
    assert response.status_code == 400
    assert "alert-error" in html(response)


def test_the_pair_page_charts_both_directions_and_lists_the_events_behind(client, world):
    response = client.get("/relations/russia/hamas/")
    assert response.status_code == 200
    data = figure(response, "pair-figure")
    bars, a_to_b, b_to_a = data["data"]
    assert bars["x"] == ["2023-10-01", "2023-11-01"]
    assert a_to_b["name"] == "Russia → Hamas"
    assert b_to_a["name"] == "Hamas → Russia"
    assert customdata_urls(bars)[1].startswith("/relations/russia/hamas/?")
    assert "period=2023-11-01" in customdata_urls(bars)[1]
    assert set(event_ids(response, "pair-events")) == {
        world.meeting.pk,
        world.praise.pk,
        world.allegation.pk,
    }


def test_a_chart_period_lists_only_its_own_events(client, world):
    response = client.get("/relations/russia/hamas/?bucket=month&period=2023-11-01")
    assert response.status_code == 200
    assert event_ids(response, "pair-events") == [world.allegation.pk]
    assert "November 2023" in html(response)
    weekly = client.get("/relations/russia/hamas/?bucket=week&period=2023-10-23")
    assert set(event_ids(weekly, "pair-events")) == {world.meeting.pk, world.praise.pk}


def test_a_pair_with_people_as_themselves_finds_the_ministers_events(client, world):
    response = client.get("/relations/sergei-lavrov/ukraine/?rollup=0")
    assert event_ids(response, "pair-events") == [world.denial.pk]
    rolled = client.get("/relations/russia/ukraine/?rollup=1")
    assert world.denial.pk in event_ids(rolled, "pair-events")


@pytest.mark.parametrize(
    "query",
    [
        "bucket=year",
        "period=2023-10-15&bucket=month",
        "period=soon",
        "since=2023-12-01&until=2023-01-01",
        "page=5",
    ],
)
def test_a_bad_pair_query_is_a_400(client, world, query):
    response = client.get(f"/relations/russia/hamas/?{query}")
    assert response.status_code == 400
    assert "alert-error" in html(response)


# --- Actors -----------------------------------------------------------------------------------


def test_the_actor_list_filters_by_kind_and_name(client, world):
    response = client.get("/actors/?kind=person")
    body = html(response)
    assert "Sergei Lavrov" in body
    assert ">Russia</a>" not in body
    by_alias = html(client.get("/actors/?q=kremlin"))
    assert ">Russia</a>" in by_alias and "Sergei Lavrov" not in by_alias
    assert client.get("/actors/?kind=planet").status_code == 400


def test_the_actor_page_shows_profile_aliases_affiliations_relations_events_articles(client, world):
    response = client.get("/actors/russia/")
    assert response.status_code == 200
    body = html(response)
    assert "the Kremlin" in body and "России" in body
    assert "Sergei Lavrov" in body and "Foreign Minister" in body
    hamas_chart = figure(response, "relation-hamas")
    assert customdata_urls(hamas_chart["data"][0])[0].startswith("/relations/russia/hamas/?")
    assert world.meeting.pk in event_ids(response, "actor-events")
    assert world.draft.pk not in event_ids(response, "actor-events")
    assert "Hamas officials visit Moscow" in body


def test_a_member_actor_shows_its_parent_and_its_own_relations(client, world):
    response = client.get("/actors/sergei-lavrov/")
    body = html(response)
    assert 'href="/actors/russia/"' in body
    chart = figure(response, "relation-ukraine")
    assert "rollup=0" in customdata_urls(chart["data"][0])[0]


# --- Events -----------------------------------------------------------------------------------


def test_an_allegation_page_shows_claim_evidence_history_and_responses(client, world):
    response = client.get(f"/events/{world.allegation.pk}/")
    assert response.status_code == 200
    body = html(response)
    assert "Ukraine" in body and "Russia supplied Hamas with arms." in body
    assert 'id="evidence-status">Disputed<' in body
    history = body[body.index('id="evidence-history"') :]
    assert history.index("Unverified") < history.index("Disputed")
    assert world.denial.title in history
    assert "November 2023" in body
    interactions = figure(response, "interactions-figure")["data"][0]
    assert "/relations/russia/hamas/?rollup=0" in customdata_urls(interactions)


def test_a_statement_page_shows_speaker_quote_language_and_what_it_answers(client, world):
    response = client.get(f"/events/{world.praise.pk}/")
    body = html(response)
    assert "the crimes of Israel supported by the West" in body
    assert "Arabic" in body
    assert f'href="/events/{world.meeting.pk}/"' in body


def test_an_event_page_counts_independent_outlets_and_shows_linked_articles(client, world):
    response = client.get(f"/events/{world.meeting.pk}/")
    body = html(response)
    # Three sources, two of them from one outlet spelt differently.
    assert "2 independent outlets" in body
    assert "Hamas members met in Moscow." in body
    assert "Hamas officials visit Moscow" in body
    assert "Israel condemns the Moscow visit" in body  # a statement that responds to it


def test_an_event_page_summarises_its_edit_history(client, world):
    body = html(client.get(f"/events/{world.allegation.pk}/"))
    history = body[body.index('id="history"') :]
    assert "Created" in history
    assert "Changed" in history and "evidence status" in history


def test_an_event_loaded_without_history_still_has_a_page(client, world):
    # Bulk loaders (COPY) write no history records.
    world.allegation.history.all().delete()
    response = client.get(f"/events/{world.allegation.pk}/")
    assert response.status_code == 200
    assert "no recorded edits" in html(response)
    assert "No recorded changes." in html(response)


def test_markup_in_stored_text_is_shown_as_text(client, world):
    event = MeetingFactory(
        title="<script>alert('t')</script>",
        summary="<b>bold</b>",
        status=Event.Status.PUBLISHED,
    )
    SourceFactory(event=event, quote="<img src=x onerror=alert(1)>", url="javascript:alert(2)")
    body = html(client.get(f"/events/{event.pk}/"))
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;t&#x27;)&lt;/script&gt;" in body
    assert "<img src=x" not in body
    assert "javascript:" not in body
    timeline = client.get("/timeline/")
    assert "<script>alert" not in html(timeline)
    chart = json.dumps(figure(timeline, "timeline-figure"))
    assert "&lt;script&gt;" in chart


# --- Articles and feeds -----------------------------------------------------------------------


def test_the_article_inbox_filters_and_shows_relevance_and_candidate_kind(client, world):
    response = client.get("/articles/?min_relevance=0.5")
    body = html(response)
    assert "Hamas officials visit Moscow" in body
    assert "Weather report" not in body
    assert "Meeting?" in body
    assert f'href="/events/{world.meeting.pk}/"' in body
    by_feed = html(client.get(f"/articles/?feed={world.failing_feed.pk}"))
    assert "Weather report" in by_feed and "Hamas officials visit Moscow" not in by_feed


def test_only_editors_get_the_triage_links(analyst_client, world):
    assert "Link or dismiss in the admin" not in html(Client().get("/articles/"))
    assert "Link or dismiss in the admin" not in html(analyst_client.get("/articles/"))


def test_editors_get_the_triage_links(editor_client, world):
    body = html(editor_client.get("/articles/"))
    assert "Link or dismiss in the admin" in body
    assert "/admin/ingest/article/" in body


@pytest.mark.parametrize("query", ["min_relevance=high", "feed=999999", "kind=poem", "page=9"])
def test_bad_article_filters_are_a_400(client, world, query):
    response = client.get(f"/articles/?{query}")
    assert response.status_code == 400
    assert "alert-error" in html(response)


def test_the_feeds_page_shows_status_errors_and_articles_per_day(client, world):
    response = client.get("/feeds/")
    body = html(response)
    assert "Wire feed" in body and "Broken feed" in body
    assert "HTTP 500 from the server" in body
    data = figure(response, "feeds-figure")
    assert len(data["data"]) == 2
    assert f"/articles/?feed={world.feed.pk}" in {
        url for trace in data["data"] for url in customdata_urls(trace)
    }


# --- Content-Security-Policy ------------------------------------------------------------------


def test_pages_carry_a_nonce_policy_and_no_inline_script(client, world):
    for url in ("/", "/timeline/", "/relations/", "/relations/russia/hamas/", "/actors/russia/"):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self' 'nonce-" in policy
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        for tag in re.findall(r"<script[^>]*>", html(response)):
            assert 'type="application/json"' in tag or (
                "src=" in tag and f'nonce="{nonce}"' in tag
            ), tag
        assert not re.search(r"\son[a-z]+=", html(response)), url


# --- Query budgets ----------------------------------------------------------------------------

BUDGETS = {
    "/": 18,
    "/timeline/": 8,
    "/timeline/?lanes=actor&actor=russia&actor=hamas&match=all&q=Moscow": 9,
    "/relations/": 6,
    "/relations/russia/hamas/": 7,
    "/relations/russia/hamas/?bucket=week&period=2023-10-23": 7,
    "/actors/": 3,
    "/actors/russia/": 20,
    "/articles/": 6,
    "/articles/?actor=russia&q=Moscow&min_relevance=0.1": 7,
    "/feeds/": 6,
}


def _query_counts(client, urls) -> dict[str, int]:
    counts = {}
    for url in urls:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        assert response.status_code == 200, url
        counts[url] = len(captured)
    return counts


def test_no_page_runs_more_queries_as_rows_grow(client, world, django_assert_max_num_queries):
    # The actor page draws at most six relation charts: grow past that before comparing.
    grow(world, 7)
    urls = [*BUDGETS, f"/events/{world.allegation.pk}/"]
    small = _query_counts(client, urls)
    grow(world, 20)
    large = _query_counts(client, urls)
    assert small == large
    for url, budget in BUDGETS.items():
        with django_assert_max_num_queries(budget):
            client.get(url)
    with django_assert_max_num_queries(10):
        client.get(f"/events/{world.allegation.pk}/")


def test_an_editors_pages_stay_within_budget_too(
    editor_client, world, django_assert_max_num_queries
):
    grow(world, 7)
    small = _query_counts(editor_client, BUDGETS)
    grow(world, 10)
    assert _query_counts(editor_client, BUDGETS) == small


# --- The seed data ----------------------------------------------------------------------------


@pytest.fixture
def seeded(db, django_capture_on_commit_callbacks):
    # The charts' tables are refreshed after each commit; run those callbacks here.
    with django_capture_on_commit_callbacks(execute=True):
        call_command("load_seeds", verbosity=0)


def _listed_titles(response) -> str:
    """The text of the pair page's event list, character references decoded."""
    body = html(response)
    start = body.index('id="pair-events"')
    return unescape(body[start : body.index("</ul>", start)])


def test_the_seeded_russia_hamas_pair_shows_the_meeting_praise_and_both_allegations(client, seeded):
    response = client.get("/relations/russia/hamas/")
    assert response.status_code == 200
    listed = _listed_titles(response)
    kinds = dict(Event.objects.filter(status=Event.Status.PUBLISHED).values_list("title", "kind"))
    shown = {title: kind for title, kind in kinds.items() if title in listed}
    assert any(kind == "meeting" and "Moscow" in title for title, kind in shown.items())
    assert any("praise" in title.lower() for title in shown)
    allegations = [title for title, kind in shown.items() if kind == "allegation"]
    assert any("arms" in title.lower() or "weapons" in title.lower() for title in allegations)
    assert any("crypto" in title.lower() for title in allegations)


def test_the_seeded_russia_israel_pair_shows_the_condemnation_and_leningrad(client, seeded):
    listed = _listed_titles(client.get("/relations/russia/israel/"))
    titles = [
        title
        for title in Event.objects.filter(status=Event.Status.PUBLISHED).values_list(
            "title", flat=True
        )
        if title in listed
    ]
    assert any("condemn" in title.lower() for title in titles)
    assert any("Leningrad" in title for title in titles)
