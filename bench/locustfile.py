"""Analysts' traffic for `make load`: overview, timeline, an event page and the API."""

import os
import random

from locust import HttpUser, constant_throughput, task

EVENT_IDS = [int(i) for i in os.environ.get("LOAD_EVENT_IDS", "1").split(",")]


class Analyst(HttpUser):
    # Each simulated user makes one request a second, so users = requests per second.
    wait_time = constant_throughput(1)

    @task(3)
    def overview(self):
        self.client.get("/", name="/")

    @task(3)
    def timeline(self):
        self.client.get("/timeline/?actor=russia", name="/timeline/?actor=")

    @task(2)
    def event(self):
        self.client.get(f"/events/{random.choice(EVENT_IDS)}/", name="/events/<id>/")

    @task(2)
    def api_events(self):
        self.client.get("/api/events/?actor=hamas", name="/api/events/")
