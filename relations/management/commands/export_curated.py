"""Write the curated data (actors, aliases, affiliations, events with all their parts) to a
portable JSON document; see relations/curated.py for the format."""

import os
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from relations.curated import export_curated
from relations.management.progress import ProgressBars


class Command(BaseCommand):
    help = "Export actors and events with all their parts to a JSON file (or standard output)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", "-o", metavar="FILE", help="file to write (default: standard output)"
        )

    def handle(self, *args, output: str | None, **options):
        progress = ProgressBars(options["verbosity"] > 0 and self.stderr.isatty())
        try:
            if output in (None, "-"):
                summary = export_curated(_Unterminated(self.stdout), progress=progress)
                # Standard output is the document; the summary goes beside it.
                report = self.stderr
            else:
                summary = _export_to_file(Path(output), progress)
                report = self.stdout
        finally:
            progress.close()
        if options["verbosity"] > 0:
            report.write(str(summary))


def _export_to_file(path: Path, progress: ProgressBars):
    # Written beside the target and renamed over it, so a failed export never leaves a
    # truncated file where the previous good backup was.
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="\n") as out:
            summary = export_curated(out, progress=progress)
        os.replace(partial, path)
    except OSError as exc:
        raise CommandError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    finally:
        partial.unlink(missing_ok=True)
    return summary


class _Unterminated:
    """Passes text to a command's OutputWrapper without the newline it adds to each write."""

    def __init__(self, wrapper):
        self.wrapper = wrapper

    def write(self, text: str) -> None:
        self.wrapper.write(text, ending="")
