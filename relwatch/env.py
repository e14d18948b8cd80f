"""Strict readers for settings that come from the environment.

Each helper raises ImproperlyConfigured with the variable's name on a value it cannot
interpret, so a typo in production fails at start-up instead of silently meaning "off".
"""

import os
import re

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off"}


def envbool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean: use one of true/false, yes/no, on/off, 1/0."
    )


def envint(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip().replace("_", ""))
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={value} is below the minimum of {minimum}.")
    return value


def envlist(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def envstr(name: str, default: str = "") -> str:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip()


# What DRF's throttles read: a count, then a period whose first letter is s, m, h or d.
RATE = re.compile(r"^[1-9][0-9]*/(s|sec|second|m|min|minute|h|hour|d|day)$")


def envrate(name: str, default: str) -> str:
    """A request rate such as 60/min; DRF would read "60/mn" as 60 a minute and "60 /min"
    not at all, so anything but a plain count and period is refused."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    rate = raw.strip().replace(" ", "")
    if not RATE.match(rate):
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a rate: use a count and a period, such as 60/min or 1000/day."
        )
    return rate
