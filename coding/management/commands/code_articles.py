"""``manage.py code_articles [--all | --since DATE | --feed ID ...]``: code (or re-code) stored
articles in this process, with a progress bar and a summary line. Articles already coded with
the same coder and unchanged content are skipped, so a second run changes nothing."""

import contextlib
import datetime as dt
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from coding.stage import codable_articles, code_articles
from ingest.models import Feed


def day(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--since takes a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = (
        "Code stored articles that name an actor into suggestions and stories: every one "
        "(--all), those published since a date (--since YYYY-MM-DD), or those of the given "
        "feeds (--feed ID, repeatable)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Every stored article.")
        parser.add_argument("--since", metavar="DATE", help="Published on or after this day.")
        parser.add_argument(
            "--feed", dest="feed_ids", type=int, action="append", default=[], metavar="ID"
        )

    def handle(self, *args, feed_ids, since, **options):
        if sum(map(bool, (options["all"], since, feed_ids))) != 1:
            raise CommandError("Give one of --all, --since DATE or --feed ID.")
        articles = codable_articles()
        if since:
            articles = articles.filter(published_at__date__gte=day(since))
        if feed_ids:
            known = set(Feed.objects.filter(id__in=feed_ids).values_list("id", flat=True))
            unknown = sorted(set(feed_ids) - known)
            if unknown:
                raise CommandError(f"No feed with id {', '.join(map(str, unknown))}.")
            articles = articles.filter(feed_id__in=feed_ids)
        ids = list(articles.order_by("id").values_list("id", flat=True))

        # As manage.py ingest: the bar on stderr and only on a terminal.
        on_terminal = sys.stderr.isatty()
        logs_above = logging_redirect_tqdm() if on_terminal else contextlib.nullcontext()
        with (
            logs_above,
            tqdm(total=len(ids), unit="article", file=sys.stderr, disable=not on_terminal) as bar,
        ):
            summary = code_articles(ids, progress=bar.update)
        self.stdout.write(str(summary))
