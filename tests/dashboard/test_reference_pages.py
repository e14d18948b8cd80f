"""The reference pages analysts expect: the methodology (read from the tables the code uses),
linked from every chart; the API reference served without a CDN; a favicon."""

import re
from html import unescape

import pytest

from relations.analytics import ROLLING_KINDS
from relations.categories import DEFAULT_INTENSITY, SCORE_MAX, SCORE_MIN, Category
from relations.models import Actor, Allegation, Event
from tests.dashboard.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_world()


def html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def category_rows(body: str) -> list[tuple[str, str, float]]:
    table = re.search(r'<table id="category-table">(.*?)</table>', body, re.S)
    assert table, "no category table"
    return [
        (unescape(label), code, float(score))
        for label, code, score in re.findall(
            r"<td>(.*?)</td>\s*<td><code>(\w+)</code></td>\s*<td[^>]*data-score=\"([-0-9.]+)\"",
            table.group(1),
        )
    ]


def test_the_methodology_lists_all_16_categories_with_the_scores_from_the_table(client):
    rows = category_rows(html(client.get("/methodology/")))
    assert len(rows) == 16
    assert [(code, score) for _, code, score in rows] == [
        (str(category), DEFAULT_INTENSITY[category]) for category in Category
    ]
    assert {label for label, _, _ in rows} == {category.label for category in Category}


def test_the_methodology_shows_signed_scores_and_the_scale(client):
    body = unescape(html(client.get("/methodology/")))
    assert re.search(r"<code>ASSAULT</code></td>\s*<td[^>]*>−9\.3</td>", body)
    assert re.search(r"<code>RETREAT</code></td>\s*<td[^>]*>\+7\.6</td>", body)
    assert f"{SCORE_MIN:+.1f}".replace("-", "−") in body
    assert f"{SCORE_MAX:+.1f}" in body


def test_the_methodology_names_every_kind_precision_and_evidence_status(client):
    body = unescape(html(client.get("/methodology/")))
    for _, label in Event.Kind.choices:
        assert f"<dt>{label}</dt>" in body
    for value, label in Allegation.EvidenceStatus.choices:
        assert f'<span class="badge badge-{value}">{label}</span>' in body
    for _, label in Event.Precision.choices:
        assert label.lower() in body
    # A meeting's default category is the one triage gives it.
    assert "<dt>Meeting</dt>\n    <dd>Category by default: Consult.</dd>" in body


def test_the_methodology_states_the_roll_up_and_sourcing_rules(client):
    body = unescape(html(client.get("/methodology/")))
    assert "affiliation valid on the event's date" in body
    for kind in ROLLING_KINDS:
        assert Actor.Kind(kind).label.lower() in body
    others = ", ".join(
        label.lower() for value, label in Actor.Kind.choices if value not in ROLLING_KINDS
    )
    assert f"Actors of the other kinds ({others}) never roll up" in body
    assert "has at least one source" in body
    assert "independent outlets" in body
    assert "counts once" in body


def test_the_reference_pages_are_in_the_site_navigation(client):
    nav = re.search(r'<nav class="site-nav".*?</nav>', html(client.get("/")), re.S).group(0)
    assert 'href="/methodology/"' in nav
    assert 'href="/api/docs/"' in nav
    current = html(client.get("/methodology/"))
    assert '<a href="/methodology/" aria-current="page">Methodology</a>' in current


CHART_PAGES = ["/", "/timeline/", "/relations/", "/relations/russia/hamas/", "/actors/russia/"]


@pytest.mark.parametrize("url", CHART_PAGES)
def test_every_chart_links_to_the_methodology(client, world, url):
    body = html(client.get(url))
    charts = re.findall(r'<div class="chart[^"]*" data-figure="([^"]+)"', body)
    assert charts, f"no chart on {url}"
    for figure_id in charts:
        after_chart = re.search(
            rf'<script id="{re.escape(figure_id)}" type="application/json">.*?</script>\s*'
            r'<p class="chart-note chart-method"><a href="/methodology/#scale">',
            body,
            re.S,
        )
        assert after_chart, f"{figure_id} on {url} has no link to the methodology"


def test_the_event_pages_chart_links_to_the_methodology(client, world):
    body = html(client.get(f"/events/{world.meeting.pk}/"))
    assert 'data-figure="interactions-figure"' in body
    assert '<a href="/methodology/#scale">' in body


def test_the_methodology_follows_the_login_rule_of_the_dashboard(client, settings):
    settings.DASHBOARD_LOGIN_REQUIRED = True
    response = client.get("/methodology/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- API reference ----------------------------------------------------------------------------


def test_the_api_reference_is_served_with_no_external_url(client):
    response = client.get("/api/docs/")
    body = html(response)
    assert response["Content-Type"].startswith("text/html")
    # Nothing from another host: no CDN, no web fonts, no validator badge.
    assert re.findall(r"https?://[^\s\"'<>]+", body) == []
    assert not re.search(r"(?:src|href)=\"//", body)
    assert '<div id="swagger-ui"></div>' in body


def test_the_api_reference_scripts_come_from_static_and_none_is_inline(client):
    body = html(client.get("/api/docs/"))
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S)
    sources = []
    for attributes, content in scripts:
        assert content.strip() == "", "an inline script, which the CSP refuses"
        sources.append(unescape(re.search(r'src="([^"]+)"', attributes).group(1)))
    bundled = [source for source in sources if source.startswith("/static/")]
    assert [source.rsplit("/", 1)[1] for source in bundled] == [
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
    ]
    for source in bundled:
        served = client.get(source)
        assert served.status_code == 200
        assert b"".join(served.streaming_content).strip()
    # The start-up script is the page's own, asked for separately.
    (own,) = [source for source in sources if not source.startswith("/static/")]
    assert own.startswith("/api/docs/?script")
    start = client.get(own)
    assert start.status_code == 200
    assert start["Content-Type"].startswith("application/javascript")
    script = start.content.decode()
    assert 'url: "/api/schema/"' in script
    # No validator badge: swagger.io would be asked for an image of every page view.
    assert '"validatorUrl": null' in script
    assert "https://" not in script


def test_the_api_reference_page_reads_the_schema_it_points_to(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "Relwatch API"


# --- Favicon ----------------------------------------------------------------------------------


def test_the_favicon_is_linked_and_served(client):
    link = re.search(r'<link rel="icon" href="([^"]+)"', html(client.get("/")))
    assert link and link.group(1).startswith("/static/") and link.group(1).endswith(".svg")
    icon = client.get(link.group(1))
    assert icon.status_code == 200
    assert icon["Content-Type"].startswith("image/svg+xml")
    assert b"<svg" in b"".join(icon.streaming_content)


def test_favicon_ico_is_not_a_404(client):
    response = client.get("/favicon.ico", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith(".svg")
