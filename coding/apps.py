from django.apps import AppConfig


class CodingConfig(AppConfig):
    """Event coding: stored articles turned into who-did-what-to-whom suggestions, grouped into
    stories for editors to review. Sits between ``ingest`` and ``dashboard``: it imports
    ``ingest`` and ``relations``, and neither imports it (ingest announces stored articles with
    the ``ingest.signals.articles_stored`` signal, which this app answers)."""

    name = "coding"
    verbose_name = "Event coding"

    def ready(self):
        from coding import signals  # noqa: F401  (connects the receivers)
