"""/api/suggestions/ and /api/stories/: the machine-coded interactions and their stories,
read-only, filtered, paginated, in the schema, and silent about draft events."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User

from coding.models import ReviewStatus, Story, Suggestion
from relations.categories import Category
from relations.models import Actor, Event
from tests.factories import (
    ActorFactory,
    ArticleFactory,
    FeedFactory,
    MeetingFactory,
    StoryFactory,
)

pytestmark = pytest.mark.django_db

SEEN = dt.datetime(2023, 10, 26, 9, 0, tzinfo=dt.UTC)


def coded_story(
    source: Actor,
    target: Actor,
    *,
    category: str = Category.CONSULT,
    kind: str = Event.Kind.MEETING,
    status: str = ReviewStatus.PENDING,
    seen: dt.datetime = SEEN,
    articles: int = 1,
    feed=None,
    event: Event | None = None,
    quote: str = "",
) -> Story:
    """A story of ``articles`` suggestions in English (``StoryFactory``), each from its own
    article of ``feed`` (a feed per outlet when None), the cue "received" and the source
    marked at the start of the quote."""
    return StoryFactory(
        source=source,
        target=target,
        category=category,
        kind=kind,
        status=status,
        event=event,
        first_seen=seen,
        outlets=articles,
        language="en",
        feed=feed,
        quote=quote or f"{source.name} received a delegation from {target.name}.",
        cue="received",
        spans={"source": [0, len(source.name)], "cue": [len(source.name) + 1, 30]},
    )


@pytest.fixture
def actors():
    return {
        "russia": ActorFactory(slug="russia", name="Russia"),
        "hamas": ActorFactory(slug="hamas", name="Hamas", kind=Actor.Kind.ARMED_GROUP),
        "israel": ActorFactory(slug="israel", name="Israel"),
    }


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_suggestion_lists_its_article_actors_code_evidence_and_story(client, actors):
    story = coded_story(actors["russia"], actors["hamas"], quote="Moscow hosted Hamas.")
    suggestion = story.suggestions.get()

    (row,) = results(client.get("/api/suggestions/"))

    article = suggestion.article
    assert row["id"] == suggestion.pk
    assert row["article"] == {
        "id": article.pk,
        "guid": article.guid,
        "url": article.url,
        "title": article.title,
        "feed": article.feed_id,
    }
    assert (row["source"], row["target"]) == ("russia", "hamas")
    assert (row["source_named"], row["target_named"], row["claimant"]) == (
        "russia",
        "hamas",
        None,
    )
    assert (row["category"], row["kind"], row["score"]) == ("CONSULT", "meeting", 2.1)
    assert row["confidence"] == pytest.approx(0.9)
    assert (row["quote"], row["cue"]) == ("Moscow hosted Hamas.", "received")
    assert row["spans"]["source"] == [0, 6]
    assert (row["story"], row["status"]) == (story.pk, "pending")
    assert "bands" not in row


def test_a_story_lists_its_suggestions_outlets_languages_and_dates(client, actors):
    story = coded_story(actors["israel"], actors["hamas"], category="ASSAULT", articles=3)

    (row,) = results(client.get("/api/stories/"))

    assert row["id"] == story.pk
    assert (row["source"], row["target"], row["category"], row["status"]) == (
        "israel",
        "hamas",
        "ASSAULT",
        "pending",
    )
    assert (row["outlet_count"], row["article_count"], row["languages"]) == (3, 3, ["en"])
    assert row["first_seen"] == "2023-10-26T09:00:00Z"
    assert row["last_seen"] == "2023-10-26T12:00:00Z"
    assert row["event"] is None
    # Most confident first: the best evidence leads.
    confidences = [suggestion["confidence"] for suggestion in row["suggestions"]]
    assert len(confidences) == 3 and confidences == sorted(confidences, reverse=True)
    assert {s["story"] for s in row["suggestions"]} == {story.pk}


def test_a_story_detail_answers_by_id_and_unknown_ids_404(client, actors):
    story = coded_story(actors["russia"], actors["israel"])

    assert client.get(f"/api/stories/{story.pk}/").json()["id"] == story.pk
    assert client.get(f"/api/stories/{story.pk + 1000}/").status_code == 404
    assert client.get("/api/suggestions/abc/").status_code == 404


@pytest.mark.parametrize("status", ["draft", "published"], ids=["draft", "published"])
def test_the_event_of_an_accepted_story_is_named_only_to_who_may_see_it(
    client, actors, editor, status
):
    event = MeetingFactory(status=status)
    story = coded_story(
        actors["russia"], actors["hamas"], status=ReviewStatus.ACCEPTED, event=event
    )
    url = f"/api/stories/{story.pk}/"
    anonymous = client.get(url).json()["event"]
    client.force_login(editor)
    as_editor = client.get(url).json()["event"]

    assert as_editor == event.pk
    assert anonymous == (event.pk if status == "published" else None)
    # Nothing else names the draft either: the list, and its id nowhere in the body.
    client.logout()
    body = client.get("/api/stories/").content.decode()
    assert (f'"event":{event.pk}' in body) == (status == "published")


def test_suggestions_filter_by_feed_article_actor_category_status(client, actors):
    feed = FeedFactory()
    russia_hamas = coded_story(actors["russia"], actors["hamas"], feed=feed)
    israel_hamas = coded_story(
        actors["israel"], actors["hamas"], category="ASSAULT", status=ReviewStatus.REJECTED
    )
    hamas_israel = coded_story(actors["hamas"], actors["israel"], category="ACCUSE")
    first = russia_hamas.suggestions.get()
    ids = {
        story.pk: story.suggestions.get().pk for story in (russia_hamas, israel_hamas, hamas_israel)
    }

    def listed(query: str) -> set[int]:
        return {row["id"] for row in results(client.get(f"/api/suggestions/?{query}"))}

    assert listed(f"feed={feed.pk}") == {first.pk}
    assert listed(f"article={first.article_id}") == {first.pk}
    assert listed("actor=israel") == {ids[israel_hamas.pk], ids[hamas_israel.pk]}
    assert listed("actor=russia&actor=israel") == set(ids.values())
    assert listed("category=ASSAULT&category=ACCUSE") == {
        ids[israel_hamas.pk],
        ids[hamas_israel.pk],
    }
    assert listed("status=rejected") == {ids[israel_hamas.pk]}
    assert listed(f"story={hamas_israel.pk}") == {ids[hamas_israel.pk]}


def test_stories_filter_by_actor_category_kind_status(client, actors):
    meeting = coded_story(actors["russia"], actors["hamas"])
    strike = coded_story(
        actors["israel"], actors["hamas"], category="ASSAULT", kind="action", articles=2
    )

    def listed(query: str) -> set[int]:
        return {row["id"] for row in results(client.get(f"/api/stories/?{query}"))}

    assert listed("actor=russia") == {meeting.pk}
    assert listed("actor=hamas") == {meeting.pk, strike.pk}
    assert listed("category=ASSAULT") == {strike.pk}
    assert listed("kind=meeting") == {meeting.pk}
    assert listed("status=pending") == {meeting.pk, strike.pk}
    assert listed("status=accepted") == set()


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/suggestions/?feed=abc", "feed"),
        ("/api/suggestions/?feed=999999", "feed"),
        ("/api/suggestions/?article=abc", "article"),
        ("/api/suggestions/?actor=nobody", "actor"),
        ("/api/suggestions/?actor=%3Cscript%3E", "actor"),
        ("/api/suggestions/?category=HUG", "category"),
        ("/api/suggestions/?status=maybe", "status"),
        ("/api/suggestions/?kind=party", "kind"),
        ("/api/suggestions/?story=x", "story"),
        ("/api/suggestions/?page=0", "page"),
        ("/api/suggestions/?page=99", "page"),
        ("/api/suggestions/?page_size=500", "page_size"),
        ("/api/stories/?status=maybe", "status"),
        ("/api/stories/?actor=nobody", "actor"),
        ("/api/stories/?category=HUG", "category"),
        ("/api/stories/?page=x", "page"),
    ],
    ids=[
        "suggestion-feed-word",
        "suggestion-feed-unknown",
        "suggestion-article-word",
        "suggestion-actor-unknown",
        "suggestion-actor-markup",
        "suggestion-category",
        "suggestion-status",
        "suggestion-kind",
        "suggestion-story",
        "suggestion-page-zero",
        "suggestion-page-past",
        "suggestion-page-size",
        "story-status",
        "story-actor",
        "story-category",
        "story-page",
    ],
)
def test_bad_parameters_answer_400_with_a_message(client, actors, url, field):
    coded_story(actors["russia"], actors["hamas"])

    response = client.get(url)

    assert response.status_code == 400
    messages = response.json()[field]
    assert messages and all(isinstance(message, str) and message for message in messages)


def test_lists_are_paginated_like_the_other_endpoints(client, actors):
    for day in range(5):
        coded_story(actors["russia"], actors["hamas"], seen=SEEN + dt.timedelta(days=day))

    first = client.get("/api/stories/?page_size=2").json()
    last = client.get("/api/stories/?page_size=2&page=3").json()
    suggestions = client.get("/api/suggestions/?page_size=4").json()

    assert set(first) == {"count", "next", "previous", "results"}
    assert first["count"] == 5 and len(first["results"]) == 2
    assert "page=2" in first["next"] and first["previous"] is None
    assert len(last["results"]) == 1 and last["next"] is None
    # Last seen first; suggestions newest coded first.
    seen = [row["last_seen"] for row in first["results"]]
    assert seen == sorted(seen, reverse=True)
    ids = [row["id"] for row in suggestions["results"]]
    assert suggestions["count"] == 5 and ids == sorted(ids, reverse=True)


def test_a_page_costs_the_same_queries_however_many_rows(
    client, actors, django_assert_max_num_queries
):
    for _ in range(2):
        coded_story(actors["russia"], actors["hamas"], articles=2)
    budgets = {}
    for url in ("/api/suggestions/", "/api/stories/"):
        with django_assert_max_num_queries(20) as captured:
            results(client.get(url))
        budgets[url] = len(captured)
    for index in range(12):
        coded_story(
            actors["israel"] if index % 2 else actors["hamas"],
            actors["russia"],
            category="ACCUSE",
            articles=3,
            seen=SEEN + dt.timedelta(days=index),
        )
    for url, budget in budgets.items():
        with django_assert_max_num_queries(budget, info=url):
            assert len(results(client.get(url))) > 4


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_the_fast_representations_equal_the_declared_fields(client, actors, editor, rf, zone):
    """The serializers write their rows from what the API's queries joined, by readers chosen
    from their declared fields: each row is what DRF's walk over the declared fields gives,
    key for key, in the same order, and to the byte once rendered (an int where DRF gives a
    float would compare equal and still change the JSON), in any time zone."""
    from django.utils import timezone
    from rest_framework import serializers
    from rest_framework.renderers import JSONRenderer

    from dashboard.api import StoryViewSet, SuggestionViewSet
    from dashboard.serializers import StorySerializer, SuggestionSerializer

    published, draft = MeetingFactory(status="published"), MeetingFactory(status="draft")
    coded_story(actors["russia"], actors["hamas"], articles=2)
    coded_story(actors["israel"], actors["hamas"], status="accepted", event=published)
    coded_story(actors["hamas"], actors["israel"], status="merged", event=draft)
    claimed = coded_story(actors["hamas"], actors["russia"], category="ACCUSE").suggestions.get()
    claimed.claimant = actors["israel"]
    claimed.spans = {}
    claimed.save()
    Story.objects.filter(pk=claimed.story_id).update(confidence=1.0, languages=["ar", "en"])
    Suggestion.objects.create(  # a suggestion no story took (yet)
        article=ArticleFactory(),
        source=actors["russia"],
        target=actors["israel"],
        source_named=actors["russia"],
        target_named=actors["israel"],
        category=Category.CONSULT,
        kind=Event.Kind.MEETING,
        score=1,
        confidence=1,
        quote="Russia met Israel.",
        cue="met",
    )
    request = rf.get("/api/stories/")
    rendered = []
    with timezone.override(zone):
        for user in (None, editor):
            request.user = user
            context = {"request": request, "show_drafts": user is not None}
            for serializer, viewset in (
                (StorySerializer, StoryViewSet),
                (SuggestionSerializer, SuggestionViewSet),
            ):
                for row in viewset.queryset.all():
                    fast = serializer(row, context=context).data
                    slow = serializers.ModelSerializer.to_representation(
                        serializer(context=context), row
                    )
                    if serializer is StorySerializer:
                        slow["suggestions"] = [
                            serializers.ModelSerializer.to_representation(
                                SuggestionSerializer(context=context), suggestion
                            )
                            for suggestion in row.suggestions.all()
                        ]
                    assert list(fast) == list(slow) and dict(fast) == dict(slow)
                    rendered.append(JSONRenderer().render(fast))
                    assert rendered[-1] == JSONRenderer().render(slow)
    assert len(rendered) == 2 * (4 + 6)
    assert any(b'"score":1.0,"confidence":1.0' in row for row in rendered)
    if zone != "UTC":
        assert not any(b'Z"' in row for row in rendered)


def test_a_field_declared_on_the_serializer_reaches_the_rows(actors):
    """The rows are read from the declared fields, so a field added there is in them (as DRF
    writes it), and a field the rows cannot read from a column fails on the first row rather
    than going out wrong."""
    from rest_framework import serializers

    from dashboard.api import SuggestionViewSet
    from dashboard.serializers import SuggestionSerializer

    coded_story(actors["russia"], actors["hamas"])
    Suggestion.objects.update(lexicon_version="v7")
    row = SuggestionViewSet.queryset.get()

    class WithVersion(SuggestionSerializer):
        class Meta(SuggestionSerializer.Meta):
            fields = [*SuggestionSerializer.Meta.fields, "lexicon_version"]

    class WithArticleLanguage(SuggestionSerializer):
        article_language = serializers.CharField(source="article.language")

        class Meta(SuggestionSerializer.Meta):
            fields = [*SuggestionSerializer.Meta.fields, "article_language"]

    data = WithVersion(row).data
    assert list(data)[-2:] == ["coded_at", "lexicon_version"]
    assert data["lexicon_version"] == "v7"
    with pytest.raises(TypeError, match="article_language"):
        _ = WithArticleLanguage(row).data


def test_the_schema_describes_both_endpoints_and_their_filters(client):
    schema = client.get("/api/schema/").json()

    for path, filters in (
        ("/api/suggestions/", {"feed", "article", "actor", "category", "status", "kind"}),
        ("/api/stories/", {"actor", "category", "status", "kind"}),
    ):
        operation = schema["paths"][path]["get"]
        names = {parameter["name"] for parameter in operation["parameters"]}
        assert filters | {"page", "page_size"} <= names
        assert {"200", "400"} <= set(operation["responses"])
        assert f"{path}{{id}}/" in schema["paths"]
    components = schema["components"]["schemas"]
    assert {"id", "article", "source", "target", "quote", "cue", "story", "status"} <= set(
        components["Suggestion"]["properties"]
    )
    assert {"suggestions", "outlet_count", "languages", "event"} <= set(
        components["Story"]["properties"]
    )


def test_writes_are_refused_and_a_login_requirement_applies(client, actors, settings):
    coded_story(actors["russia"], actors["hamas"])
    assert client.post("/api/stories/", {}).status_code in (403, 405)

    settings.DASHBOARD_LOGIN_REQUIRED = True
    assert client.get("/api/suggestions/").status_code == 403
    client.force_login(User.objects.create_user("reader", password="reader-pass-123"))
    assert len(results(client.get("/api/suggestions/"))) == 1
