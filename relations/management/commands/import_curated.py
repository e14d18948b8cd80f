"""Merge a file written by export_curated into the database, in one transaction; the
matching rules are in relations/importing.py."""

import sys

from django.core.management.base import BaseCommand, CommandError

from relations.curated import (
    CuratedDataError,
    import_curated,
    read_document,
    summary,
)
from relations.management.progress import ProgressBars


class Command(BaseCommand):
    help = (
        "Import actors and events from an export_curated file. Actors match by slug, events by "
        "(kind, title, date); matches are updated, the rest created, nothing deleted."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="a file written by export_curated, or - for stdin")

    def handle(self, *args, file: str, **options):
        progress = ProgressBars(options["verbosity"] > 0 and self.stderr.isatty())
        try:
            if file == "-":
                document = read_document(sys.stdin)
            else:
                with open(file, encoding="utf-8") as stream:
                    document = read_document(stream)
            report = import_curated(document, progress=progress)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}.") from None
        except CuratedDataError as exc:
            name = "standard input" if file == "-" else file
            raise CommandError(f"{name}: {str(exc).rstrip('.')}. Nothing was imported.") from None
        finally:
            progress.close()
        if options["verbosity"] > 0:
            self.stdout.write(summary(report))
            if not report.changed:
                self.stdout.write("No changes.")
