"""Fault tests against real services (issue 6, item 4): Redis stopping, PostgreSQL restarting
during ingestion, and two beat processes run by mistake.

A worker killed with SIGKILL mid-fetch is covered by
``tests/ingest/test_worker.py::test_killing_a_worker_mid_fetch_neither_loses_nor_duplicates_articles``
and is not repeated here.
"""
