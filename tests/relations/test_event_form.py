"""The event form an editor fills in: prefilled interactions, "Save and publish", "Save and next"
from the inbox, and a database error that keeps what the editor typed."""

import logging

import pytest
from django.db import connection

from ingest.models import Article
from relations.forms import PUBLISHED_NEEDS_SOURCE
from relations.models import Event, Statement
from tests import factories
from tests.relations.pageforms import form_data
from tests.relations.test_admin import messages_of, source_row, statement_post

STATEMENT_ADD = "/admin/relations/statement/add/"


def article_about(*actors, title="Russia condemns Israeli strikes on Gaza", relevance=0.8):
    article = factories.ArticleFactory(
        title=title,
        summary="MOSCOW, Oct 26 (AP) — Russia's foreign ministry condemned the strikes. More.",
        candidate_kind="statement",
        relevance=relevance,
    )
    for count, actor in enumerate(reversed(actors), start=1):
        factories.MentionFactory(article=article, actor=actor, count=count)
    return article


def add_url(article) -> str:
    return f"{STATEMENT_ADD}?from_article={article.pk}"


def test_the_form_from_an_article_prefills_interactions_category_and_a_clean_summary(
    editor_client, russia, israel
):
    article = article_about(russia, israel)

    response = editor_client.get(add_url(article))

    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.initial["category"] == "ACCUSE"
    assert form.initial["summary"].startswith("Russia's foreign ministry condemned")
    formsets = {f.formset.prefix: f.formset for f in response.context["inline_admin_formsets"]}
    [interaction] = formsets["interactions"].forms
    assert interaction.initial == {"source": russia.pk, "target": israel.pk, "score": -2.0}
    assert formsets["sources"].forms[0].initial["quote"] == (
        "Russia's foreign ministry condemned the strikes."
    )
    page = response.content.decode()
    assert "is a guess from “condemns”" in page
    assert 'name="_publish"' in page and 'name="_savenext"' in page


def test_a_plain_add_form_offers_publish_but_not_next(editor_client):
    page = editor_client.get(STATEMENT_ADD).content.decode()

    assert 'value="Save and publish"' in page
    assert 'name="_savenext"' not in page


def test_save_and_publish_publishes_the_prefilled_event_and_links_the_article(
    editor_client, russia, israel
):
    article = article_about(russia, israel)
    page = editor_client.get(add_url(article)).content.decode()

    data = form_data(page, "statement_form")
    data["_publish"] = "Save and publish"
    response = editor_client.post(add_url(article), data)

    assert response.status_code == 302
    statement = Statement.objects.get()
    assert statement.status == Event.Status.PUBLISHED
    assert statement.speaker == russia
    assert [(i.source, i.target, i.score) for i in statement.interactions.all()] == [
        (russia, israel, -2.0)
    ]
    assert statement.sources.get().url == article.url
    article.refresh_from_db()
    assert article.event_id == statement.pk
    assert any("Published" in message for message in messages_of(response))


def test_save_and_publish_refuses_an_event_without_a_source_with_a_message(editor_client, russia):
    data = statement_post(russia)
    data["_publish"] = "Save and publish"

    response = editor_client.post(STATEMENT_ADD, data)

    assert response.status_code == 200
    assert PUBLISHED_NEEDS_SOURCE in response.content.decode()
    assert not Event.objects.exists()


def test_save_and_publish_on_the_change_form_publishes(editor_client, russia):
    statement = factories.StatementFactory(speaker=russia)
    factories.SourceFactory(event=statement)
    data = statement_post(russia)
    data["sources-TOTAL_FORMS"] = data["sources-INITIAL_FORMS"] = "1"
    data.update({f"sources-0-{k}": v for k, v in source_row().items()})
    data["sources-0-id"] = str(statement.sources.get().pk)
    data["sources-0-event"] = str(statement.pk)
    data["_publish"] = "Save and publish"

    response = editor_client.post(f"/admin/relations/statement/{statement.pk}/change/", data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    statement.refresh_from_db()
    assert statement.status == Event.Status.PUBLISHED


def test_save_and_next_goes_to_the_next_new_article_then_back_to_the_inbox(
    editor_client, russia, israel
):
    first = article_about(russia, israel, relevance=0.9)
    second = article_about(russia, israel, title="Israel rejects Russian criticism", relevance=0.5)
    factories.ArticleFactory(relevance=1.0, review_status=Article.ReviewStatus.DISMISSED)

    data = form_data(editor_client.get(add_url(first)).content.decode(), "statement_form")
    data["_savenext"] = "Save and next"
    response = editor_client.post(add_url(first), data)

    assert response.status_code == 302
    assert response["Location"] == add_url(second)
    assert Statement.objects.get().status == Event.Status.DRAFT

    data = form_data(editor_client.get(add_url(second)).content.decode(), "statement_form")
    data["_savenext"] = "Save and next"
    response = editor_client.post(add_url(second), data)

    assert response["Location"] == "/admin/ingest/article/"
    assert any("No new article is left" in message for message in messages_of(response))
    assert Article.objects.filter(review_status="linked").count() == 2


@pytest.fixture
def refused_title(db):
    """A rule the database enforces and the forms do not know: a genuine constraint violation
    (PostgreSQL's DDL is transactional, so the constraint leaves with the test)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE relations_event ADD CONSTRAINT test_refused_title "
            "CHECK (title NOT LIKE '%%refused%%')"
        )
    return "A title the database refused"


def test_a_database_error_on_add_keeps_the_editors_input_with_a_message(
    editor_client, russia, refused_title, caplog
):
    data = statement_post(russia, sources=[source_row(quote="Words the editor typed.")])
    data["title"] = refused_title
    data["summary"] = "A long summary the editor typed."

    with caplog.at_level(logging.ERROR, logger="relations.admin"):
        response = editor_client.post(STATEMENT_ADD, data)

    assert response.status_code == 200
    page = response.content.decode()
    assert "The database refused to save this statement" in page
    assert "test_refused_title" in page
    assert f'value="{refused_title}"' in page
    assert "A long summary the editor typed." in page
    assert "Words the editor typed." in page
    assert not Event.objects.exists()
    assert not messages_of(response)
    assert "Saving the statement (id None) failed in the database" in caplog.text


def test_a_database_error_on_change_keeps_the_input_and_the_event_as_it_was(
    editor_client, russia, refused_title
):
    statement = factories.StatementFactory(speaker=russia, title="Before")
    data = statement_post(russia)
    data["title"] = refused_title

    response = editor_client.post(f"/admin/relations/statement/{statement.pk}/change/", data)

    assert response.status_code == 200
    assert f'value="{refused_title}"' in response.content.decode()
    statement.refresh_from_db()
    assert statement.title == "Before"
    # The failed save left no trace in the history either.
    assert statement.history.count() == 1


def test_a_database_error_while_linking_the_article_keeps_the_form(editor_client, russia, israel):
    article = article_about(russia, israel)
    data = form_data(editor_client.get(add_url(article)).content.decode(), "statement_form")
    connection.check_constraints()  # PostgreSQL alters no table with checks still pending
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE ingest_article ADD CONSTRAINT test_no_links "
            "CHECK (review_status <> 'linked')"
        )

    response = editor_client.post(add_url(article), data)

    assert response.status_code == 200
    assert "test_no_links" in response.content.decode()
    assert not Event.objects.exists()
    article.refresh_from_db()
    assert article.review_status == Article.ReviewStatus.NEW
