"""Charts and reference pages in a real browser, under the strict Content-Security-Policy (any
script error or blocked resource fails the test): the timeline's range slider, the relations
page on a phone, the methodology behind every chart, and the API reference."""

import re

import pytest

from tests.browser.support import plots_with_data, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def overflow(page) -> dict:
    return page.evaluate(
        "({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )


def test_the_timeline_opens_on_its_events_with_a_range_slider(page, world):
    page.goto("/timeline/")
    assert plots_with_data(page, 1) == 1
    chart = page.locator(".chart[data-figure=timeline-figure]")
    assert chart.locator(".rangeslider-container").count() == 1
    start, end = page.evaluate(
        "document.querySelector('[data-figure=timeline-figure]').layout.xaxis.range"
    )
    # The world's events run from October to November 2023.
    assert "2023-09" <= start[:7] <= "2023-10"
    assert "2023-11" <= end[:7] <= "2023-12"


def test_the_relations_page_fits_a_phone_and_draws_both_charts(page, world):
    page.set_viewport_size(PHONE)
    page.goto("/relations/?rollup=0")
    assert plots_with_data(page, 2) == 2
    sizes = overflow(page)
    assert sizes["scroll"] <= sizes["client"], sizes
    # Each chart fits the screen, and its colour bar lies flat rather than taking a third
    # of the width beside the plot: the plotting area keeps most of it.
    for figure_id, share in (("network-figure", 0.8), ("heatmap-figure", 0.45)):
        chart = page.locator(f".chart[data-figure={figure_id}]")
        whole = chart.locator(".main-svg").first.bounding_box()
        assert whole and whole["width"] <= PHONE["width"], (figure_id, whole)
        plot = chart.locator(".nsewdrag").first.bounding_box()
        assert plot["width"] >= share * whole["width"], (figure_id, plot, whole)
        colour_bar = chart.locator(".colorbar").first.bounding_box()
        assert colour_bar["width"] > colour_bar["height"], (figure_id, colour_bar)
    # The network says what its node colours mean.
    legend = page.locator(".chart[data-figure=network-figure] .legend")
    assert "Node colour" in legend.text_content()
    screenshot(page, "relations_phone")


def test_a_chart_caption_leads_to_the_methodology(page, world):
    page.goto("/")
    plots_with_data(page, 3)
    page.locator(".chart-method a").first.click()
    page.wait_for_url(re.compile(r"/methodology/#scale$"))
    assert page.locator("#category-table tbody tr").count() == 16
    screenshot(page, "methodology")


def test_the_api_reference_renders_under_the_csp(page, world):
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto("/api/docs/")
    # Swagger UI has read the schema and listed the operations.
    page.locator(".swagger-ui .info .title").get_by_text("Relwatch API").wait_for()
    page.locator(".swagger-ui .opblock-tag").first.wait_for()
    assert page.locator(".swagger-ui .opblock").count() >= 5
    assert any("/api/schema/" in url for url in requests)
    base = page.url.split("/api/docs/")[0]
    assert [url for url in requests if not url.startswith((base, "data:", "blob:"))] == []


def test_the_favicon_is_served(page, world):
    response = page.request.get("/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
