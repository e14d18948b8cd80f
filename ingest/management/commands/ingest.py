import contextlib
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm
from tqdm.contrib.logging import logging_redirect_tqdm

from ingest.models import Feed
from ingest.pipeline import announce_stored, ingest_feeds
from ingest.scheduling import due_feeds, pollable_feeds


class Command(BaseCommand):
    help = (
        "Fetch feeds now, in this process (no broker or worker needed): the due feeds, "
        "the ones given with --feed, or every pollable feed with --all. The articles stored "
        "are then handed on (coded) in this process too."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--feed", dest="feed_ids", type=int, action="append", default=[], metavar="ID"
        )
        parser.add_argument(
            "--all", action="store_true", help="Every active feed that is not gone or disabled."
        )

    def handle(self, *args, feed_ids, **options):
        if feed_ids and options["all"]:
            raise CommandError("Give either --feed or --all, not both.")
        if feed_ids:
            known = set(Feed.objects.filter(id__in=feed_ids).values_list("id", flat=True))
            unknown = sorted(set(feed_ids) - known)
            if unknown:
                raise CommandError(f"No feed with id {', '.join(map(str, unknown))}.")
        elif options["all"]:
            feed_ids = list(pollable_feeds().order_by("id").values_list("id", flat=True))
        else:
            feed_ids = list(due_feeds().values_list("id", flat=True))

        # The bar goes to stderr and only on a terminal, so pipes and cron mail stay clean;
        # log lines are written above the bar instead of through it.
        on_terminal = sys.stderr.isatty()
        logs_above = logging_redirect_tqdm() if on_terminal else contextlib.nullcontext()
        with (
            logs_above,
            tqdm(total=len(feed_ids), unit="feed", file=sys.stderr, disable=not on_terminal) as bar,
        ):
            summary = ingest_feeds(feed_ids, progress=lambda log: bar.update(1))
        urls = dict(
            Feed.objects.filter(id__in=[failure[0] for failure in summary.failures]).values_list(
                "id", "url"
            )
        )
        for feed_id, outcome, error in summary.failures:
            self.stdout.write(
                f"failed: feed #{feed_id} {urls.get(feed_id, '')}: {outcome}: {error}"
            )
        self.stdout.write(str(summary))
        # The apps above ingest (coding) answer with a summary of their own, printed as is.
        for report in announce_stored(summary.article_ids, inline=True):
            self.stdout.write(str(report))
