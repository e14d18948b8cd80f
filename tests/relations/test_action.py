"""The fourth event kind, action: the model, its admin, the seeds' attack and the migration
that turned the old "attack" statement into an action in place."""

import datetime as dt
import importlib
import re
import shutil
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from relations.models import EVENT_MODELS, Action, Event, Participant
from relations.seeding import default_seed_dir, load_relations_seeds
from tests import factories
from tests.relations.test_admin import formset, source_row

ATTACK = 'Hamas launches its attack on Israel ("Operation Al-Aqsa Flood")'
INLINES = ("participants", "interactions", "sources", "articles")


def test_action_is_the_fourth_kind_and_saves_its_kind(db):
    assert EVENT_MODELS[Event.Kind.ACTION] is Action
    action = factories.ActionFactory(means=Action.Means.AID_DELIVERY, killed=0, wounded=3)
    event = Event.objects.get(pk=action.pk)
    assert event.kind == "action" and event.specific() == action
    assert event.specific().wounded == 3 and event.specific().captives_taken is None


@pytest.mark.parametrize("field", ["killed", "wounded", "captives_taken"])
def test_reported_casualties_cannot_be_negative(db, field):
    action = factories.ActionFactory.build(title="Strike", date=dt.date(2024, 4, 13))
    setattr(action, field, -1)
    with pytest.raises(ValidationError) as error:
        action.full_clean()
    assert field in error.value.message_dict
    # The database refuses it too (rows written around the model).
    saved = factories.ActionFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Action.objects.filter(pk=saved.pk).update(**{field: -1})


def test_casualties_are_optional_and_zero_is_a_figure(db):
    action = factories.ActionFactory.build(title="Aid convoy", date=dt.date(2024, 3, 1))
    action.killed = 0
    action.full_clean(exclude=["created_by"])
    assert action.wounded is None and action.captives_taken is None


def action_post(*, status="draft", sources=()) -> dict:
    data = {
        "title": "Iran fires drones and missiles at Israel",
        "summary": "",
        "date": "2024-04-13",
        "date_precision": "day",
        "location": "",
        "category": "ASSAULT",
        "status": status,
        "note": "",
        "means": "strike",
        "means_detail": "Drones and ballistic missiles",
        "place": "Israel",
        "killed": "0",
        "wounded": "",
        "captives_taken": "",
        "casualties_note": "Israel's army: one girl badly hurt.",
        "_save": "Save",
    }
    rows = {"participants": [], "interactions": [], "sources": list(sources), "articles": []}
    for prefix in INLINES:
        data.update(formset(prefix, rows[prefix]))
    return data


def test_an_editor_adds_an_action_in_the_admin_with_its_history(editor_client):
    page = editor_client.get("/admin/relations/action/add/")
    assert page.status_code == 200
    body = page.content.decode()
    for name in ("means", "means_detail", "place", "killed", "wounded", "casualties_note"):
        assert f'name="{name}"' in body

    response = editor_client.post(
        "/admin/relations/action/add/", action_post(status="published", sources=[source_row()])
    )

    assert response.status_code == 302
    action = Action.objects.get()
    assert (action.kind, action.means, action.killed, action.wounded) == (
        "action",
        "strike",
        0,
        None,
    )
    assert action.status == Event.Status.PUBLISHED and action.created_by.username == "edna"
    assert action.history.count() >= 1
    history = editor_client.get(f"/admin/relations/action/{action.pk}/history/")
    assert history.status_code == 200
    listing = editor_client.get("/admin/relations/action/?means__exact=strike")
    assert action.title in listing.content.decode()
    # The all-events list sends its row to the action admin.
    assert (
        f"/admin/relations/action/{action.pk}/change/"
        in editor_client.get("/admin/relations/event/?kind__exact=action").content.decode()
    )


def test_negative_casualties_are_refused_by_the_admin_form(editor_client):
    data = action_post() | {"wounded": "-4"}
    response = editor_client.post("/admin/relations/action/add/", data)
    assert response.status_code == 200 and not Action.objects.exists()


def test_an_analyst_may_view_but_not_add_an_action(analyst_client):
    assert analyst_client.get("/admin/relations/action/").status_code == 200
    assert analyst_client.post("/admin/relations/action/add/", action_post()).status_code == 403


def test_the_seed_attack_is_an_action_with_its_quote(db):
    load_relations_seeds()
    attack = Event.objects.get(title=ATTACK)
    assert attack.kind == Event.Kind.ACTION and attack.date == dt.date(2023, 10, 7)
    assert attack.category == "ASSAULT"
    action = attack.action
    assert action.means == Action.Means.GROUND_ASSAULT
    assert "rocket fire" in action.means_detail.lower()
    assert action.place == "Southern Israel"
    # The article gives no figures: none is recorded as the source's.
    assert (action.killed, action.wounded, action.captives_taken) == (None, None, None)
    assert "no casualty figures" in action.casualties_note
    quotes = list(attack.sources.values_list("quote", flat=True))
    assert quotes == ["Russia’s Strategic Moves in the Aftermath of Hamas’s Attack"]
    roles = set(attack.participants.values_list("actor__slug", "role"))
    assert roles == {("hamas", "participant"), ("israel", "target")}
    # Russia's refusal to call it terrorism still answers it.
    refusal = Event.objects.get(title__startswith="Russia declines to call the Hamas attack")
    assert refusal.statement.responding_to_id == attack.pk


def old_seeds(target: Path) -> Path:
    """The seeds as they were before the action kind: the attack a Hamas statement."""
    shutil.copytree(default_seed_dir(), target)
    path = target / "events.yaml"
    text = path.read_text(encoding="utf-8")
    start = text.index("  - key: hamas-attack-on-israel-2023-10-07")
    end = text.index("  - key: ", start + 10)
    block = text[start:end]
    block = block.replace("    kind: action\n", "    kind: statement\n")
    block = re.sub(
        r"    means: .*?(?=    participants:)",
        "    speaker: hamas\n    channel: official_statement\n    original_language: ar\n",
        block,
        flags=re.S,
    )
    block = block.replace("{actor: hamas, role: participant}", "{actor: hamas, role: speaker}")
    assert "kind: statement" in block and "means" not in block
    path.write_text(text[:start] + block + text[end:], encoding="utf-8")
    return target


def test_the_migration_turns_the_old_attack_statement_into_the_seeds_action(db, tmp_path):
    load_relations_seeds(old_seeds(tmp_path / "seeds"))
    old = Event.objects.get(title=ATTACK)
    assert old.kind == "statement"
    old.statement.summary = old.summary + " Edited."
    old.statement.save()  # a second history record
    statement_history = old.statement.history.count()
    responses = list(old.statement_responses.values_list("pk", flat=True))
    interactions = list(old.interactions.values_list("pk", flat=True))
    events = Event.objects.count()

    migration = importlib.import_module("relations.migrations.0007_statement_attack_becomes_action")
    with connection.schema_editor() as editor:
        migration.statement_to_action(django_apps, editor)

    attack = Event.objects.get(title=ATTACK)
    assert attack.pk == old.pk and attack.kind == "action"
    assert not hasattr(attack, "statement") or not _has_statement(attack)
    assert attack.action.means == "ground_assault"
    assert list(attack.statement_responses.values_list("pk", flat=True)) == responses
    assert list(attack.interactions.values_list("pk", flat=True)) == interactions
    assert set(attack.participants.values_list("actor__slug", "role")) == {
        ("hamas", "participant"),
        ("israel", "target"),
    }
    # The statement's records, then one for the change of kind.
    records = list(attack.action.history.order_by("history_date", "history_id"))
    assert Action.history.filter(id=attack.pk).count() == len(records)
    assert len(records) == statement_history + 1
    assert records[-1].history_change_reason.startswith("Kind changed from statement to action")
    assert records[-2].summary.endswith("Edited.")

    # The new seeds find it again: no second attack.
    load_relations_seeds()
    assert Event.objects.filter(title=ATTACK).count() == 1
    assert Event.objects.count() == events
    assert Event.objects.get(title=ATTACK).pk == old.pk
    assert Participant.objects.filter(event_id=old.pk).count() == 2

    # Run twice, it changes nothing.
    with connection.schema_editor() as editor:
        migration.statement_to_action(django_apps, editor)
    assert Event.objects.filter(title=ATTACK).count() == 1


def _has_statement(event: Event) -> bool:
    from relations.models import Statement

    return Statement.objects.filter(pk=event.pk).exists()


def test_loading_new_seeds_without_the_migration_would_duplicate_the_attack(db, tmp_path):
    """Why the migration exists: the loader matches events by kind, title and date."""
    load_relations_seeds(old_seeds(tmp_path / "seeds"))
    load_relations_seeds()
    assert sorted(Event.objects.filter(title=ATTACK).values_list("kind", flat=True)) == [
        "action",
        "statement",
    ]
