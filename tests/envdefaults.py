"""Loaded by pytest before Django (``-p tests.envdefaults``): development defaults for a
test run, so tests need no exported SECRET_KEY. Production settings are tested in a
subprocess with their own environment (tests/test_settings.py)."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "insecure-key-for-tests-only-" + "x" * 30)
os.environ.setdefault("RELWATCH_ALLOW_PRIVATE_FEEDS", "false")
