"""The pages in a real browser: Debian's Chromium driven by Playwright against the live
server. Charts are drawn (a plotly plot with data), filters change the URL and the list, and
a click on a chart point reaches the events behind it. Each test saves a screenshot of its
page under screenshots/, which the README shows.

Run with ``pytest -m browser``. The browser runs under the strict Content-Security-Policy;
any script error or blocked resource fails the test.
"""

import re

import pytest
from django.core.management import call_command

from relations.models import Allegation, Event
from tests.browser.support import click_point, plots_with_data, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_plotly_is_served_from_static(page, world):
    response = page.request.get("/static/vendor/plotly.min.js")
    assert response.status == 200
    assert b"plotly.js" in response.body()[:200]


def test_the_overview_draws_a_chart_per_core_pair(page, world):
    page.goto("/")
    assert plots_with_data(page, 3) == 3


def test_a_timeline_filter_changes_the_url_and_the_list(page, world):
    page.goto("/timeline/")
    assert plots_with_data(page, 1) == 1
    assert page.locator("#event-list > li").count() == 5

    page.select_option("select[name=kind]", ["meeting"])
    page.click("#timeline-filters button[type=submit]")
    page.wait_for_url(re.compile(r"kind=meeting"))
    items = page.locator("#event-list > li")
    assert items.count() == 1
    assert world.meeting.title in items.first.inner_text()

    # The lanes choice sends the form on its own, keeping the other filters.
    page.select_option("select[name=lanes]", "actor")
    page.wait_for_url(re.compile(r"lanes=actor"))
    assert "kind=meeting" in page.url
    assert plots_with_data(page, 1) == 1


def test_clicking_a_timeline_point_opens_its_event(page, world):
    page.goto("/timeline/?kind=allegation&since=2023-11-01")
    plots_with_data(page, 1)
    click_point(page, ".chart[data-figure=timeline-figure]", ".scatterlayer .point")
    page.wait_for_url(re.compile(rf"/events/{world.allegation.pk}/$"))
    assert world.allegation.title in page.locator("h1").inner_text()


def test_the_relations_page_draws_the_network_and_the_heatmap(page, world):
    page.goto("/relations/")
    assert plots_with_data(page, 2) == 2


def test_clicking_a_network_edge_opens_the_pair(page, world):
    page.goto("/relations/?rollup=1")
    plots_with_data(page, 2)
    network = ".chart[data-figure=network-figure]"
    pairs = page.evaluate(
        "Array.from(document.querySelector('[data-figure=network-figure]').data)"
        ".findIndex(trace => trace.name === 'pairs')"
    )
    assert pairs >= 0
    click_point(page, network, f".scatterlayer .trace:nth-child({pairs + 1}) .point")
    page.wait_for_url(re.compile(r"/relations/[a-z-]+/[a-z-]+/\?rollup=1"))
    assert plots_with_data(page, 1) == 1


def test_clicking_a_pair_bar_lists_the_events_of_its_period(page, world):
    page.goto("/relations/russia/hamas/")
    assert plots_with_data(page, 1) == 1
    # The second month, November 2023, holds only the allegation.
    click_point(page, ".chart[data-figure=pair-figure]", ".barlayer .point", index=1)
    page.wait_for_url(re.compile(r"period=2023-11-01"))
    items = page.locator("#pair-events > li")
    assert items.count() == 1
    assert world.allegation.title in items.first.inner_text()
    assert "November 2023" in page.locator("#events h2").inner_text()


def test_an_event_page_draws_its_interactions(page, world):
    page.goto(f"/events/{world.allegation.pk}/")
    assert plots_with_data(page, 1) == 1
    assert "Disputed" in page.locator("#evidence-status").inner_text()


def test_the_actor_pages_draw_their_relations(page, world):
    page.goto("/actors/")
    assert page.locator("#actor-table tbody tr").count() == 5
    page.goto("/actors/russia/")
    assert plots_with_data(page, 3) >= 3


def test_the_article_inbox_and_feeds_pages_render(page, world):
    page.goto("/articles/")
    assert page.locator("#article-list > li").count() == 2
    page.select_option("select[name=relevance]", "high")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"relevance=high"))
    assert page.locator("#article-list > li").count() == 1
    page.goto("/feeds/")
    assert plots_with_data(page, 1) == 1


def test_a_bad_filter_shows_the_error_in_the_browser(page, world):
    response = page.goto("/timeline/?since=2023-12-01&until=2023-01-01")
    assert response.status == 400
    assert "must not be before" in page.locator(".alert-error").inner_text()
    page.problems.remove(
        "console error: Failed to load resource: the server responded with a status of 400 "
        "(Bad Request)"
    )


# --- Every page with the seed data, for the README's screenshots -------------------------------

SEEDED_PAGES = [
    # (screenshot name, URL, plots with data the page must draw)
    ("overview", "/", 3),
    ("timeline", "/timeline/", 1),
    ("relations", "/relations/", 2),
    ("pair", "/relations/russia/hamas/", 1),
    ("actors", "/actors/", 0),
    ("actor", "/actors/russia/", 3),
    ("articles", "/articles/", 0),
    ("feeds", "/feeds/", 1),
]


@pytest.fixture
def seeded(transactional_db):
    call_command("load_seeds", with_samples=True, verbosity=0)


def test_every_page_with_the_seed_data(page, seeded):
    for name, url, plots in SEEDED_PAGES:
        response = page.goto(url)
        assert response.status == 200, url
        if plots:
            assert plots_with_data(page, plots) >= plots, url
        screenshot(page, name)
    allegation = Allegation.objects.filter(status=Event.Status.PUBLISHED).order_by("date").first()
    page.goto(f"/events/{allegation.pk}/")
    assert plots_with_data(page, 1) == 1
    screenshot(page, "event")
