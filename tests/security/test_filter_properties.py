"""Hypothesis drives the filter parsing of the pages, the API and the exports.

Whatever query string a reader or a crawler sends (valid values, near misses such as
2023-02-30, huge numbers, NUL bytes, 5,000-character searches, broken percent-escapes,
repeated and unknown parameters), a list answers 200 or 400 and never 500, and a page
that refuses its parameters says why.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.filters import MATCH_CHOICES
from ingest.models import Article
from relations.categories import Category
from relations.models import Actor, Allegation, Event
from tests.dashboard.world import build_world

EXAMPLES = 30
SLUGS = ["russia", "hamas", "israel", "ukraine", "sergei-lavrov", "no-such-actor"]

# Any text a URL can carry (surrogates cannot be encoded), NUL and control bytes included.
any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
long_text = st.sampled_from([5000, 200, 201]).map(lambda n: "x" * n)

dates = st.one_of(
    st.dates().map(lambda day: day.isoformat()),
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "2023-02-30",
            "2023-13-01",
            "2023-1-1",
            "20231001",
            "-2023-01-01",
            "2023-10-01T00:00",
            "",
        ]
    ),
    any_text,
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0", "1", "-1", "1e309", "nan", "1_000", " 2", "٣", ""]),
    any_text,
)
slugs = st.one_of(st.sampled_from(SLUGS), any_text)
search = st.one_of(
    any_text,
    long_text,
    st.sampled_from(['"', '"unclosed', "-", "or", "a & b | !c", "x:*", "\\", "<b>", "()"]),
)
booleans = st.one_of(st.sampled_from(["1", "0", "true", "false", "yes", ""]), any_text)


def choices(values) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(list(values)), any_text)


EVENT_FILTERS = {
    "actor": slugs,
    "match": choices(value for value, _ in MATCH_CHOICES),
    "kind": choices(Event.Kind.values),
    "category": choices(Category.values),
    "since": dates,
    "until": dates,
    "evidence_status": choices(Allegation.EvidenceStatus.values),
    "q": search,
    "status": choices(Event.Status.values),
    "page": numbers,
}
WINDOW = {"since": dates, "until": dates, "rollup": booleans}

ENDPOINTS: dict[str, dict[str, st.SearchStrategy[str]]] = {
    "/timeline/": {**EVENT_FILTERS, "lanes": choices(["kind", "actor"])},
    "/actors/": {
        "kind": choices(Actor.Kind.values),
        "q": search,
        "is_core": booleans,
        "page": numbers,
    },
    "/articles/": {
        "feed": numbers,
        "actor": slugs,
        "kind": choices(Article.CandidateKind.values),
        "review_status": choices(Article.ReviewStatus.values),
        "q": search,
        "min_relevance": numbers,
        "page": numbers,
    },
    "/relations/": WINDOW,
    "/relations/russia/hamas/": {
        **WINDOW,
        "bucket": choices(["week", "month"]),
        "period": dates,
        "page": numbers,
    },
    "/api/events/": {**EVENT_FILTERS, "page_size": numbers},
    "/api/actors/": {"kind": choices(Actor.Kind.values), "q": search, "is_core": booleans},
    "/api/dyads/": {"a": slugs, "b": slugs, "bucket": choices(["week", "month"]), **WINDOW},
    "/api/graph/": WINDOW,
    "/export/events.csv": EVENT_FILTERS,
    "/events.atom": {"actor": slugs, "a": slugs, "b": slugs},
}


def query_pairs(parameters: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy:
    """Some of the endpoint's parameters, sometimes repeated, sometimes an unknown one."""
    known = st.sampled_from(sorted(parameters)).flatmap(
        lambda name: st.tuples(st.just(name), parameters[name])
    )
    unknown = st.tuples(any_text, any_text)
    return st.lists(st.one_of(known, known, known, unknown), max_size=8)


# Query strings no form would send: bare keys, broken escapes, escaped NULs, odd separators.
raw_query_strings = st.one_of(
    st.text(st.sampled_from("a=&;%0Fz+?#\x00é"), max_size=30),
    st.sampled_from(["%", "%zz", "page=%00", "q=%ff%fe", "since=%C0%AF", "&&&", "=x", "actor"]),
)


def fetch(client, path: str, query: str):
    response = client.get(f"{path}?{query}")
    if response.streaming:
        # A streamed export fails while it is read, not when the view returns.
        b"".join(response.streaming_content)
    return response


def assert_answered(response, path: str, query: str) -> None:
    assert response.status_code in (200, 400), f"{path}?{query} -> {response.status_code}"
    is_page = response["Content-Type"].startswith("text/html")
    if response.status_code == 400 and is_page:
        # The page shows what was wrong, not a blank "Bad request".
        assert b"errorlist" in response.content, f"{path}?{query}: 400 without a message"


@pytest.fixture
def world(db):
    return build_world()


PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.parametrize("path", sorted(ENDPOINTS))
@PROPERTY_SETTINGS
@given(data=st.data())
def test_any_filter_query_answers_200_or_400(client, world, path, data):
    pairs = data.draw(query_pairs(ENDPOINTS[path]), label="query")
    query = urlencode(pairs)
    assert_answered(fetch(client, path, query), path, query)


@pytest.mark.parametrize("path", ["/timeline/", "/api/events/", "/export/events.csv"])
@PROPERTY_SETTINGS
@given(query=raw_query_strings)
def test_malformed_query_strings_answer_200_or_400(client, world, path, query):
    assert_answered(fetch(client, path, query), path, query)


@PROPERTY_SETTINGS
@given(pairs=query_pairs(EVENT_FILTERS))
def test_the_timeline_parses_filters_the_same_for_an_editor(client, world, editor, pairs):
    """Editors get the status filter and drafts: the same parsing must hold for them."""
    client.force_login(editor)
    query = urlencode(pairs)
    assert_answered(fetch(client, "/timeline/", query), "/timeline/", query)


def test_a_pair_period_without_events_lists_no_events(client, world):
    """Hypothesis found it: an empty period made the cached page count compile an empty
    ``IN ()`` query, which Django refuses with EmptyResultSet (a 500)."""
    response = client.get("/relations/russia/hamas/?period=2000-01-01")
    assert response.status_code == 200
