"""Two editors (or one double click) accepting the same story at once make one event: the
story's row is locked, and the second finds it accepted. Real threads, each on its own
database connection, released together."""

from __future__ import annotations

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection

from coding import review
from coding.models import ReviewStatus, Story
from relations.models import Event
from tests import factories
from tests.coding.review_support import make_story

pytestmark = pytest.mark.django_db(transaction=True)


def run_together(*calls) -> list[object]:
    """Run each call in its own thread, all released at once; return results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # noqa: BLE001 (the test inspects what each thread got)
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_editors_accepting_at_once_make_one_event():
    russia = factories.ActorFactory(name="Russia", slug="russia")
    hamas = factories.ActorFactory(name="Hamas", slug="hamas")
    story = make_story(russia, hamas)
    first = User.objects.create_user("edna", is_staff=True)
    second = User.objects.create_user("eddie", is_staff=True)

    results = run_together(
        lambda: review.accept(Story.objects.get(pk=story.pk), first, publish=True),
        lambda: review.accept(Story.objects.get(pk=story.pk), second, publish=True),
    )

    events = [r for r in results if isinstance(r, Event)]
    refused = [r for r in results if isinstance(r, review.AlreadyReviewed)]
    assert (len(events), len(refused)) == (1, 1), results
    assert Event.objects.count() == 1
    story.refresh_from_db()
    assert (story.status, story.event_id) == (ReviewStatus.ACCEPTED, events[0].pk)
    assert events[0].sources.count() == 2


def test_accept_and_reject_at_once_leave_one_outcome():
    israel = factories.ActorFactory(name="Israel", slug="israel")
    hamas = factories.ActorFactory(name="Hamas", slug="hamas")
    story = make_story(israel, hamas)
    editor = User.objects.create_user("edna", is_staff=True)

    results = run_together(
        lambda: review.accept(Story.objects.get(pk=story.pk), editor),
        lambda: review.reject(Story.objects.get(pk=story.pk), editor, "no"),
    )

    assert sum(isinstance(r, review.AlreadyReviewed) for r in results) == 1, results
    story.refresh_from_db()
    assert Event.objects.count() == (1 if story.status == ReviewStatus.ACCEPTED else 0)
