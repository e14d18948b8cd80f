"""The pages in a real browser: Debian's Chromium driven by Playwright against the live
server. Charts are drawn (a plotly plot with data), filters change the URL and the list, and
a click on a chart point reaches the events behind it. Each test saves a screenshot of its
page under screenshots/, which the README shows.

Run with ``pytest -m browser``. The browser runs under the strict Content-Security-Policy;
any script error or blocked resource fails the test.
"""

import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command

from relations.models import Allegation, Event
from tests.dashboard.world import build_world

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in a
# thread with a running loop unless told that this is intended (tests only).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set CHROMIUM_PATH)")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def world(transactional_db):
    return build_world()


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    # A test that expects an error page removes the browser's report of it from here.
    page.problems = problems
    yield page
    context.close()
    assert not problems, problems


def plots_with_data(page, expected: int) -> int:
    """Wait for ``expected`` plotly plots, and return how many hold at least one trace."""
    # A locator waits without evaluating strings in the page, which the CSP forbids.
    page.locator(".js-plotly-plot").nth(expected - 1).wait_for()
    return page.evaluate(
        "Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".filter(el => Array.isArray(el.data) && el.data.length > 0).length"
    )


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def click_point(page, chart_selector: str, point_selector: str, index: int = 0) -> None:
    """Hover, then click, the centre of one plotly point: plotly reads clicks from its drag
    layer at the mouse position, not from the point element itself."""
    point = page.locator(f"{chart_selector} {point_selector}").nth(index)
    box = point.bounding_box()
    assert box, "the point is not on screen"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(150)
    page.mouse.click(x, y)


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
    page.fill("input[name=min_relevance]", "0.5")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"min_relevance=0.5"))
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
