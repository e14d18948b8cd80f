"""``manage.py load_seeds [--with-samples] [--dir PATH]``: load the seed actors, events, feeds
and cue lexicon (and the offline sample articles), updating in place; a second run reports no
change."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ingest.seeding import load_seeds
from relations.lexicon import apply_lexicon, read_lexicon
from relations.seeding import SeedError, default_seed_dir


class Command(BaseCommand):
    help = (
        "Load the seed data from YAML (actors, the seed article's events, default feeds, the "
        "cue lexicon), "
        "updating existing records in place. A bad file stops the load and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--with-samples",
            action="store_true",
            help="Also import the offline feed snapshots in seeds/samples/ as articles.",
        )
        parser.add_argument(
            "--dir",
            type=Path,
            default=None,
            help=f"Directory holding the seed files (default: {default_seed_dir()}).",
        )

    def handle(self, *args, with_samples: bool, dir: Path | None, **options):
        try:
            # The lexicon is read and checked first, and written in the same transaction as
            # the rest: a bad cue file stops the load before anything changes.
            cues = read_lexicon(dir)
            with transaction.atomic():
                report = load_seeds(dir, with_samples=with_samples)
                apply_lexicon(cues, report)
        except SeedError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from None
        for line in report.lines():
            self.stdout.write(line)
        if report.changed:
            self.stdout.write(self.style.SUCCESS("Seeds loaded."))
        else:
            self.stdout.write("No changes.")
