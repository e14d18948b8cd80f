import datetime as dt
import re
from html import unescape
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import QueryDict
from django.test import RequestFactory

from dashboard.filters import (
    ActorFilter,
    ApiWindowForm,
    ArticleFilter,
    DyadForm,
    EventFilter,
    published_events_for,
)
from dashboard.forms import WindowForm
from relations.models import Actor, Allegation, Event
from tests.dashboard.world import build_world
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
    window = ApiWindowForm({"rollup": "true"})
    assert window.is_valid() and window.cleaned_data["rollup"] is True
    assert not ApiWindowForm({"rollup": "maybe"}).is_valid()
    backwards = ApiWindowForm({"since": "2024-01-01", "until": "2023-01-01"})
    assert backwards.errors["until"] == ["The end date must not be before the start date."]
    # One window form, two roll-up defaults: the API shows people as themselves unless asked,
    # the pages roll them up.
    api, page = ApiWindowForm({}), WindowForm({})
    assert api.is_valid() and api.cleaned_data["rollup"] is False
    assert page.is_valid() and page.cleaned_data["rollup"] is True
    form = DyadForm({"a": "russia", "b": "hamas"})
    assert form.is_valid() and form.cleaned_data["bucket"] == "week"
    assert not DyadForm({"a": "russia", "b": "russia"}).is_valid()
    assert "b" in DyadForm({"a": "russia", "b": "nowhere"}).errors
    assert not DyadForm({"a": "russia", "b": "hamas", "bucket": "year"}).is_valid()


# --- On the pages: the line of active filters, the pickers, bad values kept ---------------------


def body_of(response) -> str:
    return response.content.decode()


def active_filters_of(response) -> str:
    """The text of the line of active filters above the results ('' when there is none)."""
    match = re.search(r'<div class="active-filters".*?</div>', body_of(response), re.S)
    if not match:
        return ""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


def drop_link(response, label: str) -> str:
    """The URL of the × that drops one active value, found by its accessible label."""
    match = re.search(
        rf'<a class="chip-drop" href="([^"]*)"[^>]*aria-label="Remove {re.escape(label)}"',
        body_of(response),
    )
    assert match, f"no link drops {label!r}"
    return unescape(match.group(1))


def listed_events(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-event-id="(\d+)"', body_of(response))]


@pytest.fixture
def world(db):
    return build_world()


def test_the_timeline_sums_up_its_active_filters_as_the_rows_write_dates(client, world):
    response = client.get(
        "/timeline/?actor=russia&actor=hamas&match=any&kind=meeting&kind=statement"
        "&since=2023-10-01&until=&q=&lanes=actor"
    )

    assert response.status_code == 200
    line = active_filters_of(response)
    assert "Actors: Russia × Hamas ×" in line
    assert "Kind: Meeting × Statement ×" in line
    # The date as the event rows show theirs ("26 October 2023"), not as typed.
    assert "From: 1 October 2023 ×" in line
    # Defaults and empty fields are no filter; the chart's lanes are not a filter either.
    for absent in ("Match", "Until", "Search", "lanes", "Lanes"):
        assert absent not in line
    assert "4 active" not in body_of(response) and "3 active" in body_of(response)


def test_each_active_filter_links_to_the_page_without_it(client, world):
    url = "/timeline/?actor=russia&actor=hamas&kind=meeting&since=2023-10-01&lanes=actor&page=1"
    response = client.get(url)
    assert listed_events(response) == [world.meeting.pk]

    without_hamas = drop_link(response, "Actors: Hamas")
    assert without_hamas == ("/timeline/?actor=russia&kind=meeting&since=2023-10-01&lanes=actor")
    without_kind = client.get(drop_link(response, "Kind: Meeting"))
    assert "Kind" not in active_filters_of(without_kind)
    assert "Actors: Russia × Hamas ×" in active_filters_of(without_kind)
    assert set(listed_events(without_kind)) == {
        world.meeting.pk,
        world.praise.pk,
        world.condemnation.pk,
        world.allegation.pk,
    }
    without_date = drop_link(response, "From: 1 October 2023")
    assert "since" not in without_date and "page" not in without_date
    # "Clear all" keeps what is not a filter (the chart's lanes).
    assert 'href="/timeline/?lanes=actor">Clear all</a>' in body_of(response)


def test_a_single_filter_has_no_clear_all_and_no_filter_no_line(client, world):
    one = client.get("/timeline/?kind=meeting")
    assert "Kind: Meeting" in active_filters_of(one)
    assert drop_link(one, "Kind: Meeting") == "/timeline/"
    assert "Clear all" not in body_of(one)
    assert active_filters_of(client.get("/timeline/?since=&q=&match=any")) == ""


def test_match_all_is_an_active_filter_and_any_is_not(client, world):
    response = client.get("/timeline/?actor=russia&actor=hamas&match=all")
    assert "Match: All of these actors ×" in active_filters_of(response)
    assert drop_link(response, "Match: All of these actors") == (
        "/timeline/?actor=russia&actor=hamas"
    )


def test_a_bad_date_stays_in_its_field_with_its_message(client, world):
    response = client.get("/timeline/?since=2023-13-45&kind=meeting")

    assert response.status_code == 400
    body = body_of(response)
    field = re.search(r'<input[^>]*name="since"[^>]*>', body).group(0)
    # A date input would show a blank box for a date that does not exist: a text box keeps it.
    assert 'type="text"' in field and 'value="2023-13-45"' in field
    assert 'aria-invalid="true"' in field
    assert re.search(r'id="id_since_error"><li>Enter a valid date.</li>', body)
    assert "From: Enter a valid date." in body  # the alert names the field by its label
    # The summary lists the refused value as sent, with a way to drop it.
    assert "From: 2023-13-45 ×" in active_filters_of(response)
    assert drop_link(response, "From: 2023-13-45") == "/timeline/?kind=meeting"
    # A real date in a wrong order keeps its date input.
    ordered = body_of(client.get("/timeline/?since=2023-12-01&until=2023-01-01"))
    assert re.search(r'<input type="date" name="until" value="2023-01-01"', ordered)


def test_a_bad_choice_is_listed_as_sent_with_its_message(client, world):
    response = client.get("/timeline/?actor=atlantis&actor=russia")
    assert response.status_code == 400
    assert "Actors: Select a valid choice. atlantis is not one of the available choices." in (
        unescape(body_of(response))
    )
    assert "Actors: atlantis × Russia ×" in active_filters_of(response)
    assert drop_link(response, "Actors: atlantis") == "/timeline/?actor=russia"


def test_the_pair_window_keeps_a_bad_date_too(client, world):
    response = client.get("/relations/russia/hamas/?until=yesterday")
    assert response.status_code == 400
    field = re.search(r'<input[^>]*name="until"[^>]*>', body_of(response)).group(0)
    assert 'type="text"' in field and 'value="yesterday"' in field
    assert "Until: Enter a valid date." in body_of(response)
    assert re.search(r'<input type="date" name="since"', body_of(client.get("/relations/")))


def test_the_actor_picker_is_a_select_served_with_its_options(client, world):
    """Without a script the picker is a plain multi-select with every actor, the chosen ones
    selected; the page loads select2 from the admin's static files before forms.js."""
    body = body_of(client.get("/timeline/?actor=hamas"))
    select = re.search(r'<select[^>]*name="actor"[^>]*>.*?</select>', body, re.S).group(0)
    assert "data-picker" in select and " multiple" in select
    assert '<option value="hamas" selected>Hamas</option>' in select
    assert '<option value="russia">Russia</option>' in select
    scripts = re.findall(r'<script[^>]*src="([^"]+)"', body)
    picker = [s for s in scripts if "select2" in s or "jquery" in s]
    assert picker and all(s.startswith("/static/admin/") for s in picker)
    assert scripts.index(next(s for s in scripts if "select2" in s)) < scripts.index(
        next(s for s in scripts if s.endswith("js/forms.js"))
    )
    assert "admin/css/vendor/select2/select2.min.css" in body
    assert re.search(r'<input type="date" name="since"', body)


def test_the_article_inbox_and_actor_list_sum_up_their_filters(client, world):
    articles = client.get(f"/articles/?actor=russia&feed={world.feed.pk}&q=Moscow")
    line = active_filters_of(articles)
    assert "Actors: Russia ×" in line and "Feed: Wire feed ×" in line
    assert "Search: “Moscow” ×" in line
    actors = client.get("/actors/?kind=person&is_core=")
    assert active_filters_of(actors).startswith("Filtered by Kind: Person ×")
    assert drop_link(actors, "Kind: Person") == "/actors/"


def test_the_pair_and_relations_pages_sum_up_their_window(client, world):
    pair = client.get(
        "/relations/russia/hamas/?since=2023-10-01&rollup=0&bucket=week&period=2023-10-23"
    )
    assert pair.status_code == 200
    line = active_filters_of(pair)
    assert "From: 1 October 2023 ×" in line
    assert "People: Show people as themselves ×" in line
    assert "Series: Weekly ×" in line and "Period: 23 October 2023 ×" in line
    # A week's period means nothing to monthly buckets: dropping the bucket drops it too.
    monthly = drop_link(pair, "Series: Weekly")
    assert monthly == "/relations/russia/hamas/?since=2023-10-01&rollup=0"
    assert client.get(monthly).status_code == 200
    assert drop_link(pair, "People: Show people as themselves") == (
        "/relations/russia/hamas/?since=2023-10-01&bucket=week&period=2023-10-23"
    )
    # The defaults the links of the charts carry (rollup=1, monthly) are no filter.
    assert active_filters_of(client.get("/relations/?rollup=1")) == ""
    assert "Until: 30 November 2023" in active_filters_of(
        client.get("/relations/?until=2023-11-30&rollup=1")
    )
