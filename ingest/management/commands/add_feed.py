from django.core.management.base import BaseCommand, CommandError

from ingest.feeds import DuplicateFeed, UnsafeURL, add_feed


class Command(BaseCommand):
    help = "Add a feed to poll, after checking its URL; says what it added (id, URL, title)."

    def add_arguments(self, parser):
        parser.add_argument("url", help="The feed's http:// or https:// URL.")
        parser.add_argument("--title", default="", help="A title (else the feed's own).")

    def handle(self, *args, **options):
        try:
            feed = add_feed(options["url"], title=options["title"])
        except (UnsafeURL, DuplicateFeed) as exc:
            raise CommandError(f"Feed not added: {exc}") from None
        title = feed.title or "(untitled: the feed's own title is read on its first fetch)"
        self.stdout.write(f"Added feed #{feed.pk}: {feed.url} — {title}")
