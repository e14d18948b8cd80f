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


def records(path: Path, data: Any, name: str) -> list:
    """The list under the file's one top-level key."""
    if not isinstance(data, dict) or set(data) - {name}:
        raise SeedError(location(path, line=1), f"expected one top-level key, {name!r}")
    items = data.get(name) or []
    if not isinstance(items, list):
        raise SeedError(location(path, data), f"{name} must be a list")
    return items


def labelled(record: Any, kind: str, key: str, index: int) -> str:
    if isinstance(record, dict) and isinstance(record.get(key), str):
        return f"{kind} {record[key]!r}"
    return f"{kind} #{index}"


def mapping(path: Path, record: Any, label: str, line: int | None = None) -> dict:
    """A copy of a YAML mapping with its ``where``, or SeedError if it is no mapping."""
    where = location(path, record, label, line=line)
    if not isinstance(record, dict):
        raise SeedError(where, f"expected a mapping of fields, got {record!r}"[:200])
    return {**record, "where": where}


def renamed(item: dict, names: dict[str, str]) -> dict:
    return {names.get(key, key): value for key, value in item.items()}


# --- actors.yaml -----------------------------------------------------------------------


def read_actors(path: Path) -> list[dict]:
    actors = []
    for index, record in enumerate(records(path, read_yaml(path), "actors"), start=1):
        label = labelled(record, "actor", "slug", index)
        actor = renamed(mapping(path, record, label), ACTOR_NAMES)
        actor["aliases"] = _aliases(path, actor.get("aliases"), actor["where"], label)
        actor["affiliations"] = [
            renamed(mapping(path, entry, label, record.line), AFFILIATION_NAMES)
            for entry in _list(actor, "affiliations")
        ]
        actors.append(actor)
    return actors


def _aliases(path: Path, raw: Any, where: str, label: str) -> list[dict]:
    if raw is None:
        return []
    if not isinstance(raw, dict):
        raise SeedError(where, "aliases must map a language code to a list of aliases")
    aliases = []
    for language, entries in raw.items():
        if not isinstance(entries, list):
            raise SeedError(where, f"aliases.{language} must be a list")
        for entry in entries:
            if not isinstance(entry, dict):
                entry = {"text": entry.strip() if isinstance(entry, str) else entry}
            aliases.append({**mapping(path, entry, label, raw.line), "language": language})
    return aliases


def _list(record: dict, key: str) -> list:
    value = record.get(key)
    if value is not None and not isinstance(value, list):
        raise SeedError(record["where"], f"{key} must be a list")
    return value or []


# --- events.yaml -----------------------------------------------------------------------


def read_article(path: Path) -> dict[str, Any]:
    """The seed article's metadata, as the defaults of the sources that cite it."""
    article = mapping(path, read_yaml(path), "article", line=1)
    unknown = set(article) - {*ARTICLE_DEFAULTS, "errata", "where"}
    if unknown:
        raise SeedError(article["where"], f"unknown field(s) {', '.join(sorted(unknown))}")
    return {name: article[name] for name in ARTICLE_DEFAULTS if article.get(name) is not None}


def read_events(path: Path, article: dict[str, Any]) -> list[dict]:
    kind_fields = {name for model in EVENT_MODELS.values() for name in FIELDS[model]}
    kind_fields |= {"responding_to", "responses"}
    events = []
    for index, record in enumerate(records(path, read_yaml(path), "events"), start=1):
        label = labelled(record, "event", "key", index)
        event = mapping(path, record, label)
        event.setdefault("status", "published")
        if "date" in event:
            event["date"] = _padded_date(event["date"], event.get("date_precision", "day"))
        kind = event.get("kind")
        if kind in EVENT_MODELS:
            details = {name: event.pop(name) for name in kind_fields & set(event)}
            event[kind] = {**details, "where": event["where"]}
        for name in ("participants", "interactions"):
            event[name] = [mapping(path, e, label, record.line) for e in _list(event, name)]
        event["sources"] = [
            {**article, **mapping(path, e, label, record.line)} for e in _list(event, "sources")
        ]
        events.append(event)
    return events


def _padded_date(value: Any, precision: str) -> Any:
    """A date of month or year precision may be written 2023-10 or 2023: the first day is
    stored."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str):
        return text
    if precision in ("month", "year") and re.fullmatch(r"\d{4}-\d{2}", text):
        return f"{text}-01"
    if precision == "year" and re.fullmatch(r"\d{4}", text):
        return f"{text}-01-01"
    return text


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
