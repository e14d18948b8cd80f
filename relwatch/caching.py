"""What the site keeps in its Redis cache, in one place: the keys, the versions that make a
cached answer stale, how long each kind lives, and what a cache outage does.

A cached answer (a chart, a pair's series, a summary, a page count) is keyed by
- the data version, renewed after every committed change to events, their parts,
  affiliations and actors (relations.signals calls ``bump_data_version`` on commit);
- the newest id of its table, a cheap index lookup, so rows added without signals (a bulk
  load, ingestion) count too;
- ``FORMAT``, so that a new release never reads what an older one cached in another shape;
- what the caller asked for.
So a stale answer is never served and nothing needs deleting: old keys expire. The gazetteer
version does the same for each process's compiled gazetteer (ingest.matching), renewed after
every committed change to aliases or actors, and the lexicon version for the compiled cue
lexicon (relations.lexicon, read by the coder and the event form's category guess).

A cache outage never fails a page or a fetch: see ``tolerate_outage``. Within a web request
the versions and newest ids are read once (``request_memo``): a page asks for a dozen cached
answers.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from asgiref.local import Local
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from django.core.signals import request_finished, request_started
from django.db.models import Max

logger = logging.getLogger(__name__)
T = TypeVar("T")

DATA_VERSION_KEY = "relations:data-version"
GAZETTEER_VERSION_KEY = "ingest:gazetteer-version"
LEXICON_VERSION_KEY = "relations:lexicon-version"
# Bump when the shape of a cached answer changes (the versions only change with the data).
FORMAT = 4
# Charts, series and summaries: a version bump makes them unreachable long before this.
DERIVED_SECONDS = 24 * 3600
# Page counts: changes that bump no version (an article triaged) show within a minute.
COUNT_SECONDS = 60


# --- the outage policy ------------------------------------------------------------------------

_outage_logged = False
_CACHE_DOWN = "cache-down"  # in the request memo: this request found the cache unreachable


def tolerate_outage(operation: Callable[[], T], fallback: T) -> T:
    """``operation()`` on the cache, or ``fallback`` when the cache cannot be reached: an
    outage costs speed, never a page or a fetch, and the caller computes the answer uncached.

    Logged once per outage, not once per key (a page reads a dozen). A web request that found
    the cache unreachable does not ask it again: each try may wait for the socket timeout.
    """
    global _outage_logged
    memo = request_memo()
    if memo is not None and memo.get(_CACHE_DOWN):
        return fallback
    try:
        result = operation()
    except Exception:
        if memo is not None:
            memo[_CACHE_DOWN] = True
        if not _outage_logged:
            _outage_logged = True
            logger.warning("cache unreachable: answers are computed uncached", exc_info=True)
        return fallback
    if _outage_logged:
        _outage_logged = False
        logger.info("cache reachable again")
    return result


# --- what one web request has read ------------------------------------------------------------

# Set for the length of a request (request_started to request_finished, connected in
# DashboardConfig.ready()); None elsewhere (tasks, commands), which read afresh every time.
_request = Local()


def request_memo() -> dict | None:
    """The current web request's memo of versions and newest ids, or None outside one."""
    return getattr(_request, "memo", None)


def start_request_memo(**kwargs) -> None:
    _request.memo = {}


def end_request_memo(**kwargs) -> None:
    _request.memo = None


def connect_request_memo() -> None:
    request_started.connect(start_request_memo, dispatch_uid="relwatch.caching")
    request_finished.connect(end_request_memo, dispatch_uid="relwatch.caching")


def _read_once_per_request(name: str, read: Callable[[], T]) -> T:
    memo = request_memo()
    if memo is not None and name in memo:
        return memo[name]
    value = read()
    if memo is not None:
        memo[name] = value
    return value


# --- versions ---------------------------------------------------------------------------------


def data_version() -> str:
    """Renewed after every committed change to events, their parts, affiliations or actors;
    "" when the cache is unreachable (then nothing is cached)."""
    return _version(DATA_VERSION_KEY)


def bump_data_version() -> None:
    _bump(DATA_VERSION_KEY)


def gazetteer_version() -> str:
    """Renewed after every committed change to aliases or actors, in any process."""
    return _version(GAZETTEER_VERSION_KEY)


def bump_gazetteer_version() -> None:
    _bump(GAZETTEER_VERSION_KEY)


def lexicon_version() -> str:
    """Renewed after every committed change to the cue lexicon, in any process."""
    return _version(LEXICON_VERSION_KEY)


def bump_lexicon_version() -> None:
    _bump(LEXICON_VERSION_KEY)


def _version(key: str) -> str:
    return _read_once_per_request(key, lambda: _read_version(key))


def _read_version(key: str) -> str:
    # A random version, never a counter: a counter evicted or lost with a restart of Redis
    # would start again at a number that already keys older answers.
    version = tolerate_outage(
        lambda: cache.get_or_set(key, _new_version, timeout=None), fallback=None
    )
    return version or ""


def _bump(key: str) -> None:
    # A bump lost to an outage leaves what was cached before it in use until it expires.
    memo = request_memo()
    if memo is not None:
        memo.clear()  # what this request read before the change is stale now
    tolerate_outage(lambda: cache.set(key, _new_version(), timeout=None), fallback=None)


def _new_version() -> str:
    return uuid.uuid4().hex


def newest_id(model) -> int | None:
    """The table's highest id, read once per web request."""
    return _read_once_per_request(
        f"newest:{model._meta.label}",
        lambda: model._base_manager.aggregate(newest=Max("pk"))["newest"],
    )


# --- cached answers ---------------------------------------------------------------------------


def cache_key(name: str, parts: object, *, newest_of) -> str | None:
    """The key of ``name`` asked with ``parts``: stale after the next bump of the data version
    or a new row in ``newest_of``'s table. None when the cache is unreachable."""
    version = data_version()
    if not version:
        return None
    digest = hashlib.sha256(repr((parts, newest_id(newest_of))).encode()).hexdigest()
    return f"{name}:v{FORMAT}:{version}:{digest}"


def cached(
    name: str,
    parts: object,
    compute: Callable[[], Any],
    *,
    newest_of,
    as_json: bool = False,
    timeout: int = DERIVED_SECONDS,
) -> Any:
    """``compute()`` (plain data: what JSON holds), cached under ``cache_key``. ``as_json``:
    its JSON text, for an API to send as it is (a cached answer is never decoded and encoded
    again)."""
    key = cache_key(name, parts, newest_of=newest_of)
    text = None if key is None else tolerate_outage(lambda: cache.get(key), fallback=None)
    if as_json and isinstance(text, str):
        return text
    if text is not None:
        try:
            return json.loads(text)
        except (TypeError, ValueError):
            logger.warning("unreadable cached %s; computing it again", name)
    value = compute()
    text = json_text(value)
    if key is not None:
        tolerate_outage(lambda: cache.set(key, text, timeout), fallback=None)
    return text if as_json else value


def json_text(value: Any) -> str:
    # Written as the API's JSON renderer writes it (compact, UTF-8), so that it can be sent as
    # it is; plain text in the cache, whatever the cache's serializer.
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


# --- the backend ------------------------------------------------------------------------------


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every operation, and each
    construction fills a table of several hundred response callbacks: about a tenth of a
    millisecond per cache read, and a page reads the cache several times. The client holds no
    per-operation state (the pool does), so one per pool serves every operation."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            pool = self._get_connection_pool(write)
            client = self._clients[index] = self._client(connection_pool=pool)
        return client


class ReusingRedisCache(RedisCache):
    """Django's Redis cache (settings.CACHES), with one client object per connection pool."""

    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
