"""Load the seed data — actors and the events of the seed article — from the YAML in seeds/.

Every record is checked before anything is written (unknown actor slugs, scores outside
−10..+10, dates that do not parse, unknown kinds, roles and categories), and the writes run
in one transaction with the models' own validation, so a bad file changes nothing and its
error names the file, the line, the record and the reason. Records are updated in place —
actors by slug, aliases by text and language, affiliations by actor, parent and start,
events by kind and title — and the report counts what was created, updated and left alone,
so a second run can say that nothing changed.

What the files list is added and updated; nothing an editor added is deleted, except the
sources that cite the seed article, which the files describe completely.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction

from relations.categories import SCORE_MAX, SCORE_MIN, Category, default_score
from relations.models import (
    EVENT_MODELS,
    Actor,
    Affiliation,
    Alias,
    Allegation,
    Event,
    Interaction,
    Language,
    Meeting,
    Participant,
    Source,
    Statement,
)

ACTORS_FILE = "actors.yaml"
ARTICLE_FILE = "article.yaml"
EVENTS_FILE = "events.yaml"

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def default_seed_dir() -> Path:
    return Path(settings.BASE_DIR) / "seeds"


# --- errors and the report -------------------------------------------------------------


class SeedError(Exception):
    """A seed file that cannot be loaded. The message names the file, line, record and reason."""

    def __init__(self, path: Path | str, reason: str, *, record: str = "", line: int | None = None):
        self.path = Path(path)
        self.reason = reason
        self.record = record
        self.line = line
        where = [str(self.path)]
        if line:
            where.append(f"line {line}")
        if record:
            where.append(record)
        super().__init__(f"{', '.join(where)}: {reason}")


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)

    def __str__(self) -> str:
        parts = [
            f"{self.created} created",
            f"{self.updated} updated",
            f"{self.unchanged} unchanged",
        ]
        if self.deleted:
            parts.append(f"{self.deleted} deleted")
        return ", ".join(parts)


@dataclass
class SeedReport:
    """What a load did, per kind of record (in the order first counted)."""

    tallies: dict[str, Tally] = field(default_factory=dict)

    def tally(self, label: str) -> Tally:
        return self.tallies.setdefault(label, Tally())

    def count(self, label: str, outcome: str, n: int = 1) -> None:
        tally = self.tally(label)
        setattr(tally, outcome, getattr(tally, outcome) + n)

    @property
    def changed(self) -> bool:
        return any(tally.changed for tally in self.tallies.values())

    def lines(self) -> list[str]:
        return [f"{label}: {tally}" for label, tally in self.tallies.items()]


# --- reading YAML with line numbers ----------------------------------------------------


class Record(dict):
    """A YAML mapping that remembers the line it starts on, for error messages."""

    line: int | None = None


# libyaml's parser when PyYAML was built with it (several times faster), else the pure one.
_SafeLoaderBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SeedYamlLoader(_SafeLoaderBase):
    """PyYAML's safe loader, with line numbers on mappings, duplicate keys refused, and dates
    left as strings so that a bad date gets an error naming its record rather than a bare
    ValueError from inside the parser."""


_SeedYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _SafeLoaderBase.yaml_implicit_resolvers.items()
}


def _construct_record(loader: _SeedYamlLoader, node: yaml.MappingNode):
    record = Record()
    record.line = node.start_mark.line + 1
    yield record
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, str) and key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice in one record", key_node.start_mark
            )
        seen.add(key)
    record.update(loader.construct_mapping(node, deep=True))


_SeedYamlLoader.add_constructor("tag:yaml.org,2002:map", _construct_record)


def read_seed_file(path: Path) -> Any:
    """Parse one seed file safely (no Python objects, no includes); SeedError if it cannot."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(path, "the file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError(path, f"cannot be read: {exc}") from None
    try:
        return yaml.load(text, Loader=_SeedYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        line = mark.line + 1 if mark else None
        raise SeedError(path, f"not valid YAML: {reason}", line=line) from None
    except yaml.YAMLError as exc:
        raise SeedError(path, f"not valid YAML: {exc}") from None


# --- checking one record ---------------------------------------------------------------


class RecordReader:
    """Typed access to one YAML record, raising SeedError that names where the problem is."""

    def __init__(self, path: Path, record: Any, label: str, line: int | None = None):
        self.path = path
        self.label = label
        self.line = getattr(record, "line", None) or line
        if not isinstance(record, dict):
            raise self.error(f"expected a mapping of fields, got {_describe(record)}")
        self.record = record

    def error(self, reason: str, inner: Any = None) -> SeedError:
        line = getattr(inner, "line", None) or self.line
        return SeedError(self.path, reason, record=self.label, line=line)

    def only(self, allowed: Iterable[str]) -> None:
        unknown = sorted(set(self.record) - set(allowed), key=str)
        if unknown:
            raise self.error(
                f"unknown field(s) {', '.join(map(str, unknown))}; "
                f"allowed: {', '.join(sorted(allowed))}"
            )

    def get(self, key: str, default: Any = None) -> Any:
        return self.record.get(key, default)

    def text(self, key: str, *, required: bool = False, default: str = "") -> str:
        value = self.record.get(key)
        if value is None:
            if required:
                raise self.error(f"{key} is required")
            return default
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self.error(f"{key} must be text, got {_describe(value)}")
        value = str(value).strip()
        if required and not value:
            raise self.error(f"{key} must not be empty")
        return value

    def choice(self, key: str, choices: Iterable[str], *, default: str | None = None) -> str:
        value = self.text(key, required=default is None, default=default or "")
        return check_choice(self, key, value, choices)

    def boolean(self, key: str, *, default: bool = False) -> bool:
        value = self.record.get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"{key} must be true or false, got {_describe(value)}")
        return value

    def items(self, key: str) -> list[Any]:
        value = self.record.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.error(f"{key} must be a list, got {_describe(value)}")
        return value


def check_choice(reader: RecordReader, key: str, value: str, choices: Iterable[str]) -> str:
    choices = list(choices)
    if value not in choices:
        raise reader.error(f"{key} {value!r} is not one of: {', '.join(choices)}")
    return value


def parse_date(reader: RecordReader, key: str, value: Any, precision: str = "day") -> dt.date:
    """A date as YYYY-MM-DD; with month precision YYYY-MM, with year precision YYYY too."""
    raw = str(value).strip() if value is not None else ""
    if not raw:
        raise reader.error(f"{key} is required")
    patterns = {"day": r"\d{4}-\d{2}-\d{2}", "month": r"\d{4}-\d{2}", "year": r"\d{4}"}
    accepted = [patterns["day"]] + [patterns[p] for p in ("month", "year") if p == precision]
    if not any(re.fullmatch(pattern, raw) for pattern in accepted):
        shapes = {"day": "YYYY-MM-DD", "month": "YYYY-MM or YYYY-MM-DD", "year": "YYYY"}
        raise reader.error(f"{key} {raw!r} does not parse: write it as {shapes[precision]}")
    parts = [int(part) for part in raw.split("-")] + [1, 1]
    try:
        return dt.date(parts[0], parts[1], parts[2])
    except ValueError as exc:
        raise reader.error(f"{key} {raw!r} does not parse: {exc}") from None


def parse_score(reader: RecordReader, value: Any, inner: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise reader.error(f"score {value!r} is not a number", inner)
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise reader.error(
            f"score {value:g} is outside −10..+10 (−10 conflict, +10 cooperation)", inner
        )
    return float(value)


def _describe(value: Any) -> str:
    return f"{type(value).__name__} {value!r}"[:80]


def _validation_text(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" if name != "__all__" else " ".join(messages)
            for name, messages in exc.message_dict.items()
        )
    return " ".join(exc.messages)


# --- the parsed seed data --------------------------------------------------------------


@dataclass
class AliasSpec:
    text: str
    language: str
    case_sensitive: bool
    line: int | None


@dataclass
class AffiliationSpec:
    parent: str
    role: str
    start_date: dt.date | None
    end_date: dt.date | None
    line: int | None


@dataclass
class ActorSpec:
    slug: str
    fields: dict[str, Any]
    aliases: list[AliasSpec]
    affiliations: list[AffiliationSpec]
    line: int | None

    @property
    def label(self) -> str:
        return f"actor {self.slug!r}"


@dataclass
class ArticleSpec:
    title: str
    outlet: str
    language: str
    url: str
    published_at: dt.datetime | None
    reliability: str


@dataclass
class EventSpec:
    key: str
    kind: str
    title: str
    formerly: list[str]
    fields: dict[str, Any]
    actor_fields: dict[str, str]
    responding_to: str
    responses: list[str]
    participants: list[tuple[str, str]]
    interactions: list[tuple[str, str, float | None]]
    sources: list[dict[str, Any]]
    line: int | None

    @property
    def label(self) -> str:
        return f"event {self.key!r}"


ACTOR_FIELDS = {
    "slug",
    "name",
    "kind",
    "country",
    "title",
    "description",
    "colour",
    "wikidata",
    "is_core",
    "aliases",
    "affiliations",
}
LANGUAGES = [code for code, _ in Language.choices]


def parse_actors(path: Path, data: Any) -> list[ActorSpec]:
    top = RecordReader(path, data, "top level", line=1)
    top.only({"actors"})
    specs: list[ActorSpec] = []
    seen: dict[str, ActorSpec] = {}
    for index, record in enumerate(top.items("actors"), start=1):
        label = f"actor #{index}"
        if isinstance(record, dict) and isinstance(record.get("slug"), str):
            label = f"actor {record['slug']!r}"
        reader = RecordReader(path, record, label)
        reader.only(ACTOR_FIELDS)
        slug = reader.text("slug", required=True)
        if not SLUG_RE.match(slug):
            raise reader.error(f"slug {slug!r} must be lower-case words joined by hyphens")
        if slug in seen:
            raise reader.error(f"slug {slug!r} is listed twice (also at line {seen[slug].line})")
        fields = {
            "name": reader.text("name", required=True),
            "kind": reader.choice("kind", Actor.Kind.values),
            "country_code": reader.text("country"),
            "title": reader.text("title"),
            "description": reader.text("description"),
            "colour": reader.text("colour"),
            "wikidata_id": reader.text("wikidata"),
            "is_core": reader.boolean("is_core"),
        }
        spec = ActorSpec(
            slug=slug,
            fields=fields,
            aliases=_parse_aliases(reader),
            affiliations=_parse_affiliations(reader),
            line=reader.line,
        )
        seen[slug] = spec
        specs.append(spec)

    known = set(seen)
    _check_alias_uniqueness(path, specs)
    for spec in specs:
        for affiliation in spec.affiliations:
            if affiliation.parent not in known:
                raise SeedError(
                    path,
                    f"unknown actor slug {affiliation.parent!r} as affiliation parent",
                    record=spec.label,
                    line=affiliation.line,
                )
            if affiliation.parent == spec.slug:
                raise SeedError(
                    path, "an actor cannot be its own parent", record=spec.label, line=spec.line
                )
    return specs


def _parse_aliases(reader: RecordReader) -> list[AliasSpec]:
    raw = reader.get("aliases") or {}
    if not isinstance(raw, dict):
        raise reader.error("aliases must map a language code to a list of aliases")
    aliases = []
    for language, entries in raw.items():
        if language not in LANGUAGES:
            raise reader.error(
                f"alias language {language!r} is not one of: {', '.join(LANGUAGES)}", raw
            )
        if not isinstance(entries, list):
            raise reader.error(f"aliases.{language} must be a list", raw)
        for entry in entries:
            if isinstance(entry, dict):
                entry_reader = RecordReader(reader.path, entry, reader.label, line=reader.line)
                entry_reader.only({"text", "case_sensitive"})
                text = entry_reader.text("text", required=True)
                case_sensitive = entry_reader.boolean("case_sensitive")
                line = entry_reader.line
            elif isinstance(entry, str | int | float) and not isinstance(entry, bool):
                text, case_sensitive, line = str(entry).strip(), False, getattr(raw, "line", None)
            else:
                raise reader.error(f"alias {entry!r} in {language} is not text", raw)
            if not text:
                raise reader.error(f"an alias in {language} is empty", raw)
            aliases.append(AliasSpec(text, language, case_sensitive, line))
    return aliases


def _parse_affiliations(reader: RecordReader) -> list[AffiliationSpec]:
    affiliations = []
    for entry in reader.items("affiliations"):
        entry_reader = RecordReader(reader.path, entry, reader.label, line=reader.line)
        entry_reader.only({"parent", "role", "start", "end"})
        start = entry_reader.get("start")
        end = entry_reader.get("end")
        start_date = parse_date(entry_reader, "start", start) if start is not None else None
        end_date = parse_date(entry_reader, "end", end) if end is not None else None
        if start_date and end_date and end_date < start_date:
            raise entry_reader.error(
                f"affiliation ends ({end_date}) before it starts ({start_date})"
            )
        affiliations.append(
            AffiliationSpec(
                parent=entry_reader.text("parent", required=True),
                role=entry_reader.text("role"),
                start_date=start_date,
                end_date=end_date,
                line=entry_reader.line,
            )
        )
    return affiliations


def _check_alias_uniqueness(path: Path, specs: list[ActorSpec]) -> None:
    # The database refuses two aliases with the same text (ignoring case) in one language.
    owners: dict[tuple[str, str], str] = {}
    for spec in specs:
        for alias in spec.aliases:
            key = (alias.text.casefold(), alias.language)
            if key in owners:
                other = "this actor" if owners[key] == spec.slug else f"actor {owners[key]!r}"
                raise SeedError(
                    path,
                    f"alias {alias.text!r} ({alias.language}) is already listed for {other}; "
                    "aliases are unique per language, ignoring case",
                    record=spec.label,
                    line=alias.line,
                )
            owners[key] = spec.slug


def parse_article(path: Path, data: Any) -> ArticleSpec:
    reader = RecordReader(path, data, "article", line=1)
    reader.only({"title", "outlet", "language", "url", "published_at", "reliability", "errata"})
    published = reader.get("published_at")
    published_at = None
    if published is not None:
        try:
            published_at = dt.datetime.fromisoformat(str(published))
        except ValueError:
            raise reader.error(f"published_at {published!r} does not parse (ISO 8601)") from None
        if published_at.tzinfo is None:
            published_at = published_at.replace(tzinfo=dt.UTC)
    return ArticleSpec(
        title=reader.text("title", required=True),
        outlet=reader.text("outlet", required=True),
        language=reader.choice("language", LANGUAGES, default=Language.ENGLISH),
        url=reader.text("url"),
        published_at=published_at,
        reliability=reader.choice("reliability", ["", *Source.Reliability.values], default=""),
    )


COMMON_EVENT_FIELDS = {
    "key",
    "kind",
    "title",
    "formerly",
    "summary",
    "date",
    "date_precision",
    "location",
    "category",
    "status",
    "note",
    "participants",
    "interactions",
    "sources",
}
KIND_FIELDS = {
    Event.Kind.MEETING: {"format", "city", "purpose", "outcome"},
    Event.Kind.STATEMENT: {"speaker", "quote", "original_language", "channel", "responding_to"},
    Event.Kind.ALLEGATION: {
        "claimant",
        "accused",
        "claim",
        "evidence_status",
        "evidence_note",
        "responses",
    },
}


def parse_events(
    path: Path, data: Any, known_actors: set[str], article: ArticleSpec
) -> list[EventSpec]:
    top = RecordReader(path, data, "top level", line=1)
    top.only({"events"})
    specs: list[EventSpec] = []
    keys: dict[str, EventSpec] = {}
    titles: dict[tuple[str, str], str] = {}
    for index, record in enumerate(top.items("events"), start=1):
        label = f"event #{index}"
        if isinstance(record, dict) and isinstance(record.get("key"), str):
            label = f"event {record['key']!r}"
        reader = RecordReader(path, record, label)
        spec = _parse_event(reader, known_actors, article)
        if spec.key in keys:
            raise reader.error(
                f"key {spec.key!r} is used twice (also at line {keys[spec.key].line})"
            )
        for title in (spec.title, *spec.formerly):
            other = titles.get((spec.kind, title.casefold()))
            if other is not None:
                raise reader.error(f"the {spec.kind} title {title!r} is also used by {other!r}")
            titles[(spec.kind, title.casefold())] = spec.key
        keys[spec.key] = spec
        specs.append(spec)

    for spec in specs:
        for ref in filter(None, [spec.responding_to, *spec.responses]):
            if ref not in keys:
                raise SeedError(
                    path,
                    f"refers to unknown seed event key {ref!r}",
                    record=spec.label,
                    line=spec.line,
                )
            if ref == spec.key:
                raise SeedError(path, "an event cannot respond to itself", record=spec.label)
    return specs


def _parse_event(reader: RecordReader, known: set[str], article: ArticleSpec) -> EventSpec:
    kind = reader.choice("kind", Event.Kind.values)
    reader.only(COMMON_EVENT_FIELDS | KIND_FIELDS[kind])
    key = reader.text("key", required=True)
    if not SLUG_RE.match(key):
        raise reader.error(f"key {key!r} must be lower-case words joined by hyphens")
    precision = reader.choice("date_precision", Event.Precision.values, default="day")
    formerly = [str(title).strip() for title in reader.items("formerly")]

    def actor(field_name: str, slug: Any, inner: Any = None) -> str:
        if not isinstance(slug, str) or not slug:
            raise reader.error(f"{field_name} must be an actor slug", inner)
        if slug not in known:
            raise reader.error(f"unknown actor slug {slug!r} in {field_name}", inner)
        return slug

    category = reader.choice("category", Category.values)
    fields: dict[str, Any] = {
        "title": reader.text("title", required=True),
        "summary": reader.text("summary"),
        "date": parse_date(reader, "date", reader.get("date"), precision),
        "date_precision": precision,
        "location": reader.text("location"),
        "category": category,
        "status": reader.choice("status", Event.Status.values, default="published"),
        "note": reader.text("note"),
    }
    actor_fields: dict[str, str] = {}
    responding_to, responses = "", []
    if kind == Event.Kind.MEETING:
        fields |= {
            "format": reader.choice("format", Meeting.Format.values, default="hosted"),
            "city": reader.text("city"),
            "purpose": reader.text("purpose"),
            "outcome": reader.text("outcome"),
        }
    elif kind == Event.Kind.STATEMENT:
        actor_fields["speaker"] = actor("speaker", reader.get("speaker"))
        fields |= {
            "quote": reader.text("quote"),
            "original_language": reader.choice("original_language", ["", *LANGUAGES], default=""),
            "channel": reader.choice(
                "channel", Statement.Channel.values, default="official_statement"
            ),
        }
        responding_to = reader.text("responding_to")
    else:
        actor_fields["claimant"] = actor("claimant", reader.get("claimant"))
        actor_fields["accused"] = actor("accused", reader.get("accused"))
        fields |= {
            "claim": reader.text("claim", required=True),
            "evidence_status": reader.choice(
                "evidence_status", Allegation.EvidenceStatus.values, default="unverified"
            ),
            "evidence_note": reader.text("evidence_note"),
        }
        responses = [str(ref) for ref in reader.items("responses")]

    participants: list[tuple[str, str]] = []
    for entry in reader.items("participants"):
        sub = RecordReader(reader.path, entry, reader.label, line=reader.line)
        sub.only({"actor", "role"})
        slug = actor("participants", sub.get("actor"), entry)
        role = check_choice(
            sub, "role", sub.text("role", default="participant"), Participant.Role.values
        )
        if (slug, role) in participants:
            raise sub.error(f"participant {slug!r} is listed twice as {role}")
        participants.append((slug, role))

    interactions: list[tuple[str, str, float | None]] = []
    for entry in reader.items("interactions"):
        sub = RecordReader(reader.path, entry, reader.label, line=reader.line)
        sub.only({"source", "target", "score"})
        source = actor("interactions source", sub.get("source"), entry)
        target = actor("interactions target", sub.get("target"), entry)
        if source == target:
            raise sub.error(f"an interaction needs two different actors, got {source!r} twice")
        if any(source == s and target == t for s, t, _ in interactions):
            raise sub.error(f"the interaction {source} → {target} is listed twice")
        interactions.append((source, target, parse_score(sub, sub.get("score"), entry)))

    sources = [_parse_source(reader, entry, article) for entry in reader.items("sources")]
    if fields["status"] == Event.Status.PUBLISHED and not sources:
        raise reader.error("a published event needs at least one source")

    return EventSpec(
        key=key,
        kind=kind,
        title=fields["title"],
        formerly=formerly,
        fields=fields,
        actor_fields=actor_fields,
        responding_to=responding_to,
        responses=responses,
        participants=participants,
        interactions=interactions,
        sources=sources,
        line=reader.line,
    )


def _parse_source(reader: RecordReader, entry: Any, article: ArticleSpec) -> dict[str, Any]:
    sub = RecordReader(reader.path, entry, reader.label, line=reader.line)
    sub.only({"quote", "outlet", "title", "url", "language", "reliability", "published_at"})
    published = sub.get("published_at")
    published_at = article.published_at
    if published is not None:
        try:
            published_at = dt.datetime.fromisoformat(str(published))
        except ValueError:
            raise sub.error(f"published_at {published!r} does not parse (ISO 8601)") from None
        if published_at.tzinfo is None:
            published_at = published_at.replace(tzinfo=dt.UTC)
    return {
        "quote": sub.text("quote", required=True),
        "outlet": sub.text("outlet", default=article.outlet),
        "title": sub.text("title", default=article.title),
        "url": sub.text("url", default=article.url),
        "language": sub.choice("language", LANGUAGES, default=article.language),
        "reliability": sub.choice(
            "reliability", ["", *Source.Reliability.values], default=article.reliability
        ),
        "published_at": published_at,
    }


# --- writing ---------------------------------------------------------------------------


def _assign(instance: models.Model, values: dict[str, Any]) -> bool:
    """Set the fields that differ; True if any did."""
    changed = False
    for name, value in values.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed = True
    return changed


def _model_checks(instance: models.Model, path: Path, label: str, *, clean: bool = True) -> None:
    """The models' field validators and clean(), as the admin's forms run them, as a SeedError
    naming the record.

    Left out: fields no form shows (kind, timestamps, the parent link of an event kind), and
    relations, which point at rows this load has just saved or looked up. The constraints
    (unique aliases, score range, distinct actors, dates in order) are checked on the parsed
    files instead of with one query per row; the database enforces them again on save.
    """
    exclude = {
        f.name for f in instance._meta.fields if not f.editable or f.auto_created or f.is_relation
    }
    try:
        instance.clean_fields(exclude=exclude)
        if clean:
            instance.clean()
    except ValidationError as exc:
        raise SeedError(path, _validation_text(exc), record=label) from None


def apply_actors(path: Path, specs: list[ActorSpec], report: SeedReport) -> dict[str, Actor]:
    existing = {
        actor.slug: actor for actor in Actor.objects.filter(slug__in=[s.slug for s in specs])
    }
    actors: dict[str, Actor] = {}
    for spec in specs:
        actor = existing.get(spec.slug) or Actor(slug=spec.slug)
        created = actor.pk is None
        if _assign(actor, spec.fields) or created:
            _model_checks(actor, path, spec.label)
            actor.save()
            report.count("actors", "created" if created else "updated")
        else:
            report.count("actors", "unchanged")
        actors[spec.slug] = actor

    _apply_aliases(path, specs, actors, report)
    _apply_affiliations(path, specs, actors, report)
    return actors


def _apply_aliases(
    path: Path, specs: list[ActorSpec], actors: dict[str, Actor], report: SeedReport
) -> None:
    # Keyed as the database's uniqueness is: the same text in another case is the same alias,
    # and one an editor attached to another actor moves to the actor the seeds name.
    existing = {(alias.text.casefold(), alias.language): alias for alias in Alias.objects.all()}
    new_aliases = []
    for spec in specs:
        actor = actors[spec.slug]
        for alias_spec in spec.aliases:
            alias = existing.get((alias_spec.text.casefold(), alias_spec.language))
            values = {
                "actor_id": actor.pk,
                "text": alias_spec.text,
                "language": alias_spec.language,
                "case_sensitive": alias_spec.case_sensitive,
            }
            if alias is None:
                alias = Alias(**values)
                _model_checks(alias, path, f"{spec.label}, alias {alias_spec.text!r}")
                new_aliases.append(alias)
            elif _assign(alias, values):
                _model_checks(alias, path, f"{spec.label}, alias {alias_spec.text!r}")
                alias.save()
                report.count("aliases", "updated")
            else:
                report.count("aliases", "unchanged")
    # Hundreds of rows on a first load: one insert. The gazetteer notices new aliases by their
    # count and highest id, so it needs no save signal.
    Alias.objects.bulk_create(new_aliases)
    report.count("aliases", "created", len(new_aliases))


def _apply_affiliations(
    path: Path, specs: list[ActorSpec], actors: dict[str, Actor], report: SeedReport
) -> None:
    ids = [actor.pk for actor in actors.values()]
    existing: dict[tuple[int, int, dt.date | None], Affiliation] = {}
    for affiliation in Affiliation.objects.filter(actor_id__in=ids).order_by("pk"):
        key = (affiliation.actor_id, affiliation.parent_id, affiliation.start_date)
        existing.setdefault(key, affiliation)
    for spec in specs:
        actor = actors[spec.slug]
        for aff_spec in spec.affiliations:
            parent = actors[aff_spec.parent]
            affiliation = existing.get((actor.pk, parent.pk, aff_spec.start_date))
            created = affiliation is None
            affiliation = affiliation or Affiliation(actor=actor, parent=parent)
            values = {
                "role": aff_spec.role,
                "start_date": aff_spec.start_date,
                "end_date": aff_spec.end_date,
            }
            if _assign(affiliation, values) or created:
                _model_checks(affiliation, path, f"{spec.label}, affiliation to {aff_spec.parent}")
                affiliation.save()
                report.count("affiliations", "created" if created else "updated")
            else:
                report.count("affiliations", "unchanged")


def find_seed_event(kind: str, titles: Iterable[str]) -> Event | None:
    """The event a seed record describes: same kind, its title or one it had before."""
    model = EVENT_MODELS[kind]
    return model.objects.filter(title__in=list(titles)).order_by("pk").first()


def apply_events(
    path: Path, specs: list[EventSpec], actors: dict[str, Actor], report: SeedReport
) -> dict[str, Event]:
    missing = {
        slug
        for spec in specs
        for slug in [
            *spec.actor_fields.values(),
            *(slug for slug, _ in spec.participants),
            *(s for s, _, _ in spec.interactions),
            *(t for _, t, _ in spec.interactions),
        ]
        if slug not in actors
    }
    actors = actors | {actor.slug: actor for actor in Actor.objects.filter(slug__in=missing)}

    for model in EVENT_MODELS.values():
        report.tally(str(model._meta.verbose_name_plural))  # report events before their parts
    events: dict[str, Event] = {}
    outcomes: dict[str, str] = {}
    for spec in specs:
        event, outcomes[spec.key] = _apply_event(path, spec, actors)
        events[spec.key] = event
        _apply_participants(path, spec, event, actors, report)
        _apply_interactions(path, spec, event, actors, report)
        _apply_sources(path, spec, event, report)
        if event.status == Event.Status.PUBLISHED:
            # Now that its sources are saved, the "a published event has a source" rule holds.
            _model_checks(event, path, spec.label)

    # Cross references last: the event referred to may come later in the file.
    for spec in specs:
        event = events[spec.key]
        if spec.kind == Event.Kind.STATEMENT:
            target = events[spec.responding_to].pk if spec.responding_to else None
            if event.responding_to_id != target:
                event.responding_to_id = target
                event.save()
                outcomes[spec.key] = outcomes[spec.key].replace("unchanged", "updated")
        elif spec.kind == Event.Kind.ALLEGATION and spec.responses:
            wanted = {events[ref].pk for ref in spec.responses}
            have = set(event.responses.values_list("pk", flat=True))
            if wanted - have:
                event.responses.add(*(wanted - have))
                outcomes[spec.key] = outcomes[spec.key].replace("unchanged", "updated")

    for spec in specs:
        report.count(str(EVENT_MODELS[spec.kind]._meta.verbose_name_plural), outcomes[spec.key])
    return events


def _apply_event(path: Path, spec: EventSpec, actors: dict[str, Actor]) -> tuple[Event, str]:
    model = EVENT_MODELS[spec.kind]
    event = find_seed_event(spec.kind, [spec.title, *spec.formerly])
    created = event is None
    if event is None:
        event = model(kind=spec.kind)
    values = dict(spec.fields)
    values |= {f"{name}_id": actors[slug].pk for name, slug in spec.actor_fields.items()}
    if not _assign(event, values) and not created:
        return event, "unchanged"
    # Event.clean() wants a saved source for a published event: checked once they are saved.
    _model_checks(event, path, spec.label, clean=False)
    event.save()
    return event, "created" if created else "updated"


def _apply_participants(
    path: Path, spec: EventSpec, event: Event, actors: dict[str, Actor], report: SeedReport
) -> None:
    have = set(event.participants.values_list("actor_id", "role"))
    for slug, role in spec.participants:
        if (actors[slug].pk, role) in have:
            report.count("participants", "unchanged")
            continue
        participant = Participant(event=event, actor=actors[slug], role=role)
        _model_checks(participant, path, f"{spec.label}, participant {slug}")
        participant.save()
        report.count("participants", "created")


def _apply_interactions(
    path: Path, spec: EventSpec, event: Event, actors: dict[str, Actor], report: SeedReport
) -> None:
    existing = {(i.source_id, i.target_id): i for i in event.interactions.all()}
    for source_slug, target_slug, score in spec.interactions:
        source, target = actors[source_slug], actors[target_slug]
        score = default_score(event.category) if score is None else score
        interaction = existing.get((source.pk, target.pk))
        created = interaction is None
        interaction = interaction or Interaction(event=event, source=source, target=target)
        if _assign(interaction, {"score": score}) or created:
            _model_checks(
                interaction, path, f"{spec.label}, interaction {source_slug} → {target_slug}"
            )
            interaction.save()
            report.count("interactions", "created" if created else "updated")
        else:
            report.count("interactions", "unchanged")


def _apply_sources(path: Path, spec: EventSpec, event: Event, report: SeedReport) -> None:
    # The seeds own the sources that cite what they cite (same outlet and title); an editor's
    # sources from other outlets are left alone.
    cited = {(source["outlet"], source["title"]) for source in spec.sources}
    owned = [s for s in event.sources.all() if (s.outlet, s.title) in cited]
    by_key = {(s.outlet, s.title, s.quote): s for s in owned}
    kept: set[int] = set()
    for source_spec in spec.sources:
        key = (source_spec["outlet"], source_spec["title"], source_spec["quote"])
        source = by_key.get(key)
        created = source is None
        source = source or Source(event=event)
        if _assign(source, source_spec) or created:
            _model_checks(source, path, f"{spec.label}, source {source_spec['quote'][:40]!r}")
            source.save()
            report.count("sources", "created" if created else "updated")
        else:
            report.count("sources", "unchanged")
        kept.add(source.pk)
    for source in owned:
        if source.pk not in kept:
            source.delete()
            report.count("sources", "deleted")


# --- the whole load --------------------------------------------------------------------


def load_relations_seeds(
    directory: Path | str | None = None, report: SeedReport | None = None
) -> SeedReport:
    """Load actors.yaml, article.yaml and events.yaml from ``directory`` (default: seeds/).

    Raises SeedError, having changed nothing, if any record is wrong.
    """
    directory = Path(directory) if directory else default_seed_dir()
    report = report if report is not None else SeedReport()
    actors_path = directory / ACTORS_FILE
    article_path = directory / ARTICLE_FILE
    events_path = directory / EVENTS_FILE
    actors_data = read_seed_file(actors_path)
    article_data = read_seed_file(article_path)
    events_data = read_seed_file(events_path)

    with transaction.atomic():
        actor_specs = parse_actors(actors_path, actors_data)
        article = parse_article(article_path, article_data)
        known = {spec.slug for spec in actor_specs}
        known |= set(Actor.objects.values_list("slug", flat=True))
        event_specs = parse_events(events_path, events_data, known, article)

        with database_refusals(actors_path):
            actors = apply_actors(actors_path, actor_specs, report)
        with database_refusals(events_path):
            apply_events(events_path, event_specs, actors, report)
    return report


@contextmanager
def database_refusals(path: Path):
    """A constraint the checks above missed still stops the load with the file's name."""
    try:
        yield
    except IntegrityError as exc:
        reason = str(exc).strip().splitlines()[0]
        raise SeedError(path, f"the database refused a record: {reason}") from None
