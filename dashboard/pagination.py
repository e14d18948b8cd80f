"""A paginator whose count of matching rows is cached, for the pages and the API."""

from __future__ import annotations

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from relwatch import caching


class CachedCountPaginator(Paginator):
    """Counting every matching row is the one cost of a page that grows with the archive
    (hundreds of ms over 200,000 events or a million articles), so counts are cached, keyed by
    the query (relwatch.caching adds the data version, so an editor's change shows at once,
    and the table's highest id, so new rows such as freshly ingested articles show at once
    too). Other changes (an article triaged) show within ``caching.COUNT_SECONDS``."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        try:
            query = queryset.query.sql_with_params()
        except EmptyResultSet:  # a filter such as pk__in=[]: nothing can match
            return 0
        return caching.cached(
            "count",
            query,
            lambda: Paginator.count.func(self),
            newest_of=queryset.model,
            timeout=caching.COUNT_SECONDS,
        )
