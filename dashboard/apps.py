from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Dashboard"

    def ready(self) -> None:
        # The web requests' memo of cache versions: pages are where a dozen cached answers
        # are asked for in one request.
        from relwatch import caching

        caching.connect_request_memo()
