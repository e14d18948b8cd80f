"""The API's rate limits, counted in the cache, which an outage of that cache never turns
into errors: the cache layer's outage policy (relwatch.caching) holds for them too."""

from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

from relwatch.caching import tolerate_outage


class _OutageTolerant:
    def allow_request(self, request, view) -> bool:
        # With Redis down nothing can be counted: the API keeps answering, unthrottled, as
        # the pages keep answering uncached.
        count = super().allow_request
        return tolerate_outage(lambda: count(request, view), fallback=True)


class AnonThrottle(_OutageTolerant, AnonRateThrottle):
    pass


class UserThrottle(_OutageTolerant, UserRateThrottle):
    pass
