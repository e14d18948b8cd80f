"""``manage.py load_seeds [--with-samples] [--dir PATH]``: load the seed actors, events and
feeds (and the offline sample articles), updating in place; a second run reports no change."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ingest.seeding import load_seeds
from relations.seeding import SeedError, default_seed_dir


class Command(BaseCommand):
    help = (
        "Load the seed data from YAML (actors, the seed article's events, default feeds), "
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
            report = load_seeds(dir, with_samples=with_samples)
        except SeedError as exc:
            raise CommandError(f"Nothing was loaded. {exc}") from None
        for line in report.lines():
            self.stdout.write(line)
        if report.changed:
            self.stdout.write(self.style.SUCCESS("Seeds loaded."))
        else:
            self.stdout.write("No changes.")
