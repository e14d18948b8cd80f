"""The one importer of curated data: a document of plain values in, a report out.

Both readers feed it: the YAML seeds (relations.seeding) and the JSON backups written by
export_curated (relations.curated). The document::

    {"actors": [{"slug", "name", "kind", ..., "aliases": [...], "affiliations": [...]}, ...],
     "events": [{"key", "kind", "title", "date", ..., "<kind>": {...}, "participants": [...],
                 "interactions": [...], "sources": [...]}, ...]}

with the models' own field names and fields (FIELDS, derived from the models).
Actors are named by slug, events by their ``key`` in the document. Any record may carry
``where``, a text naming it in error messages (the YAML reader gives file, line and record);
without it an error names the record's place in the document (``events[3] (key 4)``).

The policy, one for every reader:

- Matching: an actor by slug; an alias by (text.lower(), language), the key of the database's
  own uniqueness rule, so an alias held by another actor moves to the actor the document names;
  an affiliation by (actor, parent, start date); an event by (kind, title, date), or by a title
  it had before (``formerly``); within an event a participant by (actor, role), an interaction
  by (source, target) and a source by (outlet, title, quote). Where several records share an
  identity, the n-th in the document pairs with the n-th in the database by id.
- A matched record takes the fields the document gives; a field left out keeps its value (a
  new record gets the model's default). An interaction without a score takes its category's
  default.
- Nothing is deleted: what an editor added (aliases, affiliations, participants, sources,
  whole actors and events) survives an import. To restore a backup exactly, import it into an
  empty database.
- Checks: values are converted by the model fields' own to_python(); each record written
  goes through its model's full_clean() (field validators, choices, lengths, clean()) and the
  database's constraints (uniqueness and checks, on save, in the constraint's own words). The
  importer itself checks only what no single row can: the document's shape, references to
  actors and events that neither the document nor the database holds, and a slug, event key
  or alias listed twice. Everything runs in one transaction: a bad document changes nothing,
  and the error names where and why.
- Each event created or changed gets one history entry with the reader's change reason; the
  document's created_at and updated_at, where given, are kept (so a backup restores them).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction
from django.db.models.functions import Lower

from relations import signals
from relations.categories import default_score
from relations.models import (
    EVENT_MODELS,
    Actor,
    Affiliation,
    Alias,
    Allegation,
    Event,
    Interaction,
    Participant,
    Source,
)

# An event's parts, by the name the document gives them.
PARTS = {"participants": Participant, "interactions": Interaction, "sources": Source}


def document_fields(model: type[models.Model], exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """The fields a document carries for a model, in the model's order: its own editable
    columns, and its relations to actors (written as slugs) but not to events or users."""
    return tuple(
        f.name
        for f in model._meta.local_concrete_fields
        if f.editable and not f.primary_key and f.name not in exclude
        if not f.is_relation or f.related_model is Actor
    )


FIELDS = {
    model: document_fields(model, exclude=["actor"] if model in (Alias, Affiliation) else [])
    for model in (Actor, Alias, Affiliation, Event, *EVENT_MODELS.values(), *PARTS.values())
}
TIMESTAMPS = ("created_at", "updated_at")
# What identifies a record among its like (an alias: the key of the database's own rule,
# alias_unique_text_per_language).
IDENTITY = {
    Alias: lambda row: (row.text.lower(), row.language),
    Affiliation: lambda row: (row.actor_id, row.parent_id, row.start_date),
    Participant: lambda row: (row.actor_id, row.role),
    Interaction: lambda row: (row.source_id, row.target_id),
    Source: lambda row: (row.outlet, row.title, row.quote),
}
LOOKUP_CHUNK = 1000
EVENT_CHUNK = 500

# A progress reporter: called with a stage name and its total, it returns the function that
# advances that stage by n.
Progress = Callable[[str, int], Callable[[int], None]]


def no_progress(stage: str, total: int) -> Callable[[int], None]:
    return lambda n: None


class DocumentError(Exception):
    """A document that cannot be imported: ``where`` names the record, ``reason`` says why."""

    def __init__(self, where: str, reason: str):
        self.where, self.reason = where, reason
        super().__init__(f"{where}: {reason}" if where else reason)


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class Report:
    """What an import did, per kind of record (in the order first counted)."""

    tallies: dict[str, Tally] = field(default_factory=dict)
    unknown_users: set[str] = field(default_factory=set)

    def tally(self, label: str) -> Tally:
        return self.tallies.setdefault(label, Tally())

    def count(self, label: str, outcome: str, n: int = 1) -> None:
        tally = self.tally(label)
        setattr(tally, outcome, getattr(tally, outcome) + n)

    def total(self, labels: Iterable[str]) -> Tally:
        tallies = [self.tally(label) for label in labels]
        return Tally(*(sum(getattr(t, name) for t in tallies) for name in vars(Tally())))

    @property
    def changed(self) -> bool:
        return any(tally.created or tally.updated for tally in self.tallies.values())

    def lines(self) -> list[str]:
        return [f"{label}: {tally}" for label, tally in self.tallies.items()]


KIND_LABELS = {kind: str(model._meta.verbose_name_plural) for kind, model in EVENT_MODELS.items()}


# --- checking a record against its model and the database -----------------------------


def validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            " ".join(messages) if name == "__all__" else f"{name}: {' '.join(messages)}"
            for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


def refusal_text(exc: DatabaseError) -> str:
    """The database's refusal in the words of the constraint's own message where it has one."""
    name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None)
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            if constraint.name == name:
                return constraint.get_violation_error_message()
    return f"the database refused it: {str(exc).strip().splitlines()[0]}"


@contextmanager
def checking(where: str):
    """Turn the model's and the database's refusals into a DocumentError naming the record."""
    try:
        yield
    except ValidationError as exc:
        raise DocumentError(where, validation_text(exc)) from None
    except DatabaseError as exc:
        raise DocumentError(where, refusal_text(exc)) from None


def check_model(instance: models.Model, where: str, *, clean: bool = True) -> None:
    """The model's full_clean() as the admin runs it, except for relations (set from slugs and
    keys this import resolved, and enforced by the database) and uniqueness and constraints
    (enforced by the database on save, without a query per row here)."""
    exclude = {f.name for f in instance._meta.fields if f.is_relation or not f.editable}
    with checking(where):
        instance.clean_fields(exclude=exclude)
        if clean:
            instance.clean()


def assign(instance: models.Model, values: dict[str, Any]) -> bool:
    """Set the fields that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def upsert(instance: models.Model, values: dict[str, Any], where: str, **options) -> str:
    """Assign, check and save a record if it is new or changed; say which."""
    created = instance.pk is None
    if not assign(instance, values) and not created:
        return "unchanged"
    check_model(instance, where, **options)
    with checking(where):
        instance.save()
    return "created" if created else "updated"


def insert(model: type[models.Model], rows: list[tuple[models.Model, str]]) -> None:
    """One INSERT for many rows; if the database refuses it, find the row it refused."""
    if not rows:
        return
    try:
        with transaction.atomic():
            model.objects.bulk_create([row for row, _ in rows])
    except DatabaseError:
        for row, where in rows:
            with checking(where), transaction.atomic():
                model.objects.bulk_create([row])
        raise


def refuse_repeats(items: Iterable[tuple[Any, str, str]]) -> None:
    """Items are (identity, where, description); the second with one identity is refused."""
    seen: dict[Any, str] = {}
    for identity, where, description in items:
        if identity in seen:
            raise DocumentError(where, f"{description} is listed twice (also {seen[identity]})")
        seen[identity] = where


def merge(report: Report, label: str, model: type, wanted, rows, new_rows=None, identity=None):
    """Pair the wanted records, (values, where), with the rows by their identity (IDENTITY,
    unless given), n-th with n-th; update the matched and create the rest (queued in
    ``new_rows`` for one insert, if given), counting them under ``label``. True if any
    changed."""
    identity = identity or IDENTITY[model]
    queues = defaultdict(list)
    for row in rows:
        queues[identity(row)].append(row)
    changed = False
    for values, where in wanted:
        new = model(**values)
        queue = queues.get(identity(new))
        if queue:
            outcome = upsert(queue.pop(0), values, where)
        elif new_rows is None:
            outcome = upsert(new, {}, where)
        else:
            check_model(new, where)
            new_rows[model].append((new, where))
            outcome = "created"
        report.count(label, outcome)
        changed = changed or outcome != "unchanged"
    return changed


# --- the document's shape --------------------------------------------------------------

# Each parser takes a raw value and where it sits, and returns the value to store or raises.
Parser = Callable[[Any, str], Any]


def _json_type(value: Any) -> str:
    names = {type(None): "null", bool: "true/false", int: "a number", float: "a number"}
    names.update({str: "text", list: "a list", dict: "an object"})
    return names.get(type(value), type(value).__name__)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise DocumentError(where, f"expected text, got {_json_type(value)}")
    return value


def _key(value: Any, where: str) -> int | str:
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise DocumentError(where, f"an event key is a number or text, got {value!r}")
    return value


def _optional(parser: Parser) -> Parser:
    return lambda value, where: None if value is None else parser(value, where)


def _list_of(parser: Parser, key: str = "") -> Parser:
    """A list; each item is named by its place in it, and by its ``key`` field if it has one."""

    def name(item: Any, where: str) -> str:
        named = isinstance(item, dict) and isinstance(item.get(key), int | str)
        return f"{where} ({key} {item[key]!r})" if named else where

    def parse(value: Any, where: str) -> list:
        if not isinstance(value, list):
            raise DocumentError(where, f"expected a list, got {_json_type(value)}")
        return [parser(item, name(item, f"{where}[{i}]")) for i, item in enumerate(value)]

    return parse


def _object(parsers: dict[str, Parser], required: Iterable[str] = ()) -> Parser:
    parsers = {**parsers, "where": _text}
    required = frozenset(required)

    def parse(value: Any, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise DocumentError(where, f"expected an object, got {_json_type(value)}")
        where = value.get("where") or where
        # An unknown field would be silently dropped: refuse it instead of losing data.
        unknown = sorted(value.keys() - parsers.keys(), key=str)
        if unknown:
            raise DocumentError(where, f"unknown field {', '.join(map(repr, unknown))}")
        missing = sorted(required - value.keys())
        if missing:
            raise DocumentError(where, f"missing field {', '.join(map(repr, missing))}")
        at = f"{where}, " if where else ""
        parsed = {name: parsers[name](raw, at + name) for name, raw in value.items()}
        return parsed | {"where": where}

    return parse


def _converted(model_field: models.Field) -> Parser:
    """A value converted by the model field's own to_python(), which names what is wrong."""

    def parse(value: Any, where: str) -> Any:
        if isinstance(value, dict | list):
            raise DocumentError(where, f"expected a single value, got {_json_type(value)}")
        with checking(where):
            return model_field.to_python(value)

    return parse


def _record(model: type[models.Model], required: Iterable[str] = (), **extra: Parser) -> Parser:
    """An object with the model's document fields, converted by the model's own fields (actors
    by slug), those without a default required, and ``extra`` beside them."""
    parsers, required = {}, list(required)
    for name in FIELDS[model]:
        model_field = model._meta.get_field(name)
        parsers[name] = _text if model_field.is_relation else _converted(model_field)
        if not model_field.blank and not model_field.has_default():
            required.append(name)
    return _object(parsers | extra, required)


_TIMESTAMPS = {name: _converted(Event._meta.get_field(name)) for name in TIMESTAMPS}
_parse_actor = _record(
    Actor,
    aliases=_list_of(_record(Alias)),
    affiliations=_list_of(_record(Affiliation)),
    **_TIMESTAMPS,
)
_kind_references = {
    Event.Kind.STATEMENT: {"responding_to": _optional(_key)},
    Event.Kind.ALLEGATION: {"responses": _list_of(_key)},
}
_parse_event = _record(
    Event,
    required=["key", "kind"],
    key=_key,
    kind=_text,
    formerly=_list_of(_text),
    **{k: _record(m, **_kind_references.get(k, {})) for k, m in EVENT_MODELS.items()},
    **{name: _list_of(_record(model)) for name, model in PARTS.items()},
    created_by=_optional(_text),
    **_TIMESTAMPS,
)


_parse_document = _object(
    {"actors": _list_of(_parse_actor, "slug"), "events": _list_of(_parse_event, "key")}
)


def check_document(document: dict[str, Any]) -> tuple[list[dict], list[dict]]:
    """Check the document's shape, types and internal references without touching the
    database; return its actors and events as typed values, each with its ``where``."""
    parsed = _parse_document(document, "")
    actors, events = parsed.get("actors", []), parsed.get("events", [])
    refuse_repeats((a["slug"], a["where"], f"slug {a['slug']!r}") for a in actors)
    refuse_repeats(
        (IDENTITY[Alias](alias), raw["where"], f"alias {alias.text!r} ({alias.language})")
        for actor in actors
        for raw in actor.get("aliases", ())
        for alias in [Alias(**{k: v for k, v in raw.items() if k != "where"})]
    )
    refuse_repeats((e["key"], e["where"], f"event key {e['key']!r}") for e in events)
    keys = {event["key"] for event in events}
    for event in events:
        kind, where = event["kind"], event["where"]
        if kind not in EVENT_MODELS:
            raise DocumentError(where, f"kind: {kind!r} is not one of {', '.join(EVENT_MODELS)}")
        if any(other in event for other in EVENT_MODELS if other != kind):
            raise DocumentError(where, f"a {kind} has details of another kind")
        details = event.setdefault(kind, {"where": where})
        for target in [*details.get("responses", ()), details.get("responding_to")]:
            if target is not None and target not in keys:
                raise DocumentError(where, f"refers to unknown event key {target!r}")
    return actors, events


def _chunks(items: list, size: int) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- the import ------------------------------------------------------------------------


def import_document(
    document: dict[str, Any], *, reason: str, progress: Progress | None = None
) -> Report:
    """Merge the document into the database in one transaction, by the policy above.
    ``reason`` is the history's change reason. Raises DocumentError, having changed nothing."""
    actors, events = check_document(document)
    importer = _Importer(reason, progress or no_progress)
    with transaction.atomic():
        importer.import_actors(actors)
        importer.import_events(events)
    return importer.report


class _Importer:
    def __init__(self, reason: str, progress: Progress):
        self.reason = reason
        self.progress = progress
        self.report = Report()
        self.actor_ids: dict[str, int] = {}
        self.event_ids: dict[int | str, int] = {}
        self.timestamps: dict[type, list[tuple[int, dt.datetime, dt.datetime]]] = defaultdict(list)
        for label in ["actors", "aliases", "affiliations", *KIND_LABELS.values()]:
            self.report.tally(label)  # events before their parts, whatever comes first

    # ---- actors

    def import_actors(self, actors: list[dict]) -> None:
        existing = Actor.objects.in_bulk([item["slug"] for item in actors], field_name="slug")
        advance = self.progress("actors", len(actors))
        for item in actors:
            actor = existing.get(item["slug"]) or Actor(slug=item["slug"])
            outcome = upsert(actor, self._values(Actor, item), item["where"])
            self.actor_ids[actor.slug] = actor.pk
            self._keep_timestamps(Actor, actor.pk, item)
            self.report.count("actors", outcome)
            advance(1)
        aliases = self._nested(actors, "aliases", Alias)
        texts = sorted({values["text"].lower() for values, _ in aliases})
        rows = [
            alias
            for chunk in _chunks(texts, LOOKUP_CHUNK)
            for alias in Alias.objects.annotate(folded=Lower("text")).filter(folded__in=chunk)
        ]
        new_rows: dict[type, list] = defaultdict(list)
        merge(self.report, "aliases", Alias, aliases, rows, new_rows)
        # Hundreds of rows on a first load: one insert. The gazetteer notices new aliases by
        # their count and highest id, so it needs no save signal.
        insert(Alias, new_rows[Alias])
        affiliations = self._nested(actors, "affiliations", Affiliation)
        rows = Affiliation.objects.filter(actor_id__in=self.actor_ids.values()).order_by("pk")
        # Saved one by one (no new_rows): roll-ups follow the save signal.
        merge(self.report, "affiliations", Affiliation, affiliations, rows)
        self._restore_timestamps(Actor)

    def _nested(self, actors: list[dict], name: str, model: type) -> list[tuple[dict, str]]:
        return [
            ({"actor_id": self.actor_ids[item["slug"]], **self._values(model, raw)}, raw["where"])
            for item in actors
            for raw in item.get(name, ())
        ]

    # ---- events

    def import_events(self, events: list[dict]) -> None:
        matches = self._match_events(events)
        # Known before any write, so a reference to a matched event later in the document
        # resolves at once; only references to events still to be created wait.
        self.event_ids = {events[index]["key"]: pk for index, pk in matches.items()}
        users = self._users(events)
        outcomes: dict[int, str] = {}
        deferred: list[tuple[int, int, int | str]] = []
        advance = self.progress("events", len(events))
        # In chunks: one query per chunk reads the matched events and their parts, and one
        # per chunk and model writes new parts. Each event is still saved on its own, so its
        # history entry and save signals (search vectors) behave as after an editor's save.
        for chunk in _chunks(list(range(len(events))), EVENT_CHUNK):
            current = self._current_events(events, {i: matches[i] for i in chunk if i in matches})
            new_parts: dict[type, list] = defaultdict(list)
            saved = []
            for index in chunk:
                item = events[index]
                instance, parts = current.get(index, (None, defaultdict(list)))
                event, outcomes[index] = self._save_event(index, item, instance, users, deferred)
                self.event_ids[item["key"]] = event.pk
                if self._import_parts(event, item, parts, new_parts):
                    outcomes[index] = outcomes[index].replace("unchanged", "updated")
                self._keep_timestamps(Event, event.pk, item)
                saved.append((event, item["where"], outcomes[index]))
            for model, rows in new_parts.items():
                insert(model, rows)
                # bulk_create sends no signals: have the dyad days and search vectors of
                # these events recomputed once the import commits.
                signals.refresh_after_commit(event_ids={row.event_id for row, _ in rows})
            for event, where, outcome in saved:
                if outcome != "unchanged" and event.is_published:
                    # Now that its sources are saved, "a published event has a source" holds.
                    check_model(event, where)
            advance(len(chunk))
        statements = EVENT_MODELS[Event.Kind.STATEMENT].objects
        for index, statement_id, target in deferred:
            statements.filter(pk=statement_id).update(responding_to_id=self.event_ids[target])
            outcomes[index] = outcomes[index].replace("unchanged", "updated")
        self._import_allegation_responses(events, outcomes)
        self._restore_timestamps(Event)
        for index, outcome in outcomes.items():
            self.report.count(KIND_LABELS[events[index]["kind"]], outcome)

    def _match_events(self, events: list[dict]) -> dict[int, int]:
        """Pair document events with database events by (kind, title, date), n-th with n-th."""
        candidates: dict[tuple, list[int]] = defaultdict(list)
        titles = sorted({t for item in events for t in (item["title"], *item.get("formerly", ()))})
        for chunk in _chunks(titles, LOOKUP_CHUNK):
            rows = Event.objects.filter(title__in=chunk).order_by("id")
            for event_id, kind, title, date in rows.values_list("id", "kind", "title", "date"):
                candidates[(kind, title, date)].append(event_id)
        matches = {}
        for index, item in enumerate(events):
            for title in (item["title"], *item.get("formerly", ())):
                queue = candidates.get((item["kind"], title, item["date"]))
                if queue:
                    matches[index] = queue.pop(0)
                    break
        return matches

    def _current_events(
        self, events: list[dict], matches: dict[int, int]
    ) -> dict[int, tuple[Event, dict[str, list]]]:
        """The matched events of a chunk, each with its parts."""
        instances: dict[int, Event] = {}
        for kind, model in EVENT_MODELS.items():
            ids = [pk for index, pk in matches.items() if events[index]["kind"] == kind]
            instances.update(model.objects.in_bulk(ids))
        parts: dict[int, dict[str, list]] = {pk: defaultdict(list) for pk in instances}
        for name, model in PARTS.items():
            for row in model.objects.filter(event_id__in=list(instances)).order_by("id"):
                parts[row.event_id][name].append(row)
        return {index: (instances[pk], parts[pk]) for index, pk in matches.items()}

    def _users(self, events: list[dict]) -> dict[str, int]:
        model = get_user_model()
        names = {item["created_by"] for item in events if item.get("created_by")}
        rows = model._default_manager.filter(**{f"{model.USERNAME_FIELD}__in": names})
        found = dict(rows.values_list(model.USERNAME_FIELD, "id"))
        self.report.unknown_users = names - found.keys()
        return found

    def _save_event(self, index, item, event, users, deferred) -> tuple[Event, str]:
        kind, where = item["kind"], item["where"]
        event = event or EVENT_MODELS[kind](kind=kind)
        details = item[kind]
        values = self._values(Event, item) | self._values(type(event), details)
        if "created_by" in item:
            values["created_by_id"] = users.get(item["created_by"] or "")
        target = details.get("responding_to")
        forward = target is not None and target not in self.event_ids
        if "responding_to" in details and not forward:
            values["responding_to_id"] = self.event_ids.get(target)
        event._change_reason = self.reason
        # Event.clean() wants a saved source for a published event: checked once they are.
        outcome = upsert(event, values, where, clean=False)
        if forward:
            # The answered event is created later in the document; set the reference then.
            deferred.append((index, event.pk, target))
        return event, outcome

    def _import_parts(self, event: Event, item: dict, current: dict, new_rows: dict) -> bool:
        """Update the event's matching parts and queue new ones; say whether any changed."""
        changed = False
        for name, model in PARTS.items():
            wanted = []
            for raw in item.get(name, ()):
                values = {"event_id": event.pk, **self._values(model, raw)}
                if model is Interaction and values.get("score") is None:
                    values["score"] = default_score(event.category)
                wanted.append((values, raw["where"]))
            changed = merge(self.report, name, model, wanted, current[name], new_rows) or changed
        return changed

    def _import_allegation_responses(self, events: list[dict], outcomes: dict[int, str]) -> None:
        through = Allegation.responses.through
        wanted = {
            index: (self.event_ids[item["key"]], {self.event_ids[k] for k in responses})
            for index, item in enumerate(events)
            if (responses := item[item["kind"]].get("responses"))
        }
        current = defaultdict(set)
        for chunk in _chunks([pk for pk, _ in wanted.values()], LOOKUP_CHUNK):
            rows = through.objects.filter(allegation_id__in=chunk)
            for allegation_id, event_id in rows.values_list("allegation_id", "event_id"):
                current[allegation_id].add(event_id)
        new_rows = []
        for index, (pk, responses) in wanted.items():
            missing = sorted(responses - current[pk])
            new_rows += [through(allegation_id=pk, event_id=event_id) for event_id in missing]
            if missing:
                outcomes[index] = outcomes[index].replace("unchanged", "updated")
        through.objects.bulk_create(new_rows)

    # ---- helpers

    def _values(self, model: type[models.Model], raw: dict) -> dict[str, Any]:
        """The record's values of the model's fields it gives, actors' slugs as their ids."""
        fields = [model._meta.get_field(name) for name in FIELDS[model] if name in raw]
        return {
            f.attname: self._actor_id(raw[f.name], raw["where"]) if f.is_relation else raw[f.name]
            for f in fields
        }

    def _actor_id(self, slug: str, where: str) -> int:
        if slug not in self.actor_ids:
            found = Actor.objects.filter(slug=slug).values_list("id", flat=True).first()
            if found is None:
                raise DocumentError(
                    where, f"unknown actor slug {slug!r}: not in the document or the database"
                )
            self.actor_ids[slug] = found
        return self.actor_ids[slug]

    def _keep_timestamps(self, model: type, pk: int, item: dict) -> None:
        if item.get("created_at") and item.get("updated_at"):
            self.timestamps[model].append((pk, item["created_at"], item["updated_at"]))

    def _restore_timestamps(self, model: type) -> None:
        """Put back the document's created/updated times, which auto_now(_add) overwrote on
        save; one statement for all rows, touching only those that differ."""
        rows = self.timestamps.pop(model, [])
        if not rows:
            return
        table = connection.ops.quote_name(model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET created_at = v.created_at, updated_at = v.updated_at "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::timestamptz[]) "
                "AS v(id, created_at, updated_at) WHERE t.id = v.id AND "
                "(t.created_at, t.updated_at) IS DISTINCT FROM (v.created_at, v.updated_at)",
                [list(column) for column in zip(*rows, strict=True)],
            )
