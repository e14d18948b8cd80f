"""Backups of the curated data as one portable, versioned JSON document.

The document holds actors (with their aliases and affiliations) and events (with their
kind-specific fields, participants, scored interactions, sources, the statement a statement
responds to and the events that answer an allegation)::

    {"format": "relwatch-curated", "version": 1, "actors": [...], "events": [...]}

Actors are referred to by slug, events by ``key`` (their position in the file). The export
writes one object per line in a stable order, so two exports of the same data are
byte-identical and a backup diffs well against the previous one.

Import checks the format and version and hands the rest to relations.importing, the importer
the YAML seeds use too: one transaction, records merged by natural keys (actors by slug,
events by kind, title and date), nothing deleted, so importing the same file twice changes
nothing and a backup can be restored over a database that has moved on since. To restore a
backup exactly, import it into a database without curated data.

Not in the file: database ids; the edit history (the import adds one history entry, reason
"import_curated", per event it creates or changes); feeds and articles (ingested, not curated);
users (``created_by`` is a username, linked when that user exists here). pg_dump is the full
backup (README).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TextIO

from django.db import connection, transaction
from django.db.models import Prefetch

from relations.importing import (
    FIELDS,
    KIND_LABELS,
    PARTS,
    TIMESTAMPS,
    DocumentError,
    Progress,
    Report,
    import_document,
    no_progress,
)
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

FORMAT = "relwatch-curated"
VERSION = 1
CHANGE_REASON = "import_curated"

# The document cannot be imported; the message says where in it and why.
CuratedDataError = DocumentError


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


# --------------------------------------------------------------------------- export


def export_curated(out: TextIO, *, progress: Progress | None = None) -> ExportSummary:
    """Write every actor and event to ``out`` as one document, reading one consistent snapshot."""
    with _snapshot():
        return _write_document(out, progress or no_progress)


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
        .select_related(*EVENT_MODELS, "created_by")
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.order_by("id")),
            Prefetch("interactions", queryset=Interaction.objects.order_by("id")),
            Prefetch("sources", queryset=Source.objects.order_by("id")),
        )
        .iterator(chunk_size=500)
    )


def _actor_item(actor: Actor, slugs: dict[int, str]) -> dict[str, Any]:
    item: dict[str, Any] = {"slug": actor.slug, **_values(actor, slugs)}
    # Sorted in Python, by code point, so the order never depends on the database's collation.
    item["aliases"] = sorted(
        (_values(alias, slugs) for alias in actor.aliases.all()),
        key=lambda alias: (alias["language"], alias["text"]),
    )
    # Kept in entry order: editors read a person's offices in the order they added them.
    item["affiliations"] = [_values(row, slugs) for row in actor.affiliations.all()]
    return item | _values(actor, slugs, TIMESTAMPS)


def _event_item(
    event: Event, keys: dict[int, int], slugs: dict[int, str], response_keys: list[int]
) -> dict[str, Any]:
    item: dict[str, Any] = {"key": keys[event.id], "kind": event.kind, **_values(event, slugs)}
    specific = getattr(event, event.kind)
    details = _values(specific, slugs)
    if event.kind == Event.Kind.STATEMENT:
        target = specific.responding_to_id
        details["responding_to"] = keys[target] if target else None
    if event.kind == Event.Kind.ALLEGATION:
        details["responses"] = response_keys
    item[event.kind] = details
    for name in PARTS:
        item[name] = [_values(part, slugs) for part in getattr(event, name).all()]
    item["created_by"] = event.created_by.get_username() if event.created_by else None
    return item | _values(event, slugs, TIMESTAMPS)


def _values(instance: Any, slugs: dict[int, str], names: Iterable[str] = ()) -> dict[str, Any]:
    """The document's fields of a row (relations.importing.FIELDS, or ``names``) as JSON
    values: actors as slugs, dates as ISO 8601, times in UTC."""
    values = {}
    for name in names or FIELDS[type(instance)]:
        model_field = instance._meta.get_field(name)
        value = getattr(instance, model_field.attname)
        if model_field.is_relation:
            value = slugs[value]
        elif isinstance(value, float):
            value += 0.0  # a stored -0.0 becomes 0.0: the same score, and one spelling of it
        elif isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).isoformat()
        elif isinstance(value, dt.date):
            value = value.isoformat()
        values[name] = value
    return values


def _dumps(item: dict[str, Any]) -> str:
    return json.dumps(item, ensure_ascii=False, allow_nan=False)


# --------------------------------------------------------------------------- import


def read_document(stream: TextIO) -> dict[str, Any]:
    """Parse the file's JSON, refusing NaN and Infinity (no score may be either)."""
    try:
        document = json.load(stream, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise CuratedDataError(
            "", f"Not a JSON document: {exc.msg} (line {exc.lineno}, column {exc.colno})."
        ) from None
    except UnicodeDecodeError as exc:
        raise CuratedDataError("", f"Not UTF-8 text: {exc.reason} at byte {exc.start}.") from None
    if not isinstance(document, dict):
        raise CuratedDataError(
            "", "Not a Relwatch curated-data document: the top level is no object."
        )
    return document


def _refuse_constant(name: str):
    raise CuratedDataError("", f"{name} is not a number this file may contain.")


def import_curated(document: dict[str, Any], *, progress: Progress | None = None) -> Report:
    """Check the file's format and version, then merge its actors and events by the
    importer's rules (relations.importing). Raises CuratedDataError, with nothing changed, if
    any part of it cannot be imported."""
    document = dict(document)
    if document.pop("format", None) != FORMAT:
        raise CuratedDataError(
            "", f'Not a Relwatch curated-data document: "format" is not {FORMAT!r}.'
        )
    version = document.pop("version", None)
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version <= VERSION:
        raise CuratedDataError(
            "",
            f"This file is format version {version!r}; this Relwatch reads versions 1 to "
            f"{VERSION} (upgrade Relwatch to import a newer one).",
        )
    return import_document(document, reason=CHANGE_REASON, progress=progress)


def summary(report: Report) -> str:
    """The import's outcome in one line, as import_curated prints it."""
    actors, events = report.tally("actors"), report.total(KIND_LABELS.values())
    line = f"Actors: {actors}. Events: {events}."
    if report.unknown_users:
        names = ", ".join(sorted(report.unknown_users))
        line += f" No such user here, created_by left empty: {names}."
    return line
