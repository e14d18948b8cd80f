"""JSON API and exports (owned by the API work)."""

urlpatterns: list = []
