from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ingest.synthetic import generate


class Command(BaseCommand):
    help = "Stream synthetic actors, events and articles into the database (for benchmarks)."

    def add_arguments(self, parser):
        parser.add_argument("--actors", type=int, default=200)
        parser.add_argument("--events", type=int, default=20_000)
        parser.add_argument("--articles", type=int, default=100_000)
        parser.add_argument("--feeds", type=int, default=50)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, actors, events, articles, feeds, seed, **options):
        if min(actors, events, articles) < 0 or feeds < 1:
            raise CommandError("Counts must be positive (and at least one feed).")
        total = actors + events + articles
        with tqdm(
            total=total, unit="row", disable=not self.stdout.isatty(), desc="synthetic"
        ) as bar:
            counts = generate(
                actors=actors,
                events=events,
                articles=articles,
                feeds=feeds,
                seed=seed,
                progress=lambda stage, n: (bar.set_description(stage), bar.update(n)),
            )
        self.stdout.write(
            f"Added {counts.actors} actors, {counts.events} events "
            f"({counts.interactions} interactions), {counts.articles} articles "
            f"({counts.mentions} mentions)."
        )
