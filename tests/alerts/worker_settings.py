"""Settings of the worker and beat processes that the alerts tests start: the project's, with
delivery retries half a second apart instead of half a minute."""

from relwatch.settings import *  # noqa: F403

ALERTS_RETRY_SECONDS = 0.5
ALERTS_MAX_ATTEMPTS = 6
