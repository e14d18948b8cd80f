import pytest

from ingest.canonical import canonical_url


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        (
            "https://news.example.com/world/story?utm_source=rss&utm_medium=feed&id=7",
            "https://news.example.com/world/story?id=7",
        ),
        (
            "https://news.example.com/a?fbclid=x&gclid=y&yclid=z&mc_cid=1&mc_eid=2&ref=home",
            "https://news.example.com/a",
        ),
        ("https://news.example.com/a?cmpid=rss&page=2", "https://news.example.com/a?page=2"),
        ("https://news.example.com/a?UTM_Campaign=x", "https://news.example.com/a"),
    ],
)
def test_it_removes_tracking_parameters(link, expected):
    assert canonical_url(link) == expected


def test_it_removes_the_fragment():
    assert canonical_url("https://example.com/story#comments") == "https://example.com/story"


def test_it_lowercases_scheme_and_host_but_not_the_path():
    assert canonical_url("HTTPS://News.Example.COM/World/Story") == (
        "https://news.example.com/World/Story"
    )


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("http://example.com:443/a", "http://example.com:443/a"),
    ],
)
def test_it_drops_only_the_default_port(link, expected):
    assert canonical_url(link) == expected


def test_it_keeps_other_parameters_exactly_as_written():
    link = "https://example.com/search?q=a+b&z=1&a=%20"
    assert canonical_url(link) == link


def test_it_keeps_parameter_order_when_removing_trackers():
    assert canonical_url("https://example.com/?b=2&utm_source=x&a=1") == (
        "https://example.com/?b=2&a=1"
    )


def test_an_empty_path_becomes_a_slash():
    assert canonical_url("https://example.com") == "https://example.com/"


def test_two_spellings_of_one_story_become_the_same_url():
    first = canonical_url("https://Example.com:443/story?id=1&utm_source=twitter#top")
    second = canonical_url("https://example.com/story?id=1&fbclid=abc")
    assert first == second


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "mailto:editor@example.com",
        "file:///etc/passwd",
        "ftp://example.com/a",
        "/relative/path",
        "",
        "http://",
        "http://example.com:99999/",
    ],
)
def test_it_refuses_what_is_not_a_web_link(link):
    assert canonical_url(link) == ""


def test_it_drops_credentials_and_whitespace():
    assert canonical_url(" https://user:secret@example.com/a\n/b ") == "https://example.com/a/b"


def test_it_keeps_ipv6_hosts_bracketed():
    assert canonical_url("http://[2001:DB8::1]:80/a") == "http://[2001:db8::1]/a"
