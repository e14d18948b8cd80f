"""Backups of the curated data as one portable, versioned JSON document.

The document holds actors (with their aliases and affiliations) and events (with their
kind-specific fields, participants, scored interactions, sources, the statement a statement
responds to and the events that answer an allegation)::

    {"format": "relwatch-curated", "version": 1, "actors": [...], "events": [...]}

Actors are referred to by slug, events by ``key`` (their position in the file). The export
writes one object per line in a stable order, so two exports of the same data are
byte-identical and a backup diffs well against the previous one.

Import runs in one transaction and merges by natural keys, so importing the same file twice
changes nothing and a backup can be restored over a database that has moved on since:

- an actor is matched by slug and takes the file's fields; its aliases and affiliations become
  exactly the file's (alias text is unique per language, so an alias held by another actor
  moves to the one the file names);
- an event is matched by (kind, title, date); where several share that triple, the n-th in the
  file pairs with the n-th in the database by id. A matched event takes the file's fields and
  its participants, interactions, sources and allegation responses become exactly the file's;
  an unmatched one is created;
- nothing the file does not name is deleted. To restore a backup exactly, import it into a
  database without curated data.

Not in the file: database ids; the edit history (the import adds one history entry, reason
"import_curated", per event it creates or changes); feeds and articles (ingested, not curated);
users (``created_by`` is a username, linked when that user exists here). pg_dump is the full
backup (README).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Prefetch
from django.db.models.functions import Lower
from tqdm import tqdm

from relations import signals
from relations.models import (
    EVENT_MODELS,
    Actor,
    Affiliation,
    Alias,
    Allegation,
    Event,
    Interaction,
    Meeting,
    Participant,
    Source,
    Statement,
)

FORMAT = "relwatch-curated"
VERSION = 1
CHANGE_REASON = "import_curated"

# A progress reporter: called with a stage name and its total, it returns the function that
# advances that stage by n (ProgressBars draws them with tqdm; tests pass none).
Progress = Callable[[str, int], Callable[[int], None]]

ACTOR_FIELDS = (
    "name",
    "kind",
    "country_code",
    "title",
    "description",
    "colour",
    "wikidata_id",
    "is_core",
)
EVENT_FIELDS = (
    "title",
    "summary",
    "date",
    "date_precision",
    "location",
    "category",
    "status",
    "note",
)
KIND_FIELDS = {
    Event.Kind.MEETING: ("format", "city", "purpose", "outcome"),
    Event.Kind.STATEMENT: ("quote", "original_language", "channel"),
    Event.Kind.ALLEGATION: ("claim", "evidence_status", "evidence_note"),
}
# Kind-specific references to actors, written as slugs.
KIND_ACTOR_FIELDS = {
    Event.Kind.MEETING: (),
    Event.Kind.STATEMENT: ("speaker",),
    Event.Kind.ALLEGATION: ("claimant", "accused"),
}
SOURCE_FIELDS = ("url", "outlet", "title", "published_at", "quote", "language", "reliability")
TITLE_LOOKUP_CHUNK = 1000
EVENT_CHUNK = 500
# An event's parts: name, model, the fields that name actors, the fields compared on import.
PART_SPECS = (
    ("participants", Participant, ("actor",), ("actor_id", "role")),
    ("interactions", Interaction, ("source", "target"), ("source_id", "target_id", "score")),
    ("sources", Source, (), SOURCE_FIELDS),
)


class CuratedDataError(Exception):
    """The document cannot be imported; the message says where in it and why."""


@dataclass
class ExportSummary:
    actors: int = 0
    aliases: int = 0
    affiliations: int = 0
    events: int = 0

    def __str__(self) -> str:
        return (
            f"Exported {self.actors} actors ({self.aliases} aliases, "
            f"{self.affiliations} affiliations) and {self.events} events."
        )


@dataclass
class ImportSummary:
    actors_created: int = 0
    actors_updated: int = 0
    actors_unchanged: int = 0
    events_created: int = 0
    events_updated: int = 0
    events_unchanged: int = 0
    unknown_users: set[str] = field(default_factory=set)

    def __str__(self) -> str:
        line = (
            f"Actors: {self.actors_created} created, {self.actors_updated} updated, "
            f"{self.actors_unchanged} unchanged. Events: {self.events_created} created, "
            f"{self.events_updated} updated, {self.events_unchanged} unchanged."
        )
        if self.unknown_users:
            names = ", ".join(sorted(self.unknown_users))
            line += f" No such user here, created_by left empty: {names}."
        return line


# --------------------------------------------------------------------------- export


def export_curated(out: TextIO, *, progress: Progress | None = None) -> ExportSummary:
    """Write every actor and event to ``out`` as one document, reading one consistent snapshot."""
    with _snapshot():
        return _write_document(out, progress or _no_progress)


@contextmanager
def _snapshot():
    """A read-only REPEATABLE READ transaction, so an editor saving during a long export
    cannot leave a statement in the file whose speaker was exported before being renamed.
    Inside an outer transaction (tests, a caller's atomic block) that transaction's view is
    used."""
    nested = connection.in_atomic_block
    with transaction.atomic():
        if not nested:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _write_document(out: TextIO, progress: Progress) -> ExportSummary:
    summary = ExportSummary()
    slugs = dict(Actor.objects.values_list("id", "slug"))
    out.write(f'{{\n"format": "{FORMAT}",\n"version": {VERSION},\n"actors": [')
    advance = progress("actors", len(slugs))
    for index, actor in enumerate(_actors_in_order()):
        item = _actor_item(actor, slugs)
        summary.actors += 1
        summary.aliases += len(item["aliases"])
        summary.affiliations += len(item["affiliations"])
        out.write(("\n" if index == 0 else ",\n") + _dumps(item))
        advance(1)
    out.write('\n],\n"events": [')

    event_ids = list(Event.objects.order_by("date", "id").values_list("id", flat=True))
    keys = {event_id: position for position, event_id in enumerate(event_ids, start=1)}
    responses = defaultdict(list)
    for allegation_id, event_id in Allegation.responses.through.objects.values_list(
        "allegation_id", "event_id"
    ):
        responses[allegation_id].append(keys[event_id])
    advance = progress("events", len(event_ids))
    for index, event in enumerate(_events_in_order()):
        item = _event_item(event, keys, slugs, sorted(responses.get(event.id, ())))
        summary.events += 1
        out.write(("\n" if index == 0 else ",\n") + _dumps(item))
        advance(1)
    out.write("\n]\n}\n")
    return summary


def _actors_in_order() -> Iterator[Actor]:
    return (
        Actor.objects.order_by("slug")
        .prefetch_related(
            Prefetch("aliases", queryset=Alias.objects.order_by("id")),
            Prefetch("affiliations", queryset=Affiliation.objects.order_by("id")),
        )
        .iterator(chunk_size=500)
    )


def _events_in_order() -> Iterator[Event]:
    return (
        Event.objects.order_by("date", "id")
        .select_related("meeting", "statement", "allegation", "created_by")
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.order_by("id")),
            Prefetch("interactions", queryset=Interaction.objects.order_by("id")),
            Prefetch("sources", queryset=Source.objects.order_by("id")),
        )
        .iterator(chunk_size=500)
    )


def _actor_item(actor: Actor, slugs: dict[int, str]) -> dict[str, Any]:
    item: dict[str, Any] = {"slug": actor.slug}
    item.update((name, getattr(actor, name)) for name in ACTOR_FIELDS)
    # Sorted in Python, by code point, so the order never depends on the database's collation.
    item["aliases"] = sorted(
        (
            {"text": alias.text, "language": alias.language, "case_sensitive": alias.case_sensitive}
            for alias in actor.aliases.all()
        ),
        key=lambda alias: (alias["language"], alias["text"]),
    )
    # Kept in entry order: editors read a person's offices in the order they added them.
    item["affiliations"] = [
        {
            "parent": slugs[affiliation.parent_id],
            "role": affiliation.role,
            "start_date": _date_text(affiliation.start_date),
            "end_date": _date_text(affiliation.end_date),
        }
        for affiliation in actor.affiliations.all()
    ]
    item["created_at"] = _datetime_text(actor.created_at)
    item["updated_at"] = _datetime_text(actor.updated_at)
    return item


def _event_item(
    event: Event, keys: dict[int, int], slugs: dict[int, str], response_keys: list[int]
) -> dict[str, Any]:
    item: dict[str, Any] = {"key": keys[event.id], "kind": event.kind}
    item.update((name, getattr(event, name)) for name in EVENT_FIELDS)
    item["date"] = _date_text(event.date)
    specific = getattr(event, event.kind)
    details: dict[str, Any] = {name: getattr(specific, name) for name in KIND_FIELDS[event.kind]}
    for name in KIND_ACTOR_FIELDS[event.kind]:
        details[name] = slugs[getattr(specific, f"{name}_id")]
    if event.kind == Event.Kind.STATEMENT:
        target = specific.responding_to_id
        details["responding_to"] = keys[target] if target else None
    if event.kind == Event.Kind.ALLEGATION:
        details["responses"] = response_keys
    item[event.kind] = details
    item["participants"] = [
        {"actor": slugs[p.actor_id], "role": p.role} for p in event.participants.all()
    ]
    item["interactions"] = [
        # + 0.0 turns a stored -0.0 into 0.0: the same score, and one spelling of it.
        {"source": slugs[i.source_id], "target": slugs[i.target_id], "score": i.score + 0.0}
        for i in event.interactions.all()
    ]
    item["sources"] = [
        {
            name: _datetime_text(s.published_at) if name == "published_at" else getattr(s, name)
            for name in SOURCE_FIELDS
        }
        for s in event.sources.all()
    ]
    item["created_by"] = event.created_by.get_username() if event.created_by else None
    item["created_at"] = _datetime_text(event.created_at)
    item["updated_at"] = _datetime_text(event.updated_at)
    return item


def _dumps(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, allow_nan=False)


def _date_text(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _datetime_text(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def _no_progress(stage: str, total: int) -> Callable[[int], None]:
    return lambda n: None


# --------------------------------------------------------------------------- reading


def read_document(stream: TextIO) -> dict[str, Any]:
    """Parse the file's JSON, refusing NaN and Infinity (no score may be either)."""
    try:
        document = json.load(stream, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise CuratedDataError(
            f"Not a JSON document: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except UnicodeDecodeError as exc:
        raise CuratedDataError(f"Not UTF-8 text: {exc.reason} at byte {exc.start}.") from None
    if not isinstance(document, dict):
        raise CuratedDataError("Not a Relwatch curated-data document: the top level is no object.")
    return document


def _refuse_constant(name: str):
    raise CuratedDataError(f"{name} is not a number this file may contain.")


# Each parser takes the raw JSON value and where it sits (for the error), and returns the value
# to store or raises CuratedDataError.
Parser = Callable[[Any, str], Any]


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise CuratedDataError(f"{where}: expected text, got {_json_type(value)}.")
    return value


def _boolean(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise CuratedDataError(f"{where}: expected true or false, got {_json_type(value)}.")
    return value


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CuratedDataError(f"{where}: expected a number, got {_json_type(value)}.")
    return float(value)


def _date(value: Any, where: str) -> dt.date:
    try:
        return dt.date.fromisoformat(_text(value, where))
    except ValueError:
        raise CuratedDataError(f"{where}: {value!r} is not a date (YYYY-MM-DD).") from None


def _datetime(value: Any, where: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(_text(value, where))
    except ValueError:
        raise CuratedDataError(f"{where}: {value!r} is not an ISO 8601 date and time.") from None
    if parsed.tzinfo is None:
        raise CuratedDataError(f"{where}: {value!r} has no time zone (add +00:00).")
    return parsed


def _key(value: Any, where: str) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise CuratedDataError(f"{where}: an event key is a number or text, got {value!r}.")
    return value


def _optional(parser: Parser) -> Parser:
    return lambda value, where: None if value is None else parser(value, where)


def _list_of(parser: Parser) -> Parser:
    def parse(value: Any, where: str) -> list:
        if not isinstance(value, list):
            raise CuratedDataError(f"{where}: expected a list, got {_json_type(value)}.")
        return [parser(item, f"{where}[{index}]") for index, item in enumerate(value)]

    return parse


def _object(parsers: dict[str, Parser], required: Iterable[str]) -> Parser:
    required = frozenset(required)

    def parse(value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise CuratedDataError(f"{where}: expected an object, got {_json_type(value)}.")
        # An unknown field would be silently dropped: refuse it instead of losing data.
        unknown = sorted(value.keys() - parsers.keys())
        if unknown:
            raise CuratedDataError(f"{where}: unknown field {', '.join(map(repr, unknown))}.")
        missing = sorted(required - value.keys())
        if missing:
            raise CuratedDataError(f"{where}: missing field {', '.join(map(repr, missing))}.")
        return {name: parsers[name](raw, f"{where}.{name}") for name, raw in value.items()}

    return parse


def _fields(model: type, names: Iterable[str]) -> dict[str, Parser]:
    """Parsers for model fields, by the field's type; a nullable field also takes null.
    Choices, lengths and validators are the model's own (clean_fields, on import)."""
    by_type = {
        models.BooleanField: _boolean,
        models.DateField: _date,
        models.DateTimeField: _datetime,
        models.FloatField: _number,
    }
    parsers = {}
    for name in names:
        model_field = model._meta.get_field(name)
        parser = by_type.get(type(model_field), _text)
        parsers[name] = _optional(parser) if model_field.null else parser
    return parsers


_TIMESTAMPS = {"created_at": _optional(_datetime), "updated_at": _optional(_datetime)}
_parse_actor = _object(
    {
        "slug": _text,
        **_fields(Actor, ACTOR_FIELDS),
        "aliases": _list_of(
            _object(_fields(Alias, ["text", "language", "case_sensitive"]), required=["text"])
        ),
        "affiliations": _list_of(
            _object(
                {"parent": _text, **_fields(Affiliation, ["role", "start_date", "end_date"])},
                required=["parent"],
            )
        ),
        **_TIMESTAMPS,
    },
    required=["slug", "name", "kind"],
)
_parse_kind_details = {
    Event.Kind.MEETING: _object(_fields(Meeting, KIND_FIELDS[Event.Kind.MEETING]), required=[]),
    Event.Kind.STATEMENT: _object(
        {
            **_fields(Statement, KIND_FIELDS[Event.Kind.STATEMENT]),
            "speaker": _text,
            "responding_to": _optional(_key),
        },
        required=["speaker"],
    ),
    Event.Kind.ALLEGATION: _object(
        {
            **_fields(Allegation, KIND_FIELDS[Event.Kind.ALLEGATION]),
            "claimant": _text,
            "accused": _text,
            "responses": _list_of(_key),
        },
        required=["claimant", "accused", "claim"],
    ),
}
_parse_event = _object(
    {
        "key": _key,
        "kind": _text,
        **_fields(Event, EVENT_FIELDS),
        # The kind's details are checked once the kind is known (_parse_events).
        **{kind: lambda value, where: value for kind in KIND_FIELDS},
        "participants": _list_of(
            _object({"actor": _text, "role": _text}, required=["actor", "role"])
        ),
        "interactions": _list_of(
            _object(
                {"source": _text, "target": _text, "score": _number},
                required=["source", "target", "score"],
            )
        ),
        "sources": _list_of(_object(_fields(Source, SOURCE_FIELDS), required=["outlet", "quote"])),
        "created_by": _optional(_text),
        **_TIMESTAMPS,
    },
    required=["key", "kind", "title", "date", "category"],
)


def parse_document(document: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """Check the document's shape, types and internal references without touching the
    database; return its actors and events as plain values."""
    if document.get("format") != FORMAT:
        raise CuratedDataError(
            f'Not a Relwatch curated-data document: "format" is {document.get("format")!r}, '
            f"expected {FORMAT!r}."
        )
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int):
        raise CuratedDataError(f'"version" must be a whole number, got {version!r}.')
    if version > VERSION:
        raise CuratedDataError(
            f"This file is format version {version}; this Relwatch reads up to version "
            f"{VERSION}. Upgrade Relwatch to import it."
        )
    if version < 1:
        raise CuratedDataError(f"There is no format version {version}.")
    unknown = sorted(document.keys() - {"format", "version", "actors", "events"})
    if unknown:
        raise CuratedDataError(f"Unknown top-level field {', '.join(map(repr, unknown))}.")
    actors = _list_of(_parse_actor)(document.get("actors", []), "actors")
    events = _parse_events(document.get("events", []))
    _check_unique_actors(actors)
    return actors, events


def _parse_events(raw: Any) -> list[dict]:
    if not isinstance(raw, list):
        raise CuratedDataError(f"events: expected a list, got {_json_type(raw)}.")
    events = [_parse_event(item, _event_where(index, item)) for index, item in enumerate(raw)]
    seen: dict[int | str, int] = {}
    for index, event in enumerate(events):
        where = _event_where(index, event)
        kind = event["kind"]
        if kind not in KIND_FIELDS:
            choices = ", ".join(KIND_FIELDS)
            raise CuratedDataError(f"{where}.kind: {kind!r} is not one of {choices}.")
        for other in KIND_FIELDS:
            if other != kind and other in event:
                raise CuratedDataError(f"{where}: a {kind} has no {other!r} details.")
        if kind not in event and kind != Event.Kind.MEETING:
            raise CuratedDataError(f"{where}: missing field {kind!r}.")
        event[kind] = _parse_kind_details[kind](event.get(kind, {}), f"{where}.{kind}")
        if event["key"] in seen:
            raise CuratedDataError(
                f"{where}.key: {event['key']!r} is also the key of events[{seen[event['key']]}]."
            )
        seen[event["key"]] = index
    for index, event in enumerate(events):
        details = event[event["kind"]]
        targets = list(details.get("responses", []))
        if details.get("responding_to") is not None:
            targets.append(details["responding_to"])
        for target in targets:
            if target not in seen:
                raise CuratedDataError(
                    f"{_event_where(index, event)}: refers to event key {target!r}, "
                    "which is not in the file."
                )
    return events


def _check_unique_actors(actors: list[dict]) -> None:
    slugs: dict[str, int] = {}
    aliases: dict[tuple[str, str], str] = {}
    for index, actor in enumerate(actors):
        slug = actor["slug"]
        if slug in slugs:
            raise CuratedDataError(f"actors[{index}].slug: {slug!r} is also actors[{slugs[slug]}].")
        slugs[slug] = index
        for position, alias in enumerate(actor.get("aliases", [])):
            identity = (alias["text"].lower(), alias.get("language", "en"))
            if identity in aliases:
                raise CuratedDataError(
                    f"actors[{index}].aliases[{position}]: {alias['text']!r} "
                    f"({identity[1]}) is also an alias of {aliases[identity]!r}."
                )
            aliases[identity] = slug


def _event_where(index: int, event: Any) -> str:
    if isinstance(event, dict) and "key" in event:
        return f"events[{index}] (key {event['key']!r})"
    return f"events[{index}]"


def _json_type(value: Any) -> str:
    names = {type(None): "null", bool: "true/false", int: "a number", float: "a number"}
    names.update({str: "text", list: "a list", dict: "an object"})
    return names.get(type(value), type(value).__name__)


# --------------------------------------------------------------------------- import


def import_curated(document: dict[str, Any], *, progress: Progress | None = None) -> ImportSummary:
    """Merge the document into the database in one transaction (rules in the module doc).
    Raises CuratedDataError, with nothing changed, if any part of it cannot be imported."""
    actors, events = parse_document(document)
    importer = _Importer(progress or _no_progress)
    try:
        with transaction.atomic():
            importer.import_actors(actors)
            importer.import_events(events)
    except ValidationError as exc:
        raise CuratedDataError(f"{importer.where}: {_validation_text(exc)}") from None
    except DatabaseError as exc:
        # Constraints the checks above cannot see (e.g. case folding that differs between
        # Python and PostgreSQL): report the database's words and where it happened.
        reason = str(exc).strip().splitlines()[0]
        raise CuratedDataError(f"{importer.where}: the database refused it: {reason}") from None
    return importer.summary


class _Importer:
    def __init__(self, progress: Progress):
        self.progress = progress
        self.summary = ImportSummary()
        self.where = "start"
        self.actor_ids: dict[str, int] = {}
        self.event_ids: dict[int | str, int] = {}
        self.timestamps: dict[type, list[tuple[int, dt.datetime, dt.datetime]]] = defaultdict(list)

    # ---- actors

    def import_actors(self, actors: list[dict]) -> None:
        existing = Actor.objects.in_bulk([actor["slug"] for actor in actors], field_name="slug")
        advance = self.progress("actors", len(actors))
        for index, item in enumerate(actors):
            self.where = f"actors[{index}] ({item['slug']!r})"
            actor = existing.get(item["slug"]) or Actor(slug=item["slug"])
            created = actor.pk is None
            changed = _assign(actor, {name: item[name] for name in ACTOR_FIELDS if name in item})
            actor.clean_fields()
            if created or changed:
                actor.save()
            self.actor_ids[actor.slug] = actor.pk
            self._keep_timestamps(Actor, actor.pk, item)
            self._count("actors", created, changed)
            advance(1)
        self._import_aliases(actors)
        self._import_affiliations(actors)
        self._restore_timestamps(Actor)

    def _import_aliases(self, actors: list[dict]) -> None:
        wanted: dict[tuple[str, str], Alias] = {}
        for index, item in enumerate(actors):
            for position, raw in enumerate(item.get("aliases", [])):
                self.where = f"actors[{index}].aliases[{position}]"
                alias = Alias(actor_id=self.actor_ids[item["slug"]], **raw)
                alias.clean_fields(exclude=["actor"])
                wanted[(alias.text.lower(), alias.language)] = alias
        self.where = "aliases"
        file_actor_ids = {self.actor_ids[item["slug"]] for item in actors if "aliases" in item}
        texts = {text for text, _ in wanted}
        current = list(Alias.objects.filter(actor_id__in=file_actor_ids))
        for chunk in _chunks(sorted(texts), TITLE_LOOKUP_CHUNK):
            current += Alias.objects.annotate(folded=Lower("text")).filter(folded__in=chunk)
        seen: set[int] = set()
        for alias in current:
            if alias.pk in seen:
                continue
            seen.add(alias.pk)
            target = wanted.pop((alias.text.lower(), alias.language), None)
            if target is None:
                if alias.actor_id in file_actor_ids:
                    alias.delete()
                continue
            if _assign(
                alias,
                {
                    "actor_id": target.actor_id,
                    "text": target.text,
                    "case_sensitive": target.case_sensitive,
                },
            ):
                alias.save()
        Alias.objects.bulk_create(wanted.values())

    def _import_affiliations(self, actors: list[dict]) -> None:
        current = defaultdict(list)
        for row in Affiliation.objects.filter(
            actor_id__in=[self.actor_ids[item["slug"]] for item in actors]
        ).order_by("id"):
            current[row.actor_id].append(row)
        for index, item in enumerate(actors):
            if "affiliations" not in item:
                continue
            actor_id = self.actor_ids[item["slug"]]
            wanted = []
            for position, raw in enumerate(item["affiliations"]):
                self.where = f"actors[{index}].affiliations[{position}]"
                affiliation = Affiliation(
                    actor_id=actor_id,
                    parent_id=self._actor_id(raw["parent"]),
                    **{name: value for name, value in raw.items() if name != "parent"},
                )
                affiliation.clean_fields(exclude=["actor", "parent"])
                _check_affiliation(affiliation)
                wanted.append(affiliation)
            if [_affiliation_row(a) for a in current[actor_id]] != [
                _affiliation_row(a) for a in wanted
            ]:
                Affiliation.objects.filter(actor_id=actor_id).delete()
                for affiliation in wanted:  # saved one by one: roll-ups follow the signal
                    affiliation.save()

    # ---- events

    def import_events(self, events: list[dict]) -> None:
        matches = self._match_events(events)
        # Known before any write, so a reference to a matched event later in the file
        # resolves at once; only references to events still to be created wait.
        self.event_ids = {events[index]["key"]: event_id for index, event_id in matches.items()}
        users = self._users(events)
        deferred: list[tuple[int, int | str]] = []
        advance = self.progress("events", len(events))
        # In chunks: one query per chunk reads the matched events and their parts, and one
        # per chunk writes new parts. Each event is still saved on its own, so its history
        # entry and any save signal (search vectors) behave as after an editor's save.
        for start in range(0, len(events), EVENT_CHUNK):
            indexes = range(start, min(start + EVENT_CHUNK, len(events)))
            current = self._current_events(events, {i: matches[i] for i in indexes if i in matches})
            new_parts: dict[type, list] = defaultdict(list)
            for index in indexes:
                item = events[index]
                self.where = _event_where(index, item)
                instance, parts = current.get(index, (None, None))
                event, changed = self._save_event(item, instance, users, deferred)
                self.event_ids[item["key"]] = event.pk
                changed = self._replace_parts(event, item, parts, new_parts) or changed
                self._keep_timestamps(Event, event.pk, item)
                self._count("events", instance is None, changed)
            self.where = f"events[{indexes.start}..{indexes.stop - 1}]"
            for model, rows in new_parts.items():
                # Interaction.save() fills a missing score; the file always carries one, so
                # bulk_create (which skips save()) stores exactly what the file says.
                model.objects.bulk_create(rows)
                # bulk_create sends no signals: have the dyad days and search vectors of
                # these events recomputed once the import commits.
                signals.refresh_after_commit(event_ids={row.event_id for row in rows})
            advance(len(indexes))
        self.where = "events (statements answering later events)"
        statements = EVENT_MODELS[Event.Kind.STATEMENT].objects
        for statement_id, target in deferred:
            statements.filter(pk=statement_id).update(responding_to_id=self.event_ids[target])
        self._import_allegation_responses(events, matches)
        self._restore_timestamps(Event)

    def _match_events(self, events: list[dict]) -> dict[int, int]:
        """Pair file events with database events by (kind, title, date), n-th with n-th."""
        self.where = "events (matching)"
        candidates: dict[tuple, list[int]] = defaultdict(list)
        titles = sorted({item["title"] for item in events})
        for chunk in _chunks(titles, TITLE_LOOKUP_CHUNK):
            rows = Event.objects.filter(title__in=chunk).order_by("id")
            for event_id, kind, title, date in rows.values_list("id", "kind", "title", "date"):
                candidates[(kind, title, date)].append(event_id)
        matches = {}
        for index, item in enumerate(events):
            queue = candidates.get((item["kind"], item["title"], item["date"]))
            if queue:
                matches[index] = queue.pop(0)
        return matches

    def _current_events(
        self, events: list[dict], matches: dict[int, int]
    ) -> dict[int, tuple[Event, dict[str, list[tuple]]]]:
        """The matched events of a chunk, each with its parts as comparable rows."""
        instances: dict[int, Event] = {}
        for kind, model in EVENT_MODELS.items():
            ids = [pk for index, pk in matches.items() if events[index]["kind"] == kind]
            if ids:
                instances.update(model.objects.in_bulk(ids))
        parts: dict[int, dict[str, list[tuple]]] = {pk: defaultdict(list) for pk in instances}
        for name, model, _, compared in PART_SPECS:
            rows = model.objects.filter(event_id__in=list(instances)).order_by("id")
            for event_id, *values in rows.values_list("event_id", *compared):
                parts[event_id][name].append(tuple(values))
        return {index: (instances[pk], parts[pk]) for index, pk in matches.items()}

    def _users(self, events: list[dict]) -> dict[str, int]:
        user_model = get_user_model()
        names = {item["created_by"] for item in events if item.get("created_by")}
        found = dict(
            user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__in": names}).values_list(
                user_model.USERNAME_FIELD, "id"
            )
        )
        self.summary.unknown_users = names - found.keys()
        return found

    def _save_event(
        self,
        item: dict,
        event: Event | None,
        users: dict[str, int],
        deferred: list[tuple[int, int | str]],
    ) -> tuple[Event, bool]:
        kind = item["kind"]
        created = event is None
        if created:
            event = EVENT_MODELS[kind](kind=kind)
        details = item[kind]
        values = {name: item[name] for name in EVENT_FIELDS if name in item}
        values.update((name, details[name]) for name in KIND_FIELDS[kind] if name in details)
        for name in KIND_ACTOR_FIELDS[kind]:
            values[f"{name}_id"] = self._actor_id(details[name])
        if "created_by" in item:
            values["created_by_id"] = users.get(item["created_by"] or "")
        target = details.get("responding_to")
        forward = target is not None and target not in self.event_ids
        if kind == Event.Kind.STATEMENT and not forward:
            values["responding_to_id"] = self.event_ids.get(target)
        changed = _assign(event, values)
        event.clean_fields(
            exclude=["created_by", "search_vector", "event_ptr", *KIND_ACTOR_FIELDS[kind]]
            + (["responding_to"] if kind == Event.Kind.STATEMENT else [])
        )
        if created or changed:
            event._change_reason = CHANGE_REASON
            event.save()
        if kind == Event.Kind.STATEMENT and forward:
            # The answered event is created later in the file; set the reference then.
            deferred.append((event.pk, target))
            changed = True
        return event, changed

    def _replace_parts(
        self,
        event: Event,
        item: dict,
        current: dict[str, list[tuple]] | None,
        new_parts: dict[type, list],
    ) -> bool:
        """Queue the file's participants, interactions and sources for writing, replacing the
        event's own where they differ; say whether any did."""
        changed = False
        for name, model, actor_fields, compared in PART_SPECS:
            if name not in item:
                continue
            wanted = []
            for raw in item[name]:
                values = {key: value for key, value in raw.items() if key not in actor_fields}
                values.update((f"{key}_id", self._actor_id(raw[key])) for key in actor_fields)
                part = model(event_id=event.pk, **values)
                part.clean_fields(exclude=["event", *actor_fields])
                wanted.append(part)
            _check_parts(name, wanted)
            if current is not None:
                if current[name] == [tuple(getattr(p, f) for f in compared) for p in wanted]:
                    continue
                getattr(event, name).all().delete()
                changed = True
            new_parts[model].extend(wanted)
        return changed

    def _import_allegation_responses(self, events: list[dict], matches: dict[int, int]) -> None:
        self.where = "events (allegation responses)"
        through = Allegation.responses.through
        wanted = {
            self.event_ids[item["key"]]: {
                self.event_ids[key] for key in item["allegation"]["responses"]
            }
            for item in events
            if item["kind"] == Event.Kind.ALLEGATION and "responses" in item["allegation"]
        }
        current = defaultdict(set)
        matched = [pk for pk in matches.values() if pk in wanted]
        for chunk in _chunks(matched, TITLE_LOOKUP_CHUNK):
            rows = through.objects.filter(allegation_id__in=chunk)
            for allegation_id, event_id in rows.values_list("allegation_id", "event_id"):
                current[allegation_id].add(event_id)
        changed = [pk for pk, responses in wanted.items() if responses != current.get(pk, set())]
        for chunk in _chunks(changed, TITLE_LOOKUP_CHUNK):
            through.objects.filter(allegation_id__in=chunk).delete()
        through.objects.bulk_create(
            through(allegation_id=pk, event_id=event_id)
            for pk in changed
            for event_id in sorted(wanted[pk])
        )

    # ---- helpers

    def _actor_id(self, slug: str) -> int:
        if slug not in self.actor_ids:
            found = Actor.objects.filter(slug=slug).values_list("id", flat=True).first()
            if found is None:
                raise CuratedDataError(
                    f"{self.where}: no actor {slug!r} in the file or in the database."
                )
            self.actor_ids[slug] = found
        return self.actor_ids[slug]

    def _count(self, what: str, created: bool, changed: bool) -> None:
        outcome = "created" if created else "updated" if changed else "unchanged"
        name = f"{what}_{outcome}"
        setattr(self.summary, name, getattr(self.summary, name) + 1)

    def _keep_timestamps(self, model: type, pk: int, item: dict) -> None:
        if item.get("created_at") and item.get("updated_at"):
            self.timestamps[model].append((pk, item["created_at"], item["updated_at"]))

    def _restore_timestamps(self, model: type) -> None:
        """Put back the file's created/updated times, which auto_now(_add) overwrote on save;
        one statement for all rows, touching only those that differ."""
        rows = self.timestamps.pop(model, [])
        if not rows:
            return
        self.where = f"{model._meta.verbose_name_plural} (timestamps)"
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET created_at = v.created_at, updated_at = v.updated_at "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) "
                "AS v(id, created_at, updated_at) WHERE t.id = v.id AND "
                "(t.created_at, t.updated_at) IS DISTINCT FROM (v.created_at, v.updated_at)",
                [list(column) for column in zip(*rows, strict=True)],
            )


def _assign(instance, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _affiliation_row(affiliation: Affiliation) -> tuple:
    return (
        affiliation.parent_id,
        affiliation.role,
        affiliation.start_date,
        affiliation.end_date,
    )


def _check_affiliation(affiliation: Affiliation) -> None:
    # The table's check constraints, said in words before the database says them in SQL.
    if affiliation.parent_id == affiliation.actor_id:
        raise ValidationError("An actor cannot be affiliated with itself.")
    if (
        affiliation.start_date
        and affiliation.end_date
        and affiliation.end_date < affiliation.start_date
    ):
        raise ValidationError("The end date must not be before the start date.")


def _check_parts(name: str, parts: list) -> None:
    seen = set()
    for part in parts:
        if name == "participants":
            identity = (part.actor_id, part.role)
            problem = "the same actor twice in the same role"
        elif name == "interactions":
            if part.source_id == part.target_id:
                raise ValidationError("An interaction's source and target must differ.")
            identity = (part.source_id, part.target_id)
            problem = "two interactions between the same source and target"
        else:
            continue
        if identity in seen:
            raise ValidationError(f"{name}: {problem}.")
        seen.add(identity)


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class ProgressBars:
    """A Progress that draws one tqdm bar per stage on standard error (standard output may be
    carrying the document itself)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar: tqdm | None = None

    def __call__(self, stage: str, total: int) -> Callable[[int], None]:
        self.close()
        self.bar = tqdm(total=total, desc=stage, unit="", disable=not self.enabled)
        return self.bar.update

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
