"""The cue lexicon: ``seeds/cues-<language>.yaml`` → checked ``Cue`` rows, and the cues as
plain entries for the two readers (the machine coder, ``coding.coder``, and the event form's
category guess, ``relations.cues``).

A lexicon file is written for people: one language, and groups of phrases that share their
fields::

    language: en
    groups:
      - category: CONSULT
        kind_hint: meeting
        symmetric: true
        match: word            # prefix (default) | word | lemma
        phrases:
          - met with
          - {phrase: was received by, passive: true, weight: 0.9}

A group gives any of the fields of ``Cue`` (category, match, polarity, kind_hint, symmetric,
passive, weight, note); a phrase written as a mapping overrides them for itself. Every error
names the file, the line of the phrase (or group) and the reason, and stops the whole load
before anything is written: an unknown category, a bad language, an empty phrase, a phrase
listed twice. Each cue goes through the model's own checks (``full_clean`` as the admin runs
it: choices, lengths, ``Cue.clean``) and the database's constraints.

Loading matches a cue by (language, phrase, category, polarity), the table's unique key, and
updates it in place; nothing is deleted, so cues editors add in the admin survive a reload and
a second load changes nothing.

The readers take the cues from the table, or from the seed files while the table is empty
(a fresh database, a test), so a category guess never depends on whether seeds were loaded.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from relations.importing import Report, check_model, insert, merge, refuse_repeats
from relations.models import Cue
from relations.seeding import (
    SeedError,
    _SeedYamlLoader,
    default_seed_dir,
    location,
    read_yaml,
)
from relwatch import caching

LEXICON_PATTERN = "cues-*.yaml"
CUE_FIELDS = (
    "category",
    "match",
    "polarity",
    "kind_hint",
    "symmetric",
    "passive",
    "weight",
    "note",
)
IDENTITY = ("language", "phrase", "category", "polarity")


# Cues weaker than this ("troops", "together", "stop") are tried only after the others, by the
# machine coder and by the event form's guess alike.
WEAK_CUE = 0.65


@dataclass(frozen=True)
class CueEntry:
    """One cue as its readers need it (a Cue row's values, without the database)."""

    language: str
    phrase: str
    category: str = ""
    match: str = Cue.Match.PREFIX
    polarity: str = Cue.Polarity.ACT
    kind_hint: str = ""
    symmetric: bool = False
    passive: bool = False
    weight: float = 1.0


ENTRY_FIELDS = tuple(CueEntry.__dataclass_fields__)


# --- reading the files ------------------------------------------------------------------


def lexicon_files(directory: Path | None = None) -> list[Path]:
    return sorted((directory or default_seed_dir()).glob(LEXICON_PATTERN))


def read_lexicon(directory: Path | str | None = None) -> list[tuple[dict[str, Any], str]]:
    """Every cue of every lexicon file in ``directory`` (default: seeds/), as (Cue field
    values, where), each checked by the model. Raises SeedError naming file, line and reason."""
    directory = Path(directory) if directory else default_seed_dir()
    wanted = [cue for path in lexicon_files(directory) for cue in read_lexicon_file(path)]
    refuse_repeats(
        (tuple(values[name] for name in IDENTITY), where, f"the cue «{values['phrase']}»")
        for values, where in wanted
    )
    return wanted


def read_lexicon_file(path: Path) -> list[tuple[dict[str, Any], str]]:
    data = read_yaml(path)
    if not isinstance(data, dict) or set(data) != {"language", "groups"}:
        raise SeedError(location(path, line=1), "expected two top-level keys, language and groups")
    language = data["language"]
    try:
        Cue._meta.get_field("language").clean(language, None)
    except ValidationError as exc:
        raise SeedError(location(path, data), f"language {language!r}: {exc.messages[0]}") from None
    groups = data["groups"]
    if not isinstance(groups, list):
        raise SeedError(location(path, data), "groups must be a list")
    lines = _phrase_lines(path)
    cues = []
    for number, group in enumerate(groups):
        where = location(path, group, f"group #{number + 1}")
        if not isinstance(group, dict):
            raise SeedError(where, "a group is a mapping of cue fields and phrases")
        unknown = sorted(set(group) - {*CUE_FIELDS, "phrases"}, key=str)
        if unknown:
            raise SeedError(where, f"unknown field(s) {', '.join(map(str, unknown))}")
        phrases = group.get("phrases")
        if not isinstance(phrases, list) or not phrases:
            raise SeedError(where, "a group needs a list of phrases")
        shared = {name: group[name] for name in CUE_FIELDS if name in group}
        for index, item in enumerate(phrases):
            line = lines.get((number, index))
            cues.append(_cue(path, language, shared, item, line))
    return cues


def _cue(path: Path, language: str, shared: dict, item: Any, line: int | None):
    where = location(path, line=line)
    if isinstance(item, dict):
        unknown = sorted(set(item) - {*CUE_FIELDS, "phrase"}, key=str)
        if unknown:
            raise SeedError(where, f"unknown field(s) {', '.join(map(str, unknown))}")
        values = shared | item
    else:
        values = shared | {"phrase": item}
    phrase = values.get("phrase")
    if not isinstance(phrase, str):
        # YAML reads a bare no, yes, on, 1 as other things than text.
        raise SeedError(where, f"a phrase is text (quote it), got {phrase!r}")
    values = {"language": language, "category": "", "polarity": Cue.Polarity.ACT} | values
    values["phrase"] = " ".join(phrase.split())
    where = f"{where}, cue «{values['phrase']}»"
    if not values["phrase"]:
        raise SeedError(where, "the phrase is empty")
    check_model(Cue(**values), where)
    return values, where


def _phrase_lines(path: Path) -> dict[tuple[int, int], int]:
    """(group index, phrase index) → the phrase's line: the loaded data keeps lines of
    mappings only, and most phrases are plain text."""
    root = yaml.compose(path.read_text(encoding="utf-8"), Loader=_SeedYamlLoader)  # noqa: S506
    lines: dict[tuple[int, int], int] = {}
    groups = _child(root, "groups")
    for number, group in enumerate(getattr(groups, "value", []) or []):
        phrases = _child(group, "phrases")
        for index, node in enumerate(getattr(phrases, "value", []) or []):
            lines[number, index] = node.start_mark.line + 1
    return lines


def _child(node: Any, key: str) -> Any:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key_node, value in node.value:
        if getattr(key_node, "value", None) == key:
            return value if isinstance(value, yaml.SequenceNode) else None
    return None


# --- writing the table -------------------------------------------------------------------


def apply_lexicon(wanted: list[tuple[dict[str, Any], str]], report: Report) -> None:
    """Create or update the cues (inside the caller's transaction); nothing is deleted."""
    new_rows: dict[type, list] = {Cue: []}
    changed = merge(
        report,
        "cues",
        Cue,
        wanted,
        Cue.objects.all(),
        new_rows,
        identity=lambda row: tuple(getattr(row, name) for name in IDENTITY),
    )
    insert(Cue, new_rows[Cue])
    if changed:
        invalidate_lexicon()


def load_lexicon(directory: Path | str | None = None, report: Report | None = None) -> Report:
    """Read every lexicon file, then write the cues in one transaction. Raises SeedError,
    having changed nothing, if any cue is wrong."""
    report = report or Report()
    wanted = read_lexicon(directory)
    with transaction.atomic():
        apply_lexicon(wanted, report)
    return report


def invalidate_lexicon() -> None:
    """Tell every process's coder and guess, once the change commits, to read the cues again."""
    transaction.on_commit(caching.bump_lexicon_version)


# --- what the readers use -------------------------------------------------------------------


@functools.cache
def morph_analyzer():
    """pymorphy3's Russian analyser (its dictionaries ship in a package: nothing is downloaded),
    loaded once per process, for lemma cues."""
    import pymorphy3

    return pymorphy3.MorphAnalyzer()


@functools.lru_cache(maxsize=50_000)
def lemma(word: str) -> str:
    """The likeliest normal form of a lower-case Russian word (itself when unknown)."""
    parses = morph_analyzer().parse(word)
    return parses[0].normal_form if parses else word


_cached: tuple[tuple, tuple[CueEntry, ...]] | None = None


def lexicon_state() -> tuple:
    """What tells that the cues changed: the shared lexicon version (bumped on commit by the
    loader and the admin) and the table's count and latest update (bulk changes send no
    signal). One query."""
    from django.db.models import Count, Max

    state = Cue.objects.aggregate(count=Count("id"), latest=Max("updated_at"))
    return caching.lexicon_version(), state["count"], state["latest"]


def current_cues(state: tuple | None = None) -> tuple[CueEntry, ...]:
    """The cues in the table, or those of the seed files while the table is empty; read once
    per process and again when ``lexicon_state`` changes."""
    global _cached
    state = state or lexicon_state()
    cached = _cached
    if cached is not None and cached[0] == state:
        return cached[1]
    if state[1]:
        rows = Cue.objects.order_by("id").values_list(*ENTRY_FIELDS)
        entries = tuple(CueEntry(*row) for row in rows)
    else:
        entries = seed_cues()
    _cached = (state, entries)
    return entries


def seed_cues(directory: Path | None = None) -> tuple[CueEntry, ...]:
    """The cues of the seed files, as entries (what a fresh database would hold)."""
    return tuple(
        CueEntry(**{name: values[name] for name in ENTRY_FIELDS if name in values})
        for values, _ in read_lexicon(directory)
    )
