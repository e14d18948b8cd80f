"""One fetch of one feed, start to end: claim → GET → outcome → parse → store → FetchLog and the
feed's new state. The Celery task and ``manage.py ingest`` both call ``fetch_feed``.

Outcomes (FetchLog.outcome):

* ``not_modified``: 304. ``unchanged``: the body hashes as last time, or it parsed to nothing
  new or updated. ``new``: entries were added or updated.
* ``moved``: a permanent redirect (301/308 chain from the feed's URL) changed the stored URL and
  that was the only news; when the new location also brought entries the outcome is ``new``
  (the moved URL is visible on the feed itself).
* ``gone``: 410; the feed keeps ``active`` but gets status ``gone`` and is never polled again.
* ``rate_limited``: 429, or 503 with a Retry-After; the next check is no sooner than it says.
* ``error``: anything else (timeouts, refused addresses, bad statuses, not a feed, oversized
  bodies, storage errors); status ``failing`` and a backoff that grows with each failure.

Rate limiting counts as a failure too (status ``failing``, the reason in ``last_error``), so a
feed that is throttled for days shows up on the feed health page.

Crash safety: storing the entries, the feed's new state, the FetchLog and the release of the
claim commit in one transaction, and the body hash is saved only with them. A worker killed
anywhere before the commit leaves nothing behind; the task delivered again fetches the same
body, finds the hash different, and stores the same entries once (they are unique per feed and
GUID).

Cost of a poll: the claim (which returns the feed's row) is one statement, and the record
(feed state, FetchLog, release) is another; a fetch with entries adds a transaction around the
record and the fixed handful of statements of storing.store_entries. Inside ``ingest_feeds``
bookkeeping commits do not wait for the disk (see ``_bookkeeping_commits``); commits that store
articles do.

Stored articles are announced, never processed here: once a fetch's transaction commits, the
ids it wrote go out with ``ingest.signals.articles_stored`` (``inline=False`` from a worker's
fetch, so the apps above queue their work), and ``ingest_feeds`` gathers them for its caller to
announce with ``inline=True`` when the run is over (``manage.py ingest``).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import hashlib
import logging
import time
import uuid
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import (
    DEFAULT_DB_ALIAS,
    InterfaceError,
    OperationalError,
    connection,
    connections,
    transaction,
)
from django.utils import timezone

from ingest import fetching, parsing, scheduling, storing
from ingest.models import Feed, FetchLog
from ingest.signals import articles_stored
from relations.models import Language

logger = logging.getLogger(__name__)

Outcome = FetchLog.Outcome
FAILED_OUTCOMES = frozenset({Outcome.ERROR, Outcome.GONE, Outcome.RATE_LIMITED})
QUIET_OUTCOMES = frozenset({Outcome.NOT_MODIFIED, Outcome.UNCHANGED})
# Errors of the connection rather than of the data: worth retrying the whole fetch.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


@dataclass
class _Verdict:
    """What the HTTP exchange and the parse decided, before anything is written."""

    outcome: str
    http_status: int | None = None
    error: str = ""
    response: fetching.FetchResult | None = None
    parsed: parsing.ParsedFeed | None = None
    body_hash: str = ""
    retry_at: dt.datetime | None = None

    @property
    def succeeded(self) -> bool:
        return self.outcome not in FAILED_OUTCOMES


def fetch_feed(
    feed_id: int,
    *,
    claim_token: str | None = None,
    session: fetching.FetchSession | None = None,
) -> FetchLog | None:
    """Fetch one feed now. None when the feed is claimed by another fetch, or is inactive,
    gone or disabled. ``claim_token`` is the Celery task id when a worker runs it; ``session``
    lets fetches of several feeds share connections (``ingest_feeds``)."""
    log, _claimed = _fetch_feed(
        feed_id, claim_token=claim_token, session=session, on_stored=_announce_queued
    )
    return log


def announce_stored(article_ids: list[int], *, inline: bool) -> list:
    """Send ``articles_stored`` for committed articles; the receivers' answers (a summary to
    print, say), leaving out the ones that return nothing."""
    if not article_ids:
        return []
    responses = articles_stored.send(sender=Feed, article_ids=list(article_ids), inline=inline)
    return [response for _receiver, response in responses if response is not None]


def _announce_queued(article_ids: list[int]) -> None:
    """After a worker's fetch commits: the receivers queue their work. Robust: a broker that
    fails to take it must not turn a stored fetch into an error (its articles can be coded
    later with ``manage.py code_articles``)."""
    transaction.on_commit(
        functools.partial(announce_stored, article_ids, inline=False), robust=True
    )


@dataclass(frozen=True)
class _Claimed:
    """A feed whose claim this process holds, with the row read when it was claimed."""

    feed: Feed
    token: str


def _fetch_feed(
    feed_id: int,
    *,
    claim_token: str | None = None,
    session: fetching.FetchSession | None = None,
    claimed: _Claimed | None = None,
    then_claim: int | None = None,
    on_stored: Callable[[list[int]], None] | None = None,
) -> tuple[FetchLog | None, _Claimed | None]:
    """fetch_feed, for a run of feeds: ``claimed`` is this feed when the previous fetch's
    record already claimed it; ``then_claim`` is the next feed's id, claimed by this fetch's
    record statement and returned claimed, which saves a statement per feed. The claim is
    taken at the same moment as it would be at the start of the next fetch (nothing happens in
    between), and only from a record that committed. ``on_stored`` is called inside the
    fetch's transaction with the ids of the articles it wrote (register on-commit work
    there: a rollback must drop it)."""
    with _bookkeeping_commits():
        if claimed is not None and claimed.feed.pk == feed_id:
            feed, token = claimed.feed, claimed.token
        else:
            if claimed is not None:  # not the feed it was claimed for: give it back
                scheduling.release_claim(claimed.feed.pk, claimed.token)
            token = claim_token or _sync_token()
            feed = _claim_and_load(feed_id, token)
            if feed is None:
                logger.info(
                    "feed %s skipped: claimed by another fetch, not pollable, or deleted", feed_id
                )
                return None, None
        next_claim = (then_claim, _sync_token()) if then_claim not in (None, feed_id) else None
        released = False
        try:
            log, next_feed = _fetch_claimed(feed, token, session, next_claim, on_stored)
            released = True  # in the same transaction as the fetch's outcome
        finally:
            if not released:
                scheduling.release_claim(feed_id, token)
    if next_feed is None:
        return log, None
    return log, _Claimed(next_feed, next_claim[1])


def _sync_token() -> str:
    """A claim token for a fetch run in this process (a Celery task uses its task id)."""
    return f"sync:{uuid.uuid4()}"


def _claim_and_load(feed_id: int, token: str) -> Feed | None:
    """scheduling.claim_feed and a read of the claimed row, in one prepared statement (UPDATE
    ... RETURNING): the ORM spends more time building the two queries than the database
    spends answering them, and a quiet poll is little more than this."""
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        _execute_prepared(
            db,
            cursor,
            scheduling.claim_sql(),
            scheduling.claim_params(feed_id, token, timezone.now()),
        )
        row = cursor.fetchone()
    if row is None:
        return None
    return Feed.from_db(db.alias, _FEED_ATTNAMES, row)


_FEED_ATTNAMES = [field.attname for field in Feed._meta.concrete_fields]


def _fetch_claimed(
    feed: Feed,
    token: str,
    session: fetching.FetchSession | None = None,
    next_claim: tuple[int, str] | None = None,
    on_stored: Callable[[list[int]], None] | None = None,
) -> tuple[FetchLog, Feed | None]:
    started = timezone.now()
    clock = time.monotonic()
    try:
        verdict = _fetch_and_parse(feed, started, session)
    except Exception as exc:
        # A bug or an odd library error (or the task's soft time limit) must still leave the
        # feed with a status and a log row, and must not stop the other feeds.
        logger.exception("fetching feed %s failed unexpectedly", feed.pk)
        verdict = _Verdict(Outcome.ERROR, error=f"unexpected error: {type(exc).__name__}: {exc}")
    try:
        # Entries to store need a transaction; the record alone is one statement.
        with transaction.atomic() if verdict.parsed is not None else contextlib.nullcontext():
            recorded = _record(feed, verdict, started, clock, token, next_claim, on_stored)
        return recorded  # committed: the next feed's claim, if any, holds
    except DATABASE_UNAVAILABLE:
        # The database went away (a restart, a failover), not the feed: recording a failure
        # would back the feed off and drop these entries. Raise so the task is retried.
        raise
    except Exception as exc:
        logger.exception("storing feed %s failed", feed.pk)
        failed = _Verdict(
            Outcome.ERROR,
            http_status=verdict.http_status,
            error=f"could not store the entries: {type(exc).__name__}: {exc}",
        )
        return _record(feed, failed, started, clock, token, next_claim)


_bookkeeping_active: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "ingest_bookkeeping_commits", default=False
)


@contextlib.contextmanager
def _bookkeeping_commits():
    """Commits inside do not wait for their WAL to reach the disk, except the ones that store
    articles (see _DURABLE_PREFIX).

    What is left is bookkeeping: a claim, its release, a 304's or a failure's log row and
    the next check time. A database crash can lose the last fraction of a second of such
    commits, never half of one, and losing them costs at most an early re-poll or a claim
    that runs out; the disk flush they no longer wait for was most of the cost of a quiet
    poll. Set once per connection for a whole ``ingest_feeds`` run, and reset after it.
    """
    if _bookkeeping_active.get() or connection.vendor != "postgresql":
        yield
        return
    if connection.in_atomic_block:
        yield  # the caller's transaction decides when and how it commits
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    marker = _bookkeeping_active.set(True)
    try:
        yield
    finally:
        _bookkeeping_active.reset(marker)
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DATABASE_UNAVAILABLE:
            pass  # the connection is gone; a new one starts with the default


# Prefixed to the record's statement when the transaction stores articles: inside
# _bookkeeping_commits this transaction waits for the disk after all, at no extra round trip.
_DURABLE_PREFIX = "SET LOCAL synchronous_commit TO ON; "


def _fetch_and_parse(
    feed: Feed, started: dt.datetime, session: fetching.FetchSession | None = None
) -> _Verdict:
    try:
        response = fetching.fetch(
            feed.url, etag=feed.etag, last_modified=feed.last_modified, session=session
        )
    except fetching.UnsafeURL as exc:
        return _Verdict(Outcome.ERROR, error=str(exc))
    except fetching.FetchError as exc:
        return _Verdict(Outcome.ERROR, http_status=exc.http_status, error=str(exc))

    status = response.status
    verdict = _Verdict(Outcome.ERROR, http_status=status, response=response)
    if status == 304:
        verdict.outcome = Outcome.NOT_MODIFIED
        return verdict
    if status == 410:
        verdict.outcome = Outcome.GONE
        verdict.error = "HTTP 410 Gone: the publisher removed this feed; it is no longer polled"
        return verdict
    if status in (429, 503):
        verdict.retry_at = scheduling.retry_after(response.retry_after, started)
        if status == 429 or verdict.retry_at is not None:
            verdict.outcome = Outcome.RATE_LIMITED
            when = (
                f"not before {verdict.retry_at:%Y-%m-%d %H:%M:%S} UTC"
                if verdict.retry_at
                else "no Retry-After given, backing off"
            )
            verdict.error = f"rate limited: HTTP {status} {response.reason}; {when}"
            return verdict
    if not 200 <= status < 300:
        verdict.error = f"HTTP {status} {response.reason}".strip()
        return verdict
    if response.body.isspace() or not response.body:  # not strip(): no copy of the body
        verdict.error = f"empty response body (HTTP {status})"
        return verdict

    verdict.body_hash = hashlib.sha256(response.body).hexdigest()
    if verdict.body_hash == feed.content_hash:
        verdict.outcome = Outcome.UNCHANGED
        return verdict
    try:
        verdict.parsed = parsing.parse_feed(
            response.body,
            content_type=response.content_type,
            url=response.url,
            fetched_at=started,
            max_entries=settings.INGEST_MAX_ENTRIES,
        )
    except parsing.NotAFeed as exc:
        verdict.error = str(exc)
        return verdict
    finally:
        # Hashed and parsed: the body (up to INGEST_MAX_BYTES) need not live through storing.
        response.body = b""
    verdict.outcome = Outcome.NEW
    return verdict


def _record(
    feed: Feed,
    verdict: _Verdict,
    started: dt.datetime,
    clock: float,
    token: str,
    next_claim: tuple[int, str] | None = None,
    on_stored: Callable[[list[int]], None] | None = None,
) -> tuple[FetchLog, Feed | None]:
    """Store the entries, the feed's new state and the FetchLog, and release the claim
    (inside one transaction); claim ``next_claim`` (feed id, token) with them. Returns the
    log and the next feed's row if it was claimed."""
    now = timezone.now()
    stored = None
    if verdict.parsed is not None:
        stored = storing.store_entries(feed, verdict.parsed.entries, fetched_at=started)
        if stored.article_ids and on_stored is not None:
            on_stored(stored.article_ids)
    durable = bool(stored and (stored.new or stored.updated or stored.duplicates))
    updates: dict = {"last_checked_at": started}
    outcome = verdict.outcome
    note = ""
    if verdict.succeeded:
        updates.update(
            status=Feed.Status.OK,
            consecutive_failures=0,
            last_error="",
            next_check_at=scheduling.next_check_after_success(feed, now),
        )
        updates.update(_validators(feed, verdict))
        if stored is not None:
            changed = stored.new or stored.updated or stored.duplicates
            outcome = Outcome.NEW if changed else Outcome.UNCHANGED
            updates["content_hash"] = verdict.body_hash
            updates.update(_metadata(feed, verdict.parsed))
        moved_to, note = _permanent_move(feed, verdict.response)
        if moved_to:
            updates["url"] = moved_to
            if outcome != Outcome.NEW:
                outcome = Outcome.MOVED
    elif outcome == Outcome.GONE:
        updates.update(status=Feed.Status.GONE, last_error=verdict.error)
    else:
        failures = feed.consecutive_failures + 1
        updates.update(
            status=Feed.Status.FAILING,
            consecutive_failures=failures,
            last_error=verdict.error,
            next_check_at=scheduling.next_check_after_failure(
                feed, failures, now, not_before=verdict.retry_at
            ),
        )
    log = FetchLog(
        feed=feed,
        started_at=started,
        duration_ms=round((time.monotonic() - clock) * 1000),
        http_status=verdict.http_status,
        outcome=outcome,
        entries_seen=stored.seen if stored else 0,
        entries_new=stored.new if stored else 0,
        entries_updated=stored.updated if stored else 0,
        entries_duplicate=stored.duplicates if stored else 0,
        error=verdict.error or note,
    )
    next_feed = _save_with_feed_state(
        log, feed, updates, token, durable=durable, next_claim=next_claim
    )
    for name, value in updates.items():
        setattr(feed, name, value)
    return log, next_feed


def _save_with_feed_state(
    log: FetchLog,
    feed: Feed,
    updates: dict,
    token: str,
    *,
    durable: bool = False,
    next_claim: tuple[int, str] | None = None,
) -> Feed | None:
    """Insert the log, update the feed and release the claim ``token`` holds, in one statement;
    and claim the next feed in it too when ``next_claim`` (its id and token) is given.

    One statement is atomic on its own, so a quiet poll (a 304, an unchanged body, a failure)
    in a run of feeds costs one round trip to the database, and alone two (claim, this); with
    entries it runs inside their transaction. The claim is released only if this fetch still
    holds it, as scheduling.release_claim does. Returns the next feed's row if it was
    claimed."""
    db = connections[DEFAULT_DB_ALIAS]
    names = tuple(updates)
    feed_fields = [Feed._meta.get_field(name) for name in names]
    params = [field.get_db_prep_save(updates[field.name], db) for field in feed_fields]
    params += [token, token, feed.pk]
    if next_claim is not None:
        next_id, next_token = next_claim
        params += scheduling.claim_params(next_id, next_token, timezone.now())
    params += [field.get_db_prep_save(field.pre_save(log, True), db) for field in _LOG_FIELDS]
    sql = _record_sql(names, claim_next=next_claim is not None)
    prefix = _DURABLE_PREFIX if durable and _bookkeeping_active.get() else ""
    with db.cursor() as cursor:
        _execute_prepared(db, cursor, sql, params, prefix=prefix)
        row = cursor.fetchone()
    log.pk = row[0]
    log._state.adding = False
    log._state.db = db.alias
    if next_claim is None or row[1] is None:
        return None
    return Feed.from_db(db.alias, _FEED_ATTNAMES, row[1:])


_LOG_FIELDS = [field for field in FetchLog._meta.concrete_fields if not field.primary_key]

# Statements prepared on each database connection (by psycopg2 connection object; a new
# connection starts with none).
_prepared_on: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _execute_prepared(db, cursor, sql: str, params: list, *, prefix: str = "") -> None:
    """Run ``sql`` as a statement prepared once per connection. The claim and the record run
    once or twice per poll, and PostgreSQL spends a third of their time planning them anew;
    a prepared statement is planned once (prepared statements outlive a rolled-back
    transaction, and go with their connection)."""
    name, numbered = _prepared_form(sql)
    db.ensure_connection()
    names = _prepared_on.setdefault(db.connection, set())
    if name not in names:
        cursor.execute(f"PREPARE {name} AS {numbered}")
        names.add(name)
    cursor.execute(f"{prefix}EXECUTE {name}({', '.join(['%s'] * len(params))})", params)


@functools.lru_cache(maxsize=128)
def _prepared_form(sql: str) -> tuple[str, str]:
    """A statement's name and its text with numbered parameters ($1, $2...)."""
    pieces = sql.split("%s")
    numbered = pieces[0] + "".join(f"${n}{piece}" for n, piece in enumerate(pieces[1:], 1))
    return f"ingest_{hashlib.sha1(sql.encode()).hexdigest()[:16]}", numbered


@functools.lru_cache(maxsize=64)
def _record_sql(feed_field_names: tuple[str, ...], claim_next: bool = False) -> str:
    """The statement for one set of updated feed fields (a handful of sets occur), with the
    next feed's claim (scheduling.claim_sql) when ``claim_next``."""
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    assignments = [f"{quote(Feed._meta.get_field(name).column)} = %s" for name in feed_field_names]
    claimed_until = quote(Feed._meta.get_field("claimed_until").column)
    claimed_by = quote(Feed._meta.get_field("claimed_by").column)
    assignments += [
        f"{claimed_until} = CASE WHEN {claimed_by} = %s THEN NULL ELSE {claimed_until} END",
        f"{claimed_by} = CASE WHEN {claimed_by} = %s THEN '' ELSE {claimed_by} END",
    ]
    parts = [
        f"feed_state AS (UPDATE {quote(Feed._meta.db_table)} SET {', '.join(assignments)} "
        f"WHERE {quote(Feed._meta.pk.column)} = %s)"
    ]
    if claim_next:
        parts.append(f"next_claim AS ({scheduling.claim_sql()})")
    parts.append(
        f"log AS (INSERT INTO {quote(FetchLog._meta.db_table)} "
        f"({', '.join(quote(field.column) for field in _LOG_FIELDS)}) "
        f"VALUES ({', '.join(['%s'] * len(_LOG_FIELDS))}) "
        f"RETURNING {quote(FetchLog._meta.pk.column)})"
    )
    pk = quote(FetchLog._meta.pk.column)
    if claim_next:
        selected = f"SELECT log.{pk}, next_claim.* FROM log LEFT JOIN next_claim ON TRUE"
    else:
        selected = f"SELECT log.{pk} FROM log"
    return f"WITH {', '.join(parts)} {selected}"


def _validators(feed: Feed, verdict: _Verdict) -> dict:
    """ETag and Last-Modified to send next time. A 304 may omit them (keep ours); a 200 that
    omits them means the server stopped sending them (forget ours)."""
    response = verdict.response
    if response is None:
        return {}
    if response.status == 304:
        updates = {}
        if response.etag:
            updates["etag"] = response.etag[:500]
        if response.last_modified:
            updates["last_modified"] = response.last_modified[:100]
        return updates
    return {"etag": response.etag[:500], "last_modified": response.last_modified[:100]}


def _permanent_move(feed: Feed, response: fetching.FetchResult | None) -> tuple[str, str]:
    """The URL to move the feed to after a permanent redirect, or "" and a note why not."""
    if response is None or response.permanent_url == feed.url:
        return "", ""
    target = response.permanent_url
    if len(target) > Feed._meta.get_field("url").max_length:
        return "", f"moved permanently to a URL too long to store: {target[:200]}..."
    other = Feed.objects.filter(url=target).exclude(pk=feed.pk).values_list("pk", flat=True)
    if other:
        return "", f"moved permanently to {target}, which feed #{other[0]} already polls"
    return target, ""


def _metadata(feed: Feed, parsed: parsing.ParsedFeed) -> dict:
    """Fill in what the feed says about itself, never overwriting an editor's values."""
    updates = {}
    if not feed.title and parsed.title:
        updates["title"] = parsed.title[:300]
    site_url = parsed.site_url
    if not feed.site_url and site_url.startswith(("http://", "https://")) and len(site_url) <= 2000:
        updates["site_url"] = site_url
    if not feed.language and parsed.language:
        updates["language"] = language_code(parsed.language)
    return updates


def language_code(tag: str) -> str:
    """A feed's language tag ("en-US", "iw") as one of our language codes ("xx" if other)."""
    primary = tag.strip().lower().replace("_", "-").split("-", 1)[0]
    primary = {"iw": "he"}.get(primary, primary)
    return primary if primary in Language.values else Language.OTHER


def import_snapshot(feed: Feed, body: bytes, content_type: str) -> storing.StoreResult:
    """Import a saved copy of a feed (the seeds' offline samples) through the same parse and
    store steps as a fetch. Raises parsing.NotAFeed for a body that is not a feed."""
    fetched_at = timezone.now()
    parsed = parsing.parse_feed(
        body,
        content_type=content_type,
        url=feed.url,
        fetched_at=fetched_at,
        max_entries=settings.INGEST_MAX_ENTRIES,
    )
    with transaction.atomic():
        result = storing.store_entries(feed, parsed.entries, fetched_at=fetched_at)
        if result.article_ids:
            # After the caller's whole transaction (load_seeds loads the lexicon in it too).
            transaction.on_commit(
                functools.partial(announce_stored, result.article_ids, inline=True),
                robust=True,
            )
        updates = _metadata(feed, parsed)
        if updates:
            Feed.objects.filter(pk=feed.pk).update(**updates)
            for name, value in updates.items():
                setattr(feed, name, value)
    return result


@dataclass
class IngestSummary:
    feeds: int = 0
    new: int = 0
    duplicates: int = 0
    not_modified: int = 0
    failed: int = 0
    skipped: int = 0
    # (feed id, outcome, error) of each failed fetch, so the operator reads why, not a count.
    failures: list[tuple[int, str, str]] = field(default_factory=list)
    # Articles written by committed fetches, for the caller to announce (announce_stored).
    article_ids: list[int] = field(default_factory=list)

    def add(self, log: FetchLog | None) -> None:
        self.feeds += 1
        if log is None:
            self.skipped += 1
            return
        self.new += log.entries_new
        self.duplicates += log.entries_duplicate
        if log.outcome in QUIET_OUTCOMES:
            self.not_modified += 1
        elif log.outcome in FAILED_OUTCOMES:
            self.failed += 1
            self.failures.append((log.feed_id, log.outcome, log.error))

    def __str__(self) -> str:
        line = (
            f"feeds: {self.feeds}, new: {self.new}, duplicates: {self.duplicates}, "
            f"not-modified: {self.not_modified}, failed: {self.failed}"
        )
        return line + (f", skipped: {self.skipped}" if self.skipped else "")


def ingest_feeds(
    feed_ids: Iterable[int], progress: Callable[[FetchLog | None], None] | None = None
) -> IngestSummary:
    """Fetch the given feeds one after another, in this process (no broker needed), over
    shared connections. One feed's failure never stops the others; ``progress`` is called
    after each feed. The stored articles are gathered in ``summary.article_ids``, not
    announced: the caller decides when (``manage.py ingest`` does at the end)."""
    summary = IngestSummary()
    ids = list(feed_ids)
    claimed: _Claimed | None = None
    with fetching.FetchSession() as session, _bookkeeping_commits():
        try:
            for position, feed_id in enumerate(ids):
                following = ids[position + 1] if position + 1 < len(ids) else None
                log, claimed = _ingest_one(feed_id, following, claimed, session, summary)
                if progress is not None:
                    progress(log)
        finally:
            if claimed is not None:  # stopped between two feeds (Ctrl-C, say)
                scheduling.release_claim(claimed.feed.pk, claimed.token)
    return summary


def _ingest_one(
    feed_id: int,
    following: int | None,
    claimed: _Claimed | None,
    session: fetching.FetchSession,
    summary: IngestSummary,
) -> tuple[FetchLog | None, _Claimed | None]:
    next_claimed = None
    try:
        log, next_claimed = _fetch_feed(
            feed_id,
            session=session,
            claimed=claimed,
            then_claim=following,
            on_stored=lambda ids: transaction.on_commit(
                functools.partial(summary.article_ids.extend, ids)
            ),
        )
    except Exception:
        # fetch_feed records its own errors; this catches what it could not record (the
        # database going away mid-run, say) and moves on to the next feed.
        logger.exception("feed %s could not be fetched", feed_id)
        summary.feeds += 1
        summary.failed += 1
        log = None
    else:
        summary.add(log)
    return log, next_claimed
