"""The one importer that the YAML seeds and the JSON backups both feed: one policy, so data
loaded by one reader round-trips through the other unchanged."""

import pytest

from relations.importing import DocumentError, import_document
from relations.models import Actor, Alias, Event, Participant
from relations.seeding import load_relations_seeds
from tests.relations.test_curated import export_text, import_file
from tests.relations.test_curated import flush_curated as empty_the_database


@pytest.fixture
def seed_backup(db, tmp_path):
    load_relations_seeds()
    backup = tmp_path / "curated.json"
    backup.write_text(export_text(), encoding="utf-8")
    return backup


def test_the_seeds_round_trip_through_an_empty_database_byte_for_byte(seed_backup):
    empty_the_database()

    first = import_file(seed_backup)

    assert "Actors: 29 created" in first and "No changes." not in first
    assert export_text() == seed_backup.read_text(encoding="utf-8")
    history = Event.history.count()
    second = import_file(seed_backup)
    assert "Actors: 0 created, 0 updated, 29 unchanged" in second
    assert second.rstrip().endswith("No changes.")
    assert export_text() == seed_backup.read_text(encoding="utf-8")
    assert Event.history.count() == history


def test_the_seeds_find_again_what_a_backup_restored(seed_backup):
    # Both readers identify records the same way: seeds loaded over their own restored
    # backup match every actor, alias, affiliation, event and part.
    empty_the_database()
    import_file(seed_backup)

    report = load_relations_seeds()

    assert not report.changed, report.lines()


def test_an_alias_in_another_case_is_the_same_alias(db):
    russia = Actor.objects.create(slug="russia", name="Russia", kind="state")
    israel = Actor.objects.create(slug="israel", name="Israel", kind="state")
    Alias.objects.create(actor=israel, text="KREMLIN", language="en")
    document = {
        "actors": [
            {
                "slug": "russia",
                "name": "Russia",
                "kind": "state",
                "aliases": [{"text": "Kremlin", "language": "en"}],
            }
        ]
    }

    report = import_document(document, reason="test")

    assert report.tallies["aliases"].updated == 1
    alias = Alias.objects.get(language="en")
    assert (alias.actor, alias.text) == (russia, "Kremlin")


def test_a_record_the_database_refuses_is_named_by_its_where_and_nothing_changes(db):
    hamas = {"slug": "hamas", "name": "Hamas", "kind": "armed_group"}
    twice = {"actor": "hamas", "role": "guest", "where": "talks.yaml, line 9, event 'talks'"}
    document = {
        "actors": [hamas],
        "events": [
            {
                "key": "talks",
                "kind": "meeting",
                "title": "Talks",
                "date": "2023-10-26",
                "category": "CONSULT",
                "participants": [{"actor": "hamas", "role": "guest"}, twice],
            }
        ],
    }

    with pytest.raises(DocumentError) as refused:
        import_document(document, reason="test")

    assert str(refused.value).startswith("talks.yaml, line 9, event 'talks': ")
    assert "participant_unique_role" in str(refused.value)
    assert not Actor.objects.exists()
    assert not Participant.objects.exists()


def test_a_published_event_without_a_source_is_refused_by_the_model(db):
    document = {
        "actors": [{"slug": "hamas", "name": "Hamas", "kind": "armed_group"}],
        "events": [
            {
                "key": 1,
                "kind": "meeting",
                "title": "Talks",
                "date": "2023-10-26",
                "category": "CONSULT",
                "status": "published",
            }
        ],
    }

    with pytest.raises(DocumentError, match="events\\[0\\] \\(key 1\\): status: A published"):
        import_document(document, reason="test")

    assert not Event.objects.exists()
