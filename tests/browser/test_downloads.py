""" "Download these results" as an analyst uses it, in a real browser under the strict
Content-Security-Policy: the CSV downloaded from a filtered timeline, an actor's page and a
pair's page holds the events the page lists, and the Atom and API links give the same."""

import csv
import io
import xml.etree.ElementTree as ET

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ATOM = "{http://www.w3.org/2005/Atom}"


def listed(page, list_id: str) -> set[str]:
    return set(page.locator(f"#{list_id} > li .item-title").all_inner_texts())


def downloaded_titles(page) -> set[str]:
    """Click the CSV link of the page's downloads and read the file the browser saves."""
    with page.expect_download() as download:
        page.locator("#downloads a", has_text="CSV").click()
    path = download.value.path()
    assert download.value.suggested_filename == "relwatch-events.csv"
    with open(path, encoding="utf-8") as file:
        return {row["title"] for row in csv.DictReader(io.StringIO(file.read()))}


def linked_titles(page) -> tuple[set[str], set[str]]:
    """The titles behind the page's Atom and API links, fetched with the browser's session."""
    atom_href = page.locator("#downloads a", has_text="Atom").get_attribute("href")
    api_href = page.locator("#downloads a", has_text="API").get_attribute("href")
    atom = ET.fromstring(page.request.get(atom_href).body())
    api = page.request.get(api_href).json()
    return (
        {entry.findtext(f"{ATOM}title") for entry in atom.findall(f"{ATOM}entry")},
        {event["title"] for event in api["results"]},
    )


@pytest.mark.parametrize(
    ("url", "list_id"),
    [
        ("/timeline/?actor=hamas&kind=statement&kind=allegation&lanes=actor", "event-list"),
        ("/timeline/?since=2023-11-01", "event-list"),
        ("/actors/hamas/", "actor-events"),
        ("/relations/russia/hamas/?rollup=0", "pair-events"),
    ],
)
def test_the_downloads_of_a_page_hold_what_it_lists(page, world, url, list_id):
    page.goto(url)
    shown = listed(page, list_id)
    assert shown, "the page lists nothing to compare"

    assert downloaded_titles(page) == shown
    atom, api = linked_titles(page)
    assert atom == api == shown
