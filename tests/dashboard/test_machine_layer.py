"""The machine-coded layer on the analysts' pages: off by default, switched on by
``machine=1`` (kept in links and forms), drawn as its own hollow-marker series with a badge
on each row, and never added into the curated numbers, which stay exactly as they were."""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest

from coding import review
from coding.models import ReviewStatus
from dashboard import figures
from relations.models import Event
from relwatch.caching import bump_data_version
from tests.dashboard.test_pages import customdata_urls, event_ids, figure, html
from tests.dashboard.test_suggestions_api import coded_story
from tests.dashboard.world import build_world, grow
from tests.factories import ActorFactory

pytestmark = pytest.mark.django_db

# The world's curated events are dated October-November 2023.
OCTOBER = dt.datetime(2023, 10, 26, 8, 0, tzinfo=dt.UTC)
NOVEMBER = dt.datetime(2023, 11, 14, 8, 0, tzinfo=dt.UTC)
PAGES = {
    "overview": "/",
    "timeline": "/timeline/",
    "relations": "/relations/",
    "pair": "/relations/russia/hamas/",
}
FIGURES = {
    "overview": "dyad-russia-hamas",
    "timeline": "timeline-figure",
    "relations": "network-figure",
    "pair": "pair-figure",
}


@pytest.fixture
def world(db):
    world = build_world()
    world.stories = {
        # Pending: the layer.
        "consult": coded_story(world.russia, world.hamas, seen=OCTOBER, articles=3),
        "accuse": coded_story(
            world.hamas,
            world.russia,
            category="ACCUSE",
            kind=Event.Kind.STATEMENT,
            seen=NOVEMBER,
            quote="Hamas accused Moscow of <b>silence</b>.",
        ),
        "strike": coded_story(
            world.israel, world.hamas, category="ASSAULT", kind=Event.Kind.ACTION, seen=NOVEMBER
        ),
        # Reviewed: never in the layer, whatever became of them.
        "accepted": coded_story(
            world.russia,
            world.hamas,
            status=ReviewStatus.ACCEPTED,
            event=world.draft,
            seen=OCTOBER,
        ),
        "rejected": coded_story(
            world.russia, world.hamas, status=ReviewStatus.REJECTED, seen=OCTOBER
        ),
    }
    return world


def machine_traces(data: dict) -> list[dict]:
    return [trace for trace in data["data"] if trace.get("name") == figures.MACHINE_NAME]


def curated(data: dict, page: str) -> list[dict]:
    """The numbers of a figure's curated traces: what each point says (its customdata, the
    switch left out of its link), its date or place and colour, and its height where that
    is a score. The timeline's heights are lane positions, where stories fan out beside
    events; a dyad's colour range widens to hold the stories' scores."""
    kept = []
    for trace in data["data"]:
        if trace.get("name") == figures.MACHINE_NAME:
            continue
        if trace.get("line", {}).get("color") == figures.MACHINE_EDGE_COLOUR:
            continue
        kept.append(
            {
                "name": trace.get("name"),
                "x": trace.get("x"),
                "y": None if page == "timeline" else trace.get("y"),
                "colour": trace.get("marker", {}).get("color"),
                "custom": [
                    [str(item).replace("&machine=1", "") for item in row]
                    if isinstance(row, list)
                    else str(row).replace("&machine=1", "")
                    for row in trace.get("customdata") or []
                ],
            }
        )
    return kept


def story_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-story-id="(\d+)"', html(response))]


def text_of(response, element_id: str) -> str:
    body = html(response)
    start = body.index(f'id="{element_id}"')
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", body[start : start + 4000])))


# --- Off by default ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES), ids=list(PAGES))
def test_the_layer_is_off_by_default_behind_an_unticked_switch(client, world, page):
    response = client.get(PAGES[page])

    assert response.status_code == 200
    body = html(response)
    switch = re.search(r'<input type="checkbox" name="machine"[^>]*>', body)
    assert switch, "no switch on the page"
    assert 'value="1"' in switch.group(0) and "checked" not in switch.group(0)
    assert "Include machine-coded, unreviewed" in body
    assert not machine_traces(figure(response, FIGURES[page]))
    assert story_ids(response) == [] and "badge-machine" not in body


# --- On: drawn apart, curated numbers untouched ------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES), ids=list(PAGES))
def test_switched_on_the_curated_figures_stay_exactly_as_they_were(client, world, page):
    off = client.get(PAGES[page])
    on = client.get(f"{PAGES[page]}?machine=1")

    assert on.status_code == 200
    assert curated(figure(on, FIGURES[page]), page) == curated(figure(off, FIGURES[page]), page)
    (trace,) = machine_traces(figure(on, FIGURES[page]))
    assert trace["showlegend"] is True
    assert all(symbol.endswith("-open") for symbol in _symbols(trace)), "hollow markers"
    assert re.search(r'<input type="checkbox" name="machine"[^>]*checked', html(on))


def _symbols(trace: dict) -> list[str]:
    symbol = trace["marker"]["symbol"]
    return symbol if isinstance(symbol, list) else [symbol]


def test_the_timeline_draws_pending_stories_as_their_own_series_and_rows(client, world):
    off = client.get("/timeline/")
    on = client.get("/timeline/?machine=1")

    # The events, their count and their list: as without the layer.
    assert event_ids(on, "event-list") == event_ids(off, "event-list")
    assert on.context["page"].paginator.count == off.context["page"].paginator.count
    (trace,) = machine_traces(figure(on, "timeline-figure"))
    pending = [world.stories[name].pk for name in ("strike", "accuse", "consult")]
    assert customdata_urls(trace) and set(customdata_urls(trace)) == {
        f"/api/stories/{pk}/" for pk in pending
    }
    assert "machine-coded, unreviewed" in trace["customdata"][0][5]
    # Newest first, the reviewed ones nowhere.
    assert story_ids(on) == pending
    section = text_of(on, "machine-stories")
    assert "3 stories" in section and "not counted in the curated figures" in section


def test_a_row_has_a_badge_to_its_evidence_and_its_best_sentence_escaped(client, world):
    accuse = world.stories["accuse"]
    body = html(client.get("/timeline/?machine=1"))

    row = body[body.index(f'data-story-id="{accuse.pk}"') :]
    row = row[: row.index("</li>")]
    assert re.search(
        rf'<a class="badge badge-machine" href="/api/stories/{accuse.pk}/"[^>]*>'
        r"machine-coded, unreviewed</a>",
        row,
    )
    assert "Hamas</a> → <a" in row and "Accuse" in row
    assert "&lt;b&gt;silence&lt;/b&gt;" in row and "<b>silence" not in row
    article = accuse.suggestions.get().article
    assert f'href="{article.url}"' in row


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("actor=israel", ["strike"]),
        ("actor=russia&actor=israel&match=all", []),
        ("actor=russia&actor=hamas&match=all", ["accuse", "consult"]),
        ("kind=action", ["strike"]),
        ("category=CONSULT&category=ACCUSE", ["accuse", "consult"]),
        ("since=2023-11-01", ["accuse", "strike"]),
        ("until=2023-10-31", ["consult"]),
        ("evidence_status=unverified", []),
    ],
    ids=[
        "actor",
        "match-all-none",
        "match-all",
        "kind",
        "categories",
        "since",
        "until",
        "evidence",
    ],
)
def test_the_timeline_filters_select_the_stories_too(client, world, query, expected):
    response = client.get(f"/timeline/?{query}&machine=1")

    assert response.status_code == 200
    assert set(story_ids(response)) == {world.stories[name].pk for name in expected}


def test_a_search_finds_stories_by_their_articles_words(client, world):
    accuse = world.stories["accuse"]
    article = accuse.suggestions.get().article
    article.title = "Hamas spokesman berates Moscow"
    article.save()

    response = client.get("/timeline/?q=berates&machine=1")

    assert story_ids(response) == [accuse.pk]


def test_the_pair_page_shows_machine_totals_beside_the_curated_ones(client, world):
    off = client.get("/relations/russia/hamas/?bucket=month")
    on = client.get("/relations/russia/hamas/?bucket=month&machine=1")

    assert on.context["series"] == off.context["series"]
    assert event_ids(on, "pair-events") == event_ids(off, "pair-events")
    machine = text_of(on, "machine-totals")
    assert "Russia → Hamas machine-coded, unreviewed +2.1 from 1 story" in machine
    assert "Hamas → Russia machine-coded, unreviewed −2.0 from 1 story" in machine
    (trace,) = machine_traces(figure(on, "pair-figure"))
    assert sorted(zip(trace["x"], trace["y"], strict=True)) == [
        ("2023-10-01", 2.1),
        ("2023-11-01", -2.0),
    ]
    # A point opens its period's list, the layer still on.
    assert all("machine=1" in url and "period=" in url for url in customdata_urls(trace))
    assert set(story_ids(on)) == {world.stories["consult"].pk, world.stories["accuse"].pk}


def test_links_on_a_switched_on_page_keep_the_switch(client, world):
    pair = html(client.get("/relations/russia/hamas/?machine=1"))
    relations = client.get("/relations/?machine=1")
    overview = html(client.get("/?machine=1"))

    timeline_link = re.search(r'href="(/timeline/\?[^"]+)"', pair).group(1)
    assert "machine=1" in unescape(timeline_link)
    assert "machine=1" in unescape(re.search(r'href="(\?[^"]*)">Swap|href="([^"]*)">Swap', pair)[0])
    pair_links = re.findall(r'href="(/relations/[\w-]+/[\w-]+/\?[^"]*)"', html(relations))
    assert pair_links and all("machine=1" in unescape(link) for link in pair_links)
    assert all("machine=1" in preset["query"] for preset in relations.context["presets"])
    assert 'href="/relations/russia/hamas/?machine=1"' in overview
    (trace,) = machine_traces(figure(relations, "network-figure"))
    assert all("machine=1" in url for url in customdata_urls(trace))


def test_the_timeline_pages_keep_the_switch(client, world):
    grow(world, 9)  # more than a page of events

    body = html(client.get("/timeline/?machine=1"))

    (older,) = re.findall(r'href="([^"]+)" rel="next"', body)
    assert "machine=1" in unescape(older) and "page=2" in unescape(older)


def test_the_relations_page_lists_machine_pairs_apart(client, world):
    off = client.get("/relations/")
    on = client.get("/relations/?machine=1")

    assert on.context["graph"] == off.context["graph"]
    assert on.context["top_edges"] == off.context["top_edges"]
    table = text_of(on, "machine-pairs")
    assert "2 pairs" in table
    assert re.search(r"Hamas – Russia\s+\+0\.1\s+2|Russia – Hamas\s+\+0\.1\s+2", table)
    assert re.search(r"Hamas – Israel\s+−9\.3\s+1|Israel – Hamas\s+−9\.3\s+1", table)


def test_the_overview_cards_show_machine_figures_beside_the_curated_ones(client, world):
    off = client.get("/")
    on = client.get("/?machine=1")

    for card_off, card_on in zip(off.context["cards"], on.context["cards"], strict=True):
        for key in ("last_30", "last_90", "all_time"):
            assert card_on[key] == card_off[key]
    russia_hamas = on.context["cards"][0]
    assert russia_hamas["machine"]["all_time"]["stories"] == 2
    assert "badge-machine" in html(on) and story_ids(on)


def test_a_new_story_shows_at_once_and_a_rejected_one_never(client, world):
    client.get("/timeline/?machine=1")
    client.get("/relations/russia/hamas/?machine=1")
    fresh = coded_story(world.russia, world.hamas, category="AGREE", seen=NOVEMBER)

    timeline = client.get("/timeline/?machine=1")
    pair = client.get("/relations/russia/hamas/?machine=1")

    assert fresh.pk in story_ids(timeline)
    (trace,) = machine_traces(figure(timeline, "timeline-figure"))
    assert f"/api/stories/{fresh.pk}/" in customdata_urls(trace)
    assert pair.context["machine"]["totals"]["stories"] == 3
    assert world.stories["rejected"].pk not in story_ids(timeline)


def test_a_story_rejected_by_an_editor_leaves_the_layer_at_once(
    client, world, editor, django_capture_on_commit_callbacks
):
    consult = world.stories["consult"]
    pair = "/relations/russia/hamas/?machine=1"
    before = client.get(pair).context["machine"]["totals"]["stories"]  # now cached

    with django_capture_on_commit_callbacks(execute=True):
        review.reject(consult, editor, "Not a meeting: a phone call of aides.")

    assert client.get(pair).context["machine"]["totals"]["stories"] == before - 1


def test_an_accepted_story_never_names_its_draft_event_on_the_pages(client, world):
    accepted = world.stories["accepted"]
    for url in PAGES.values():
        body = html(client.get(f"{url}?machine=1"))
        assert f'data-story-id="{accepted.pk}"' not in body
        assert f"/events/{world.draft.pk}/" not in body
        assert "Unpublished draft meeting" not in body


@pytest.mark.parametrize("value", ["yes", "2", "on", "1'"], ids=["yes", "two", "on", "quote"])
@pytest.mark.parametrize("page", list(PAGES), ids=list(PAGES))
def test_a_bad_switch_value_answers_400_with_a_message(client, world, page, value):
    response = client.get(PAGES[page], {"machine": value})

    assert response.status_code == 400
    assert "Include machine-coded, unreviewed" in html(response)
    assert "valid choice" in html(response)


@pytest.mark.parametrize("value", ["0", "false", ""], ids=["zero", "false", "empty"])
def test_off_values_are_accepted_and_show_no_layer(client, world, value):
    response = client.get("/timeline/", {"machine": value})

    assert response.status_code == 200
    assert not machine_traces(figure(response, "timeline-figure"))


@pytest.mark.parametrize("page", list(PAGES), ids=list(PAGES))
def test_the_layer_costs_the_same_queries_however_many_stories(
    client, world, page, django_assert_max_num_queries
):
    url = f"{PAGES[page]}?machine=1"
    client.get(url)  # templates
    # Each time with every cached answer stale, as after a change: all of it computed.
    bump_data_version()
    with django_assert_max_num_queries(60) as captured:
        assert client.get(url).status_code == 200
    budget = len(captured)
    for index in range(15):
        other = ActorFactory(name=f"Coded actor {index}", slug=f"coded-actor-{index}")
        coded_story(
            other,
            world.hamas if index % 2 else world.russia,
            category="DEMAND",
            articles=2,
            seen=OCTOBER + dt.timedelta(days=index),
        )
        coded_story(world.russia, world.hamas, seen=NOVEMBER + dt.timedelta(days=index))
    bump_data_version()
    with django_assert_max_num_queries(budget, info=url):
        assert client.get(url).status_code == 200


def test_timeline_markers_of_the_same_day_fan_out_instead_of_hiding_each_other():
    event = figures.MachineEntry(
        pk=1,
        title="A → B: Consult",
        date=dt.date(2024, 1, 5),
        kind_label="Meeting",
        mean_score=2.1,
        url="/api/stories/1/",
        names=("A", "B"),
        outlets=2,
    )

    class Curated:
        pk = 7
        title = "A meeting"
        date = dt.date(2024, 1, 5)
        date_precision = "day"
        mean_score = 2.0

        def get_kind_display(self):
            return "Meeting"

    data = figures.timeline_figure(
        [Curated()],
        event_url=lambda event: f"/events/{event.pk}/",
        date_label=lambda event: "5 January 2024",
        machine=[event],
    )

    traces = {trace.get("name"): trace for trace in data["data"]}
    machine, scored = traces[figures.MACHINE_NAME], traces["scored"]
    assert machine["y"] != scored["y"]
    assert machine["marker"]["symbol"] == ["circle-open"]
    assert machine["customdata"][0][0] == "/api/stories/1/"
    assert data["layout"]["showlegend"] is True
    assert [t.get("name") for t in data["data"] if t.get("showlegend")] == [figures.MACHINE_NAME]
