"""Django's Redis cache, with one client object per connection pool.

Django's ``RedisCacheClient`` builds a new ``redis.Redis`` for every operation, and each
construction fills a table of several hundred response callbacks: about a tenth of a
millisecond per cache read, and a page reads the cache several times. The client holds no
per-operation state (the pool does), so one per pool serves every operation.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class ReusingRedisCacheClient(RedisCacheClient):
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
    def __init__(self, server, params) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient
