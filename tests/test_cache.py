"""The cache backend: Django's Redis cache with one client object per connection pool."""

from django.core.cache import cache

from relwatch.cache import ReusingRedisCacheClient


def test_the_cache_reads_and_writes_through_one_reused_client():
    assert isinstance(cache._cache, ReusingRedisCacheClient)
    cache.set("probe:reused-client", {"a": 1}, 30)
    assert cache.get("probe:reused-client") == {"a": 1}
    writer = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is writer
    assert cache._cache.get_client(write=False) is cache._cache.get_client(write=False)
    cache.delete("probe:reused-client")
    assert cache.get("probe:reused-client") is None
