"""Signals ``ingest`` sends for the apps above it, which it must not import.

``articles_stored``: sent once a batch of stored articles has committed, with ``article_ids``
(the articles written that are worth coding: new ones naming an actor, and every changed one)
and ``inline`` (True at the end of ``manage.py ingest``:
handle them now, in this process; False in the worker's fetch task: queue the work).
"""

from django.dispatch import Signal

articles_stored = Signal()
