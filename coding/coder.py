"""The coder: an article's text, in its language, to zero or more coded interactions.

Interface (used by ``coding.stage``; the implementation is the coder's own business):

    coder = get_coder()            # built once per process, rebuilt when cues or aliases change
    coder.version                  # changes whenever the lexicon, gazetteer or roll-up does
    coder.code(title, text, language, day) -> list[Coded]

How it decides, per sentence (the headline is the first sentence):

1. Actors come from the gazetteer with their places in the text (``Gazetteer.spans``); each is
   rolled up through the affiliation valid on the article's day, transitively (Lavrov →
   Russian Foreign Ministry → Russia), to the state or organisation the seeds' interactions
   use. A sentence needs two different rolled-up actors.
2. Cues come from the lexicon (``relations.lexicon``: phrases per language, one Aho–Corasick
   automaton over the same normalised words as the gazetteer; Russian lemma cues through
   pymorphy3). Overlapping cues are resolved longest first ("rejected claims" over
   "rejected"), and a cue inside an actor's name is dropped.
3. A stop cue (sport, culture, markets, weather) silences the sentence, and the whole article
   when it is in the headline: "Hapoel Tel Aviv" and "Spartak Moscow" name clubs, not states.
4. The first act cue (in text order) that is not negated and has a source and a target is the
   sentence's interaction. Who is the source:
   - passive voice ("was received by", "condemned by"): the agent after "by";
   - Russian: the actor in the nominative (pymorphy3), wherever it stands ("Делегацию ХАМАС
     принял Богданов"); an actor after a preposition, or governed by a noun in another case
     ("делегацию ХАМАС"), is not the subject;
   - otherwise the actor before the cue that is not after a preposition (subject–verb–object);
     in Hebrew and Arabic, with none before, the first actor after the verb (verb-first);
   - actors joined by "and" before a symmetric cue (talks, calls, agreements) are the pair,
     coded once (the first named is the source); joined subjects or objects of another cue
     give one interaction each.
   In English, a cue another governs is not the sentence's act ("agreed to withdraw",
   "demanded that Iran withdraw", "must withdraw"), and a verb whose object is another
   act's noun may be coded as CAMEO and PLOVER code the pair: "lifted the embargo" and
   "halted its offensive" RETREAT, "withdrew its support" SANCTION, "agreed to the demands"
   CONCEDE, "allowed inspectors in" RETREAT (``_Sentence.governed``); what an actor "must"
   do is demanded of it by the speaker.
5. Negation ("not", "не", "لم", "לא") just before the cue, or a denial ("denied", "опроверг",
   "نفى", "הכחיש") before it, stops the act. A denial is itself a REJECT of the accuser when
   the sentence names whose claims are denied ("Kremlin denies Ukrainian claims that...").
6. A reported claim ("claims", "according to", "заявил", "قال", "טען") by an actor other
   than the source makes the act an allegation with that claimant, as the seeds model
   Budanov's claim (source Russia, target Hamas, claimant Budanov); a strong report word
   ("allegedly", "reportedly") makes one even with no claimant named.
7. Kind, score and confidence: the cue's kind hint or the category's kind; the category's
   default score; confidence from the cue's weight, how the source was found, and the
   distance between the actors and the cue.

Bounds, so that an article with 500 actor mentions or a 5 MB body is coded in bounded time and
memory: the text is cut to ``MAX_TEXT_CHARS`` (the lead, where the news is), at most
``MAX_SENTENCES`` sentences are read, a sentence longer than ``MAX_SENTENCE_CHARS`` is skipped,
and a sentence considers at most ``MAX_MENTIONS_PER_SENTENCE`` mentions and
``MAX_CUES_PER_SENTENCE`` act cues, so at most that many pairs.
"""

from __future__ import annotations

import bisect
import datetime as dt
import hashlib
import html
import itertools
import re
import unicodedata
from dataclasses import dataclass, field, replace
from typing import NamedTuple

import ahocorasick

from coding import morphology
from coding.sentences import sentences
from ingest.matching import (
    ARABIC_PREFIXES,
    HEBREW_PREFIXES,
    Gazetteer,
    MentionSpan,
    Words,
    get_gazetteer,
    normalise,
    words_of,
)
from relations.categories import Category, default_score
from relations.lexicon import WEAK_CUE, CueEntry, current_cues, lexicon_state
from relwatch import caching

MAX_TEXT_CHARS = 5_000
# Of a text (before its tags are stripped), the most the coder reads to find those characters.
MAX_INPUT_CHARS = MAX_TEXT_CHARS * 4
MAX_SENTENCES = 60
MAX_SENTENCE_CHARS = 2_000
MAX_MENTIONS_PER_SENTENCE = 12
MAX_CUES_PER_SENTENCE = 8
# How many words before an act cue a negation still negates it ("has no plans to meet"), within
# one clause (no comma or semicolon between).
NEGATION_REACH = 5
# How many words before a forceful act a future or conditional word makes it a threat ("will
# soon impose sanctions").
MODAL_REACH = 4
FORCEFUL = frozenset({Category.SANCTION, Category.COERCE, Category.ASSAULT, Category.MOBILIZE})
# A cooperative act after such a word is an intent to cooperate, an AGREE (CAMEO 03: "will
# meet", "plans to withdraw", "is ready to provide aid").
INTENDED = frozenset(
    {Category.CONSULT, Category.COOPERATE, Category.AID, Category.RETREAT, Category.CONCEDE}
)
# A headline's "Speaker:" is a report word of this weight (an act by another is an allegation).
SPEAKER_REPORT = 0.7
# What a speaker's words can do to another actor.
SPEECH_CATEGORIES = frozenset(
    {
        Category.ACCUSE,
        Category.DEMAND,
        Category.REJECT,
        Category.THREATEN,
        Category.SUPPORT,
        Category.AGREE,
    }
)
# A report word this strong makes an allegation even when no claimant is named.
STRONG_REPORT = 0.8
# English verbs of saying, intending and refusing govern the act cues of their complement
# ("agreed to withdraw", "pledged to provide aid", "refused to release", "urged Iran to halt"):
# the sentence's act is the governing verb's. Reducing and refusing verbs govern their object
# noun ("suspended aid", "halted talks", "scrapped the deal"), and such a verb after a
# cooperative noun is its predicate ("aid was cut off").
GOVERNING = frozenset(
    {
        Category.AGREE,
        Category.DEMAND,
        Category.REJECT,
        Category.THREATEN,
        Category.SUPPORT,
        Category.ACCUSE,
        Category.CONCEDE,
        Category.SANCTION,
        Category.PROTEST,
    }
)
REDUCING = frozenset({Category.SANCTION, Category.REJECT})
COOPERATIVE_NOUNS = frozenset({Category.AID, Category.COOPERATE, Category.CONSULT, Category.AGREE})
# Intent verbs ("pledged", "vowed") with a forceful complement announce a threat.
INTENT = frozenset({Category.AGREE, Category.THREATEN})
COMPLEMENT_WORDS = frozenset({"to", "for"})
# A clause that reports what is demanded, threatened or agreed ("demanded that Iran withdraw").
THAT_WORDS = frozenset({"that"})
# Demanding words followed by a bare verb ("must withdraw", "should stop").
BARE_COMPLEMENT = frozenset({"must", "should", "needs to", "need to", "has to", "have to"})
# A vow is a threat when what is vowed is forceful, a pledge (AGREE) when it is cooperative.
VOWS = ("vow",)
# Verbs whose object changes the act (``_Sentence.object_category``), after CAMEO's yielding
# and reducing codes as PLOVER groups them: easing or stopping a forceful act or a sanction
# de-escalates, a RETREAT ("lifted the embargo", "halted its offensive", "lifted the
# siege": CAMEO 085, 087, 0872), but easing administrative sanctions (a ban, restrictions, a
# curfew, arrests: CAMEO 081) concedes; withdrawing support, aid or from talks reduces
# relations, a SANCTION ("withdrew its support", "pulled out of the talks": 161-164);
# withdrawing an objection or a demand, or agreeing to demands, concedes (083); releasing aid
# is AID; allowing aid in is a RETREAT (0863); firing on protesters is violent repression,
# COERCE (175); an intent verb with a cooperative noun is an intent, AGREE ("pledged
# cooperation", CAMEO 03). The verbs are told apart by the start of their cue's phrase.
EASING = ("eas", "lift", "relax", "unfreez", "soften", "waive", "loosen")
STOPPING = (
    "halt",
    "suspen",
    "stop",
    "cease",
    "freez",
    "froze",
    "curtail",
    "terminat",
    "discontinu",
)
WITHDRAWING = ("withdr", "pull", "quit", "exit", "abandon", "drop", "scaled back", "back")
PERMITTING = ("allow", "permit", "grant access", "granted access")
POLITICAL_RESTRICTIONS = ("ban", "restrict", "outlaw", "censor")
# Intent verbs that govern a noun ("pledged cooperation"), and those of them that promise.
INTENDING = ("pledg", "promis", "offer", "commit", "willing", "readiness", "intention", "sign")
PROMISING = ("pledg", "promis")
# Receiving or allowing an international presence (``_Sentence.admitted``).
ADMITTING = frozenset({Category.CONSULT, Category.CONCEDE, Category.AGREE})
ADMITTING_VERBS = ("receiv", "allow", "permit", "admit", "accept", "let in")
INVOLVEMENT = frozenset(
    {"inspectors", "inspection", "inspections", "observers", "monitors", "peacekeepers"}
    | {"peacekeeping", "investigators", "access"}
)
MILITARY_RESTRICTIONS = ("blockad", "siege", "besieg")
# Words between a governing verb and the "to" of its complement (its object: "urged the
# government of Iran to..."), and between the verb and an object noun.
COMPLEMENT_REACH = 6
OBJECT_REACH = 3
# Roll-up stops at these kinds: the seeds' interactions are between them.
ROLLED_UP_KINDS = frozenset({"state", "organisation", "armed_group", "international_body"})

ACTION_CATEGORIES = frozenset(
    {
        Category.ASSAULT,
        Category.AID,
        Category.SANCTION,
        Category.MOBILIZE,
        Category.COERCE,
        Category.RETREAT,
    }
)


def to_come(category: str) -> str:
    """The category of an act announced, not done: a threat or an intent to cooperate."""
    return Category.THREATEN if category in FORCEFUL else Category.AGREE


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that put the actor after them out of the subject's place.
PREPOSITIONS = {
    "en": _words(
        "with to in at from for of on by against about over into after before between "
        "among than toward towards under near despite via through amid without "
        "including"
    ),
    "ru": morphology.PREPOSITIONS,
    "he": _words("את עם נגד על אל מול בין לעבר אצל כלפי"),
    "ar": _words("في على مع الى من عن ضد بين لدى عند نحو تجاه حول"),
}
# Prefix letters written onto a word that make it a preposition's object ("לישראל", "بروسيا").
ATTACHED_PREPOSITIONS = {"he": frozenset("בלמ"), "ar": frozenset("بلك")}
AND_WORDS = frozenset({"and", "&", "и", "а", "و", "ו"})
ATTACHED_AND = {"he": "ו", "ar": "و"}
# Places: "in Moscow", "в Москве", "במוסקבה", "في موسكو" name where, not whom (except for a
# meeting, whose place is its host).
LOCATIVES = {
    "en": frozenset({"in", "inside", "through", "via"}),
    "ru": frozenset({"в", "во"}),
    "ar": frozenset({"في"}),
}
ATTACHED_LOCATIVE = {"he": "ב"}
PASSIVE_AUXILIARIES = _words("was were is are been being be get gets got")
BY_WORDS = frozenset({"by"})
NOUN_ENDINGS = ("ion", "ions", "ment", "ments", "ness", "ship", "ships", "ss", "us")
# Imperfect verb prefixes: "يرفض"/"ترفض" from "رفض", "יגנה" from "גנה".
VERB_PREFIXES = {
    "he": ("י", "ת", "נ", "א", "וי", "ות", "ונ"),
    "ar": ("ي", "ت", "ن", "وي", "وت", "فت", "في"),
}
ARABIC_ARTICLES = ("ال", "وال", "بال", "فال", "كال", "لل")
_TAG = re.compile(r"<[^>]{0,2000}>")
_CYRILLIC_WORD = re.compile("[\u0400-\u04ff]")
# Cyrillic, Hebrew or Arabic: the script that decides a sentence's rules (``_language_of``).
_SCRIPT_LETTER = re.compile("[\u0400-\u04ff\u0590-\u06ff]")
_CLAUSE_BREAK = re.compile("[,;:—–()]|\\s-\\s")


@dataclass(frozen=True)
class Coded:
    source_id: int  # rolled up (state or organisation) where an analyst would expect it
    target_id: int
    source_named_id: int  # as named in the text
    target_named_id: int
    category: str  # one of relations.categories.Category
    kind: str  # meeting, statement, allegation or action
    score: float  # the category's default intensity
    confidence: float  # 0..1
    quote: str  # the evidence sentence
    cue: str  # the words that fired
    explanation: str  # "cue: «принял» → CONSULT; source: the minister, subject after the verb"
    spans: dict = field(default_factory=dict)  # {"source": [s, e], "target": ..., "cue": ...}
    claimant_id: int | None = None  # reported claims: who claims it
    # Talks, calls, agreements: the pair is coded once, in either order (stories join both).
    symmetric: bool = False


# --- the compiled lexicon ------------------------------------------------------------------


class Hit(NamedTuple):
    start: int  # in the article's text
    end: int
    entry: CueEntry


def default_kind(category: str) -> str:
    if category == Category.CONSULT:
        return "meeting"
    return "action" if category in ACTION_CATEGORIES else "statement"


def _keys(entry: CueEntry) -> list[str]:
    """The automaton keys of a cue: its normalised words, padded on the left, and on the right
    unless the last word is a prefix; Hebrew and Arabic ones also behind the letters written
    onto a word."""
    words = normalise(entry.phrase).strip()
    if not words:
        return []
    tail = "" if entry.match == "prefix" else " "
    prefixes: tuple[str, ...] = ("",)
    if entry.language == "he":
        prefixes += (*HEBREW_PREFIXES, *VERB_PREFIXES["he"])
    elif entry.language == "ar":
        normal = tuple(normalise(p).strip() for p in (*ARABIC_PREFIXES, *VERB_PREFIXES["ar"]))
        articles = tuple(normalise(p).strip() for p in ARABIC_ARTICLES)
        prefixes += normal + (articles if not words.startswith("ال") else ())
    return [f" {prefix}{words}{tail}" for prefix in dict.fromkeys(prefixes)]


class Lexicon:
    """The cues compiled for matching: one automaton for every language's phrases (feeds
    mislabel their language, and scripts do not collide), and Russian lemmas."""

    def __init__(self, entries: tuple[CueEntry, ...]):
        self.entries = entries
        table: dict[str, list[CueEntry]] = {}
        self.lemmas: dict[str, list[tuple[tuple[str, ...], CueEntry]]] = {}
        for entry in entries:
            if entry.match == "lemma":
                lemmas = tuple(normalise(entry.phrase).split())
                if lemmas:
                    self.lemmas.setdefault(lemmas[0], []).append((lemmas, entry))
                continue
            for key in _keys(entry):
                table.setdefault(key, []).append(entry)
        self.automaton = None
        if table:
            self.automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY)
            for key, found in table.items():
                self.automaton.add_word(key, (len(key), tuple(found)))
            self.automaton.make_automaton()
        digest = hashlib.sha256(repr(sorted(map(repr, entries))).encode()).hexdigest()
        self.version = digest[:16]

    def hits(self, words: Words) -> list[Hit]:
        """Every cue in the text, overlaps resolved longest first."""
        if self.automaton is None:
            return []
        matched = []  # (start, end) in ``words.folded``, and the key's entries
        for end, (length, entries) in self.automaton.iter(words.folded):
            stop = end if entries[0].match != "prefix" else end + 1
            matched.append((end - length + 2, stop, entries))
        if not matched:
            return []
        found: list[tuple[int, int, CueEntry]] = []
        for start, end, entries in words.placed(matched):
            found.extend((start, end, entry) for entry in entries)
        return _without_overlaps(found)

    def lemma_hits(self, words: Words, first: int, last: int) -> list[Hit]:
        """Russian lemma cues among the words ``first``..``last`` (a candidate sentence)."""
        if not self.lemmas:
            return []
        text = words.original
        starts, ends, _, _ = words.places
        found = []
        for index in range(first, last):
            word = text[starts[index] : ends[index]].casefold()
            if not _CYRILLIC_WORD.match(word):
                continue
            for lemmas, entry in self.lemmas.get(morphology.lemma(word), ()):
                end = index + len(lemmas)
                if end > last:
                    continue
                following = (
                    morphology.lemma(text[starts[i] : ends[i]].casefold())
                    for i in range(index + 1, end)
                )
                if all(a == b for a, b in zip(lemmas[1:], following, strict=False)):
                    found.append((starts[index], ends[end - 1], entry))
        return [Hit(*hit) for hit in found]


def _without_overlaps(found: list[tuple[int, int, CueEntry]]) -> list[Hit]:
    in_order = sorted(found, key=lambda hit: hit[0])
    if all(hit[1] <= following[0] for hit, following in itertools.pairwise(in_order)):
        return [Hit(*hit) for hit in in_order]  # the usual case: no two overlap
    found.sort(key=lambda hit: (hit[0] - hit[1], hit[0]))
    chosen: list[tuple[int, int, CueEntry]] = []
    for hit in found:
        start, end = hit[0], hit[1]
        # Entries of the same span are all kept; others only where nothing chosen overlaps.
        if any(c[0] == start and c[1] == end for c in chosen) or not any(
            c[0] < end and start < c[1] for c in chosen
        ):
            chosen.append(hit)
    chosen.sort(key=lambda hit: hit[0])
    return [Hit(*hit) for hit in chosen]


# --- roll-up ---------------------------------------------------------------------------------


class RollUp:
    """Actors to the state or organisation they belong to on a day, through affiliations."""

    def __init__(self, kinds: dict[int, str], names: dict[int, str], parents: dict):
        self.kinds, self.names, self.parents = kinds, names, parents
        self._memo: dict[tuple[int, dt.date], int] = {}
        digest = hashlib.sha256(repr(sorted(parents.items())).encode()).hexdigest()
        self.version = digest[:16]

    @classmethod
    def from_database(cls) -> RollUp:
        from relations.models import Actor, Affiliation

        kinds, names = {}, {}
        for actor_id, kind, name in Actor.objects.values_list("id", "kind", "name"):
            kinds[actor_id], names[actor_id] = kind, name
        parents: dict[int, list] = {}
        rows = Affiliation.objects.order_by("actor_id", "start_date", "id").values_list(
            "actor_id", "parent_id", "start_date", "end_date"
        )
        for actor_id, parent_id, start, end in rows:
            parents.setdefault(actor_id, []).append((parent_id, start, end))
        return cls(kinds, names, parents)

    def __call__(self, actor_id: int, day: dt.date) -> int:
        key = (actor_id, day)
        rolled = self._memo.get(key)
        if rolled is None:
            rolled = self._memo[key] = self._roll(actor_id, day)
            if len(self._memo) > 100_000:
                self._memo.clear()
        return rolled

    def _roll(self, actor_id: int, day: dt.date) -> int:
        seen = {actor_id}
        while self.kinds.get(actor_id) not in ROLLED_UP_KINDS:
            parent = next(
                (
                    parent
                    for parent, start, end in self.parents.get(actor_id, ())
                    if (start is None or start <= day) and (end is None or day <= end)
                ),
                None,
            )
            if parent is None or parent in seen:
                break
            seen.add(parent)
            actor_id = parent
        return actor_id


# --- one article ---------------------------------------------------------------------------


class Mention(NamedTuple):
    start: int
    end: int
    named: int
    rolled: int
    first_word: int
    last_word: int
    alias: str


@dataclass
class Decision:
    source: Mention
    target: Mention
    rule: str
    certainty: float
    symmetric: bool


class Coder:
    version = ""

    def __init__(self, lexicon: Lexicon, gazetteer: Gazetteer, roll_up: RollUp, gazetteer_id=""):
        self.lexicon, self.gazetteer, self.roll_up = lexicon, gazetteer, roll_up
        self.version = f"{lexicon.version}-{roll_up.version}-{gazetteer_id}"[:64]

    def categorise(self, sentence: str, language: str) -> tuple[str, str] | None:
        """(category, cue) that a sentence's wording signals, whoever its actors are: its
        first clear act cue that is not negated (a denial before it: REJECT; a stop cue:
        nothing). For sentences where no pair of known actors is found (the PLOVER benchmark
        gives actor spans the coder may not place)."""
        sentence = _clean(sentence)[:MAX_SENTENCE_CHARS]
        words = words_of(sentence)
        hits = self.lexicon.hits(words)
        if not hits or any(h.entry.polarity == "stop" for h in hits):
            return None
        reading = _Sentence(self, sentence, words, 0, len(sentence), language, None, [])
        negations = [h for h in hits if h.entry.polarity == "negation"]
        denial = next((h for h in negations if h.entry.category), None)
        # As in coding: clear cues first, those after the first actor before an opening phrase.
        mentions = self.gazetteer.spans(sentence, words)
        first_actor = mentions[0].start if mentions else 0
        acts = reading.governed([h for h in hits if h.entry.polarity == "act"], hits)
        acts = sorted(
            acts,
            key=lambda h: (h.entry.weight < WEAK_CUE, h.end <= first_actor, h.start),
        )
        for cue in acts:
            if denial is not None and denial.start < cue.start:
                break
            if not reading.negated(cue, negations):
                modal = reading.modal(cue, hits)
                category = cue.entry.category if modal is None else to_come(cue.entry.category)
                return str(category), sentence[cue.start : cue.end]
        if denial is not None:
            return str(denial.entry.category), sentence[denial.start : denial.end]
        return None

    def code(self, title: str, text: str, language: str, day: dt.date) -> list[Coded]:
        article, title_end = _article_text(title, text)
        if not article:
            return []
        words = words_of(article)
        # Most articles name fewer than two actors: then nothing more is worked out.
        mentions = self.gazetteer.spans(article, words, min_actors=2)
        if not mentions:
            return []
        hits = self.lexicon.hits(words)
        if any(h.entry.polarity == "stop" and h.start < title_end for h in hits):
            return []
        # A cue inside an actor's name ("Islamic Resistance Movement") is part of the name.
        mention_starts = [m.start for m in mentions]
        hits = [h for h in hits if not _inside_any(h, mentions, mention_starts)]
        coded: dict[tuple[int, int, str], Coded] = {}
        hit_starts = [h.start for h in hits]
        for start, end in sentences(article, MAX_SENTENCES):
            if end - start > MAX_SENTENCE_CHARS:
                continue
            low, high = (
                bisect.bisect_left(mention_starts, start),
                bisect.bisect_left(mention_starts, end),
            )
            in_sentence = mentions[low:high][:MAX_MENTIONS_PER_SENTENCE]
            if len({m.actors[0][0] for m in in_sentence}) < 2:
                continue
            sentence_hits = hits[
                bisect.bisect_left(hit_starts, start) : bisect.bisect_left(hit_starts, end)
            ]
            if not _may_code(sentence_hits) and not (
                self.lexicon.lemmas and _language_of(article[start:end], language) == "ru"
            ):
                continue  # nothing to code, and no Russian lemma cue can add anything
            sentence = _Sentence(self, article, words, start, end, language, day, in_sentence)
            sentence_hits = sentence.with_lemma_hits(sentence_hits)
            for result in sentence.code(sentence_hits, is_title=start < title_end):
                key = (result.source_id, result.target_id, result.category)
                reverse = (result.target_id, result.source_id, result.category)
                if result.symmetric and reverse in coded:
                    key = reverse
                if key not in coded or coded[key].confidence < result.confidence:
                    coded[key] = result
        return list(coded.values())


def _clean(text: str) -> str:
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    return unicodedata.normalize("NFC", text.strip())


def _article_text(title: str, text: str) -> tuple[str, int]:
    """The headline and the body as one text (the headline ends its own sentence), and where
    the headline ends."""
    title, text = _clean(title or ""), _clean((text or "")[:MAX_INPUT_CHARS])
    if text.startswith(title) and title:
        text = text[len(title) :].lstrip(" .:-–—\n")
    return f"{title}\n{text}"[:MAX_TEXT_CHARS].strip(), len(title)


def _may_code(hits: list[Hit]) -> bool:
    """Whether a sentence with these cues may code anything: it needs an act cue or a denial
    (see ``_Sentence.code``)."""
    return any(
        h.entry.polarity == "act" or (h.entry.polarity == "negation" and h.entry.category)
        for h in hits
    )


def _inside_any(hit: Hit, mentions: list[MentionSpan], starts: list[int]) -> bool:
    """Whether ``hit`` lies inside one of ``mentions`` (in order, starting at ``starts``)."""
    index = bisect.bisect_right(starts, hit.start) - 1
    return index >= 0 and mentions[index].start <= hit.start and hit.end <= mentions[index].end


class _Sentence:
    """One sentence being coded: its actors, its cues, and the rules of its language."""

    def __init__(self, coder, article, words, start, end, language, day, spans):
        self.coder, self.article, self.words = coder, article, words
        self.start, self.end, self.day = start, end, day
        self.text = article[start:end]
        # The script decides the rules when a feed mislabels its language.
        self.language = _language_of(self.text, language)
        # Where the article's words start and end (the lists themselves, looked up once).
        self.starts, self.ends, _, _ = words.places
        word_starts, bisect_left = self.starts, bisect.bisect_left
        self.first_word = bisect_left(word_starts, start)
        self.last_word = bisect_left(word_starts, end)
        self.mentions = []
        for span in spans:
            named, alias = span.actors[0]
            first = bisect_left(word_starts, span.start)
            last = bisect_left(word_starts, span.end) - 1
            rolled = coder.roll_up(named, day)
            self.mentions.append(Mention(span.start, span.end, named, rolled, first, last, alias))

    def with_lemma_hits(self, hits: list[Hit]) -> list[Hit]:
        if self.language != "ru" or not self.coder.lexicon.lemmas:
            return hits
        lemma_hits = self.coder.lexicon.lemma_hits(self.words, self.first_word, self.last_word)
        lemma_hits = [
            h for h in lemma_hits if not any(h.start < o.end and o.start < h.end for o in hits)
        ]
        return sorted(hits + lemma_hits, key=lambda h: h.start) if lemma_hits else hits

    # --- words around a place ----------------------------------------------------------

    def word(self, index: int) -> str:
        if not self.first_word <= index < self.last_word:
            return ""
        return self.article[self.starts[index] : self.ends[index]].casefold()

    def word_index(self, position: int) -> int:
        return bisect.bisect_left(self.starts, position)

    def attached(self, mention: Mention) -> str:
        """The letters written onto the first word of a Hebrew or Arabic mention ("ול")."""
        surface = normalise(self.article[mention.start : mention.end]).strip()
        alias = normalise(mention.alias).strip()
        return surface[: len(surface) - len(alias)] if surface.endswith(alias) else ""

    def after_preposition(self, mention: Mention) -> bool:
        if self.language in ATTACHED_PREPOSITIONS:
            letters = self.attached(mention)
            if any(letter in ATTACHED_PREPOSITIONS[self.language] for letter in letters):
                return True
        return self.word(mention.first_word - 1) in PREPOSITIONS.get(self.language, ())

    def locative(self, mention: Mention) -> bool:
        letter = ATTACHED_LOCATIVE.get(self.language)
        if letter and letter in self.attached(mention):
            return True
        return self.word(mention.first_word - 1) in LOCATIVES.get(self.language, ())

    def targets(self, cue: Hit, mentions: list[Mention], source: Mention) -> list[Mention]:
        """The actors that may be the target, in order: not the source's side, and not a
        place unless the cue is a meeting."""
        found = [m for m in mentions if m.rolled != source.rolled]
        if cue.entry.category != Category.CONSULT:
            host = self.host_of_guest(cue, found)
            found = [m for m in found if not self.locative(m)]
            if host is not None:
                found = [host, *(m for m in found if m is not host)]
        return found

    def host_of_guest(self, cue: Hit, found: list[Mention]) -> Mention | None:
        """ "Israel condemned the invitation of Hamas figures to Moscow", "осудил приём
        делегации ХАМАС в Москве", "גינה את אירוח משלחת חמאס במוסקבה": what is condemned is
        the host's act, so the host (here a place) is the target, not its guest. (In Arabic
        the host comes first, "استقبال روسيا وفد حماس", and is already the first actor.)"""
        if cue.entry.category not in SPEECH_CATEGORIES or self.language == "ar" or not found:
            return None
        guest = found[0]
        hosting = [
            h
            for h in getattr(self, "hits", ())
            if h.entry.category == Category.CONSULT
            and h.entry.polarity == "act"
            and cue.end <= h.start < guest.start
            and 0 < guest.first_word - self.word_index(h.start) <= 3
        ]
        if not hosting:
            return None
        # The guest must be the hosting word's own complement, not the object of another verb
        # ("condemned the meeting and urged Russia...").
        between = range(self.word_index(hosting[-1].end), guest.first_word)
        if any(self.word(i) in AND_WORDS for i in between):
            return None
        return next((m for m in found[1:] if m.rolled != guest.rolled), None)

    def joined(self, first: Mention, second: Mention) -> bool:
        """Whether ``first`` and ``second`` are joined by "and" ("Putin and Netanyahu")."""
        between = range(first.last_word + 1, second.first_word)
        if len(between) == 1 and self.word(between[0]) in AND_WORDS:
            return True
        conjunction = ATTACHED_AND.get(self.language)
        return not between and bool(conjunction) and self.attached(second).startswith(conjunction)

    # --- coding -----------------------------------------------------------------------------

    def code(self, hits: list[Hit], *, is_title: bool) -> list[Coded]:
        if any(h.entry.polarity == "stop" for h in hits):
            return []
        self.hits = hits
        acts = [h for h in hits if h.entry.polarity == "act"][:MAX_CUES_PER_SENTENCE]
        negations = [h for h in hits if h.entry.polarity == "negation"]
        denial = next((h for h in negations if h.entry.category), None)
        if not acts and denial is None:
            return []  # no act to code (a speaker's statement needs one too), and no denial
        # Clear verbs first, in text order; weak cues (nouns such as "delegation", words of
        # several senses) only when no clear one has a source and a target. In English and
        # Russian a clear cue before every actor is an opening phrase ("After talks in
        # Moscow, ..."), tried after those that follow an actor.
        acts = self.governed(acts, hits)
        first_actor = self.mentions[0].start
        opening = self.language in ("en", "ru")
        acts.sort(key=lambda h: (h.entry.weight < WEAK_CUE, opening and h.end <= first_actor))
        reports = [h for h in hits if h.entry.polarity == "report"]
        speaker = self.speaker()
        if speaker is not None:
            # "Захарова: ..." — the colon reports what the speaker says.
            colon = self.article.index(":", speaker[0].end)
            reports = sorted([*reports, Hit(colon, colon + 1, speaker[1])], key=lambda h: h.start)
        for cue in acts:
            if denial is not None and denial.start < cue.start:
                break
            if self.negated(cue, negations):
                if self.governs(cue, reports):
                    break
                continue
            decisions = self.decide(cue, reports)
            if decisions:
                modal = self.modal(cue, hits)
                coded = [self.coded(cue, d, reports, is_title, modal) for d in decisions]
                return coded + self.second_act(
                    cue, decisions[0], acts, negations, reports, is_title
                )
            if self.governs(cue, reports):
                # The main verb has its subject but no target: the verbs after it are its
                # complements ("agreed to withdraw from...") and do not speak for the sentence.
                break
        if denial is not None:
            return self.code_denial(denial, hits, is_title)
        if speaker is not None:
            return self.code_speaker(speaker[0], acts, negations, is_title)
        return []

    def governed(self, acts: list[Hit], hits: list[Hit]) -> list[Hit]:
        """English: the act cues without those another governs in the same clause (see
        ``GOVERNING``); an intent verb whose complement is forceful becomes a threat
        ("vowed to retaliate"), unless a modal word already makes the complement one, and a
        vow to do something cooperative is an intent (AGREE). A verb whose object is another
        act's noun may take another category (``object_category``: "lifted the embargo" is a
        RETREAT), and a verb that governs a clear cue is as clear as it ("halted all economic
        and military assistance": the weak "halted" speaks for the clear "assistance")."""
        if self.language != "en":
            return acts
        acts = self.admitted(acts)
        if len(acts) < 2:
            return acts
        dropped: set[int] = set()
        changed: dict[int, CueEntry] = {}
        for i, first in enumerate(acts):
            complemented = False
            for j in range(i + 1, len(acts)):
                second = acts[j]
                rule, category = self.governs_complement(first, second)
                entry = changed.get(i, first.entry)
                if rule == "complement" and complemented:
                    # Within the complement already found ("agreed to lift sanctions"): the
                    # first verb after "to" is the one that says what is agreed.
                    dropped.add(j)
                    continue
                complemented = complemented or rule == "complement"
                if (
                    rule == "complement"
                    and first.entry.category in INTENT
                    and (second.entry.category in FORCEFUL)
                ):
                    if self.modal(second, hits) is not None:
                        dropped.add(i)
                        continue
                    category = Category.THREATEN
                elif (
                    rule == "complement"
                    and first.entry.category == Category.THREATEN
                    and normalise(first.entry.phrase).strip().startswith(VOWS)
                    and second.entry.category in INTENDED | {Category.SUPPORT, Category.AGREE}
                ):
                    category = Category.AGREE  # "vowed to provide aid": a pledge
                if rule == "predicate":
                    dropped.add(i)
                    if category and category != second.entry.category:
                        # "protesters were beaten": violent repression (COERCE)
                        changed[j] = replace(second.entry, category=category, symmetric=False)
                elif rule:
                    dropped.add(j)
                    weight = max(entry.weight, second.entry.weight)
                    if category and category != entry.category:
                        # Another act, coded one way ("agreed to the demands": CONCEDE).
                        entry = replace(entry, category=category, symmetric=False)
                    changed[i] = replace(entry, weight=weight)
        return [
            Hit(hit.start, hit.end, changed[index]) if index in changed else hit
            for index, hit in enumerate(acts)
            if index not in dropped
        ]

    def governs_complement(self, first: Hit, second: Hit) -> tuple[str, str | None]:
        """How the earlier cue ``first`` governs ``second``: "complement" ("agreed to
        withdraw", "demanded that Iran withdraw"), "object" ("suspended aid"), "predicate"
        when ``first`` is a cooperative noun whose verb is ``second`` ("aid was suspended"),
        or "" (no relation); with the category ``first`` takes when it is not its own."""
        first_last = self.word_index(first.end) - 1
        second_first = self.word_index(second.start)
        gap = second_first - first_last - 1
        if gap < 0 or gap > COMPLEMENT_REACH:
            return "", None
        if _CLAUSE_BREAK.search(self.article, first.end, second.start):
            return "", None
        between = range(first_last + 1, second_first)
        joined = [i for i in between if self.word(i) in AND_WORDS]
        category, other = first.entry.category, second.entry.category
        reducing = category in COOPERATIVE_NOUNS and other in REDUCING
        if reducing and not joined and gap <= OBJECT_REACH:
            return "predicate", None
        passive = any(self.word(i) in PASSIVE_AUXILIARIES for i in between)
        if passive and not joined and gap <= OBJECT_REACH:
            # A noun and the passive verb said of it: "aid was requested", "the deal was
            # welcomed", "protesters were beaten" (violent repression, CAMEO 175).
            if category == Category.PROTEST and other in (Category.ASSAULT, Category.COERCE):
                return "predicate", Category.COERCE
            if category in COOPERATIVE_NOUNS and other in GOVERNING and category != other:
                return "predicate", None
        # An object: "and" may join its modifiers ("economic and military aid", counted as
        # one word), not a second verb ("halted talks and attacked").
        if gap - 2 * len(joined) <= OBJECT_REACH and second_first - 1 not in joined:
            changed = self.object_category(first.entry, second.entry)
            if changed:
                return "object", changed
            if category in REDUCING and other in COOPERATIVE_NOUNS:
                return "object", None
        if joined or category not in GOVERNING or category == other:
            return "", None
        if any(self.word(i) in COMPLEMENT_WORDS for i in range(second_first - 2, second_first)):
            return "complement", None
        if any(self.word(i) in THAT_WORDS for i in between):
            return "complement", None  # "demanded that Iran withdraw", "warned that..."
        bare = normalise(first.entry.phrase).strip() in BARE_COMPLEMENT
        if bare and gap <= 1:
            return "complement", None  # "must withdraw", "should stop"
        return "", None

    @staticmethod
    def object_category(verb: CueEntry, noun: CueEntry) -> str | None:
        """The category of an act whose object is another act's noun, where CAMEO and PLOVER
        code it as neither (see ``EASING``): None when the verb keeps its own."""
        phrase = normalise(verb.phrase).strip()
        category, other = verb.category, noun.category
        easing = category == Category.CONCEDE and phrase.startswith(EASING)
        stopping = category != Category.CONCEDE and phrase.startswith(STOPPING)
        withdrawing = category in (Category.RETREAT, Category.CONCEDE) and phrase.startswith(
            WITHDRAWING
        )
        if (easing or stopping) and other in FORCEFUL:
            noun_phrase = normalise(noun.phrase).strip()
            if noun_phrase.startswith(POLITICAL_RESTRICTIONS) or (
                other == Category.COERCE and not noun_phrase.startswith(MILITARY_RESTRICTIONS)
            ):
                # "lifted the ban on the party", "lifted the curfew" (CAMEO 081)
                return Category.CONCEDE
            return Category.RETREAT  # "lifted the embargo", "halted its offensive"
        if withdrawing and other in COOPERATIVE_NOUNS | {Category.SUPPORT}:
            return Category.SANCTION  # "withdrew its support", "pulled out of the talks"
        if (withdrawing or easing) and other in (Category.REJECT, Category.DEMAND):
            return Category.CONCEDE  # "withdrew its objection", "dropped its demand"
        if category == Category.RETREAT and not withdrawing and other == Category.AID:
            return Category.AID  # "released the aid", "handed over funds"
        if category == Category.ASSAULT and other == Category.PROTEST:
            return Category.COERCE  # "fired on protesters": violent repression (CAMEO 175)
        if category in (Category.AGREE, Category.CONCEDE) and other == Category.DEMAND:
            return Category.CONCEDE  # "agreed to the demands", "complied with the demand"
        if category == Category.CONCEDE and phrase.startswith(PERMITTING) and other == Category.AID:
            return Category.RETREAT  # "allowed aid convoys in" (CAMEO 0863)
        if category == Category.AGREE and phrase.startswith(INTENDING):
            # "pledged cooperation", "offered talks", "promised the release": an intent
            # (CAMEO 03); "vowed retaliation": a threat.
            if other in FORCEFUL:
                return Category.THREATEN if phrase.startswith(PROMISING) else None
            if other in INTENDED:
                return Category.AGREE
        return None

    def admitted(self, acts: list[Hit]) -> list[Hit]:
        """English: a verb of receiving or allowing whose object is an international presence
        ("allowed inspectors into", "accepted peacekeepers") allows international
        involvement, a RETREAT (CAMEO 086: receive peacekeepers, inspectors; PLOVER)."""
        found: list[Hit] = []
        object_end = -1
        for hit in acts:
            if hit.start < object_end:
                continue  # the presence admitted ("peacekeepers") is part of the act
            phrase = normalise(hit.entry.phrase).strip()
            if hit.entry.category in ADMITTING and phrase.startswith(ADMITTING_VERBS):
                start = self.word_index(hit.end)
                after = range(start, start + OBJECT_REACH + 1)
                place = next((i for i in after if self.word(i) in INVOLVEMENT), None)
                if place is not None and not _CLAUSE_BREAK.search(
                    self.article, hit.end, self.starts[place]
                ):
                    entry = replace(hit.entry, category=Category.RETREAT, symmetric=False)
                    hit = Hit(hit.start, hit.end, replace(entry, kind_hint=""))
                    object_end = self.ends[place]
            found.append(hit)
        return found

    def speaker(self) -> tuple[Mention, CueEntry] | None:
        """The actor a headline opens with before a colon ("Захарова: Израиль нарушает...",
        "Peskov: ..."), at most two words after the sentence's start."""
        first = self.mentions[0]
        if first.first_word - self.first_word > 2:
            return None
        after = self.article[first.end : min(first.end + 3, self.end)]
        if not after.lstrip().startswith(":"):
            return None
        return first, CueEntry(self.language, ":", polarity="report", weight=SPEAKER_REPORT)

    def code_speaker(self, speaker: Mention, acts, negations, is_title) -> list[Coded]:
        """A headline's speaker says something about another actor and no act in it has
        both a source and a target: the speaker's statement is towards that actor
        ("Захарова: удары Израиля по Газе недопустимы" → Russia accuses Israel)."""
        colon = self.article.index(":", speaker.end)
        others = [m for m in self.mentions if m.start > colon and m.rolled != speaker.rolled]
        for cue in sorted(acts, key=lambda h: h.start):
            if cue.start < colon or cue.entry.category not in SPEECH_CATEGORIES:
                continue
            if self.negated(cue, negations) or not others:
                return []
            decision = Decision(speaker, others[0], "the speaker before the colon", 0.75, False)
            return [self.coded(cue, decision, [], is_title)]
        return []

    def governs(self, cue: Hit, reports: list[Hit]) -> bool:
        """Whether a clear cue is the sentence's main verb: an actor before it (after any
        report word) is its subject."""
        if cue.entry.weight < WEAK_CUE:
            return False
        region = max([self.start] + [r.end for r in reports if r.end <= cue.start])
        before = [m for m in self.mentions if region <= m.start and m.end <= cue.start]
        return self.subject(before) is not None

    def modal(self, cue: Hit, hits: list[Hit]) -> Hit | None:
        """A future or conditional word just before a forceful act ("will impose sanctions",
        "could strike"): the act is threatened, not done; before a cooperative one ("will
        meet"), it is intended (``to_come``)."""
        if cue.entry.category not in FORCEFUL | INTENDED:
            return None
        cue_word = self.word_index(cue.start)
        return next(
            (
                h
                for h in hits
                if h.entry.polarity == "modal"
                and 0 < cue_word - self.word_index(h.start) <= MODAL_REACH
                and not _CLAUSE_BREAK.search(self.article, h.end, cue.start)
            ),
            None,
        )

    def second_act(self, first: Hit, decision: Decision, acts, negations, reports, is_title):
        """ "X condemned the meeting and urged Russia to...": a second verb joined by "and"
        to the first shares its subject; its target is the first actor after it."""
        later = [
            h
            for h in sorted(acts, key=lambda h: h.start)
            if h.start > first.end
            and h.entry.category != first.entry.category
            and (self.word(self.word_index(h.start) - 1) in AND_WORDS or self.attached_and(h))
        ]
        for cue in later[:1]:
            if self.negated(cue, negations) or not self.verb_like(cue):
                return []
            source = decision.source
            after = [m for m in self.mentions if m.start >= cue.end]
            targets = self.targets(cue, after, source)
            if not targets or cue.entry.symmetric:
                return []
            second = Decision(
                source,
                targets[0],
                "the subject shared with the verb before “and”",
                decision.certainty * 0.9,
                False,
            )
            return [self.coded(cue, second, reports, is_title)]
        return []

    def verb_like(self, cue: Hit) -> bool:
        """Whether a cue after "and" is a verb ("and urged Russia"), not a noun joined to the
        first verb's object ("discussed the situation and cooperation")."""
        word = self.word(self.word_index(cue.start))
        if self.language == "ru":
            return morphology.parse(word).pos in ("VERB", "INFN", "PRTS", "GRND")
        if self.language == "en":
            return word.endswith(("ed", "s")) and not word.endswith(NOUN_ENDINGS)
        # Hebrew and Arabic: the article after the conjunction ("והשיחות", "والتعاون") marks
        # a noun.
        article = {"he": "וה", "ar": "وال"}[self.language]
        return not normalise(word).strip().startswith(normalise(article).strip())

    def attached_and(self, cue: Hit) -> bool:
        conjunction = ATTACHED_AND.get(self.language)
        surface = normalise(self.article[cue.start : cue.end]).strip()
        phrase = normalise(cue.entry.phrase).strip()
        return (
            bool(conjunction)
            and surface.startswith(conjunction)
            and not phrase.startswith(conjunction)
        )

    def negated(self, cue: Hit, negations: list[Hit]) -> bool:
        cue_word = self.word_index(cue.start)
        return any(
            0 < cue_word - self.word_index(n.start) <= NEGATION_REACH
            and not _CLAUSE_BREAK.search(self.article, n.end, cue.start)
            for n in negations
            if not n.entry.category
        )

    def decide(self, cue: Hit, reports: list[Hit]) -> list[Decision]:
        """The source and target(s) of an act cue, or nothing when the sentence does not
        say who did it to whom."""
        if self.language == "en" and normalise(cue.entry.phrase).strip() in BARE_COMPLEMENT:
            return self.obliged(cue, reports)
        region = self.start
        for report in reports:
            if report.end <= cue.start:
                region = max(region, report.end)
        mentions = [m for m in self.mentions if m.start >= region or m.start >= cue.end]
        before = [m for m in mentions if m.end <= cue.start]
        after = [m for m in mentions if m.start >= cue.end]
        symmetric = cue.entry.symmetric
        decided = (
            self.passive(cue, before, after)
            or self.coordinated(cue, before, after, symmetric)
            or (self.by_case(cue, mentions) if self.language == "ru" else None)
            or self.by_position(cue, before, after, symmetric)
        )
        if decided is None:
            return []
        source, target, rule, certainty = decided
        if source.rolled == target.rolled:
            return []
        decisions = [Decision(source, target, rule, certainty, symmetric)]
        if not symmetric:
            # Joined subjects or objects: "Russia and Iran condemned Israel", "urged Israel
            # and Hamas".
            for other in self.joined_to(source, mentions, backwards=True):
                decisions.append(Decision(other, target, rule, certainty * 0.9, False))
            for other in self.joined_to(target, mentions, backwards=False):
                decisions.append(Decision(source, other, rule, certainty * 0.9, False))
        return [d for d in decisions if d.source.rolled != d.target.rolled]

    def obliged(self, cue: Hit, reports: list[Hit]) -> list[Decision]:
        """ "Russia says Israel must withdraw": what one actor must do is demanded of it by
        the one who says so, so the subject of "must" is the target and the speaker of the
        report word the source; with no speaker named, nothing."""
        region = max([self.start] + [r.end for r in reports if r.end <= cue.start])
        before = [m for m in self.mentions if region <= m.start and m.end <= cue.start]
        target = self.subject(before)
        if target is None:
            return []
        _, speaker = self.claimant(cue, Decision(target, target, "", 0, False), reports)
        if speaker is None or speaker.rolled == target.rolled:
            return []
        return [Decision(speaker, target, "the speaker of what the subject must do", 0.8, False)]

    def joined_to(self, mention: Mention, mentions: list[Mention], *, backwards: bool):
        index = mentions.index(mention)
        step = -1 if backwards else 1
        current = mention
        found = []
        while 0 <= index + step < len(mentions) and len(found) < 3:
            other = mentions[index + step]
            pair = (other, current) if backwards else (current, other)
            if not self.joined(*pair):
                break
            if other.rolled != mention.rolled:
                found.append(other)
            current, index = other, index + step
        return found

    def passive(self, cue: Hit, before: list[Mention], after: list[Mention]):
        """The agent after "by": "was received by Bogdanov", "condemned by Israel"."""
        if self.language != "en" or not before or not after:
            return None
        cue_first, cue_last = self.word_index(cue.start), self.word_index(cue.end) - 1
        agent = after[0]
        by = next(
            (
                i
                for i in range(cue_last + 1, min(cue_last + 3, agent.first_word))
                if self.word(i) in BY_WORDS
            ),
            None,
        )
        if cue.entry.passive:
            by = agent.first_word - 1 if agent.first_word - cue_last <= 4 else None
        if by is None or agent.first_word - by > 3:
            return None
        auxiliary = any(
            self.word(i) in PASSIVE_AUXILIARIES for i in range(cue_first - 2, cue_first)
        )
        patient = self.subject(before)
        if patient is None:
            return None
        certainty = 0.95 if auxiliary or cue.entry.passive else 0.85
        return agent, patient, "the agent after “by” (passive voice)", certainty

    def by_case(self, cue: Hit, mentions: list[Mention]):
        """Russian: the subject is in the nominative. Word order is free, but the subject
        usually comes first: the nearest actor before the verb that may be nominative, and
        only when none may be, the likeliest one after it ("Делегацию ХАМАС принял
        Богданов")."""
        before = [m for m in mentions if m.end <= cue.start and self.nominative(m)]
        if before:
            source, place = before[-1], "before"
        else:
            after = [(self.nominative(m), m) for m in mentions if m.start >= cue.end]
            best = max((score for score, _ in after), default=0)
            if best == 0:
                return None
            source, place = next(m for score, m in after if score == best), "after"
        others = self.targets(cue, mentions, source)
        targets = [m for m in others if m.start >= cue.end] or others
        if not targets:
            return None
        if cue.entry.passive:
            # "Делегация ХАМАС была принята в МИД России": the subject is the one received.
            return targets[0], source, "the host of a passive verb, its subject received", 0.8
        return source, targets[0], f"the subject (nominative) {place} the verb", 0.9

    def nominative(self, mention: Mention) -> int:
        """2: surely the nominative subject; 1: may be; 0: not (after a preposition, or the
        complement of a noun in another case, as in "делегацию ХАМАС")."""
        previous = self.word(mention.first_word - 1)
        if previous and _CLAUSE_BREAK.search(
            self.article, self.ends[mention.first_word - 1], mention.start
        ):
            previous = ""  # "По словам Буданова, Россия передала...": another clause
        if previous:
            parsed = morphology.parse(previous)
            if parsed.pos == "PREP":
                return 0
            if parsed.pos == "NOUN" and parsed.case and parsed.case != "nomn":
                return 0
        parsed = morphology.parse(self.word(mention.first_word))
        if "nomn" not in parsed.cases:
            return 0
        return 2 if parsed.case == "nomn" else 1

    def coordinated(self, cue: Hit, before: list[Mention], after: list[Mention], symmetric):
        """ "Putin and Netanyahu discussed...", "talks between Russia and Iran"."""
        if not symmetric:
            return None
        for group in (before[-2:], after[:2]):
            if len(group) == 2 and self.joined(*group) and group[0].rolled != group[1].rolled:
                return group[0], group[1], "the pair joined by “and” (symmetric)", 0.95
        return None

    def by_position(self, cue: Hit, before: list[Mention], after: list[Mention], symmetric):
        subject = self.subject(before)
        certainty = 0.9
        if subject is None and before and before[0].first_word - self.first_word <= 3:
            # "وفد من حماس يزور موسكو": the actor the sentence opens with, after a preposition
            # inside its subject ("a delegation of Hamas").
            subject, certainty = before[0], 0.7
        if subject is not None:
            targets = self.targets(cue, after, subject)
            if not targets and symmetric:
                targets = self.targets(cue, before, subject)
            if targets:
                return subject, targets[0], "the subject before the verb", certainty
            return None
        # Verb-first (Hebrew, Arabic), or a nominal cue before its pair ("talks with").
        if after and (self.language in ("he", "ar") or (symmetric and self.language == "en")):
            source = after[0]
            targets = self.targets(cue, after[1:], source)
            if targets:
                return source, targets[0], "the subject after the verb (verb-first)", 0.8
        return None

    def subject(self, before: list[Mention]) -> Mention | None:
        """The actor before the verb that is its subject: the nearest one not after a
        preposition."""
        for mention in reversed(before):
            if not self.after_preposition(mention):
                return mention
        return None

    def claimant(self, cue: Hit, decision: Decision, reports: list[Hit]):
        """The report word governing the act and the actor who claims it, if any."""
        pair = {decision.source.rolled, decision.target.rolled}
        best = None
        for report in reports:
            if report.end <= cue.start:
                best = report  # the nearest before the act
        if best is None:
            best = next((r for r in reports if r.start >= cue.end), None)
        if best is None:
            return None, None
        report_first = self.word_index(best.start)
        report_last = self.word_index(best.end) - 1
        # The one who speaks stands just before the report word ("Israel says", "Israeli
        # officials said") or just after it ("according to Israeli officials", "said Lavrov"),
        # in the same clause.
        candidates = [
            m
            for m in self.mentions
            if m not in (decision.source, decision.target)
            and (
                (
                    0 < report_first - m.last_word <= 3
                    and not _CLAUSE_BREAK.search(self.article, m.end, best.start)
                )
                or (
                    0 < m.first_word - report_last <= 3
                    and not _CLAUSE_BREAK.search(self.article, best.end, m.start)
                )
            )
        ]
        candidates.sort(key=lambda m: (m.rolled in pair, m.start > best.start))
        return best, (candidates[0] if candidates else None)

    def coded(
        self, cue: Hit, decision: Decision, reports: list[Hit], is_title: bool, modal=None
    ) -> Coded:
        entry = cue.entry
        category = entry.category if modal is None else to_come(entry.category)
        source, target = decision.source, decision.target
        report, claimant = self.claimant(cue, decision, reports)
        allegation = (claimant is not None and claimant.rolled != source.rolled) or (
            claimant is None and report is not None and report.entry.weight >= STRONG_REPORT
        )
        kind = "allegation" if allegation else (entry.kind_hint or default_kind(category))
        if modal is not None and not allegation:
            kind = default_kind(category)
        spans = {"source": self.local(source), "target": self.local(target), "cue": self.local(cue)}
        cue_text = self.article[cue.start : cue.end]
        explanation = (
            f"cue: «{cue_text}» → {category}; source: "
            f"{self.article[source.start : source.end]}, {decision.rule}"
        )
        claimant_id = None
        if allegation:
            explanation += "; a reported claim"
            if claimant is not None:
                claimant_id = claimant.named
                spans["claimant"] = self.local(claimant)
                explanation += f" by {self.article[claimant.start : claimant.end]}"
            explanation += f" («{self.article[report.start : report.end]}»): an allegation"
        if modal is not None:
            modal_text = self.article[modal.start : modal.end]
            explanation += f"; «{modal_text}»: a {entry.category} to come, so " + (
                "a threat" if category == Category.THREATEN else "an intent (AGREE)"
            )
        if decision.symmetric:
            explanation += "; symmetric: coded once for the pair"
        return Coded(
            source_id=source.rolled,
            target_id=target.rolled,
            source_named_id=source.named,
            target_named_id=target.named,
            category=str(category),
            kind=kind,
            score=default_score(category),
            confidence=self.confidence(cue, decision, allegation, is_title),
            quote=self.text,
            cue=cue_text[:200],
            explanation=explanation,
            spans=spans,
            claimant_id=claimant_id,
            symmetric=decision.symmetric,
        )

    def code_denial(self, denial: Hit, hits: list[Hit], is_title: bool) -> list[Coded]:
        """ "X denies Y's claims that...": X rejects Y. Without an accuser named, nothing."""
        before = [m for m in self.mentions if m.end <= denial.start]
        denier = self.subject(before) or (
            next((m for m in self.mentions if m.start >= denial.end), None)
            if self.language in ("he", "ar")
            else None
        )
        if denier is None:
            return []
        claims = [h for h in hits if h.entry.polarity == "report" and h.start >= denial.end]
        accuser = None
        for claim in claims[:1]:
            claim_first = self.word_index(claim.start)
            claim_last = self.word_index(claim.end) - 1
            near = [
                m
                for m in self.mentions
                if m.rolled != denier.rolled
                and (0 < claim_first - m.last_word <= 2 or 0 < m.first_word - claim_last <= 2)
            ]
            accuser = near[0] if near else None
        if accuser is None:
            return []
        decision = Decision(denier, accuser, "the one who denies, before the denial", 0.8, False)
        coded = self.coded(denial, decision, [], is_title)
        explanation = (
            coded.explanation
            + f"; a denial of claims by {self.article[accuser.start : accuser.end]}"
        )
        return [Coded(**{**coded.__dict__, "kind": "statement", "explanation": explanation})]

    def local(self, span) -> list[int]:
        return [span.start - self.start, span.end - self.start]

    def confidence(self, cue: Hit, decision: Decision, allegation: bool, is_title: bool) -> float:
        cue_word = self.word_index(cue.start)
        gap = max(
            abs(cue_word - decision.source.last_word), abs(decision.target.first_word - cue_word)
        )
        distance = 1.0 if gap <= 4 else max(0.6, 1 - 0.03 * (gap - 4))
        value = (0.35 + 0.55 * min(1.0, cue.entry.weight)) * decision.certainty * distance
        if allegation:
            value *= 0.9
        if not is_title:
            value *= 0.95
        return round(min(0.99, max(0.05, value)), 3)


def _language_of(text: str, declared: str) -> str:
    """The language of the first Hebrew, Arabic or Cyrillic letter, else the declared one."""
    found = _SCRIPT_LETTER.search(text)
    if found is not None:
        character = found.group()
        if character >= "\u0600":
            return "ar"
        return "he" if character >= "\u0590" else "ru"
    return declared if declared in ("en", "ru", "he", "ar") and declared != "ru" else "en"


# --- the process's coder -----------------------------------------------------------------

_lexicon: tuple[tuple, Lexicon] | None = None
_roll_up: tuple[str, RollUp] | None = None
_coder: tuple[tuple, Coder] | None = None


def get_coder() -> Coder:
    """The coder of the database's cues, aliases and affiliations, built once per process and
    rebuilt when any of them changes (the lexicon version and the Cue table's state, the
    gazetteer's own check, the data version that affiliation changes bump)."""
    global _lexicon, _roll_up, _coder
    state = lexicon_state()
    if _lexicon is None or _lexicon[0] != state:
        _lexicon = (state, Lexicon(current_cues(state)))
    data_version = caching.data_version()
    if _roll_up is None or _roll_up[0] != data_version or not data_version:
        _roll_up = (data_version, RollUp.from_database())
    gazetteer = get_gazetteer()
    fingerprint = (id(_lexicon[1]), id(_roll_up[1]), id(gazetteer))
    if _coder is None or _coder[0] != fingerprint:
        gazetteer_id = f"{gazetteer.alias_count}.{gazetteer.key_count}"
        _coder = (fingerprint, Coder(_lexicon[1], gazetteer, _roll_up[1], gazetteer_id))
    return _coder[1]
