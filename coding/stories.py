"""Stories: the suggestions that report the same interaction, across outlets and languages.

Two suggestions are one story when they have the same pair of (rolled-up) actors, categories of
one family (below), and dates close together: within ``GAP`` of the story's first or last
report, with the whole story spanning at most ``MAX_SPAN`` (so a war reported every day
becomes one story a week, and two strikes a week apart stay two). A text that is a
near-duplicate of one already in a story (the same wire copy republished, dated later) joins
that story within ``NEAR_DUPLICATE_SPAN``: near-duplicates are found by MinHash over word
shingles, stored as LSH band hashes in ``Suggestion.bands`` (GIN-indexed) and looked up by
overlap.

Only pending stories take new reports: once an editor has accepted, rejected or merged a story
its content is theirs, and a later report of the same thing opens a new story that they can
merge into the event. Placing a batch of new suggestions costs a fixed number of queries: one
probe of the ``story_assign`` index per (pair, family) and one GIN probe per article, whatever
the number of stories. Callers hold ``lock_pairs`` for the pairs they place, so two workers
never open two stories for the same interaction.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from datasketch import MinHash
from django.db import connection
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.dispatch import Signal

from coding.models import ReviewStatus, Story, Suggestion
from ingest.models import Article
from relations.categories import Category
from relwatch import sql

# Close kin: what an analyst would call "the same interaction" when two outlets code one
# event differently. Talks, agreements and cooperation are one exchange (a meeting reported as
# "talks" by one and "agreed" by another); accusations, demands, rejections and threats are the
# one hostile statement; force in any form (strike, raid, blockade, deployment) is one act.
# Support, aid, concessions, protests and sanctions are each their own thing.
FAMILIES: dict[str, tuple[str, ...]] = {
    "engage": (Category.CONSULT, Category.AGREE, Category.COOPERATE),
    "support": (Category.SUPPORT,),
    "aid": (Category.AID,),
    "yield": (Category.CONCEDE, Category.RETREAT),
    "criticise": (Category.ACCUSE, Category.DEMAND, Category.REJECT, Category.THREATEN),
    "protest": (Category.PROTEST,),
    "sanction": (Category.SANCTION,),
    "force": (Category.ASSAULT, Category.COERCE, Category.MOBILIZE),
}
FAMILY_OF: dict[str, str] = {
    category: family for family, categories in FAMILIES.items() for category in categories
}
# Families whose interactions have no direction: "A met B" and "B met A" are one story.
SYMMETRIC_FAMILIES = frozenset({"engage"})

# Sent once a batch that created or changed stories has committed, with ``story_ids``: stories
# are written in bulk (no post_save), and the apps above (alerts) may want to know.
stories_changed = Signal()

GAP = dt.timedelta(days=3)
MAX_SPAN = dt.timedelta(days=7)
NEAR_DUPLICATE_SPAN = dt.timedelta(days=14)

# MinHash: 64 permutations in 8 bands of 8 rows. Two texts share a band with probability
# 1 - (1 - J^8)^8 for a Jaccard similarity J of their shingles: 0.8 for J = 0.8, under 0.02
# for J = 0.4 (two reports of one event in their own words).
NUM_PERM = 64
BANDS = 8
SHINGLE_WORDS = 3
# Enough words to tell a copy from a rewrite; the rest of a long article adds time, not signal.
SHINGLE_TEXT_CHARS = 3000
_WORD = re.compile(r"\w+")
# Stored bands are compared with new ones for as long as the rows live, so the MinHash scheme
# must not change under them: pyproject pins datasketch 2 (1.x permuted otherwise), and
# tests/coding/test_stories.py pins the bands of a text and holds texts_bands equal to
# datasketch's MinHash over the real corpus. CRC-32 hashes the shingles (the permutations mix
# its bits; datasketch's default SHA-1 through Python took most of the time), and a batch of
# texts is min-hashed in one pass of numpy (datasketch's MinHash is one text at a time: its
# per-call overhead cost more than the hashing of a headline).
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=1, hashfunc=zlib.crc32).permutations
_HASH_TYPE = _PERMUTATIONS.dtype


def family_of(category: str) -> str:
    return FAMILY_OF[category]


def text_bands(text: str) -> list[int]:
    """The LSH band hashes of ``text`` (signed 64-bit, as PostgreSQL's bigint); none for a
    text too short to have a shingle."""
    return texts_bands([text])[0]


def texts_bands(texts: list[str]) -> list[list[int]]:
    """``text_bands`` of each text, min-hashed together."""
    hashes: list[int] = []
    starts: list[int] = []  # where each text with shingles starts in ``hashes``
    shingled: list[int] = []  # which texts have shingles
    for number, text in enumerate(texts):
        words = _WORD.findall(text[:SHINGLE_TEXT_CHARS].casefold())
        if len(words) < SHINGLE_WORDS:
            continue
        starts.append(len(hashes))
        shingled.append(number)
        # A repeated shingle hashes to the same value: it cannot change a minimum.
        hashes.extend(
            zlib.crc32(" ".join(words[i : i + SHINGLE_WORDS]).encode())
            for i in range(len(words) - SHINGLE_WORDS + 1)
        )
    bands: list[list[int]] = [[] for _ in texts]
    if not hashes:
        return bands
    a, b = _PERMUTATIONS
    mixed = _fmix32(np.array(hashes, dtype=_HASH_TYPE))
    # Every shingle under every permutation (wrapping, as datasketch's affine scheme), then
    # each text's minimum per permutation: rows of (BANDS, rows per band).
    minima = np.minimum.reduceat(mixed[:, None] * a + b, starts, axis=0)
    for number, signature in zip(shingled, minima.reshape(len(starts), BANDS, -1), strict=True):
        bands[number] = [
            int.from_bytes(
                hashlib.blake2b(bytes([band]) + row.tobytes(), digest_size=8).digest(),
                "big",
                signed=True,
            )
            for band, row in enumerate(signature)
        ]
    return bands


def _fmix32(hashes: np.ndarray) -> np.ndarray:
    """MurmurHash3's 32-bit finalizer, as datasketch mixes a hash before permuting it."""
    hashes = hashes ^ (hashes >> np.uint32(16))
    hashes = hashes * np.uint32(0x85EBCA6B)
    hashes = hashes ^ (hashes >> np.uint32(13))
    hashes = hashes * np.uint32(0xC2B2AE35)
    return hashes ^ (hashes >> np.uint32(16))


def pair_key(source_id: int, target_id: int, family: str) -> tuple[int, int, str]:
    """The story key: symmetric families ignore the direction."""
    if family in SYMMETRIC_FAMILIES and source_id > target_id:
        source_id, target_id = target_id, source_id
    return source_id, target_id, family


def lock_pairs(cursor, keys: Iterable[tuple[int, int, str]]) -> None:
    """Take a transaction-scoped advisory lock per story key, in one order for everyone (so
    two workers wait for each other instead of deadlocking)."""
    numbers = sorted({_lock_number(key) for key in keys})
    if numbers:
        cursor.execute(_LOCK_SQL, [sql.array(numbers)])
        cursor.fetchall()


def _lock_number(key: tuple[int, int, str]) -> int:
    source_id, target_id, family = key
    low, high = sorted((source_id, target_id))  # one lock for A→B and B→A
    digest = hashlib.blake2b(f"story:{low}:{high}:{family}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@dataclass
class Member:
    """A suggestion to place, before it is written: what placing it needs to know. ``ref``
    names it to the caller (the stage uses the suggestion's unique key), and orders members
    of the same date."""

    ref: tuple
    source_id: int
    target_id: int
    category: str
    kind: str
    seen: dt.datetime  # the article's date
    bands: list[int]

    @functools.cached_property
    def family(self) -> str:
        return FAMILY_OF[self.category]

    @functools.cached_property
    def key(self) -> tuple[int, int, str]:  # read many times while placing
        return pair_key(self.source_id, self.target_id, self.family)


@dataclass
class _Candidate:
    """A pending story a member may join, as this batch sees it."""

    key: tuple[int, int, str]
    first_seen: dt.datetime
    last_seen: dt.datetime
    story_id: int | None = None  # None: opened by this batch, not yet inserted
    opened_by: Member | None = None
    members: list[Member] = field(default_factory=list)

    def takes(self, seen: dt.datetime) -> bool:
        first, last = min(self.first_seen, seen), max(self.last_seen, seen)
        near = self.first_seen - GAP <= seen <= self.last_seen + GAP
        return near and last - first <= MAX_SPAN

    def distance(self, seen: dt.datetime) -> dt.timedelta:
        if self.first_seen <= seen <= self.last_seen:
            return dt.timedelta(0)
        return min(abs(seen - self.first_seen), abs(seen - self.last_seen))

    def add(self, member: Member) -> None:
        self.first_seen = min(self.first_seen, member.seen)
        self.last_seen = max(self.last_seen, member.seen)
        self.members.append(member)


@dataclass
class Placement:
    opened: int = 0  # new stories
    joined: int = 0  # suggestions that joined a story already there
    story_ids: set[int] = field(default_factory=set)  # every story that gained a member
    assigned: dict[tuple, int] = field(default_factory=dict)  # member ref → its story


def place(cursor, members: list[Member]) -> Placement:
    """Choose each member's story: the story of a near-duplicate text, else the nearest in
    time of its key, else a new one (inserted here). The caller holds ``lock_pairs`` for the
    members' keys, and writes each suggestion with the story ``Placement.assigned`` gives it:
    placing before writing writes each row once, where setting its story afterwards would
    write every row (and all its indexes) twice.

    Stored near-duplicates are looked up only for members that no stored story of their key
    could take (their use is to reach beyond the window): a wire story in a hundred feeds
    would otherwise cost a hundred probes of the bands' index to learn what the window
    already says."""
    placement = Placement()
    if not members:
        return placement
    members = sorted(members, key=lambda member: (member.seen, member.ref))
    by_key: dict[tuple, list[_Candidate]] = defaultdict(list)
    known: dict[int, _Candidate] = {}

    def consider(candidates: list[_Candidate]) -> None:
        for candidate in candidates:
            if candidate.story_id not in known:
                by_key[candidate.key].append(candidate)
                known[candidate.story_id] = candidate

    consider(_stories_near(cursor, members))
    strays = [m for m in members if not any(c.takes(m.seen) for c in by_key[m.key])]
    copies, copied_stories = _near_duplicate_stories(cursor, strays)
    consider(copied_stories)
    band_owner: dict[tuple[tuple, int], _Candidate] = {}  # this batch's texts, by band
    for member in members:
        story = _near_duplicate(member, copies, known, band_owner)
        if story is None:
            fitting = [c for c in by_key[member.key] if c.takes(member.seen)]
            story = min(fitting, key=lambda c: c.distance(member.seen), default=None)
        if story is None:
            story = _Candidate(member.key, member.seen, member.seen, opened_by=member)
            by_key[member.key].append(story)
        story.add(member)
        for band in member.bands:
            band_owner.setdefault((member.key, band), story)
    opened = [c for candidates in by_key.values() for c in candidates if c.story_id is None]
    _insert_stories(opened)
    placement.opened = len(opened)
    placement.joined = len(members) - len(opened)
    placement.assigned = {
        member.ref: story.story_id
        for candidates in by_key.values()
        for story in candidates
        for member in story.members
    }
    placement.story_ids = set(placement.assigned.values())
    return placement


def _near_duplicate(member, copies, known, band_owner) -> _Candidate | None:
    """The story a near-duplicate of the member's text is already in (stored, or placed
    earlier in this batch), if any."""
    for story_id in copies.get(member.ref, ()):
        if story_id in known:
            return known[story_id]
    for band in member.bands:
        story = band_owner.get((member.key, band))
        if story is not None:
            return story
    return None


def _stories_near(cursor, members: list[Member]) -> list[_Candidate]:
    """The pending stories of the members' keys whose dates could take one of them: one index
    range per key (and per direction for a symmetric family), locked against a review that
    would change their status meanwhile."""
    windows: dict[tuple, list[dt.datetime]] = {}
    for member in members:
        low, high = windows.setdefault(member.key, [member.seen, member.seen])
        windows[member.key] = [min(low, member.seen), max(high, member.seen)]
    rows = []
    for (source_id, target_id, family), (low, high) in windows.items():
        rows.append((source_id, target_id, family, low - GAP, high + GAP))
        if family in SYMMETRIC_FAMILIES and source_id != target_id:
            rows.append((target_id, source_id, family, low - GAP, high + GAP))
    cursor.execute(_STORIES_NEAR_SQL, stories_near_params(rows))
    return [
        _Candidate(pair_key(source_id, target_id, family), first, last, story_id=story_id)
        for story_id, source_id, target_id, family, first, last in cursor.fetchall()
    ]


def stories_near_params(rows: list[tuple]) -> dict:
    """_STORIES_NEAR_SQL's parameters for (source, target, family, low, high) rows."""
    sources, targets, families, lows, highs = sql.columns(rows, width=5)
    return {
        "sources": sources,
        "targets": targets,
        "families": families,
        "lows": lows,
        "highs": highs,
        "span": MAX_SPAN,
        "pending": ReviewStatus.PENDING.value,
    }


def _near_duplicate_stories(
    cursor, members: list[Member]
) -> tuple[dict[tuple, list[int]], list[_Candidate]]:
    """Member ref → the pending stories (same key, within NEAR_DUPLICATE_SPAN) of stored
    suggestions whose text shares an LSH band with its article's; and those stories. One
    probe per distinct text and key (a wire copy in many feeds of the batch is one)."""
    probes: dict[tuple, list[Member]] = defaultdict(list)
    for member in members:
        if member.bands:
            probes[(tuple(member.bands), member.key)].append(member)
    if not probes:
        return {}, []
    rows = [
        (
            number,
            *key,
            sql.array(bands),
            min(m.seen for m in group) - NEAR_DUPLICATE_SPAN,
            max(m.seen for m in group) + NEAR_DUPLICATE_SPAN,
        )
        for number, ((bands, key), group) in enumerate(probes.items())
    ]
    cursor.execute(
        _NEAR_DUPLICATES_SQL,
        [*sql.columns(rows, width=7), sql.array(SYMMETRIC_FAMILIES), ReviewStatus.PENDING],
    )
    groups = list(probes.values())
    found: dict[tuple, list[int]] = defaultdict(list)
    stories: dict[int, _Candidate] = {}
    for number, story_id, source_id, target_id, family, first, last in cursor.fetchall():
        for member in groups[number]:
            if first >= member.seen - NEAR_DUPLICATE_SPAN and last <= member.seen + (
                NEAR_DUPLICATE_SPAN
            ):
                found[member.ref].append(story_id)
        stories[story_id] = _Candidate(
            pair_key(source_id, target_id, family), first, last, story_id=story_id
        )
    return found, list(stories.values())


def _insert_stories(opened: list[_Candidate]) -> None:
    if not opened:
        return
    stories = [
        Story(
            source_id=c.opened_by.source_id,
            target_id=c.opened_by.target_id,
            category=c.opened_by.category,
            family=c.key[2],
            kind=c.opened_by.kind,
            first_seen=c.first_seen,
            last_seen=c.last_seen,
        )
        for c in opened
    ]
    # Machine bookkeeping, not an editor's change: no history rows (refresh() fills the rest).
    Story.objects.bulk_create(stories)
    for candidate, story in zip(opened, stories, strict=True):
        candidate.story_id = story.pk


def refresh(cursor, story_ids: Iterable[int]) -> int:
    """Recompute the aggregates of pending stories from their suggestions (articles, outlets,
    languages, first and last seen, category, kind, confidence), and delete the pending ones
    left without any. Returns how many were deleted."""
    ids = sorted(set(story_ids) - {None})
    if not ids:
        return 0
    cursor.execute(_REFRESH_SQL, [sql.array(ids), ReviewStatus.PENDING])
    cursor.execute(_DELETE_EMPTY_SQL, [sql.array(ids), ReviewStatus.PENDING])
    return cursor.rowcount


def evidence(story_ids: Iterable[int], per_story: int = 3) -> dict[int, list[Suggestion]]:
    """Each story's best evidence: its most confident suggestions with distinct quotes (a
    wire copy in five feeds is one quote), at most ``per_story``, with article and feed
    loaded. One query for any number of stories."""
    ranked = (
        Suggestion.objects.filter(story_id__in=list(story_ids))
        .select_related("article__feed", "source", "target")
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("story_id")],
                order_by=[F("confidence").desc(), F("id").asc()],
            )
        )
        # Room for repeated quotes, which are dropped below.
        .filter(rank__lte=per_story * 4)
        .order_by("story_id", "rank")
    )
    best: dict[int, list[Suggestion]] = defaultdict(list)
    seen_quotes: set[tuple[int, str]] = set()
    for suggestion in ranked:
        quote = (suggestion.story_id, " ".join(suggestion.quote.split()).casefold())
        chosen = best[suggestion.story_id]
        if len(chosen) < per_story and quote not in seen_quotes:
            seen_quotes.add(quote)
            chosen.append(suggestion)
    return dict(best)


def story_articles(story: Story):
    """The articles a story carries, newest first."""
    return Article.objects.filter(suggestions__story=story).distinct().select_related("feed")


# Plain SQL over arrays, like ingest.storing: placing runs for every stored batch.
def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


_STORY = _table(Story)
_SUGGESTION = _table(Suggestion)
_ARTICLE = _table(Article)

_LOCK_SQL = (
    "SELECT count(pg_advisory_xact_lock(number)) "
    "FROM (SELECT number FROM unnest(%s::bigint[]) AS number ORDER BY number) AS ordered"
)
# One range of the story_assign index per key: last_seen from the window's start to where a
# story that began before the window's end could reach.
_STORIES_NEAR_SQL = f"""
SELECT story.id, story.source_id, story.target_id, story.family, story.first_seen,
       story.last_seen
FROM unnest(%(sources)s::bigint[], %(targets)s::bigint[], %(families)s::text[],
            %(lows)s::timestamptz[], %(highs)s::timestamptz[])
     AS wanted(source_id, target_id, family, low, high)
JOIN {_STORY} AS story
  ON story.source_id = wanted.source_id AND story.target_id = wanted.target_id
 AND story.family = wanted.family
 AND story.last_seen >= wanted.low AND story.last_seen <= wanted.high + %(span)s::interval
 AND story.first_seen >= wanted.low - %(span)s::interval AND story.first_seen <= wanted.high
WHERE story.status = %(pending)s
ORDER BY story.id
FOR UPDATE OF story
"""
# The GIN index finds the texts sharing a band (at most NEAR_DUPLICATE_ROWS per suggestion: a
# boilerplate band shared by thousands of articles is no evidence); only then are their
# stories read. Joined the other way round, the planner would read every story of the pair.
NEAR_DUPLICATE_ROWS = 50
_NEAR_DUPLICATES_SQL = f"""
WITH wanted AS MATERIALIZED (
    SELECT * FROM unnest(%s::integer[], %s::bigint[], %s::bigint[], %s::text[], %s::text[],
                         %s::timestamptz[], %s::timestamptz[])
         AS wanted(probe, source_id, target_id, family, bands, low, high)
), copy AS MATERIALIZED (
    -- Only stored reports in a story count (this batch's are not written yet). (Written
    -- with coalesce so that no index on story_id offers itself in place of the bands'.)
    -- Each probe's stories once (a wire copy's many reports share one), and only the columns
    -- the join needs: the rows carried on are what this statement spends its time on.
    SELECT wanted.probe, wanted.source_id, wanted.target_id, wanted.family, wanted.low,
           wanted.high, other.story_id
    FROM wanted CROSS JOIN LATERAL (
        SELECT DISTINCT sharing.story_id FROM (
            SELECT other.story_id FROM {_SUGGESTION} AS other
            WHERE other.bands && wanted.bands::bigint[] AND coalesce(other.story_id, 0) > 0
            LIMIT {NEAR_DUPLICATE_ROWS}
        ) AS sharing
    ) AS other
)
SELECT DISTINCT copy.probe, story.id, story.source_id, story.target_id,
       story.family, story.first_seen, story.last_seen
FROM copy
JOIN {_STORY} AS story
  ON story.id = copy.story_id AND story.family = copy.family
 AND ((story.source_id = copy.source_id AND story.target_id = copy.target_id)
      OR (story.family = ANY(%s::text[])
          AND story.source_id = copy.target_id AND story.target_id = copy.source_id))
 AND story.first_seen >= copy.low AND story.last_seen <= copy.high
WHERE story.status = %s
"""
# Outlets: an article's feed, or for a copy of another feed's article (duplicate_of) that
# article's feed, so a syndicated story counts its outlet once. Confidence: the chance that
# at least one independent outlet's report is right (noisy-or of each outlet's best).
_REFRESH_SQL = f"""
WITH member AS (
    SELECT suggestion.story_id, suggestion.article_id, suggestion.confidence,
           suggestion.category, suggestion.kind, article.language, article.published_at,
           coalesce(original.feed_id, article.feed_id) AS outlet
    FROM {_SUGGESTION} AS suggestion
    JOIN {_ARTICLE} AS article ON article.id = suggestion.article_id
    LEFT JOIN {_ARTICLE} AS original ON original.id = article.duplicate_of_id
    WHERE suggestion.story_id = ANY(%s::bigint[])
), outlet AS (
    SELECT story_id, max(confidence) AS best FROM member GROUP BY story_id, outlet
), outlet_total AS (
    SELECT story_id, count(*) AS outlets,
           -- exp() of a very negative number raises an underflow error instead of giving 0
           -- (over about a hundred outlets at 0.999): past e^-700 the doubt left is below
           -- what 1 - doubt can tell from 0 anyway.
           1 - exp(greatest(sum(ln(1 - least(best, 0.999))), -700)) AS confidence
    FROM outlet GROUP BY story_id
), total AS (
    SELECT story_id, count(DISTINCT article_id) AS articles,
           min(published_at) AS first_seen, max(published_at) AS last_seen,
           coalesce(array_agg(DISTINCT language ORDER BY language)
                    FILTER (WHERE language <> ''), '{{}}') AS languages,
           mode() WITHIN GROUP (ORDER BY category) AS category,
           mode() WITHIN GROUP (ORDER BY kind) AS kind
    FROM member GROUP BY story_id
)
UPDATE {_STORY} AS story
SET article_count = total.articles, outlet_count = outlet_total.outlets,
    languages = total.languages, first_seen = total.first_seen, last_seen = total.last_seen,
    category = total.category, kind = total.kind, confidence = outlet_total.confidence
FROM total JOIN outlet_total USING (story_id)
WHERE story.id = total.story_id AND story.status = %s
"""
_DELETE_EMPTY_SQL = f"""
DELETE FROM {_STORY} AS story
WHERE story.id = ANY(%s::bigint[]) AND story.status = %s
  AND NOT EXISTS (SELECT 1 FROM {_SUGGESTION} AS suggestion WHERE suggestion.story_id = story.id)
"""
