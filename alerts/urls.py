"""Pages of the alerts app, included at the site root by relwatch/urls.py: watchlists
(alerts.urls_watch) and the monthly brief (alerts.urls_brief)."""

from alerts import urls_brief, urls_watch

app_name = "alerts"

urlpatterns = [*urls_watch.urlpatterns, *urls_brief.urlpatterns]
