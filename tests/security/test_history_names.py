"""Issue 10, point 15 (the page half): an event's public page named the staff who edited it.

Readers see when an event changed and how; the names of who changed it are for staff.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from relations.models import Allegation, Event
from tests.dashboard.world import build_world

EDITOR_NAME = "zqxv-editor"


@pytest.fixture
def edited_allegation(db):
    world = build_world()
    editor = User.objects.create_user(EDITOR_NAME, is_staff=True)
    Event.objects.filter(pk=world.allegation.pk).update(created_by=editor)
    # Its history records (creation, the evidence status change) are all the editor's.
    updated = Allegation.history.filter(id=world.allegation.pk).update(history_user=editor)
    assert updated >= 2
    return world.allegation


def _history(client, event) -> str:
    response = client.get(f"/events/{event.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("reader", ["anonymous", "signed-in reader"])
def test_readers_see_when_and_what_changed_but_not_who(client, edited_allegation, reader):
    if reader != "anonymous":
        client.force_login(User.objects.create_user("reader", is_staff=False))
    body = _history(client, edited_allegation)
    assert EDITOR_NAME not in body
    history = body[body.index('id="history"') :]
    assert "Created" in history and "Changed" in history
    assert "<time" in history
    evidence = body[body.index('id="evidence-history"') :]
    assert "Disputed" in evidence


def test_readers_do_not_see_the_creator_of_an_event_without_history(client, edited_allegation):
    Allegation.history.filter(id=edited_allegation.pk).delete()
    body = _history(client, edited_allegation)
    assert "no recorded edits" in body
    assert EDITOR_NAME not in body


@pytest.mark.parametrize("role", ["analyst", "editor"])
def test_staff_see_who_edited(role_clients, edited_allegation, role):
    body = _history(role_clients[role], edited_allegation)
    history = body[body.index('id="history"') :]
    assert f"by {EDITOR_NAME}" in history
    evidence = body[body.index('id="evidence-history"') :]
    assert f"by {EDITOR_NAME}" in evidence
