"""Watchlist pages: /watch/ and what hangs off it."""

urlpatterns: list = []
