from django.apps import AppConfig


class AlertsConfig(AppConfig):
    """Watchlists, alerts and the monthly brief. Above ``relations`` and ``coding``; the
    dashboard links to it."""

    name = "alerts"
    verbose_name = "Alerts and briefs"

    def ready(self):
        from alerts import signals

        signals.connect()
