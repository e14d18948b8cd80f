"""Which tracked actors an article is about, how relevant it is, and what kind of event it may
report.

The gazetteer is an Aho–Corasick automaton over every alias, so matching one article costs the
length of its text plus the number of hits, whatever the number of aliases. Word boundaries are
built into the keys rather than checked afterwards: text and aliases are normalised the same way
(case folded, punctuation runs turned into one space, padded with spaces), and every key is
" alias ", so a key can only match whole words and the automaton never reports the thousands of
hits inside other words ("Rasputin", "Hamasaki") that a boundary check would then have to reject.

What a space cannot express is added as extra keys for the same alias, built once:
- Hebrew attaches the prepositions and conjunctions ו ה ב ל מ ש כ to the next word ("וישראל",
  "מישראל"): every Hebrew alias also gets keys with one or two of them in front (and three when
  the first is ו, as in "ושבישראל"). Enumerating them keeps the no-hits-inside-words property and
  cannot match a prefix letter that belongs to another word.
- Arabic attaches و ف ب ل ك and the article ال ("والكرملين", "لحماس"); ل + ال contracts to لل
  ("للكرملين"). The same enumeration, with the combinations the grammar allows.
- Russian inflects the last word of a name ("Путина", "России", "Израилем"). The seeds list the
  common forms; as a cheap fallback, a Cyrillic alias also gets its stem (final vowel, й or ь
  dropped) with each noun case ending. Adjectival endings are left out on purpose: "Лавров" +
  "ого" is "лаврового" (of bay leaf).
Overlapping hits are resolved longest first, so "Russian Foreign Ministry" is one mention of the
ministry, not also one of Russia.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import math
import operator
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick

from relwatch import caching


def _listed(text: str) -> list[str]:
    """Word lists written as one "|"-separated string, to keep long lists readable."""
    return [word.strip() for word in text.split("|") if word.strip()]


HEBREW_PREFIX_LETTERS = "והבלמשכ"
# The letters alone and the sequences the grammar builds from them ("and that in", "when"...).
HEBREW_PREFIXES = (
    *HEBREW_PREFIX_LETTERS,
    *_listed("וה|וב|ול|ומ|וש|וכ|שה|שב|של|שמ|שכ|מה|מש|כש|לכ"),
    *_listed("ושה|ושב|ושל|ושמ|וכש|ומה|ומש|לכש"),
)
ARABIC_PREFIXES = ("و", "ف", "ب", "ل", "ك", "وب", "ول", "فب", "فل", "وك", "فك")
ARABIC_PREFIXES_BEFORE_ARTICLE = ("و", "ف", "ب", "ك", "وب", "فب", "وك", "فك")
ARABIC_ARTICLE_CONTRACTED = ("لل", "ولل", "فلل")
RUSSIAN_STEM_DROPS = "аяоеыиуюйь"


RUSSIAN_NOUN_ENDINGS = _listed("а|я|у|ю|е|и|ы|ь|ом|ем|ой|ей|ою|ею|ым|им|ах|ях|ам|ям|ами|ями|ов|ев")
MIN_RUSSIAN_STEM = 4

# Niqqud and cantillation, Arabic harakat and tatweel, soft hyphen and zero-width joiners: they
# decorate a word without changing it, and news text sometimes has them where aliases do not.
_DECORATION = (
    "\u00ad\u0591-\u05bd\u05bf\u05c1\u05c2\u05c4\u05c5\u05c7"
    "\u0610-\u061a\u0640\u064b-\u065f\u0670\u06d6-\u06ed\u200c-\u200f"
)
_SPELLING_VARIANTS = {
    "ё": "е",
    "Ё": "Е",
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ى": "ي",
}
# One pass for both: decorations map to "" and variants to their common spelling.
_REWRITTEN = re.compile("[" + _DECORATION + "".join(_SPELLING_VARIANTS) + "]")
# Anything that is not a letter or digit of any script separates words; "_" too.
_NON_WORD = re.compile(r"[\W_]+")
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_HEBREW = re.compile("[\u05d0-\u05ea]")
_ARABIC = re.compile("[\u0620-\u064a]")


class ActorMatch(NamedTuple):
    count: int
    alias: str  # the alias text of the first occurrence


class MentionSpan(NamedTuple):
    """One mention in the original text: ``text[start:end]`` is the words that matched."""

    start: int
    end: int
    actors: tuple[tuple[int, str], ...]  # (actor id, alias text): one, or more when ambiguous


@dataclass(frozen=True)
class AliasEntry:
    actor_id: int
    text: str
    language: str = "en"
    case_sensitive: bool = False


@functools.lru_cache(maxsize=256)
def normalise(text: str, *, fold: bool = True) -> str:
    """The form both aliases and texts are matched in: NFC, optionally case folded, decorations
    removed, spelling variants unified, words separated by single spaces, padded with spaces.

    Cached for the few latest texts, because matching and classifying an article both need it.
    """
    text = unicodedata.normalize("NFC", text)
    if fold:
        text = text.casefold()
    text = _REWRITTEN.sub(lambda m: _SPELLING_VARIANTS.get(m.group(), ""), text)
    # Splitting on whitespace first leaves the slow Unicode regex only the few tokens that hold
    # punctuation ("Putin's", "(Hamas)."); it halves the time on news text.
    words = []
    for token in text.split():
        if not token.isalnum():
            token = _NON_WORD.sub(" ", token).strip()
            if not token:
                continue
        words.append(token)
    return f" {' '.join(words)} "


# A word as ``normalise`` keeps it: letters and digits, with the decorations it removes.
_WORD = re.compile(r"(?:[^\W_]|[" + _DECORATION + r"])+")


class Words:
    """A text cut into words, with the words normalised as ``normalise`` would and joined the
    same way, so that a hit in ``folded`` (or ``exact``) maps back to the original text.

    Where the words sit in the original text is worked out on first use: most texts are
    matched and found to name too few actors, and never need it."""

    __slots__ = ("folded", "original", "_parts", "_places", "_exact", "_simple", "_variants")

    def __init__(self, original: str):
        self.original = original
        folded = original.casefold()
        # The usual case: folding keeps every length and nothing is removed (spelling
        # variants are one letter for one), so the words sit at the same places in the folded
        # text as in the original, and no Python loop runs per word. Without decorations a
        # word is a plain run of letters and digits (``_PLAIN_WORD``, twice as fast as
        # ``_WORD``); most texts have no spelling variants either, and need no translation.
        special = _SPECIAL.search(original) is not None
        self._simple = len(folded) == len(original) and (
            not special or _DECORATED.search(original) is None
        )
        self._variants = special  # then texts are translated to the common spelling
        self._places = self._exact = self._parts = None
        if self._simple and _FOLDS_INTO_A_LETTER not in original:
            # Folding then changes each letter into one letter and nothing else into one, so
            # the folded words are the exact words folded: one regex pass makes both.
            words = _PLAIN_WORD.findall(self._unified(original))
            self._exact = f" {' '.join(words)} "
            self.folded = self._exact.casefold()  # as normalise(text)
            return
        if self._simple:
            self._parts = _PLAIN_WORD.findall(self._unified(folded))
        else:
            self._places = self._places_slowly()
            self._parts = self._places[3]
        self.folded = f" {' '.join(self._parts)} "  # as normalise(text)

    @property
    def starts(self) -> list[int]:
        """Where each word starts in the original text."""
        return self.places[0]

    @property
    def ends(self) -> list[int]:
        return self.places[1]

    @property
    def folded_starts(self) -> list[int]:
        """Where each word starts in ``folded``."""
        return self.places[2]

    @property
    def places(self) -> tuple[list[int], list[int], list[int], list[str]]:
        if self._places is None:
            matches = list(_PLAIN_WORD.finditer(self.original))  # simple: no decorations
            starts = [m.start() for m in matches]
            ends = [m.end() for m in matches]
            parts = self.folded.split() if self._parts is None else self._parts
            # Word k starts after the padding space, the k words before it and their k spaces.
            before = itertools.accumulate(map(len, parts), initial=1)
            folded_starts = list(map(operator.add, before, range(len(parts))))
            self._places = (starts, ends, folded_starts, parts)
        return self._places

    def _places_slowly(self):
        starts, ends, parts, folded_starts = [], [], [], []
        position = 1
        for match in _WORD.finditer(self.original):
            word = _rewrite(match.group().casefold())
            if not word:
                continue
            starts.append(match.start())
            ends.append(match.end())
            folded_starts.append(position)
            parts.append(word)
            position += len(word) + 1
        return starts, ends, folded_starts, parts

    def _unified(self, text: str) -> str:
        """``text`` with spelling variants unified (when the original has any)."""
        return text.translate(_VARIANTS_TABLE) if self._variants else text

    @property
    def exact(self) -> str:
        """ " Word Word ... ", as normalise(text, fold=False)."""
        if self._exact is None:
            if self._simple:
                words = _PLAIN_WORD.findall(self._unified(self.original))
                self._exact = f" {' '.join(words)} "
            else:
                self._exact = _exact_words(self.original)
        return self._exact

    @property
    def exact_starts(self) -> list[int]:
        """Where each word starts in ``exact``: as in ``folded``, unless folding changed a
        word's length (ß → ss)."""
        return self.folded_starts if self._simple else _starts_of(self.exact)

    def span(self, start: int, end: int, starts: list[int] | None = None) -> tuple[int, int]:
        """The original span of the words from ``start`` to ``end`` in ``folded`` (a hit
        always starts and ends on a word's edge)."""
        return self.placed([(start, end, None)], starts)[0][:2]

    def placed(self, hits: Iterable[tuple], starts: list[int] | None = None) -> list[tuple]:
        """Each hit (start, end, value), start and end in ``folded`` (or in the text whose
        word starts are ``starts``), with its ``span`` in the original text instead: all at
        once, so that the word places are looked up once, not per hit."""
        original_starts, original_ends, folded_starts, _ = self.places
        starts = folded_starts if starts is None else starts
        bisect_left, bisect_right = bisect.bisect_left, bisect.bisect_right
        found = []
        for start, end, value in hits:
            first = bisect_right(starts, start) - 1
            last = bisect_left(starts, end) - 1
            found.append((original_starts[first], original_ends[max(first, last)], value))
        return found


def _rewrite(word: str) -> str:
    return _REWRITTEN.sub(lambda m: _SPELLING_VARIANTS.get(m.group(), ""), word)


_VARIANTS_TABLE = str.maketrans(_SPELLING_VARIANTS)
_DECORATED = re.compile("[" + _DECORATION + "]")
# A decoration or a spelling variant: a text with neither (most) is matched as it is. (Folding
# makes no variant and no decoration of another letter: checked over all of Unicode.)
_SPECIAL = _REWRITTEN
# ``_WORD`` in a text without decorations.
# The one character that is not a letter but folds into one (the Greek iota subscript).
_FOLDS_INTO_A_LETTER = "\u0345"
_PLAIN_WORD = re.compile(r"[^\W_]+")


def words_of(text: str) -> Words:
    """``text`` (NFC, as the caller stores it) cut into words, normalised like ``normalise``."""
    return Words(text)


@functools.lru_cache(maxsize=16)
def _exact_words(text: str) -> str:
    return f" {' '.join(w for m in _WORD.finditer(text) if (w := _rewrite(m.group())))} "


def alias_forms(normalised_alias: str, original: str) -> list[str]:
    """Every spelling under which an alias is looked for (without padding), itself first."""
    alias = normalised_alias.strip()
    if not alias:
        return []
    forms = [alias]
    first = alias[0]
    if _HEBREW.match(first):
        forms += [prefix + alias for prefix in HEBREW_PREFIXES]
    elif _ARABIC.match(first):
        if alias.startswith("ال") and len(alias) > 3:
            forms += [p + alias for p in ARABIC_PREFIXES_BEFORE_ARTICLE]
            forms += [p + alias[2:] for p in ARABIC_ARTICLE_CONTRACTED]
        else:
            forms += [p + alias for p in ARABIC_PREFIXES]
    else:
        words = alias.split(" ")
        last = words[-1]
        original_last = original.split()[-1] if original.split() else ""
        # All-capital forms are abbreviations (США, ХАМАС); they do not decline reliably.
        if _CYRILLIC.match(last) and not original_last.isupper():
            stem = last[:-1] if last[-1] in RUSSIAN_STEM_DROPS else last
            if len(stem) >= MIN_RUSSIAN_STEM:
                head = " ".join(words[:-1] + [""])
                forms += [head + stem + ending for ending in ("", *RUSSIAN_NOUN_ENDINGS)]
    return list(dict.fromkeys(forms))


class Gazetteer:
    """An immutable matcher compiled from alias entries. Build it once, share it."""

    def __init__(self, entries: Iterable[AliasEntry], *, core_actor_ids: Iterable[int] = ()):
        self.core_actor_ids = frozenset(core_actor_ids)
        # form → actor id → alias text, one table per case rule (True: case-sensitive).
        tables: dict[bool, dict[str, dict[int, str]]] = {False: {}, True: {}}
        derived: dict[bool, list[tuple[str, int, str]]] = {False: [], True: []}
        self.alias_count = 0
        for entry in entries:
            self.alias_count += 1
            sensitive = entry.case_sensitive
            forms = alias_forms(normalise(entry.text, fold=not sensitive), entry.text)
            if not forms:
                continue
            tables[sensitive].setdefault(forms[0], {}).setdefault(entry.actor_id, entry.text)
            derived[sensitive].extend((form, entry.actor_id, entry.text) for form in forms[1:])
        for sensitive, table in tables.items():
            as_written = set(table)
            for form, actor_id, text in derived[sensitive]:
                # A form that is some actor's alias as written is that actor's alone: "והכהדה"
                # is not ו + ה + "כהדה" when an alias reads "והכהדה".
                if form in as_written and actor_id not in table[form]:
                    continue
                table.setdefault(form, {}).setdefault(actor_id, text)
        folded, exact = tables[False], tables[True]
        self.key_count = len(folded) + len(exact)
        # The automata store plain ints (no Python object per key, which at 50,000 aliases
        # would double the memory): the actor set's index in _actor_sets and the key's length.
        self._actor_sets: list[tuple[tuple[int, str], ...]] = []
        interned: dict[tuple, int] = {}
        self._folded = self._automaton(folded, interned)
        self._exact = self._automaton(exact, interned)

    def match(self, text: str) -> dict[int, ActorMatch]:
        """actor id → (number of mentions, first alias that matched)."""
        if not text:
            return {}
        hits = []
        if self._folded is not None:
            hits += self._hits(self._folded, normalise(text))
        if self._exact is not None:
            # Positions agree with the folded text's unless folding changed a length (ß → ss);
            # then only the choice between overlapping hits can be off, never a hit itself.
            hits += self._hits(self._exact, normalise(text, fold=False))
        if not hits:
            return {}
        chosen = _longest_without_overlap(hits)
        chosen.sort()
        found: dict[int, ActorMatch] = {}
        for _start, _end, actors in chosen:
            for actor_id, alias in actors:
                previous = found.get(actor_id)
                found[actor_id] = (
                    ActorMatch(previous.count + 1, previous.alias)
                    if previous
                    else ActorMatch(1, alias)
                )
        return found

    def spans(
        self, text: str, words: Words | None = None, *, min_actors: int = 1
    ) -> list[MentionSpan]:
        """Every mention in ``text`` with its place in the original text (not the normalised
        one), in order; overlapping hits resolved longest first, as ``match`` does. Pass
        ``words_of(text)`` when the caller has it already (the coder matches cues on it);
        with ``min_actors``, nothing unless that many actors are named (found before the
        places are worked out, which most texts then never need)."""
        if not text:
            return []
        words = words or words_of(text)
        folded = self._hits(self._folded, words.folded) if self._folded is not None else []
        exact = self._hits(self._exact, words.exact) if self._exact is not None else []
        if min_actors > 1:
            named = {actors[0][0] for _, _, actors in folded + exact}
            if len(named) < min_actors:
                return []
        hits = words.placed(folded)
        if exact:
            hits += words.placed(exact, words.exact_starts)
        if not hits:
            return []
        chosen = _longest_without_overlap(hits)
        chosen.sort()
        return [MentionSpan(start, end, actors) for start, end, actors in chosen]

    def _automaton(self, table: dict[str, dict[int, str]], interned: dict[tuple, int]):
        if not table:
            return None
        automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
        for form, actors in table.items():
            key = f" {form} "
            if len(key) > _MAX_KEY_LENGTH:
                continue  # longer than any Alias.text can be
            actor_set = tuple(actors.items())
            index = interned.get(actor_set)
            if index is None:
                index = interned[actor_set] = len(self._actor_sets)
                self._actor_sets.append(actor_set)
            automaton.add_word(key, index << _LENGTH_BITS | len(key))
        automaton.make_automaton()
        return automaton

    def _hits(self, automaton, normalised_text: str) -> list[tuple[int, int, tuple]]:
        # Half-open spans without the padding spaces, so two neighbouring words (which share a
        # space) do not count as overlapping.
        actor_sets = self._actor_sets
        return [
            (end - (value & _MAX_KEY_LENGTH) + 2, end, actor_sets[value >> _LENGTH_BITS])
            for end, value in automaton.iter(normalised_text)
        ]


_LENGTH_BITS = 9
_MAX_KEY_LENGTH = (1 << _LENGTH_BITS) - 1


def _starts_of(joined: str) -> list[int]:
    starts, position = [], 1
    for word in joined[1:-1].split(" "):
        starts.append(position)
        position += len(word) + 1
    return starts


def _longest_without_overlap(hits):
    hits.sort(key=lambda hit: (hit[0] - hit[1], hit[0]))
    starts: list[int] = []
    chosen: list[tuple[int, int, tuple]] = []
    for hit in hits:
        start, end, _ = hit
        index = bisect.bisect_left(starts, start)
        if index > 0 and chosen[index - 1][1] > start:
            continue
        if index < len(chosen) and chosen[index][0] < end:
            continue
        starts.insert(index, start)
        chosen.insert(index, hit)
    return chosen


# --- the cached gazetteer of the database ---------------------------------------------------

_cached: tuple[tuple, Gazetteer] | None = None


def get_gazetteer() -> Gazetteer:
    """The gazetteer of the aliases in the database, compiled once per process and rebuilt when
    they change.

    Two cheap checks decide: the gazetteer version in the shared cache, bumped after the Alias
    and Actor signals (catches edits made in any process), and the count and highest id of
    aliases and the last actor update (catches bulk inserts and deletes, which send no signals).
    One query per call.
    """
    global _cached
    fingerprint = (caching.gazetteer_version(), *_database_state())
    cached = _cached
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    gazetteer = build_gazetteer()
    _cached = (fingerprint, gazetteer)
    return gazetteer


def build_gazetteer() -> Gazetteer:
    from relations.models import Actor, Alias

    actors = list(Actor.objects.values_list("id", "name", "is_core"))
    entries = [
        AliasEntry(actor_id, text, language, case_sensitive)
        for actor_id, text, language, case_sensitive in Alias.objects.values_list(
            "actor_id", "text", "language", "case_sensitive"
        ).order_by("id")
    ]
    # An actor's own name always counts, so one created without aliases is still found.
    entries += [AliasEntry(actor_id, name) for actor_id, name, _ in actors]
    return Gazetteer(entries, core_actor_ids=[actor_id for actor_id, _, core in actors if core])


def invalidate_gazetteer() -> None:
    """Forget this process's gazetteer now; tell the other processes once the change commits."""
    global _cached
    from django.db import transaction

    _cached = None
    # Without the cache, the database check in get_gazetteer still catches most changes.
    transaction.on_commit(caching.bump_gazetteer_version)


def _database_state() -> tuple:
    from django.db import connection

    from relations.models import Actor, Alias

    alias_table = connection.ops.quote_name(Alias._meta.db_table)
    actor_table = connection.ops.quote_name(Actor._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM {alias_table}), (SELECT max(id) FROM {alias_table}),"
            f" (SELECT count(*) FROM {actor_table}), (SELECT max(updated_at) FROM {actor_table})"
        )
        return tuple(cursor.fetchone())


# --- relevance and candidate kind ---------------------------------------------------------

CORE_WEIGHT = 1.0
OTHER_WEIGHT = 0.6
SEVERAL_ACTORS_FACTOR = 1.5
SEVERAL_CORE_ACTORS_FACTOR = 1.5
CANDIDATE_BONUS = 0.5

# A cue ending in "*" matches any word starting with it; others match whole words. Hebrew and
# Arabic cues also match behind the attached prefixes.
CUES: dict[str, dict[str, str]] = {
    "allegation": {
        "en": "alleged|allegedly|allegation*|alleging|claim|claims|claimed|claiming|accuse*"
        "|accusing|accusation*|reportedly|purported*",
        "ru": "обвин*|якобы|утвержда*|предположительно|по сообщениям|по данным",
        "he": "טען|טענה|טענו|טוען|טוענים|טענות|האשים|האשימה|האשימו|מאשים|מאשימה|מאשימים"
        "|האשמה|האשמות|לכאורה|נטען",
        "ar": "اتهم*|اتهام*|يتهم*|تتهم*|زعم*|يزعم*|مزاعم|مزعوم*|ادعى|ادعاء*|يدعي|تدعي",
    },
    "meeting": {
        "en": "met|meet|meets|meeting|meetings|talks|visit|visits|visited|visiting|hosted|hosts"
        "|hosting|phone call|phone talks|telephone conversation|spoke by phone|summit",
        "ru": "встреч*|встрет*|переговор*|визит*|посети*|посеща*|принял*|телефонный разговор*"
        "|телефонного разговора|телефонном разговоре|телефонным разговором|созвон*",
        "he": "נפגש|נפגשה|נפגשו|פגישה|פגישת|פגישות|שיחות|ביקור|ביקר|ביקרה|אירח|אירחה"
        "|שיחת טלפון|שוחח|שוחחו|פסגה",
        "ar": "التقى|التقت|يلتقي|تلتقي|لقاء|اجتماع*|اجتمع*|محادثات|مباحثات|زيارة|زار|زارت|يزور"
        "|استقبل*|اتصال هاتفي|اتصالا هاتفيا|قمة",
    },
    "statement": {
        "en": "said|says|say|saying|condemn*|praise*|praising|called for|calls for|calling for"
        "|call for|statement|statements|urged|urges|warned|warns|declared|announced|denied"
        "|denies",
        "ru": "заяв*|осуди*|осужда*|призва*|призыва*|сказал*|отметил*|подчеркнул*|похвали*"
        "|предупреди*|опроверг*",
        "he": "אמר|אמרה|אמרו|הודיע|הודיעה|הודעה|גינה|גינו|גינתה|שיבח|שיבחה|קרא ל*|קראה ל*"
        "|הצהרה|הצהיר|הצהירה|הזהיר|הכחיש",
        "ar": "قال|قالت|يقول|صرح|تصريح*|بيان|ادان*|يدين|اشاد*|دعا|دعت|يدعو|اكد|اكدت|حذر|نفى",
    },
}
# Allegation before meeting before statement: "X accused Y after they met" is about the claim,
# and nearly every report of a meeting also says someone "said" something.
KIND_PRECEDENCE = ("allegation", "meeting", "statement")


def _cue_automaton():
    """One automaton for the cue words of every kind and language. A cue ending in "*" is a
    stem: its key has no closing space, so it matches any word that starts with it. Hebrew and
    Arabic cues get the attached-prefix variants the gazetteer uses."""
    automaton = ahocorasick.Automaton(ahocorasick.STORE_INTS)
    for rank, kind in enumerate(KIND_PRECEDENCE):
        for language, cues in CUES[kind].items():
            for cue in _listed(cues):
                stem = cue.endswith("*")
                words = normalise(cue.rstrip("*")).strip()
                prefixes = {
                    "he": ("", *HEBREW_PREFIXES),
                    "ar": ("", *ARABIC_PREFIXES, "ال", "وال", "بال", "فال", "كال", "لل"),
                }.get(language, ("",))
                for prefix in prefixes:
                    key = f" {prefix}{words}" + ("" if stem else " ")
                    # Where two kinds share a key, the one that takes precedence keeps it.
                    if automaton.get(key, len(KIND_PRECEDENCE)) > rank:
                        automaton.add_word(key, rank)
    automaton.make_automaton()
    return automaton


_CUES = _cue_automaton()


def candidate_kind(text: str) -> str:
    """The kind of event the cue words suggest, by KIND_PRECEDENCE, or ""."""
    best = len(KIND_PRECEDENCE)
    for _end, rank in _CUES.iter(normalise(text)):
        if rank < best:
            best = rank
            if rank == 0:
                break
    return KIND_PRECEDENCE[best] if best < len(KIND_PRECEDENCE) else ""


def classify(
    text: str, mentions: dict[int, ActorMatch], *, core_actor_ids, language: str = ""
) -> tuple[float, str]:
    """(relevance in [0, 1), candidate kind or "").

    Relevance grows with mentions, counts core actors more than others, and multiplies when an
    article is about two or more actors (and again when two of them are core): relations are
    what the project tracks. Only an article about at least two actors gets a candidate kind.
    Cue words of all four languages are tried whatever ``language`` says: feeds mislabel their
    language, and cues in different scripts cannot collide.
    """
    del language  # part of the interface; see above
    if not mentions:
        return 0.0, ""
    core = sum(1 for actor_id in mentions if actor_id in core_actor_ids)
    raw = sum(
        (CORE_WEIGHT if actor_id in core_actor_ids else OTHER_WEIGHT)
        * (1 + 0.5 * math.log(match.count))
        for actor_id, match in mentions.items()
    )
    kind = ""
    if len(mentions) >= 2:
        raw *= SEVERAL_ACTORS_FACTOR
        if core >= 2:
            raw *= SEVERAL_CORE_ACTORS_FACTOR
        kind = candidate_kind(text)
        if kind:
            raw += CANDIDATE_BONUS
    return round(1 - math.exp(-raw / 2), 4), kind
