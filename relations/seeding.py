"""Read the seed data — actors and the events of the seed article — from the YAML in seeds/
into a document for relations.importing, which checks and writes it (the matching and
validation rules are in its docstring).

The YAML is written for people, so this reader adds what the document spells out: aliases
grouped by language, short field names (``country``, ``wikidata``, ``start``), a kind's fields
beside the common ones, dates of month or year precision written as ``2023-10`` or ``2023``,
sources that default to the seed article (article.yaml), and events published unless they say
otherwise. Each record gets its file, line and name as its ``where``, so any error, from here
or from the importer, names the file, the line, the record and the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from relations.importing import FIELDS, DocumentError, Report, import_document
from relations.models import EVENT_MODELS

ACTORS_FILE = "actors.yaml"
ARTICLE_FILE = "article.yaml"
EVENTS_FILE = "events.yaml"
# The article's metadata that its events' sources take unless they say otherwise.
ARTICLE_DEFAULTS = ("title", "outlet", "language", "url", "published_at", "reliability")
ACTOR_NAMES = {"country": "country_code", "wikidata": "wikidata_id"}
AFFILIATION_NAMES = {"start": "start_date", "end": "end_date"}

# A file that cannot be loaded; the message names the file, line, record and reason.
SeedError = DocumentError


def default_seed_dir() -> Path:
    return Path(settings.BASE_DIR) / "seeds"


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


def read_yaml(path: Path) -> Any:
    """Parse one seed file safely (no Python objects, no includes); SeedError if it cannot."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SeedError(str(path), "the file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SeedError(str(path), f"cannot be read: {exc}") from None
    try:
        return yaml.load(text, Loader=_SeedYamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SeedError(
            location(path, line=mark.line + 1 if mark else None), "not valid YAML: " + reason
        ) from None
    except yaml.YAMLError as exc:
        raise SeedError(str(path), f"not valid YAML: {exc}") from None


def location(path: Path, record: Any = None, label: str = "", *, line: int | None = None) -> str:
    """Where a record is, for error messages: the file, the record's line and its name."""
    line = getattr(record, "line", None) or line
    return ", ".join(part for part in (str(path), line and f"line {line}", label) if part)


def records(path: Path, name: str, kind: str, key: str) -> Iterator[tuple[dict, str]]:
    """The mappings under the file's one top-level key, each with its ``where``, and its name
    (``kind`` and the value of ``key``)."""
    data = read_yaml(path)
    if not isinstance(data, dict) or set(data) - {name}:
        raise SeedError(location(path, line=1), f"expected one top-level key, {name!r}")
    items = data.get(name) or []
    if not isinstance(items, list):
        raise SeedError(location(path, data), f"{name} must be a list")
    for index, record in enumerate(items, start=1):
        named = isinstance(record, dict) and isinstance(record.get(key), str)
        label = f"{kind} {record[key]!r}" if named else f"{kind} #{index}"
        if not isinstance(record, dict):
            raise SeedError(location(path, label=label), f"expected a mapping, got {record!r}")
        yield located(path, record, label), label


def located(path: Path, record: Any, label: str, line: int | None = None) -> Any:
    """A YAML mapping with its ``where`` added; anything else is left to the importer's
    checks, which name the record it sits in."""
    if not isinstance(record, dict):
        return record
    return {**record, "where": location(path, record, label, line=line)}


def renamed(record: dict, names: dict[str, str]) -> dict:
    return {names.get(key, key): value for key, value in record.items()}


def _entries(path: Path, record: dict, name: str, label: str, names=None, **defaults) -> Any:
    """A record's list of mappings, each located, renamed and completed with ``defaults``."""
    entries = record.get(name, [])
    if not isinstance(entries, list):
        return entries
    entries = [located(path, entry, label) for entry in entries]
    return [defaults | renamed(e, names or {}) if isinstance(e, dict) else e for e in entries]


# --- actors.yaml -----------------------------------------------------------------------


def read_actors(path: Path) -> list[dict]:
    actors = []
    for actor, label in records(path, "actors", "actor", "slug"):
        actor = renamed(actor, ACTOR_NAMES)
        aliases = actor.get("aliases")
        if isinstance(aliases, dict):  # grouped by language, as people write them
            actor["aliases"] = [
                located(path, {"text": e} if not isinstance(e, dict) else e, label, aliases.line)
                | {"language": language}
                for language, entries in aliases.items()
                for e in (entries if isinstance(entries, list) else [entries])
            ]
        actor["affiliations"] = _entries(path, actor, "affiliations", label, AFFILIATION_NAMES)
        actors.append(actor)
    return actors


# --- events.yaml -----------------------------------------------------------------------


def read_article(path: Path) -> dict[str, Any]:
    """The seed article's metadata, as the defaults of the sources that cite it."""
    article = read_yaml(path)
    if not isinstance(article, dict) or set(article) - {*ARTICLE_DEFAULTS, "errata"}:
        fields = ", ".join([*ARTICLE_DEFAULTS, "errata"])
        raise SeedError(location(path, line=1), f"expected a mapping of {fields}")
    return {name: article[name] for name in ARTICLE_DEFAULTS if article.get(name) is not None}


def read_events(path: Path, article: dict[str, Any]) -> list[dict]:
    kind_fields = {name for model in EVENT_MODELS.values() for name in FIELDS[model]}
    kind_fields |= {"responding_to", "responses"}
    events = []
    for event, label in records(path, "events", "event", "key"):
        event.setdefault("status", "published")
        if "date" in event:
            event["date"] = _padded_date(event["date"], event.get("date_precision", "day"))
        if event.get("kind") in EVENT_MODELS:
            details = {name: event.pop(name) for name in kind_fields & set(event)}
            event[event["kind"]] = details | {"where": event["where"]}
        for name in ("participants", "interactions"):
            event[name] = _entries(path, event, name, label)
        event["sources"] = _entries(path, event, "sources", label, **article)
        events.append(event)
    return events


def _padded_date(value: Any, precision: str) -> Any:
    """A date of month or year precision may be written 2023-10 or 2023: the first day is
    stored."""
    text = str(value)
    if precision == "year" and re.fullmatch(r"\d{4}", text):
        return f"{text}-01-01"
    if precision in ("month", "year") and re.fullmatch(r"\d{4}-\d{2}", text):
        return f"{text}-01"
    return value


# --- the whole load --------------------------------------------------------------------


def read_seeds(directory: Path) -> dict[str, Any]:
    """The document that actors.yaml, article.yaml and events.yaml describe."""
    article = read_article(directory / ARTICLE_FILE)
    return {
        "actors": read_actors(directory / ACTORS_FILE),
        "events": read_events(directory / EVENTS_FILE, article),
    }


def load_relations_seeds(directory: Path | str | None = None) -> Report:
    """Load the actors and events in ``directory`` (default: seeds/) in one transaction.

    Raises SeedError, having changed nothing, if any record is wrong.
    """
    document = read_seeds(Path(directory) if directory else default_seed_dir())
    return import_document(document, reason="load_seeds")
