"""The editors' admin for actors and events, driven through Django's test client."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from relations.categories import default_score
from relations.forms import PUBLISHED_NEEDS_SOURCE
from relations.models import Actor, Affiliation, Alias, Event, Statement
from tests import factories

STATEMENT_ADD = "/admin/relations/statement/add/"
INLINES = ("participants", "interactions", "sources", "articles")


def formset(prefix: str, rows: list[dict], initial: int = 0) -> dict:
    """POST data for one inline: its management form and its rows."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update({f"{prefix}-{index}-{name}": value for name, value in row.items()})
    return data


def statement_post(speaker, *, status="draft", participants=(), interactions=(), sources=()):
    data = {
        "title": "Russia defends hosting Hamas",
        "summary": "The ministry said it keeps ties with both sides.",
        "date": "2023-10-26",
        "date_precision": "day",
        "location": "Moscow",
        "category": "REJECT",
        "status": status,
        "note": "",
        "speaker": str(speaker.pk),
        "quote": "",
        "original_language": "",
        "channel": "official_statement",
        "responding_to": "",
        "_save": "Save",
    }
    rows = {
        "participants": list(participants),
        "interactions": list(interactions),
        "sources": list(sources),
        "articles": [],
    }
    for prefix in INLINES:
        data.update(formset(prefix, rows[prefix]))
    return data


def source_row(**overrides) -> dict:
    return {
        "url": "https://tass.example/hamas-visit",
        "outlet": "TASS",
        "title": "Moscow explains Hamas visit",
        "published_at_0": "2023-10-27",
        "published_at_1": "09:00:00",
        "quote": "Russia maintains contacts with both sides.",
        "language": "en",
        "reliability": "",
        **overrides,
    }


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_an_editor_logs_in_to_the_admin(client, editor):
    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": "edna", "password": "editor-pass-123", "next": "/admin/"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"

    index = client.get("/admin/")
    assert index.status_code == 200
    assert b"Statements" in index.content
    assert b"Articles" in index.content


def test_an_editor_creates_a_statement_with_participants_an_interaction_and_a_source(
    editor_client, editor, russia, israel
):
    response = editor_client.post(
        STATEMENT_ADD,
        statement_post(
            russia,
            participants=[
                {"actor": russia.pk, "role": "speaker"},
                {"actor": israel.pk, "role": "target"},
            ],
            interactions=[{"source": russia.pk, "target": israel.pk, "score": ""}],
            sources=[source_row()],
        ),
    )

    assert response.status_code == 302, response.context["errors"]
    statement = Statement.objects.get()
    assert statement.created_by == editor
    assert statement.status == Event.Status.DRAFT
    assert {(p.actor.slug, p.role) for p in statement.participants.all()} == {
        ("russia", "speaker"),
        ("israel", "target"),
    }
    interaction = statement.interactions.get()
    # Left empty, the score is the category's default.
    assert interaction.score == default_score("REJECT")
    assert statement.sources.get().outlet == "TASS"


def test_an_editor_publishes_a_statement_and_sees_its_history(editor_client, russia, israel):
    editor_client.post(
        STATEMENT_ADD,
        statement_post(
            russia,
            participants=[{"actor": russia.pk, "role": "speaker"}],
            sources=[source_row()],
        ),
    )
    statement = Statement.objects.get()

    response = editor_client.post(
        "/admin/relations/statement/",
        {"action": "publish_selected", "_selected_action": [statement.pk]},
    )
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.status == Event.Status.PUBLISHED
    assert any("Published 1" in message for message in messages_of(response))

    history = editor_client.get(f"/admin/relations/statement/{statement.pk}/history/")
    assert history.status_code == 200
    records = list(statement.history.order_by("history_date"))
    assert [record.history_type for record in records] == ["+", "~"]
    assert [record.status for record in records] == ["draft", "published"]
    assert all(record.history_user.username == "edna" for record in records)
    page = history.content.decode()
    assert "Created" in page
    assert "Changed" in page
    assert "edna" in page


def test_publishing_refuses_events_without_a_source_and_names_them(editor_client):
    sourced = factories.MeetingFactory(title="Hamas delegation in Moscow")
    factories.SourceFactory(event=sourced)
    bare = factories.MeetingFactory(title="Unsourced phone call")

    response = editor_client.post(
        "/admin/relations/event/",
        {"action": "publish_selected", "_selected_action": [sourced.pk, bare.pk]},
    )

    assert response.status_code == 302
    sourced.refresh_from_db()
    bare.refresh_from_db()
    assert sourced.status == Event.Status.PUBLISHED
    assert bare.status == Event.Status.DRAFT
    warnings = [m for m in messages_of(response) if "Not published" in m]
    assert warnings == ["Not published, no source: “Unsourced phone call”. Add a source first."]
    # Published through the all-events list, the change lands in the meeting's own history.
    assert sourced.history.latest().status == Event.Status.PUBLISHED


def test_saving_a_published_event_without_a_source_is_refused(editor_client, russia):
    statement = factories.StatementFactory(speaker=russia)
    data = statement_post(russia, status="published")

    response = editor_client.post(f"/admin/relations/statement/{statement.pk}/change/", data)

    assert response.status_code == 200
    assert PUBLISHED_NEEDS_SOURCE in response.content.decode()
    statement.refresh_from_db()
    assert statement.status == Event.Status.DRAFT


def test_removing_the_last_source_of_a_published_event_is_refused(editor_client, russia):
    statement = factories.StatementFactory(speaker=russia)
    source = factories.SourceFactory(event=statement)
    statement.status = Event.Status.PUBLISHED
    statement.save()
    data = statement_post(russia, status="published")
    row = {**source_row(), "id": source.pk, "event": statement.pk, "DELETE": "on"}
    data.update(formset("sources", [row], initial=1))

    response = editor_client.post(f"/admin/relations/statement/{statement.pk}/change/", data)

    assert response.status_code == 200
    assert PUBLISHED_NEEDS_SOURCE in response.content.decode()
    assert statement.sources.count() == 1


def test_a_source_added_in_the_same_form_lets_an_event_be_published(editor_client, russia):
    response = editor_client.post(
        STATEMENT_ADD, statement_post(russia, status="published", sources=[source_row()])
    )

    assert response.status_code == 302
    statement = Statement.objects.get()
    assert statement.status == Event.Status.PUBLISHED
    assert statement.sources.count() == 1


def test_an_analyst_can_view_lists_but_not_add_or_change(analyst_client, russia):
    # Published: analysts see no drafts in the admin (tests/security/test_roles.py).
    statement = factories.StatementFactory(
        speaker=russia, title="Lavrov criticises Israel", status=Event.Status.PUBLISHED
    )
    factories.ArticleFactory(title="Moscow hosts Hamas")

    for url in [
        "/admin/relations/statement/",
        "/admin/relations/event/",
        "/admin/relations/actor/",
        "/admin/ingest/article/",
        "/admin/ingest/feed/",
        f"/admin/relations/statement/{statement.pk}/change/",
    ]:
        assert analyst_client.get(url).status_code == 200, url

    assert analyst_client.get(STATEMENT_ADD).status_code == 403
    assert analyst_client.post(STATEMENT_ADD, statement_post(russia)).status_code == 403
    changed = statement_post(russia)
    changed["title"] = "Tampered"
    response = analyst_client.post(f"/admin/relations/statement/{statement.pk}/change/", changed)
    assert response.status_code == 403
    assert analyst_client.post("/admin/relations/actor/add/", {"name": "X"}).status_code == 403
    statement.refresh_from_db()
    assert statement.title == "Lavrov criticises Israel"
    # No action is offered to someone who may not change anything.
    listing = analyst_client.get("/admin/relations/statement/")
    assert b"publish_selected" not in listing.content


@pytest.mark.parametrize("score", ["10.5", "-11"])
def test_a_score_outside_the_scale_is_refused_on_the_field(editor_client, russia, israel, score):
    response = editor_client.post(
        STATEMENT_ADD,
        statement_post(
            russia, interactions=[{"source": russia.pk, "target": israel.pk, "score": score}]
        ),
    )

    assert response.status_code == 200
    interaction_errors = response.context["inline_admin_formsets"][1].formset.errors
    # The model field's validators speak: the form no longer restates the range.
    assert "Ensure this value is" in str(interaction_errors[0]["score"])
    assert not Statement.objects.exists()


def test_an_interaction_with_oneself_is_refused_on_the_field(editor_client, russia):
    response = editor_client.post(
        STATEMENT_ADD,
        statement_post(russia, interactions=[{"source": russia.pk, "target": russia.pk}]),
    )

    assert response.status_code == 200
    interaction_errors = response.context["inline_admin_formsets"][1].formset.errors
    assert interaction_errors[0]["target"] == ["Source and target must be different actors."]
    assert not Statement.objects.exists()


def test_affiliation_dates_out_of_order_are_refused_on_the_field(editor_client, russia):
    person = factories.ActorFactory(name="Sergei Lavrov", kind=Actor.Kind.PERSON)

    response = editor_client.post(
        "/admin/relations/affiliation/add/",
        {
            "actor": person.pk,
            "parent": russia.pk,
            "role": "Foreign Minister",
            "start_date": "2004-03-09",
            "end_date": "2000-01-01",
        },
    )

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["end_date"] == ["The end date must not be before the start date."]
    assert not Affiliation.objects.exists()


def test_an_actor_cannot_be_affiliated_with_itself(editor_client, russia):
    response = editor_client.post(
        "/admin/relations/affiliation/add/",
        {"actor": russia.pk, "parent": russia.pk, "role": "", "start_date": "", "end_date": ""},
    )

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["parent"] == [
        "An actor cannot be affiliated with itself."
    ]


def test_an_actor_cannot_be_affiliated_with_itself_in_its_own_inline(editor_client, russia):
    """In the actor's inline Django leaves the actor out of the model's checks; the form runs
    the model's constraint with it, so the editor gets the message, not an IntegrityError."""
    data = {
        "name": "Russia",
        "slug": "russia",
        "kind": "state",
        "country_code": "RU",
        "title": "",
        "description": "",
        "colour": "",
        "wikidata_id": "",
        **formset("aliases", []),
        **formset("affiliations", [{"parent": russia.pk, "role": "", "start_date": ""}]),
    }

    response = editor_client.post(f"/admin/relations/actor/{russia.pk}/change/", data)

    assert response.status_code == 200
    affiliation_errors = [
        formset.formset.errors
        for formset in response.context["inline_admin_formsets"]
        if formset.formset.prefix == "affiliations"
    ][0]
    assert affiliation_errors[0]["parent"] == ["An actor cannot be affiliated with itself."]
    assert not Affiliation.objects.exists()


def test_a_duplicate_alias_in_one_language_is_refused_ignoring_case(editor_client, russia):
    factories.AliasFactory(actor=russia, text="the Kremlin", language="en")
    other = factories.ActorFactory(name="Russian presidency")

    response = editor_client.post(
        "/admin/relations/alias/add/",
        {"actor": other.pk, "text": "The KREMLIN", "language": "en"},
    )

    assert response.status_code == 200
    [message] = response.context["adminform"].form.errors["text"]
    assert "already an alias of Russia" in message
    # The same text in another language is a different alias.
    response = editor_client.post(
        "/admin/relations/alias/add/",
        {"actor": other.pk, "text": "the Kremlin", "language": "ru"},
    )
    assert response.status_code == 302


def test_two_equal_aliases_in_one_actor_form_are_refused(editor_client):
    data = {
        "name": "Iran",
        "slug": "iran",
        "kind": "state",
        "country_code": "IR",
        "title": "",
        "description": "",
        "colour": "",
        "wikidata_id": "",
        **formset(
            "aliases",
            [
                {"text": "Tehran", "language": "en"},
                {"text": "TEHRAN", "language": "en"},
            ],
        ),
        **formset("affiliations", []),
    }

    response = editor_client.post("/admin/relations/actor/add/", data)

    assert response.status_code == 200
    assert "“TEHRAN” (en) is listed twice." in response.content.decode()
    assert not Actor.objects.filter(slug="iran").exists()
    assert not Alias.objects.exists()


def test_an_actor_with_aliases_and_an_affiliation_is_saved_from_one_form(editor_client, russia):
    data = {
        "name": "Sergei Lavrov",
        "slug": "sergei-lavrov",
        "kind": "person",
        "country_code": "RU",
        "title": "Foreign Minister of Russia",
        "description": "",
        "colour": "",
        "wikidata_id": "",
        **formset(
            "aliases", [{"text": "Lavrov", "language": "en"}, {"text": "Лавров", "language": "ru"}]
        ),
        **formset(
            "affiliations",
            [{"parent": russia.pk, "role": "Foreign Minister", "start_date": "2004-03-09"}],
        ),
    }

    response = editor_client.post("/admin/relations/actor/add/", data)

    assert response.status_code == 302
    lavrov = Actor.objects.get(slug="sergei-lavrov")
    assert sorted(lavrov.aliases.values_list("text", flat=True)) == ["Lavrov", "Лавров"]
    assert lavrov.affiliations.get().parent == russia


def test_actor_search_serves_the_autocomplete(editor_client, russia, israel):
    factories.AliasFactory(actor=russia, text="Kremlin")

    response = editor_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "relations",
            "model_name": "participant",
            "field_name": "actor",
            "term": "kreml",
        },
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["Russia"]


def test_the_event_list_filters_by_actor_kind_and_evidence_and_links_to_each_kind(
    editor_client, russia, hamas, israel
):
    meeting = factories.MeetingFactory(title="Hamas delegation in Moscow")
    factories.ParticipantFactory(event=meeting, actor=russia, role="host")
    factories.ParticipantFactory(event=meeting, actor=hamas, role="guest")
    claim = factories.AllegationFactory(
        title="Russia armed Hamas", claimant=israel, accused=russia, evidence_status="unverified"
    )
    factories.ParticipantFactory(event=claim, actor=russia, role="accused")
    factories.StatementFactory(title="Israel condemns the visit", speaker=israel)

    by_actor = editor_client.get("/admin/relations/event/", {"actor": "hamas"})
    assert [e.title for e in by_actor.context["cl"].result_list] == [meeting.title]
    assert f"/admin/relations/meeting/{meeting.pk}/change/" in by_actor.content.decode()

    by_evidence = editor_client.get("/admin/relations/event/", {"evidence": "unverified"})
    assert [e.title for e in by_evidence.context["cl"].result_list] == [claim.title]

    by_kind = editor_client.get("/admin/relations/event/", {"kind__exact": "statement"})
    assert [e.title for e in by_kind.context["cl"].result_list] == ["Israel condemns the visit"]

    redirect = editor_client.get(f"/admin/relations/event/{claim.pk}/change/")
    assert redirect["Location"] == f"/admin/relations/allegation/{claim.pk}/change/"


def test_events_are_found_by_the_words_of_their_sources(editor_client):
    event = factories.MeetingFactory(title="Talks in Moscow")
    factories.SourceFactory(event=event, quote="a senior Russian official received the delegation")
    factories.SourceFactory(event=event, quote="the delegation was received again")
    factories.MeetingFactory(title="Something else")

    response = editor_client.get("/admin/relations/meeting/", {"q": "delegation"})

    assert [e.title for e in response.context["cl"].result_list] == ["Talks in Moscow"]


def test_the_event_list_costs_the_same_queries_for_more_rows(editor_client, russia, israel):
    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert editor_client.get("/admin/relations/event/").status_code == 200
        return len(queries)

    def add_events(count: int) -> None:
        for index in range(count):
            event = factories.StatementFactory(speaker=russia, date=dt.date(2023, 10, 1 + index))
            factories.ParticipantFactory(event=event, actor=russia)
            factories.ParticipantFactory(event=event, actor=israel)
            factories.SourceFactory(event=event)

    add_events(2)
    few = list_queries()
    add_events(6)
    assert list_queries() == few


def test_the_same_participant_twice_is_refused_without_a_500(editor_client, russia):
    response = editor_client.post(
        STATEMENT_ADD,
        statement_post(
            russia,
            participants=[
                {"actor": russia.pk, "role": "speaker"},
                {"actor": russia.pk, "role": "speaker"},
            ],
        ),
    )

    assert response.status_code == 200
    assert "Please correct the duplicate data" in response.content.decode()
    assert not Statement.objects.exists()


def test_events_are_offered_by_title_in_the_event_autocomplete(editor_client):
    factories.MeetingFactory(title="Hamas delegation in Moscow")
    factories.StatementFactory(title="Israel condemns the visit")

    response = editor_client.get(
        "/admin/autocomplete/",
        {"app_label": "ingest", "model_name": "article", "field_name": "event", "term": "moscow"},
    )

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["Hamas delegation in Moscow"]
