"""Issue 10, point 13: a search box and a period that broke pages.

``?q=`` followed by 33 hyphens made PostgreSQL's websearch_to_tsquery overflow its operator
stack ("tsquery stack too small"): a 500 on the pages and the API, an empty export. Runs of
operators are now read as one, so whatever is typed is searched. A period in the last week
of year 9999 ended in a year Python has no dates for: now a 400 that says so.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from relations.models import Event
from relations.search import plain_websearch, search_events
from tests.dashboard.world import build_world
from tests.security.test_filter_properties import assert_answered, fetch

SEARCHED = ["/api/events/", "/timeline/", "/articles/", "/api/articles/", "/export/events.csv"]
HYPHENS = "-" * 33

# Runs of the characters websearch_to_tsquery reads as operators, with words among them.
operator_runs = st.lists(
    st.sampled_from(["-", "- ", "-(", "-!", "!-", "-&", "-|", '"', "(", ")", " or ", "x", "Хамас"]),
    max_size=120,
).map("".join)


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture
def reader(client, editor):
    # /articles/ and /api/articles/ are the editors' inbox; the event lists are for anyone.
    client.force_login(editor)
    return client


@pytest.mark.parametrize("path", SEARCHED)
def test_a_run_of_33_hyphens_before_a_word_is_searched_not_a_server_error(reader, world, path):
    query = urlencode({"q": f"Putin {HYPHENS}Lavrov"})
    response = fetch(reader, path, query)
    assert response.status_code == 200, f"{path}?{query} -> {response.status_code}"


@pytest.mark.parametrize("path", SEARCHED)
def test_33_hyphens_alone_are_refused_with_a_message(reader, world, path):
    query = urlencode({"q": HYPHENS})
    response = fetch(reader, path, query)
    assert response.status_code == 400, f"{path}?{query} -> {response.status_code}"
    assert b"A search needs at least one word" in response.content


def test_a_run_of_hyphens_before_a_word_excludes_that_word(world):
    published = Event.objects.filter(status=Event.Status.PUBLISHED)
    titled = published.first()
    word = titled.title.split()[0]
    found = set(search_events(published, f"{HYPHENS}{word}").values_list("pk", flat=True))
    assert titled.pk not in found
    assert found == set(search_events(published, f"-{word}").values_list("pk", flat=True))
    assert found


def test_operator_runs_collapse_to_one():
    assert plain_websearch("---x") == "-x"
    assert plain_websearch("-!-(-x") == "-x"
    assert plain_websearch("al-Aqsa -Hamas") == "al-Aqsa -Hamas"


@pytest.mark.parametrize("path", SEARCHED)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(q=operator_runs)
def test_any_run_of_search_operators_answers_200_or_400(reader, world, path, q):
    query = urlencode({"q": q[:200]})
    assert_answered(fetch(reader, path, query), path, query)


@pytest.mark.parametrize("bucket,period", [("week", "9999-12-27"), ("month", "9999-12-01")])
def test_a_period_ending_after_year_9999_is_refused_with_a_message(client, world, bucket, period):
    response = client.get(f"/relations/russia/hamas/?period={period}&bucket={bucket}")
    assert response.status_code == 400
    assert b"errorlist" in response.content
    assert b"after the last date there can be" in response.content


def test_the_last_whole_week_of_year_9999_is_still_a_period(client, world):
    response = client.get("/relations/russia/hamas/?period=9999-12-20&bucket=week")
    assert response.status_code == 200
