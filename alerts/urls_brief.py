"""The monthly brief: /brief/, /brief/YYYY-MM/ and /api/brief/YYYY-MM/."""

urlpatterns: list = []
