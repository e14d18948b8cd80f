import datetime as dt
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.test import RequestFactory

from dashboard.filters import (
    ActorFilter,
    ArticleFilter,
    DyadForm,
    EventFilter,
    WindowForm,
    published_events_for,
)
from relations.models import Actor, Allegation, Event
from tests.factories import (
    ActorFactory,
    AliasFactory,
    AllegationFactory,
    ArticleFactory,
    FeedFactory,
    MeetingFactory,
    MentionFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)

pytestmark = pytest.mark.django_db


def query(data) -> QueryDict:
    """Filter data as a request's GET holds it."""
    return QueryDict(urlencode(data, doseq=True))


def request_for(user=None):
    request = RequestFactory().get("/")
    request.user = user or AnonymousUser()
    return request


def event_filter(data, user=None):
    request = request_for(user)
    return EventFilter(query(data), queryset=published_events_for(request.user), request=request)


def pks(queryset):
    return sorted(event.pk for event in queryset)


@pytest.fixture
def actors():
    return {
        slug: ActorFactory(slug=slug, name=slug.title()) for slug in ("russia", "hamas", "israel")
    }


def published_meeting(*participants, **fields):
    event = MeetingFactory(status=Event.Status.PUBLISHED, **fields)
    for actor in participants:
        ParticipantFactory(event=event, actor=actor)
    return event


def test_actor_filter_matches_any_or_all_of_several_actors(actors):
    both = published_meeting(actors["russia"], actors["hamas"])
    russia_only = published_meeting(actors["russia"], actors["israel"])
    published_meeting(actors["israel"])

    any_of = event_filter({"actor": ["russia", "hamas"]})
    all_of = event_filter({"actor": ["russia", "hamas"], "match": "all"})

    assert any_of.is_valid() and pks(any_of.qs) == sorted([both.pk, russia_only.pk])
    assert all_of.is_valid() and pks(all_of.qs) == [both.pk]


def test_kind_category_dates_and_evidence_status_narrow_the_list(actors):
    meeting = published_meeting(actors["russia"], date=dt.date(2023, 10, 26))
    statement = StatementFactory(
        status=Event.Status.PUBLISHED, category="PROTEST", date=dt.date(2023, 10, 13)
    )
    allegation = AllegationFactory(
        status=Event.Status.PUBLISHED,
        date=dt.date(2023, 10, 30),
        evidence_status=Allegation.EvidenceStatus.DISPUTED,
    )
    AllegationFactory(status=Event.Status.PUBLISHED, date=dt.date(2023, 10, 30))

    assert pks(event_filter({"kind": "meeting"}).qs) == [meeting.pk]
    assert pks(event_filter({"category": "PROTEST"}).qs) == [statement.pk]
    window = event_filter({"since": "2023-10-20", "until": "2023-10-29"})
    assert window.is_valid() and pks(window.qs) == [meeting.pk]
    assert pks(event_filter({"evidence_status": "disputed"}).qs) == [allegation.pk]


def test_search_finds_words_in_quotes_and_sources(actors, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        statement = StatementFactory(
            status=Event.Status.PUBLISHED, quote="This is like the siege of Leningrad."
        )
        meeting = published_meeting(actors["russia"], title="Talks in Moscow")
        SourceFactory(event=meeting, quote="Abu Marzouk led the delegation.")

    assert pks(event_filter({"q": "leningrad"}).qs) == [statement.pk]
    assert pks(event_filter({"q": "marzouk delegation"}).qs) == [meeting.pk]


def test_drafts_reach_editors_only(actors, editor, analyst):
    draft = MeetingFactory(status=Event.Status.DRAFT)
    published = published_meeting(actors["russia"])

    assert pks(event_filter({}).qs) == [published.pk]
    assert pks(event_filter({}, analyst).qs) == [published.pk]
    assert pks(event_filter({"status": "draft"}, analyst).qs) == []
    assert pks(event_filter({}, editor).qs) == sorted([draft.pk, published.pk])
    assert pks(event_filter({"status": "draft"}, editor).qs) == [draft.pk]
    # Even given every event, the filterset hides drafts from a non-editor.
    unsafe = EventFilter({}, queryset=Event.objects.all(), request=request_for())
    assert pks(unsafe.qs) == [published.pk]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"since": "2023-13-45"}, "since", "valid date"),
        ({"since": "26/10/2023"}, "since", "valid date"),
        ({"until": "yesterday"}, "until", "valid date"),
        ({"since": "2023-11-01", "until": "2023-10-01"}, "until", "before the start"),
        ({"kind": "battle"}, "kind", "not one of the available choices"),
        ({"category": "HUG"}, "category", "not one of the available choices"),
        ({"actor": "atlantis"}, "actor", "not one of the available choices"),
        ({"evidence_status": "maybe"}, "evidence_status", "not one of the available choices"),
        ({"match": "some"}, "match", "not one of the available choices"),
        ({"q": "x" * 5000}, "q", "at most 200 characters"),
        ({"q": "null\x00byte"}, "q", "Null characters"),
        ({"actor": "nul\x00"}, "actor", ""),
    ],
)
def test_bad_input_is_a_form_error(actors, data, field, message):
    filterset = event_filter(data)

    assert not filterset.is_valid()
    assert message in " ".join(filterset.errors[field])
    list(filterset.qs)  # the valid part still runs without error


def test_article_filter_by_feed_actor_kind_status_relevance_and_words(actors):
    feed = FeedFactory()
    wanted = ArticleFactory(
        feed=feed,
        candidate_kind="meeting",
        relevance=5,
        title="Hamas delegation visits Moscow",
    )
    MentionFactory(article=wanted, actor=actors["hamas"])
    other = ArticleFactory(relevance=1, review_status="dismissed")
    MentionFactory(article=other, actor=actors["israel"])

    def ids(data):
        filterset = ArticleFilter(query(data))
        assert filterset.is_valid(), filterset.errors
        return [article.pk for article in filterset.qs]

    assert ids({"feed": feed.pk}) == [wanted.pk]
    assert ids({"actor": "hamas"}) == [wanted.pk]
    assert ids({"kind": "meeting"}) == [wanted.pk]
    assert ids({"review_status": "dismissed"}) == [other.pk]
    assert ids({"min_relevance": "2"}) == [wanted.pk]
    assert ids({"q": "delegation moscow"}) == [wanted.pk]
    assert not ArticleFilter(query({"feed": "999999"})).is_valid()
    assert not ArticleFilter(query({"min_relevance": "lots"})).is_valid()


def test_actor_filter_by_kind_core_and_alias():
    russia = ActorFactory(slug="russia", name="Russia", is_core=True)
    lavrov = ActorFactory(slug="sergei-lavrov", name="Sergei Lavrov", kind=Actor.Kind.PERSON)
    AliasFactory(actor=russia, text="the Kremlin")

    def slugs(data):
        filterset = ActorFilter(query(data), queryset=Actor.objects.all())
        assert filterset.is_valid(), filterset.errors
        return [actor.slug for actor in filterset.qs]

    assert slugs({"kind": "person"}) == [lavrov.slug]
    assert slugs({"is_core": "true"}) == ["russia"]
    assert slugs({"q": "kremlin"}) == ["russia"]


def test_window_and_dyad_forms_check_their_input(actors):
    window = WindowForm({"rollup": "1"})
    assert window.is_valid() and window.cleaned_data["rollup"] is True
    assert WindowForm({}).is_valid()
    assert not WindowForm({"rollup": "maybe"}).is_valid()
    assert not WindowForm({"since": "2024-01-01", "until": "2023-01-01"}).is_valid()
    form = DyadForm({"a": "russia", "b": "hamas"})
    assert form.is_valid() and form.cleaned_data["bucket"] == "week"
    assert not DyadForm({"a": "russia", "b": "russia"}).is_valid()
    assert "b" in DyadForm({"a": "russia", "b": "nowhere"}).errors
    assert not DyadForm({"a": "russia", "b": "hamas", "bucket": "year"}).is_valid()
