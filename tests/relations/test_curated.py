"""Backups of the curated data: export_curated / import_curated lose nothing, merge
idempotently, and refuse a bad file without changing anything."""

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from relations.curated import FORMAT, VERSION
from relations.models import (
    Actor,
    Affiliation,
    Alias,
    Allegation,
    DyadDay,
    Event,
    Interaction,
    Meeting,
    Participant,
    Source,
    Statement,
)
from relations.search import search_events
from tests.factories import (
    ActorFactory,
    AffiliationFactory,
    AliasFactory,
    AllegationFactory,
    InteractionFactory,
    MeetingFactory,
    ParticipantFactory,
    SourceFactory,
    StatementFactory,
)

UTC = dt.UTC


@pytest.fixture
def rich_data(editor):
    """Every kind of actor and event, every part of an event, unicode everywhere, open-ended
    affiliations, a forward reference and two events sharing kind, title and date."""
    russia = ActorFactory(
        slug="russia",
        name="Russia",
        kind=Actor.Kind.STATE,
        country_code="RU",
        colour="#d62728",
        wikidata_id="Q159",
        is_core=True,
        description='Росси́йская Федера́ция — "the Kremlin"\nsecond line',
    )
    israel = ActorFactory(slug="israel", name="Israel", country_code="IL", is_core=True)
    hamas = ActorFactory(
        slug="hamas", name="Hamas", kind=Actor.Kind.ARMED_GROUP, description="حركة حماس"
    )
    ministry = ActorFactory(
        slug="russian-foreign-ministry",
        name="Russian Foreign Ministry",
        kind=Actor.Kind.GOVERNMENT_BODY,
    )
    council = ActorFactory(
        slug="un-security-council",
        name="UN Security Council",
        kind=Actor.Kind.INTERNATIONAL_BODY,
    )
    pij = ActorFactory(
        slug="palestinian-islamic-jihad",
        name="Palestinian Islamic Jihad",
        kind=Actor.Kind.ORGANISATION,
    )
    lavrov = ActorFactory(
        slug="sergei-lavrov",
        name="Sergei Lavrov",
        kind=Actor.Kind.PERSON,
        title="Foreign Minister of Russia",
    )
    netanyahu = ActorFactory(
        slug="benjamin-netanyahu", name="Benjamin Netanyahu", kind=Actor.Kind.PERSON
    )
    for actor, text, language, case_sensitive in [
        (russia, "the Kremlin", "en", False),
        (russia, "России", "ru", False),
        (russia, "Москве", "ru", False),
        (israel, "ישראל", "he", False),
        (hamas, "حماس", "ar", False),
        (lavrov, "Лавров", "ru", False),
        (council, "UNSC", "en", True),
    ]:
        AliasFactory(actor=actor, text=text, language=language, case_sensitive=case_sensitive)
    AffiliationFactory(
        actor=lavrov, parent=ministry, role="Minister", start_date=dt.date(2004, 3, 9)
    )
    AffiliationFactory(actor=ministry, parent=russia, role="", start_date=None)
    AffiliationFactory(
        actor=netanyahu,
        parent=israel,
        role="Prime Minister",
        start_date=dt.date(2009, 3, 31),
        end_date=dt.date(2021, 6, 13),
    )
    AffiliationFactory(
        actor=netanyahu, parent=israel, role="Prime Minister", start_date=dt.date(2022, 12, 29)
    )

    meeting = MeetingFactory(
        title="Hamas delegation in Moscow",
        summary="Talks on hostages 🕊️ and ‘humanitarian pauses’.",
        date=dt.date(2023, 10, 26),
        location="Moscow",
        format=Meeting.Format.VISIT,
        city="Москва",
        purpose="Hostages",
        outcome="No agreement",
        status=Event.Status.PUBLISHED,
        note="The article calls Netanyahu 'Israeli President'; he is Prime Minister.",
        created_by=editor,
    )
    ParticipantFactory(event=meeting, actor=russia, role=Participant.Role.HOST)
    ParticipantFactory(event=meeting, actor=hamas, role=Participant.Role.GUEST)
    ParticipantFactory(event=meeting, actor=lavrov, role=Participant.Role.PARTICIPANT)
    InteractionFactory(event=meeting, source=russia, target=hamas, score=2.1)
    InteractionFactory(event=meeting, source=hamas, target=russia, score=10.0)
    SourceFactory(
        event=meeting,
        url="https://www.example.com/news/moscow?x=1",
        outlet="Example News",
        title="«Хамас» в Москве",
        published_at=dt.datetime(2023, 10, 26, 18, 30, 15, 123456, tzinfo=UTC),
        quote="A Hamas delegation arrived in Moscow.",
        language="ru",
        reliability=Source.Reliability.B,
    )
    SourceFactory(
        event=meeting, url="", outlet="Wire", title="", published_at=None, quote="They met."
    )

    allegation = AllegationFactory(
        title="Israel says Russia armed Hamas",
        summary="An allegation.",
        date=dt.date(2023, 10, 27),
        date_precision=Event.Precision.DAY,
        category="ACCUSE",
        claimant=israel,
        accused=russia,
        claim="Weapons reached Gaza.",
        evidence_status=Allegation.EvidenceStatus.DISPUTED,
        evidence_note="Only one source.",
        status=Event.Status.PUBLISHED,
    )
    ParticipantFactory(event=allegation, actor=israel, role=Participant.Role.CLAIMANT)
    ParticipantFactory(event=allegation, actor=russia, role=Participant.Role.ACCUSED)
    InteractionFactory(event=allegation, source=israel, target=russia, score=-10.0)
    SourceFactory(event=allegation, quote="«Оружие» — said ‘officially’", reliability="")

    StatementFactory(
        title="Netanyahu condemns the visit",
        summary="Month precision.",
        date=dt.date(2023, 10, 1),
        date_precision=Event.Precision.MONTH,
        category="PROTEST",
        speaker=netanyahu,
        quote='He said: "a grave mistake"\n— ישראל',
        original_language="he",
        channel=Statement.Channel.SOCIAL_MEDIA,
        responding_to=meeting,
    )
    denial = StatementFactory(
        title="Moscow denies",
        summary="A denial.",
        date=dt.date(2023, 10, 28),
        category="REJECT",
        speaker=ministry,
        quote="",
        original_language="",
        channel=Statement.Channel.PRESS_CONFERENCE,
        responding_to=allegation,
    )
    allegation.responses.add(denial, meeting)

    later = MeetingFactory(
        title="Council session",
        summary="Year precision, a draft with nothing attached.",
        date=dt.date(2024, 1, 1),
        date_precision=Event.Precision.YEAR,
        format=Meeting.Format.MULTILATERAL,
        category="CONSULT",
    )
    # A forward reference: this statement, earlier in the file, answers a later event.
    StatementFactory(
        title="Early reply",
        summary="Answers an event that comes later.",
        date=dt.date(2023, 9, 1),
        category="AGREE",
        speaker=council,
        responding_to=later,
    )
    for summary in ("First call.", "Second call."):
        call = MeetingFactory(
            title="Phone call",
            summary=summary,
            date=dt.date(2023, 11, 5),
            format=Meeting.Format.PHONE,
        )
        ParticipantFactory(event=call, actor=pij, role=Participant.Role.MEDIATOR)
        InteractionFactory(event=call, source=pij, target=israel)  # the category's default


def export_text() -> str:
    out = io.StringIO()
    call_command("export_curated", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def import_file(path, **kwargs) -> str:
    out = io.StringIO()
    call_command("import_curated", str(path), stdout=out, **kwargs)
    return out.getvalue()


def flush_curated() -> None:
    Event.objects.all().delete()
    Actor.objects.all().delete()


def event_identity(event):
    return (event.kind, event.title, event.date.isoformat(), event.summary)


def describe(obj, skip=()) -> dict:
    """Every stored field of a row, with ids replaced by what they point at."""
    described = {}
    for field in type(obj)._meta.concrete_fields:
        if field.primary_key or field.name in skip:
            continue
        if field.is_relation:
            related = getattr(obj, field.name)
            if isinstance(related, Actor):
                value = related.slug
            elif isinstance(related, Event):
                value = event_identity(related)
            else:
                value = related.get_username() if related else None
        else:
            value = getattr(obj, field.attname)
        described[field.name] = value
    return described


def snapshot() -> dict:
    """The curated data as comparable values, read without the export code."""
    counts = {
        model.__name__: model.objects.count()
        for model in (
            Actor,
            Alias,
            Affiliation,
            Event,
            Meeting,
            Statement,
            Allegation,
            Participant,
            Interaction,
            Source,
            Allegation.responses.through,
        )
    }
    actors = {
        actor.slug: {
            **describe(actor),
            "aliases": sorted((a.text, a.language, a.case_sensitive) for a in actor.aliases.all()),
            "affiliations": [
                describe(a, skip=["actor"]) for a in actor.affiliations.order_by("id")
            ],
        }
        for actor in Actor.objects.all()
    }
    events = []
    for event in Event.objects.order_by("date", "id"):
        specific = event.specific()
        item = describe(specific, skip=["event_ptr"])
        item["participants"] = [
            describe(p, skip=["event"]) for p in event.participants.order_by("id")
        ]
        item["interactions"] = [
            describe(i, skip=["event"]) for i in event.interactions.order_by("id")
        ]
        item["sources"] = [describe(s, skip=["event"]) for s in event.sources.order_by("id")]
        if isinstance(specific, Allegation):
            item["responses"] = sorted(event_identity(e) for e in specific.responses.all())
        events.append(item)
    return {"counts": counts, "actors": actors, "events": events}


def test_the_round_trip_through_an_empty_database_loses_nothing(rich_data, tmp_path):
    before = snapshot()
    first = export_text()
    backup = tmp_path / "curated.json"
    backup.write_text(first, encoding="utf-8")

    flush_curated()
    assert Event.objects.count() == Actor.objects.count() == Alias.objects.count() == 0
    report = import_file(backup)

    assert "Actors: 8 created" in report
    assert "Events: 8 created" in report
    assert export_text() == first
    assert snapshot() == before


def test_the_document_is_versioned_json_with_natural_keys(rich_data):
    document = json.loads(export_text())

    assert (document["format"], document["version"]) == (FORMAT, VERSION)
    netanyahu = next(a for a in document["actors"] if a["slug"] == "benjamin-netanyahu")
    assert netanyahu["affiliations"][1] == {
        "parent": "israel",
        "role": "Prime Minister",
        "start_date": "2022-12-29",
        "end_date": None,
    }
    keys = {event["title"]: event["key"] for event in document["events"]}
    allegation = next(e for e in document["events"] if e["kind"] == "allegation")
    assert allegation["allegation"]["responses"] == sorted(
        [keys["Moscow denies"], keys["Hamas delegation in Moscow"]]
    )
    assert allegation["allegation"]["accused"] == "russia"
    assert "id" not in allegation


def test_importing_the_same_file_again_changes_nothing(rich_data, tmp_path):
    backup = tmp_path / "curated.json"
    backup.write_text(export_text(), encoding="utf-8")
    before = snapshot()
    ids = sorted(Event.objects.values_list("id", flat=True))
    history = Event.history.count()

    report = import_file(backup)

    assert "Actors: 0 created, 0 updated, 8 unchanged" in report
    assert "Events: 0 created, 0 updated, 8 unchanged" in report
    assert snapshot() == before
    assert sorted(Event.objects.values_list("id", flat=True)) == ids
    assert Event.history.count() == history


def test_import_puts_back_changed_events_and_actors_in_place(rich_data, tmp_path):
    backup = tmp_path / "curated.json"
    backup.write_text(export_text(), encoding="utf-8")
    before = snapshot()
    meeting = Meeting.objects.get(title="Hamas delegation in Moscow")
    meeting.summary = "Edited after the backup."
    meeting.format = Meeting.Format.PHONE
    meeting.save()
    meeting.sources.filter(outlet="Wire").delete()
    meeting.interactions.filter(source__slug="russia").update(score=-5)
    Statement.objects.filter(title="Early reply").update(responding_to=None)
    Alias.objects.filter(text="Москве").delete()
    Alias.objects.filter(text="the Kremlin").update(actor=Actor.objects.get(slug="israel"))
    Affiliation.objects.filter(role="Minister").update(end_date=dt.date(2030, 1, 1))
    Actor.objects.filter(slug="hamas").update(name="Hamas (renamed)")
    history = meeting.history.count()

    report = import_file(backup)

    assert "Events: 0 created, 2 updated, 6 unchanged" in report
    assert snapshot() == before
    meeting.refresh_from_db()
    assert meeting.history.count() == history + 1
    assert meeting.history.first().history_change_reason == "import_curated"


def test_import_keeps_what_the_file_does_not_name(rich_data, tmp_path):
    backup = tmp_path / "curated.json"
    backup.write_text(export_text(), encoding="utf-8")
    newcomer = ActorFactory(slug="qatar", name="Qatar")
    AliasFactory(actor=newcomer, text="Doha")
    later = MeetingFactory(title="Doha talks", date=dt.date(2024, 2, 2))
    # Added to records the file names: the import deletes nothing, these parts included.
    meeting = Meeting.objects.get(title="Hamas delegation in Moscow")
    ParticipantFactory(event=meeting, actor=newcomer, role=Participant.Role.MEDIATOR)
    SourceFactory(event=meeting, outlet="Al Jazeera", quote="Talks in Moscow.")
    AliasFactory(actor=Actor.objects.get(slug="russia"), text="Rossiya")

    report = import_file(backup)

    assert "Actors: 0 created, 0 updated, 8 unchanged" in report
    assert "Events: 0 created, 0 updated, 8 unchanged" in report
    assert report.rstrip().endswith("No changes.")
    assert Actor.objects.filter(slug="qatar").exists()
    assert Alias.objects.filter(text="Doha", actor=newcomer).exists()
    assert Event.objects.filter(pk=later.pk).exists()
    assert meeting.participants.filter(actor=newcomer).exists()
    assert meeting.sources.filter(outlet="Al Jazeera").exists()
    assert Alias.objects.filter(text="Rossiya").exists()


def test_events_sharing_kind_title_and_date_stay_distinct(rich_data, tmp_path):
    backup = tmp_path / "curated.json"
    backup.write_text(export_text(), encoding="utf-8")
    flush_curated()

    import_file(backup)
    import_file(backup)

    calls = Meeting.objects.filter(title="Phone call").order_by("id")
    assert [call.summary for call in calls] == ["First call.", "Second call."]


def test_parts_put_back_by_an_import_refresh_search_and_dyad_days_after_commit(
    rich_data, tmp_path, django_capture_on_commit_callbacks
):
    backup = tmp_path / "curated.json"
    backup.write_text(export_text(), encoding="utf-8")
    meeting = Meeting.objects.get(title="Hamas delegation in Moscow")
    with django_capture_on_commit_callbacks(execute=True):
        meeting.sources.all().delete()
        meeting.interactions.all().delete()
    assert not search_events(Event.objects.all(), "arrived").exists()

    # The event itself is unchanged, so only the bulk-written parts can ask for the refresh.
    with django_capture_on_commit_callbacks(execute=True):
        import_file(backup)

    found = search_events(Event.objects.all(), "arrived")
    assert [event.title for event in found] == ["Hamas delegation in Moscow"]
    assert DyadDay.objects.filter(
        source__slug="russia", target__slug="hamas", rollup=False, score_sum=2.1
    ).exists()


def test_created_by_naming_an_unknown_user_is_left_empty_and_reported(rich_data, tmp_path):
    document = json.loads(export_text())
    for event in document["events"]:
        if event["created_by"]:
            event["created_by"] = "gone-editor"
    backup = tmp_path / "curated.json"
    backup.write_text(json.dumps(document), encoding="utf-8")
    flush_curated()

    report = import_file(backup)

    assert "No such user here, created_by left empty: gone-editor." in report
    assert not Event.objects.filter(created_by__isnull=False).exists()


def _last_event(document):
    return document["events"][-1]


def _participant(document):
    return next(e for e in document["events"] if e["participants"])["participants"][0]


BAD_DOCUMENTS = [
    ("not json", lambda d: "{not json", "Not a JSON document"),
    ("wrong format", lambda d: d.update(format="other") or d, "Not a Relwatch curated"),
    ("newer version", lambda d: d.update(version=2) or d, "format version 2"),
    ("unknown field", lambda d: _last_event(d).update(colour="red") or d, "unknown field"),
    ("missing title", lambda d: _last_event(d).pop("title") and d, "missing field 'title'"),
    ("unknown kind", lambda d: _last_event(d).update(kind="party") or d, "is not one of"),
    ("bad category", lambda d: _last_event(d).update(category="HUG") or d, "'HUG' is not a"),
    ("impossible date", lambda d: _last_event(d).update(date="2023-02-30") or d, "invalid date"),
    (
        "unknown actor",
        lambda d: _participant(d).update(actor="nobody") or d,
        "unknown actor slug 'nobody'",
    ),
    ("duplicate key", lambda d: _last_event(d).update(key=1) or d, "event key 1 is listed twice"),
]


@pytest.mark.parametrize(
    "mutate,reason", [case[1:] for case in BAD_DOCUMENTS], ids=[c[0] for c in BAD_DOCUMENTS]
)
def test_a_bad_file_is_refused_with_its_reason_and_nothing_changes(
    rich_data, tmp_path, mutate, reason
):
    document = json.loads(export_text())
    # A valid change early in the file: a partial import would show it.
    document["actors"][0]["name"] = "Renamed by the file"
    mutated = mutate(document)
    backup = tmp_path / "bad.json"
    backup.write_text(mutated if isinstance(mutated, str) else json.dumps(mutated), "utf-8")
    before = snapshot()

    with pytest.raises(CommandError, match=reason) as refused:
        import_file(backup)

    assert "Nothing was imported" in str(refused.value)
    assert snapshot() == before


@pytest.mark.parametrize(
    "change,reason",
    [
        ({"score": 11}, "less than or equal to 10"),
        ({"score": "NaN"}, "must lie between −10 and \\+10"),
        ({"target": "hamas", "source": "hamas"}, "Source and target must be different actors"),
    ],
)
def test_a_bad_interaction_is_refused_naming_the_event(rich_data, tmp_path, change, reason):
    document = json.loads(export_text())
    event = next(e for e in document["events"] if e["interactions"])
    event["interactions"][0].update(change)
    backup = tmp_path / "bad.json"
    backup.write_text(json.dumps(document), "utf-8")
    before = snapshot()

    with pytest.raises(CommandError, match=reason) as refused:
        import_file(backup)

    assert f"(key {event['key']})" in str(refused.value)
    assert snapshot() == before


def test_a_literal_nan_in_the_file_is_refused(db, tmp_path):
    backup = tmp_path / "nan.json"
    backup.write_text('{"format": "relwatch-curated", "version": 1, "x": NaN}', "utf-8")

    with pytest.raises(CommandError, match="NaN is not a number"):
        import_file(backup)


def test_export_writes_a_file_and_reports_counts(rich_data, tmp_path):
    target = tmp_path / "curated.json"
    out = io.StringIO()

    call_command("export_curated", output=str(target), stdout=out)

    assert json.loads(target.read_text("utf-8"))["format"] == FORMAT
    assert "Exported 8 actors (7 aliases, 4 affiliations) and 8 events." in out.getvalue()
    assert [p.name for p in tmp_path.iterdir()] == ["curated.json"]


def test_export_to_a_missing_directory_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot write .*No such file or directory"):
        call_command("export_curated", output=str(tmp_path / "missing" / "curated.json"))


def test_import_of_a_missing_file_is_a_clear_error(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*No such file or directory"):
        import_file(tmp_path / "missing.json")


def test_import_reads_standard_input_as_the_readme_shows(rich_data, monkeypatch):
    text = export_text()
    flush_curated()
    monkeypatch.setattr("sys.stdin", io.StringIO(text))

    out = io.StringIO()
    call_command("import_curated", "-", stdout=out)

    assert "Events: 8 created" in out.getvalue()
    assert export_text() == text
