"""A paginator whose count of matching rows is cached, for the pages and the API."""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from relations.signals import data_version, newest_id

logger = logging.getLogger(__name__)
COUNT_CACHE_SECONDS = 60


class CachedCountPaginator(Paginator):
    """Counting every matching row is the one cost of a page that grows with the archive
    (hundreds of ms over 200,000 events or a million articles), so counts are cached. The
    key holds the query, the data version (bumped after every change to events, so an
    editor's change shows at once) and the table's highest id (a cheap index lookup, so new
    rows, such as freshly ingested articles, show at once too). Other changes (an article
    triaged) show within a minute."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        try:
            sql, params = queryset.query.sql_with_params()
        except EmptyResultSet:  # a filter such as pk__in=[]: nothing can match
            return 0
        newest = newest_id(queryset.model)
        digest = hashlib.sha256(repr((sql, params, newest)).encode()).hexdigest()
        key = f"count:{data_version()}:{digest}"
        try:
            cached = cache.get(key)
        except Exception:  # a cache outage costs speed, never the answer
            cached = None
        if cached is not None:
            return cached
        count = super().count
        try:
            cache.set(key, count, COUNT_CACHE_SECONDS)
        except Exception:
            logger.warning("cache unreachable: page counts are not cached")
        return count
